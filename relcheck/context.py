"""What a check is handed: the project, its rule, the effective severity and params, and the one
way to make a finding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from relcheck.model import Finding, Location, Related, RuleMeta, Severity

if TYPE_CHECKING:
    from relcheck.project import Project


class CheckContext:
    """What a check gets: the project, its rule, effective params and a finding factory."""

    def __init__(self, project: Project, rule: RuleMeta, severity: Severity, params: dict[str, Any]) -> None:
        self.project = project
        self.rule = rule
        self.severity = severity
        self.params = params

    def finding(
        self,
        location: Location,
        message: str,
        *,
        identity: str = "",
        value: str = "",
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        scope: tuple[int, int] | None = None,
        ignores: tuple[str, ...] = (),
        ignore_source: str = "",
    ) -> Finding:
        return Finding(
            code=self.rule.code,
            slug=self.rule.slug,
            severity=severity if severity is not None else self.severity,
            message=message,
            location=location,
            checklist=self.rule.checklist,
            fix=self.rule.fix,
            identity=identity,
            value=value,
            related=tuple(related),
            scope=scope,
            annotation_ignores=ignores,
            annotation_source=ignore_source,
        )
