"""One module per output format; each turns a ScanResult into text."""

from __future__ import annotations

from collections import Counter

from relcheck.model import Finding, Severity


def summary_counts(findings: list[Finding]) -> dict[str, int]:
    active = Counter(f.severity for f in findings if not f.suppressed)
    return {
        "error": active[Severity.ERROR],
        "warning": active[Severity.WARNING],
        "info": active[Severity.INFO],
        "suppressed": sum(1 for f in findings if f.suppressed),
    }
