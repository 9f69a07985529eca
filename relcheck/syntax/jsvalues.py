"""Values read from source code without running it: literals, or UNKNOWN where a value is computed."""

from __future__ import annotations


class _Unknown:
    """A value that is not a literal; rules never guess what it is."""

    _instance = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


class JsObject(dict):
    """An object literal; `open` is set when a spread or computed key may add keys we cannot see."""

    open: bool = False


class JsArray(list):
    open: bool = False
