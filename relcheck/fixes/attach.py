"""Fixes attached to a scan's findings, for reports (`[*]`, JSON `autofix`, SARIF `fixes`) and for
`relcheck fix`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from relcheck.fixes.catalog import load_fixers
from relcheck.fixes.model import Fix, position_of
from relcheck.fixes.registry import FixContext
from relcheck.fixes.yamledit import Refused
from relcheck.ruleset.load import effective_params

if TYPE_CHECKING:
    from relcheck.config.loader import Config
    from relcheck.model import Finding, RuleMeta
    from relcheck.scan.project import Project


def attach_fixes(findings: list[Finding], project: Project, rules: list[RuleMeta], config: Config) -> None:
    """Each active finding of a rule with a fixer gets its fix, where one can be made; a fixer that
    fails costs its own fix, never the scan."""
    fixers = load_fixers()
    params = {rule.code: effective_params(rule, config) for rule in rules if rule.code in fixers}
    context = FixContext(project, params, config.max_file_size)
    for finding in findings:
        fixer = fixers.get(finding.code)
        if fixer is None or finding.suppressed or finding.subject is None:
            continue
        try:
            fix = fixer(finding, context)
        except Refused as exc:  # a fix this file cannot take safely: `relcheck fix` says why
            finding.autofix_refused = str(exc)
            continue
        except Exception:  # a fixer's bug: no fix offered
            continue
        if fix is not None:
            finding.autofix = _with_regions(fix, context)


def _with_regions(fix: Fix, context: FixContext) -> Fix:
    regions = []
    for edit in fix.edits:
        starts = context.starts(edit.path)
        regions.append((*position_of(starts, edit.start), *position_of(starts, edit.end)))
    return dataclasses.replace(fix, regions=tuple(regions))
