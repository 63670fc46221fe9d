"""Annotation: the controlled vocabulary, tags on items, frames, ranges and regions, claims and
described contents."""
