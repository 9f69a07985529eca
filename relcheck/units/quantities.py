"""Kubernetes resource quantities (`512Mi`, `250m`, `1e3`, `0.5`) as exact decimals."""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

# ASCII digits only (`\d` alone takes "٣"), as the API server's parser does.
_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]{1,3})?$"
)
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
MI = Decimal(2) ** 20
GI = Decimal(2) ** 30


def parse_quantity(value: Any) -> Decimal | None:
    """The quantity's value in base units (bytes or cores), or None when it does not parse."""
    if value.__class__ in (str, int, float):  # hashable, and a monorepo repeats a handful of values
        return _parse_cached(value)
    return _parse(value)


@functools.lru_cache(maxsize=4096, typed=True)  # typed: 1 and 1.0 print differently
def _parse_cached(value: str | int | float) -> Decimal | None:
    return _parse(value)


def _parse(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    match = _QUANTITY.match(text)
    if not match:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        if suffix not in _SUFFIX:  # a decimal exponent: `1e3`
            return Decimal(number) * (Decimal(10) ** int(suffix[1:]))
        return Decimal(number) * _SUFFIX[suffix]
    except (InvalidOperation, KeyError, ValueError):
        return None


def format_bytes(value: Decimal) -> str:
    if value >= MI:
        return f"{(value / MI).normalize():f} MiB"
    return f"{value.normalize():f} bytes"
