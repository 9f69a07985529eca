"""SARIF 2.1.0 for code scanning: full rule metadata, repository-relative URIs (percent-encoded), 1-based regions,
relcheck's own line-independent fingerprint, and `"results": []` on a clean scan.

Suppressed findings are left out by default: GitHub opens alerts for them anyway. With
`include_suppressed` they are written with `suppressions` (inSource for comments and annotations,
external for config and baseline).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote

from relcheck import __version__
from relcheck.model import Finding, Location, RuleMeta, Severity
from relcheck.reporters import jsonout
from relcheck.scan.result import ScanResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_URI = "https://github.com/relcheck/relcheck/blob/main/docs/rules.md"
INFORMATION_URI = "https://github.com/relcheck/relcheck"
FINGERPRINT_KEY = "relcheck/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
IN_SOURCE = frozenset({"inline", "file", "annotation"})


def _clip(text: str, limit: int = 1024) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# GitHub code scanning shows at most 5,000 results of a run and rejects a run of more than 25,000.
MAX_RESULTS = 5000


def rule_descriptor(rule: RuleMeta, severity: Severity | None = None) -> dict[str, Any]:
    """A rule's metadata; its default level is the severity the config gives it, if any."""
    severity = severity or rule.severity
    uri = f"{DOCS_URI}#{rule.code.lower()}"
    markdown = f"{rule.rationale}\n\n**How to fix:** {rule.fix}"
    if rule.example:
        from relcheck.ruleset.docs import example_markdown

        markdown += f"\n\n{example_markdown(rule)}"
    markdown += f"\n\n[{rule.code} {rule.slug} in the relcheck docs]({uri})"
    tags = list(dict.fromkeys(["reliability", rule.area, *([rule.checklist] if rule.checklist else [])]))
    return {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": _clip(rule.title)},
        "fullDescription": {"text": _clip(rule.rationale)},
        "help": {"text": f"{rule.fix}\n\nDocs: {uri}", "markdown": markdown},
        "helpUri": uri,
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {"tags": tags, "precision": "high", "problem.severity": PROBLEM_SEVERITY[severity]},
    }


@lru_cache(maxsize=8192)
def artifact_uri(path: str) -> str:
    """A repository-relative path as the URI reference SARIF requires: every byte that may not stand
    in a URI path is percent-encoded (space, `#`, `%`, `:`, non-ASCII as UTF-8, and the raw bytes of a
    name that is not UTF-8); code scanning decodes them to match the file."""
    return quote(path, safe="/", errors="surrogateescape")


def _physical(result: ScanResult, location: Location) -> dict[str, Any]:
    start_line, start_column, end_line, end_column = location.region()
    return {
        "artifactLocation": {"uri": artifact_uri(result.repo_path(location.path)), "uriBaseId": "%SRCROOT%"},
        "region": {
            "startLine": start_line,
            "startColumn": start_column,
            "endLine": end_line,
            "endColumn": max(end_column, start_column),
        },
    }


def _result(result: ScanResult, finding: Finding, index: dict[str, int], with_suppressions: bool) -> dict:
    entry: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": index[finding.code],
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [{"physicalLocation": _physical(result, finding.location)}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    if finding.related:
        entry["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": _physical(result, related.location),
                "message": {"text": related.message},
            }
            for number, related in enumerate(finding.related, start=1)
        ]
    if finding.autofix is not None:
        entry["fixes"] = [_fix(result, finding.autofix)]
    if with_suppressions and finding.suppression is not None:
        suppression = finding.suppression
        entry["suppressions"] = [
            {
                "kind": "inSource" if suppression.kind in IN_SOURCE else "external",
                "status": "accepted",
                "justification": suppression.reason or f"relcheck {suppression.kind} suppression",
            }
        ]
    return entry


def _fix(result: ScanResult, fix: Any) -> dict[str, Any]:
    """A fix as SARIF's artifactChanges: each edit a replacement of a region (empty for an insertion)."""
    changes: dict[str, list[dict[str, Any]]] = {}
    for edit, (start_line, start_column, end_line, end_column) in zip(fix.edits, fix.regions, strict=True):
        changes.setdefault(edit.path, []).append(
            {
                "deletedRegion": {
                    "startLine": start_line,
                    "startColumn": start_column,
                    "endLine": end_line,
                    "endColumn": end_column,
                },
                "insertedContent": {"text": edit.new},
            }
        )
    return {
        "description": {"text": f"{fix.message} ({fix.applicability} fix)"},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": artifact_uri(result.repo_path(path)), "uriBaseId": "%SRCROOT%"},
                "replacements": replacements,
            }
            for path, replacements in changes.items()
        ],
    }


def _message(finding: Finding) -> str:
    """The message, with each related location linked as code scanning links them: `[text](id)`."""
    if not finding.related:
        return finding.message
    links = "; ".join(f"[{_link_text(r.message)}]({n})" for n, r in enumerate(finding.related, start=1))
    return f"{finding.message} (see {links})"


def _link_text(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")


def cut_note(result: ScanResult, include_suppressed: bool = False) -> str | None:
    """What the text summary says when SARIF cannot hold every result, or None."""
    total = sum(1 for f in result.findings if include_suppressed or not f.suppressed)
    if total <= MAX_RESULTS:
        return None
    return (
        f"The SARIF report holds the {MAX_RESULTS:,} most severe of {total:,} results "
        "(code scanning shows no more per run)."
    )


def render(result: ScanResult, category: str | None = None, include_suppressed: bool = False) -> str:
    rules = sorted(result.rules.values(), key=lambda r: r.code)
    index = {rule.code: number for number, rule in enumerate(rules)}
    findings = [f for f in result.findings if include_suppressed or not f.suppressed]
    omitted = max(0, len(findings) - MAX_RESULTS)
    if omitted:
        # The most severe are kept, in report order; code scanning would show no more anyway.
        kept = {id(f) for f in sorted(findings, key=lambda f: -f.severity)[:MAX_RESULTS]}
        findings = [f for f in findings if id(f) in kept]
        import sys

        sys.stderr.write(
            f"relcheck: warning: SARIF holds the {MAX_RESULTS:,} most severe of {MAX_RESULTS + omitted:,} results "
            "(code scanning shows no more per run); the other reports hold them all\n"
        )
        sys.stderr.flush()
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "relcheck",
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(rule, result.severities.get(rule.code)) for rule in rules],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The root of the scanned repository."}}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(result, f, index, include_suppressed) for f in findings],
    }
    if omitted:
        run["properties"] = {"relcheck": {"omittedResults": omitted, "maxResults": MAX_RESULTS}}
    if category:
        run["automationDetails"] = {"id": category if category.endswith("/") else f"{category}/"}
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return jsonout.dumps(document)
