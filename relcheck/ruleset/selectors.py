"""Naming rules: a code (`D003`), a code prefix (`K`, `K01`) or a slug (`exec-form-command`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from relcheck.model import RuleMeta


class UnknownRuleError(ValueError):
    def __init__(self, name: str, suggestion: str | None = None) -> None:
        self.name = name
        self.suggestion = suggestion
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        shown = repr(name) if name.isascii() else ascii(name)  # a look-alike letter shows as \u212a
        super().__init__(f"unknown rule {shown}{hint}")


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def resolve(name: str, rules: Iterable[RuleMeta]) -> list[str]:
    """The codes a name stands for; raises UnknownRuleError when it names nothing. Names compare
    after ASCII case folding only: `str.upper()` turns the Kelvin sign into K and `ſ` into S, so a
    directive could name a rule with letters that do not spell it."""
    rules = list(rules)
    token = name.strip()
    if not token:
        raise UnknownRuleError(name)
    upper = token.translate(_ASCII_UPPER)
    if upper == "ALL":
        return [r.code for r in rules]
    exact = [r.code for r in rules if r.code == upper]
    if exact:
        return exact
    by_slug = [r.code for r in rules if r.slug == token.translate(_ASCII_LOWER)]
    if by_slug:
        return by_slug
    # A prefix is letters and optionally digits: K, K01, ORG, ORG00.
    if re.fullmatch(r"[A-Z]+[0-9]*", upper, re.ASCII):
        by_code = [r.code for r in rules if r.code.startswith(upper)]
        if by_code:
            return by_code
    import difflib

    names = [r.code for r in rules] + [r.slug for r in rules]
    close = difflib.get_close_matches(token, names, n=1)
    raise UnknownRuleError(name, close[0] if close else None)


def split_names(values: Iterable[str] | None) -> list[str]:
    """Accepts repeated options and comma or space separated lists."""
    names: list[str] = []
    for value in values or ():
        names.extend(part for part in value.replace(",", " ").split() if part)
    return names


def resolve_all(names: Iterable[str], rules: Iterable[RuleMeta]) -> set[str]:
    rules = list(rules)
    codes: set[str] = set()
    for name in names:
        codes.update(resolve(name, rules))
    return codes
