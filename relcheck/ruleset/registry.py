"""Binds check functions to rule codes. Check modules import nothing heavier than the model."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relcheck.model import Finding
    from relcheck.scan.context import CheckContext

CheckFunction = Callable[["CheckContext"], Iterable["Finding"]]

# Reported by the engine itself while reading and parsing files.
ENGINE_CODES = frozenset({"E001", "E002", "E003", "E004"})

_CHECKS: dict[str, CheckFunction] = {}


def check(code: str) -> Callable[[CheckFunction], CheckFunction]:
    """Decorator: `@check("D001")` registers the function that implements rule D001."""

    def register(function: CheckFunction) -> CheckFunction:
        if code in _CHECKS and _CHECKS[code] is not function:
            raise RuntimeError(f"rule {code} has two implementations")
        _CHECKS[code] = function
        return function

    return register


def load_checks() -> dict[str, CheckFunction]:
    from relcheck.ruleset.pack import load_areas

    # One module of checks per area of the pack (E rules are the engine's own).
    for area in load_areas():
        if area.checks:
            importlib.import_module(f"relcheck.checks.{area.name}")
    return dict(_CHECKS)


def implemented_codes() -> frozenset[str]:
    return frozenset(load_checks()) | ENGINE_CODES
