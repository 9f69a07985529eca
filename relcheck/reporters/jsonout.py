"""JSON documents as relcheck writes them: two-space indents, non-ASCII kept as is, valid UTF-8.

orjson writes them: the standard library's encoder falls back to pure Python whenever it indents,
and took most of a second on a large SARIF report. What orjson refuses goes through the standard
library, which writes the same text: for strings, integers, booleans and null, the only values
reports hold, the two encoders agree byte for byte (a property test holds them to it). orjson
refuses integers beyond 64 bits, and strings with lone surrogates: the raw bytes of a file name that
is not UTF-8, which are written as `\\udcXX` escapes, so that the report stays valid UTF-8 and reads
back (in Python) as the path it names.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(document: Any) -> str:
    """`document` as indented JSON text with a final newline, like json.dumps(indent=2, ensure_ascii=False)."""
    try:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
