"""The checklist across services as one self-contained HTML page, and a score badge as SVG.

Both are rendered from Jinja2 templates with autoescaping on: every name, path, message and value
that comes from the repository is text in the page, never markup. The page loads nothing: its CSS
and its one small script (the findings filters, opening every cell before printing) are inline, and
the rules' documentation it links to is in the page itself."""

from __future__ import annotations

import functools
from collections import Counter
from importlib import resources
from typing import TYPE_CHECKING, Any

from relcheck import __version__

if TYPE_CHECKING:
    from relcheck.checklist.score import ServiceChecklist
    from relcheck.scan.result import ScanResult

# A page for a thousand services stays a few megabytes: each cell lists a few pieces of evidence and
# findings, the findings table at most this many rows (the JSON report has everything).
CELL_LIMIT = 2
MAX_FINDINGS = 2000
# Each status with a mark that does not rely on colour, and its colour.
STATUSES = {
    "pass": ("✓", "P", "#1a7f37"),
    "partial": ("◐", "W", "#9a6700"),
    "fail": ("✗", "F", "#cf222e"),
    "manual": ("⚑", "M", "#0969da"),
    "not-found": ("?", "?", "#6e7781"),
    "not-checked": ("–", "–", "#8c959f"),
    "not-applicable": ("·", "n/a", "#afb8c1"),
}


@functools.lru_cache(maxsize=4)
def _template(name: str) -> Any:
    from jinja2 import Environment, StrictUndefined

    environment = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    text = resources.files("relcheck.reporters").joinpath("templates", name).read_text(encoding="utf-8")
    return environment.from_string(text)


def _score(card: ServiceChecklist) -> float:
    return card.passed / card.applicable if card.applicable else 1.0


def render_html(result: ScanResult, cards: list[ServiceChecklist]) -> str:
    from relcheck.checklist.score import TITLES, UNOWNED
    from relcheck.reporters.inventory import inventory

    cards = sorted((c for c in cards if c.service.name != UNOWNED), key=lambda c: (_score(c), c.service.name))
    owner = {path: service.name for service in result.services for path in service.files}
    findings = [
        {
            "severity": f.severity.label,
            "code": f.code,
            "slug": f.slug,
            "path": f.location.path,
            "line": f.location.line,
            "message": f.message,
            "service": owner.get(f.location.path, ""),
            "fixable": f.autofix is not None,
        }
        for f in result.active()
    ]
    rules = {code: result.rules[code] for code in sorted({f["code"] for f in findings})}
    hidden = max(0, len(findings) - MAX_FINDINGS)
    findings = findings[:MAX_FINDINGS]
    totals = Counter(item.status for card in cards for item in card.items)
    counts = inventory(result)
    return _template("report.html.j2").render(
        version=__version__,
        cards=cards,
        items=list(TITLES.items()),
        statuses=STATUSES,
        totals=totals,
        findings=findings,
        rules=rules,
        severities=sorted({f["severity"] for f in findings}, key=["error", "warning", "info"].index),
        services=sorted({f["service"] for f in findings if f["service"]}),
        files=sorted({f["path"] for f in findings}),
        inventory=counts,
        file_count=len(result.files),
        score=_score,
        cell_limit=CELL_LIMIT,
        hidden=hidden,
    )


def render_badge(cards: list[ServiceChecklist], label: str = "readiness") -> str:
    """A shields.io-style badge: the items passed over the items applicable, across the services."""
    from relcheck.checklist.score import UNOWNED

    counted = [c for c in cards if c.service.name != UNOWNED]
    passed = sum(c.passed for c in counted)
    applicable = sum(c.applicable for c in counted)
    ratio = passed / applicable if applicable else 0.0
    colour = "#cf222e" if ratio < 0.5 else "#9a6700" if ratio < 0.8 else "#1a7f37"
    value = f"{passed}/{applicable}" if applicable else "n/a"
    left, right = _width(label), _width(value)
    return _template("badge.svg.j2").render(label=label, value=value, colour=colour, left=left, right=right)


def _width(text: str) -> int:
    """Text width in the badge's 11 px Verdana, near enough (shields.io measures; we estimate)."""
    return 10 + sum(7 if c.isupper() or c.isdigit() else 6 for c in text)
