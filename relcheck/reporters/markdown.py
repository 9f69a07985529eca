"""Markdown for a pull request comment or $GITHUB_STEP_SUMMARY: summary, checklist, findings."""

from __future__ import annotations

from relcheck.checklist.render import render_markdown as checklist_markdown
from relcheck.checklist.render import render_matrix_markdown
from relcheck.reporters import summary_counts
from relcheck.reporters.escape import markdown as escape_markdown
from relcheck.scan.result import ScanResult

MAX_ROWS = 200
ICONS = {"error": "🔴", "warning": "🟠", "info": "🔵"}


def _cell(text: str) -> str:
    return escape_markdown(text)


def render(result: ScanResult) -> str:
    from relcheck.checklist.score import build

    counts = summary_counts(result.findings)
    active = result.active()
    lines = ["## relcheck", ""]
    if active:
        lines.append(
            f"**{len(active)} problems**: {counts['error']} errors, {counts['warning']} warnings, "
            f"{counts['info']} info in {len(result.files)} files"
            + (f" ({counts['suppressed']} suppressed)." if counts["suppressed"] else ".")
        )
    else:
        lines.append(f"**No problems** in {len(result.files)} files.")
    lines.append("")
    cards = build(result)
    matrix = render_matrix_markdown(cards)
    if len([c for c in cards if c.applicable]) > 1 and matrix:
        lines += ["### Checklist by service", "", matrix.rstrip(), ""]
    lines.append(checklist_markdown(cards).rstrip())
    if active:
        lines += ["", "### Findings", "", "| | rule | location | message |", "|---|---|---|---|"]
        for finding in active[:MAX_ROWS]:
            loc = finding.location
            lines.append(
                f"| {ICONS[finding.severity.label]} | `{finding.code}` {finding.slug} | "
                f"{_cell(result.repo_path(loc.path))}:{loc.line} | {_cell(finding.message)} |"
            )
        if len(active) > MAX_ROWS:
            lines.append(f"\n…and {len(active) - MAX_ROWS} more (see the full report).")
    return "\n".join(lines) + "\n"
