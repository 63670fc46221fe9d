"""`evidence serve`: the catalogue in a browser, over the same use cases as the command line.

The server is Python's own threaded HTTP server: one request at a time per thread, each reading the
catalogue in its own transaction. It binds the loopback interface only; every response carries a
Content-Security-Policy that allows no inline script and nothing from elsewhere."""
