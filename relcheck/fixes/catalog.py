"""Every built-in fixer: importing the fixer modules registers them (relcheck.fixes.registry)."""

from __future__ import annotations

from relcheck.fixes.registry import FIXERS, Fixer


def load_fixers() -> dict[str, Fixer]:
    from relcheck.fixes import alerts, dockerfile, kubernetes, pm2  # noqa: F401

    return FIXERS
