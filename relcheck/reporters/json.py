"""JSON report, version 1, described by relcheck/schemas/report.schema.json."""

from __future__ import annotations

from typing import Any

from relcheck import __version__
from relcheck.model import Finding, Location, Suppression
from relcheck.reporters import jsonout, summary_counts
from relcheck.reporters.inventory import inventory
from relcheck.scan.result import ScanResult

REPORT_VERSION = 1


def _location(location: Location) -> dict[str, Any]:
    line, column, end_line, end_column = location.region()
    return {"path": location.path, "line": line, "column": column, "end_line": end_line, "end_column": end_column}


def _suppression(suppression: Suppression | None) -> dict[str, Any] | None:
    if suppression is None:
        return None
    data: dict[str, Any] = {"kind": suppression.kind, "reason": suppression.reason, "until": suppression.until}
    if suppression.source is not None:
        data["source"] = _location(suppression.source)
    return data


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "slug": finding.slug,
        "severity": finding.severity.label,
        "message": finding.message,
        **_location(finding.location),
        "checklist": finding.checklist,
        "fix": finding.fix,
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "suppression": _suppression(finding.suppression),
        "expired_suppression": _suppression(finding.expired_suppression),
        "related": [{**_location(r.location), "message": r.message} for r in finding.related],
        "autofix": _autofix(finding),
    }


def _autofix(finding: Finding) -> dict[str, Any] | None:
    """The fix `relcheck fix` would make (`fix` holds the hint text, as it has since 0.1.0)."""
    fix = finding.autofix
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "path": edit.path,
                "start": {"line": region[0], "column": region[1]},
                "end": {"line": region[2], "column": region[3]},
                "content": edit.new,
            }
            for edit, region in zip(fix.edits, fix.regions, strict=True)
        ],
    }


def render(result: ScanResult) -> str:
    counts = summary_counts(result.findings)
    report = {
        "version": REPORT_VERSION,
        "tool": {"name": "relcheck", "version": __version__},
        "summary": {
            **counts,
            "total": len(result.findings),
            "files": len(result.files),
            "unmodeled_workloads": result.unmodeled_workloads,
            "inventory": inventory(result),
        },
        "services": [service.to_dict() for service in result.services],
        "unowned": {"objects": result.unowned_objects},
        "findings": [finding_to_dict(f) for f in result.findings],
        "files": [{"path": f.path, "kind": f.kind} for f in result.files],
    }
    return jsonout.dumps(report)
