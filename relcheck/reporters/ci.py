"""Formats for CI systems: JUnit XML (test tabs), GitHub workflow commands, GitLab Code Quality."""

from __future__ import annotations

from collections import defaultdict

from relcheck.model import Severity
from relcheck.reporters import jsonout
from relcheck.reporters.escape import visible, xml_text
from relcheck.ruleset.pack import area_letters
from relcheck.scan.result import ScanResult

GITHUB_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
GITLAB_SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def render_junit(result: ScanResult) -> str:
    """A testsuite per rule area; a failing testcase per finding, a passing one per rule that found
    nothing. Built with ElementTree, in the shape Jenkins' junit-10.xsd describes (no attributes
    outside it); testcase names are unique and do not change when a line moves (the finding's
    fingerprint names it); repository text is escaped, so the XML is well-formed whatever it holds."""
    from xml.etree import ElementTree

    active = result.active()
    by_area: dict[str, list] = defaultdict(list)
    for finding in active:
        by_area[result.rules[finding.code].area].append(finding)
    root = ElementTree.Element("testsuites", name="relcheck")
    total = failures = 0
    known = list(area_letters())
    areas = known + sorted({rule.area for rule in result.rules.values()} - set(known))
    for area in areas:
        rules = sorted(code for code in result.selected if result.rules[code].area == area)
        findings = by_area.get(area, [])
        if not rules and not findings:
            continue
        suite = ElementTree.SubElement(root, "testsuite", name=f"relcheck.{area}")
        for finding in findings:
            loc = finding.location
            path = xml_text(result.repo_path(loc.path))
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"relcheck.{finding.code}",
                name=f"{finding.code} {xml_text(finding.slug)} {path} #{finding.fingerprint[:12]}",
            )
            failure = ElementTree.SubElement(
                case, "failure", message=xml_text(finding.message), type=finding.severity.label
            )
            failure.text = f"{path}:{loc.line}:{loc.column}: {xml_text(finding.message)}\nfix: {xml_text(finding.fix)}"
        found = {f.code for f in findings}
        for code in rules:
            if code not in found:
                ElementTree.SubElement(
                    suite, "testcase", classname=f"relcheck.{code}", name=f"{code} {xml_text(result.rules[code].slug)}"
                )
        cases = len(suite)
        suite.set("tests", str(cases))
        suite.set("failures", str(len(findings)))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total += cases
        failures += len(findings)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ElementTree.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


# GitHub Actions shows at most 10 annotations of each level per step (50 per job); more are dropped.
MAX_ANNOTATIONS_PER_LEVEL = 10


def render_github(result: ScanResult) -> str:
    """Workflow commands: GitHub Actions turns each line into an annotation on the file and line.
    The most severe first, at most as many of each level as a step shows, and one notice that says
    how many more there are."""
    lines = []
    shown = dict.fromkeys(GITHUB_LEVELS.values(), 0)
    left_out = 0
    for finding in sorted(result.active(), key=lambda f: -f.severity):
        level = GITHUB_LEVELS[finding.severity]
        limit = MAX_ANNOTATIONS_PER_LEVEL - (1 if level == "notice" else 0)  # room for the count
        if shown[level] >= limit:
            left_out += 1
            continue
        shown[level] += 1
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
        lines.append(f"::{level} {properties}::{message}")
    if left_out:
        lines.append(
            f"::notice title=relcheck::{left_out} more finding{'s' if left_out != 1 else ''} than GitHub annotates "
            "in one step: see code scanning (SARIF) or the job summary"
        )
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
