"""Suppression comments: `# relcheck: ignore K001 K014 until=2027-03-31 -- reason` and `ignore-file`.

A directive alone on its line applies to the next line that is not blank or a comment; one that
trails a line applies to that line. Either also applies to a finding whose object (its scope:
a Kubernetes object, a Dockerfile instruction) contains the directive or the line it targets.
`ignore-file` applies to the whole file.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relcheck.model import Finding, Location, RuleMeta, Severity, Suppression
from relcheck.ruleset.selectors import UnknownRuleError, resolve, resolve_all
from relcheck.scan.discovery import FileKind

if TYPE_CHECKING:
    from relcheck.config.loader import Config
    from relcheck.scan.project import Project

_DIRECTIVE = re.compile(r"(?P<marker>#|//)\s*relcheck:\s*(?P<verb>ignore-file|ignore)\b(?P<rest>.*)$")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Directive:
    line: int  # where the comment is
    target_line: int  # the line it applies to (0 for file-wide)
    names: tuple[str, ...]  # codes, prefixes or slugs as written
    reason: str
    until: _dt.date | None
    file_wide: bool
    problem: str = ""  # why the directive is invalid: it then suppresses nothing


def _comment_only(line: str, marker: str) -> bool:
    return line.lstrip().startswith(marker)


def parse_directives(text: str) -> list[Directive]:
    if "relcheck:" not in text:
        return []
    lines = text.split("\n")
    found: list[Directive] = []
    for index, line in enumerate(lines):
        match = _DIRECTIVE.search(line)
        if not match:
            continue
        rest = match.group("rest")
        rest, _, reason = rest.partition("--")
        names: list[str] = []
        until = None
        problem = ""
        for token in rest.replace(",", " ").split():
            if token.lower().startswith("until="):
                until = _date(token[6:])
                if until is None:  # a date that does not exist must not make the directive permanent
                    problem = f"{token!r} is not a date (YYYY-MM-DD)"
            else:
                names.append(token)
        file_wide = match.group("verb") == "ignore-file"
        number = index + 1
        target = 0 if file_wide else number
        if not file_wide and _comment_only(line, match.group("marker")):
            target = _next_code_line(lines, index, match.group("marker"))
        found.append(Directive(number, target, tuple(names), reason.strip(), until, file_wide, problem))
    return found


def _date(text: str) -> _dt.date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:  # 2020-02-30, 9999-99-99
        return None


def _next_code_line(lines: list[str], index: int, marker: str) -> int:
    for later in range(index + 1, len(lines)):
        stripped = lines[later].strip()
        if stripped and not stripped.startswith(marker):
            return later + 1
    return index + 1


def applies(directive: Directive, line: int, scope: tuple[int, int] | None) -> bool:
    if directive.file_wide:
        return True
    if directive.target_line == line:
        return True
    if scope is None:
        return False
    # Anywhere inside the object, or on the line above its first line.
    return scope[0] <= directive.line <= scope[1] or scope[0] <= directive.target_line <= scope[1]


# Applying them to a scan's findings: per-file-ignores, annotations, directives, the baseline.

# Kinds whose comments relcheck reads for suppression directives.
COMMENTED_KINDS = frozenset(
    {
        FileKind.DOCKERFILE,
        FileKind.KUBERNETES,
        FileKind.PROMETHEUS_RULES,
        FileKind.PM2,
        FileKind.APP_SETTINGS,
        FileKind.APP_SOURCE,
        FileKind.OTHER,
    }
)


def apply(
    findings: list[Finding],
    project: Project,
    config: Config,
    rules: list[RuleMeta],
    today: _dt.date,
    *,
    severities: dict[str, Severity],
    codes: set[str],
    report_unused: bool,
    baseline: set[str] | None,
) -> None:
    """Marks the suppressed findings in place, then adds E003/E004 for the directives (invalid ones,
    and with `report_unused` those that suppressed nothing) and marks what the baseline accepted."""
    by_code = {rule.code: rule for rule in rules}
    directives = _apply_suppressions(findings, project, config, rules, today)
    findings += _directive_findings(directives, by_code, severities, codes, report_unused)
    for finding in findings:
        if baseline and not finding.suppressed and finding.fingerprint in baseline:
            finding.suppression = Suppression("baseline", "accepted in the baseline")


@dataclass
class _Placed:
    """A directive of a file, the codes it names, and what became of it."""

    path: str
    directive: Directive
    codes: set[str]
    unknown: list[str]
    used: bool = False


def _apply_suppressions(
    findings: list[Finding], project: Project, config: Config, rules: list[RuleMeta], today: _dt.date
) -> list[_Placed]:
    per_file = _per_file_ignores(config, rules)
    with_findings = {f.location.path for f in findings} | {f.template_at.path for f in findings if f.template_at}
    directives = _all_directives(project, rules, config.max_file_size, with_findings)
    by_path: dict[str, list[_Placed]] = {}
    for placed in directives:
        by_path.setdefault(placed.path, []).append(placed)
    for finding in findings:
        path = finding.location.path
        for spec, codes, pattern in per_file:
            if finding.code in codes and spec.match_file(path):
                finding.suppression = Suppression("config", f"per-file-ignores: {pattern}")
                break
        if finding.suppressed:
            continue
        if finding.annotation_ignores and _names_code(finding.annotation_ignores, finding.code, rules):
            finding.suppression = Suppression("annotation", f"relcheck.dev/ignore on {finding.annotation_source}")
            continue
        places = [(path, finding.location.line, finding.scope)]
        if finding.template_at is not None:
            places.append((finding.template_at.path, finding.template_at.line, finding.template_scope))
        for where, placed in ((place, p) for place in places for p in by_path.get(place[0], ())):
            directive = placed.directive
            if directive.problem or finding.code not in placed.codes:
                continue
            if not applies(directive, where[1], where[2]):
                continue
            placed.used = True
            suppression = Suppression(
                "file" if directive.file_wide else "inline",
                directive.reason,
                directive.until.isoformat() if directive.until else None,
                Location(placed.path, directive.line, 1),
            )
            if directive.until is not None and directive.until < today:
                finding.expired_suppression = suppression
                continue
            finding.suppression = suppression
            break
    return directives


def _directive_findings(
    directives: list[_Placed],
    by_code: dict[str, RuleMeta],
    severities: dict[str, Severity],
    codes: set[str],
    report_unused: bool,
) -> list[Finding]:
    """E003 for directives that are invalid or name no rule; E004, when asked, for those that
    suppressed nothing although every rule they name ran."""
    found = []
    for placed in directives:
        directive = placed.directive
        problems = [directive.problem] if directive.problem else []
        problems += [f"{UnknownRuleError(name)}" for name in placed.unknown]
        if problems and "E003" in codes:
            what = (
                "invalid, so it suppresses nothing"
                if directive.problem
                else "names rules that do not exist (its other names still apply)"
            )
            found.append(
                _directive_finding(
                    by_code["E003"], severities["E003"], placed, f"suppression directive {what}: {'; '.join(problems)}"
                )
            )
        elif report_unused and "E004" in codes and not placed.used and placed.codes and placed.codes <= codes:
            names = " ".join(directive.names)
            found.append(
                _directive_finding(
                    by_code["E004"], severities["E004"], placed, f"suppression of {names} suppressed nothing"
                )
            )
    return found


def _directive_finding(rule: RuleMeta, severity: Severity, placed: _Placed, message: str) -> Finding:
    return Finding(
        code=rule.code,
        slug=rule.slug,
        severity=severity,
        message=message,
        location=Location(placed.path, placed.directive.line, 1),
        checklist=rule.checklist,
        fix=rule.fix,
        identity=f"directive:{placed.directive.line}",
        value=" ".join(placed.directive.names),
    )


def _names_code(names: tuple[str, ...], code: str, rules: list[RuleMeta]) -> bool:
    for name in names:
        try:
            if code in resolve(name, rules):
                return True
        except UnknownRuleError:
            continue
    return False


def _per_file_ignores(config: Config, rules: list[RuleMeta]):
    if not config.per_file_ignores:
        return []
    from relcheck.syntax.saferegex import gitignore_spec

    return [
        (gitignore_spec([pattern]), resolve_all(names, rules), pattern)
        for pattern, names in sorted(config.per_file_ignores.items())
    ]


def _all_directives(project: Project, rules: list[RuleMeta], max_bytes: int, with_findings: set[str]) -> list[_Placed]:
    """The suppression directives of the files relcheck parses, and of other files with findings
    (a README a repository rule points at): any of them may be invalid or unused."""
    found = []
    for source in project.files:
        if source.kind not in COMMENTED_KINDS or (source.kind == FileKind.OTHER and source.path not in with_findings):
            continue
        text, _ = source.read(max_bytes)
        if not text or "relcheck:" not in text:
            continue
        for directive in parse_directives(text):
            codes: set[str] = set()
            unknown = []
            for name in directive.names:
                try:
                    codes.update(resolve(name, rules))
                except UnknownRuleError:
                    unknown.append(name)
            found.append(_Placed(source.path, directive, codes, unknown))
    return found
