"""Accounts: the named people who sign in to the web application, their roles and passwords."""
