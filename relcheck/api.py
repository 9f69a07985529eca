"""The public API for rule packs (plugins). A package registers an entry point in the group
`relcheck.rules` whose object is a callable returning a list of `Rule`; each rule's `check` gets a
CheckContext, as built-in checks do, and yields findings made with `ctx.report(subject, ...)`
(or `ctx.finding(...)` for a finding about no subject).

See docs/writing-rules.md for a worked example.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from relcheck.model import SCOPES, Finding, Location, Param, Related, RuleMeta, Severity
from relcheck.ruleset.pack import checklist_ids
from relcheck.scan.context import CheckContext, Subject

CHECKLIST_ITEMS = checklist_ids()  # the items a rule may name in `checklist=` (rules/checklist.toml)

__all__ = ["CHECKLIST_ITEMS", "CheckContext", "Finding", "Location", "Related", "Rule", "Severity", "Subject"]


@dataclass
class Rule:
    code: str
    slug: str
    title: str
    severity: str  # error, warning or info
    rationale: str
    fix: str
    check: Callable[[CheckContext], Iterable[Finding]]
    checklist: str | None = None
    example: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # name -> default
    # What the check looks at (relcheck.model.SCOPES): "object", "file", "service" or "repository".
    # Anything narrower than the repository lets scans run it per service and from the cache; the
    # default is the safe one.
    scope: str = "repository"

    def meta(self, area: str) -> RuleMeta:
        return RuleMeta(
            code=self.code,
            slug=self.slug,
            title=self.title,
            severity=Severity.parse(self.severity),
            area=area,
            checklist=self.checklist,
            rationale=self.rationale,
            fix=self.fix,
            example=self.example,
            params=tuple(Param(name, default, "") for name, default in self.params.items()),
            scope=self.scope if self.scope in SCOPES else "repository",
        )
