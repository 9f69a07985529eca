"""Fixes to Prometheus alerting rules: a missing `for:` and a missing severity label (safe: the
rule then waits, and routes, as the standard says); a `for:` that is too short (unsafe: the alert
fires later than its author chose)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relcheck.artifacts.alerts import PromRule
from relcheck.fixes.model import SAFE, UNSAFE, Fix
from relcheck.fixes.registry import FixContext, fixer
from relcheck.fixes.yamledit import YamlText
from relcheck.model import Finding
from relcheck.syntax.positions import Positions


@dataclass
class _RuleInFile:
    """An alerting rule as YamlText edits it: its mapping, where it sits in its file's document."""

    path: str
    data: dict
    positions: Positions
    base: tuple
    span: tuple[int, int]


def _set(ctx: FixContext, rule: PromRule, message: str, applicability: str, *pairs: tuple[tuple, Any]) -> Fix | None:
    source = rule.source
    text = ctx.text(source.path)
    if text is None or source.path == "<stdin>" or source.embedded:
        return None  # (a rule file inside a ConfigMap's string: not edited)
    span = rule.scope or (1, text.count("\n") + 1)
    target = _RuleInFile(source.path, rule.data, source.positions, (*source.base, *rule.keys), span)
    edits = YamlText(text, target, ctx.starts(source.path), ctx.lines(source.path)).set(*pairs)  # type: ignore[arg-type]  # Refused: attach_fixes says why
    return Fix(message, tuple(edits), applicability)


@fixer("A003")
def alert_for_duration(finding: Finding, ctx: FixContext) -> Fix | None:
    rule = finding.subject
    if not isinstance(rule, PromRule):
        return None
    wanted = str(ctx.params["A003"]["min_for"])
    if "for" not in rule.data:
        return _set(ctx, rule, f"Add for: {wanted}", SAFE, (("for",), wanted))
    return _set(ctx, rule, f"Set for: {wanted} (the alert fires later)", UNSAFE, (("for",), wanted))


@fixer("A004")
def severity_label(finding: Finding, ctx: FixContext) -> Fix | None:
    rule = finding.subject
    if not isinstance(rule, PromRule) or rule.get("labels", "severity") is not None:
        return None  # a severity that is not one of the standard's: only its author knows which it is
    allowed = [str(s) for s in ctx.params["A004"]["severities"]]
    severity = "warning" if "warning" in allowed else allowed[-1] if allowed else None
    if severity is None or (rule.data.get("labels") is not None and not isinstance(rule.data.get("labels"), dict)):
        return None
    return _set(ctx, rule, f"Add labels.severity: {severity}", SAFE, (("labels", "severity"), severity))
