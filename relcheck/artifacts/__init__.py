"""Parsed artifacts as plain dataclasses. Checks read these; only parsers build them."""
