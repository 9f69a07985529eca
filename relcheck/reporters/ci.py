"""Formats for CI systems: JUnit XML (test tabs), GitHub workflow commands, GitLab Code Quality."""

from __future__ import annotations

from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from relcheck import jsonout
from relcheck.engine import ScanResult
from relcheck.model import Severity
from relcheck.pack import AREAS
from relcheck.reporters.escape import visible

GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
GITLAB_SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def render_junit(result: ScanResult) -> str:
    """A testsuite per rule area; a failing testcase per finding, a passing one per rule that found nothing."""
    active = result.active()
    by_area: dict[str, list] = defaultdict(list)
    for finding in active:
        by_area[result.rules[finding.code].area].append(finding)
    suites = []
    total = failures = 0
    areas = list(AREAS) + sorted({rule.area for rule in result.rules.values()} - set(AREAS))
    for area in areas:
        rules = sorted(code for code in result.selected if result.rules[code].area == area)
        findings = by_area.get(area, [])
        if not rules and not findings:
            continue
        cases = []
        for finding in findings:
            loc = finding.location
            path = visible(result.repo_path(loc.path))
            name = f"{path}:{loc.line} {finding.code} {visible(finding.slug)}"
            message = visible(finding.message)
            body = f"{visible(loc.path)}:{loc.line}:{loc.column}: {message}\nfix: {visible(finding.fix)}"
            cases.append(
                f"    <testcase classname={quoteattr('relcheck.' + finding.code)} name={quoteattr(name)} "
                f'file={quoteattr(path)} line="{loc.line}">\n'
                f"      <failure message={quoteattr(message)} type={quoteattr(finding.severity.label)}>"
                f"{escape(body)}</failure>\n    </testcase>"
            )
        found = {f.code for f in findings}
        for code in rules:
            if code not in found:
                rule = result.rules[code]
                cases.append(
                    f"    <testcase classname={quoteattr('relcheck.' + code)} name={quoteattr(f'{code} {rule.slug}')}/>"
                )
        total += len(cases)
        failures += len(findings)
        suites.append(
            f'  <testsuite name={quoteattr("relcheck." + area)} tests="{len(cases)}" '
            f'failures="{len(findings)}" errors="0" skipped="0">\n' + "\n".join(cases) + "\n  </testsuite>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="relcheck" tests="{total}" failures="{failures}" errors="0">\n'
        + "\n".join(suites)
        + ("\n" if suites else "")
        + "</testsuites>\n"
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: ScanResult) -> str:
    """Workflow commands: GitHub Actions turns each line into an annotation on the file and line."""
    lines = []
    for finding in result.active():
        start_line, start_column, end_line, end_column = finding.location.region()
        properties = ",".join(
            [
                f"file={_escape_property(visible(result.repo_path(finding.location.path)))}",
                f"line={start_line}",
                f"col={start_column}",
                f"endLine={end_line}",
                f"endColumn={end_column}",
                f"title={_escape_property(visible(f'{finding.code} {finding.slug}'))}",
            ]
        )
        message = _escape_data(f"{visible(finding.message)}\nfix: {visible(finding.fix)}")
        lines.append(f"::{GITHUB_LEVELS[finding.severity]} {properties}::{message}")
    return "\n".join(lines) + ("\n" if lines else "")


def render_gitlab(result: ScanResult) -> str:
    """GitLab Code Quality: a JSON list of issues with description, check_name, fingerprint,
    severity and location (path, lines.begin)."""
    issues = [
        {
            "description": f"{finding.code} {finding.slug}: {finding.message}",
            "check_name": finding.code,
            "fingerprint": finding.fingerprint,
            "severity": GITLAB_SEVERITIES[finding.severity],
            "categories": ["Bug Risk"] if finding.severity == Severity.ERROR else ["Style"],
            "location": {
                "path": result.repo_path(finding.location.path),
                "lines": {"begin": finding.location.line, "end": finding.location.region()[2]},
            },
        }
        for finding in result.active()
    ]
    return jsonout.dumps(issues)
