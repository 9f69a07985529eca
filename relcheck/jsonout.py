"""JSON documents as relcheck writes them: two-space indents, non-ASCII kept as is.

orjson writes them: the standard library's encoder falls back to pure Python whenever it indents,
and took most of a second on a large SARIF report. What orjson refuses (a path with bytes that are
not UTF-8, kept as lone surrogates; an integer beyond 64 bits) goes through the standard library,
which writes the same text: for strings, integers, booleans and null, the only values reports
hold, the two encoders agree byte for byte (a property test holds them to it).
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(document: Any) -> str:
    """`document` as indented JSON text with a final newline, like json.dumps(indent=2, ensure_ascii=False)."""
    try:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
