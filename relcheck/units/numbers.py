"""Whole numbers written as text in scanned files, read the way the platforms read them.

`str.isdigit()` and `int()` accept far more than Kubernetes, Docker or Node do: superscripts
(`"²".isdigit()` is true, and `int("²")` then raises), Arabic-Indic digits, and strings of
thousands of digits that exceed Python's int-conversion limit. A value that is not a plain ASCII
number of sensible length is simply not a number here.
"""

from __future__ import annotations

import math
import re
from typing import Any

_WHOLE = re.compile(r"[0-9]{1,18}")


def ascii_int(text: Any) -> int | None:
    """`text` as a non-negative int when it is 1-18 ASCII digits (surrounding blanks allowed)."""
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    return int(stripped) if _WHOLE.fullmatch(stripped) else None


def finite_int(value: Any) -> int | None:
    """An int or a finite float as an int (YAML reads `1e400` as infinity); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None
