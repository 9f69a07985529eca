"""The checklist as a table (text), JSON (relcheck/schemas/checklist.schema.json) or Markdown."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TextIO

from relcheck import __version__
from relcheck.checklist.score import ServiceChecklist
from relcheck.reporters import jsonout
from relcheck.reporters.escape import line_start, visible
from relcheck.reporters.escape import markdown as escape_markdown

_STYLE = {
    "pass": "green",
    "partial": "yellow",
    "fail": "bold red",
    "not-found": "dim",
    "manual": "cyan",
    "not-checked": "dim",
    "not-applicable": "dim",
}
_MARK = {
    "pass": "✅ pass",
    "partial": "🟡 partial",
    "fail": "❌ fail",
    "not-found": "➖ not found",
    "manual": "🔍 manual",
    "not-checked": "⏭ not checked",
    "not-applicable": "➖ not applicable",
}


def _percent(checklist: ServiceChecklist) -> int | None:
    return round(100 * checklist.passed / checklist.applicable) if checklist.applicable else None


def render_json(checklists: list[ServiceChecklist]) -> str:
    data = {
        "version": 1,
        "tool": {"name": "relcheck", "version": __version__},
        "services": [
            {
                "name": c.service.name,
                "root": c.service.root or ".",
                "score": {"passed": c.passed, "applicable": c.applicable, "percent": _percent(c)},
                "items": [
                    {
                        "item": item.item,
                        "title": item.title,
                        "status": item.status,
                        "suppressed": item.suppressed,
                        "evidence": [
                            {"path": e.location.path, "line": e.location.line, "detail": e.detail}
                            for e in item.evidence
                        ],
                        "findings": [
                            {
                                "code": f.code,
                                "severity": f.severity.label,
                                "path": f.location.path,
                                "line": f.location.line,
                                "message": f.message,
                            }
                            for f in item.findings
                        ],
                    }
                    for item in c.items
                ],
            }
            for c in checklists
        ],
    }
    return jsonout.dumps(data)


_SHORT = {
    "pass": "✅",
    "partial": "🟡",
    "fail": "❌",
    "not-found": "➖",
    "manual": "🔍",
    "not-checked": "⏭",
    "not-applicable": "·",
}


def render_matrix_markdown(checklists: list[ServiceChecklist]) -> str:
    """Services × items in one compact table, worst first (the HTML report's matrix, for a job summary)."""
    from relcheck.checklist.score import TITLES, UNOWNED

    cards = [c for c in checklists if c.service.name != UNOWNED]
    if not cards:
        return ""
    cards.sort(key=lambda c: (c.passed / c.applicable if c.applicable else 1.0, c.service.name))
    header = "| service | score | " + " | ".join(TITLES.values()) + " |"
    lines = [header, "|---|---|" + "---|" * len(TITLES)]
    for card in cards:
        by_item = {item.item: item.status for item in card.items}
        marks = " | ".join(_SHORT[by_item[item]] if item in by_item else "" for item in TITLES)
        lines.append(f"| {escape_markdown(card.service.name)} | {card.passed}/{card.applicable} | {marks} |")
    legend = ", ".join(f"{mark} {status}" for status, mark in _SHORT.items())
    return "\n".join([*lines, "", legend, ""])


def render_markdown(checklists: list[ServiceChecklist]) -> str:
    lines = []
    for checklist in checklists:
        score = f"{checklist.passed}/{checklist.applicable}"
        lines += [
            f"### Production readiness: {escape_markdown(checklist.service.name)} ({score} items pass)",
            "",
            "| item | status | evidence | findings |",
            "|---|---|---|---|",
        ]
        for item in checklist.items:
            evidence = "<br>".join(
                f"{escape_markdown(e.location.path)}:{e.location.line} {escape_markdown(e.detail)}"
                for e in item.evidence[:3]
            )
            findings = ", ".join(item.codes)
            lines.append(f"| {item.title} | {_MARK[item.status]} | {evidence or '–'} | {findings or '–'} |")
        lines.append("")
    return "\n".join(lines) if lines else "No service found.\n"


_COLUMNS = ("item", "status", "evidence", "findings")


def _title(checklist: ServiceChecklist) -> str:
    percent = _percent(checklist)
    shown = f" ({percent} %)" if percent is not None else ""
    return f"{line_start(checklist.service.name)}: {checklist.passed}/{checklist.applicable} items pass{shown}"


def _rows(checklist: ServiceChecklist) -> list[tuple[str, str, str, str]]:
    rows = []
    for item in checklist.items:
        first = item.evidence[0] if item.evidence else None
        evidence = f"{visible(first.location.path)}:{first.location.line} {visible(first.detail)}" if first else ""
        if len(item.evidence) > 1:
            evidence += f" (+{len(item.evidence) - 1})"
        rows.append((item.title, item.status, evidence, ", ".join(item.codes)))
    return rows


def render_text(checklists: list[ServiceChecklist], stream: TextIO | None = None, color: bool = False) -> str:
    """Tables, one per service: drawn by rich on a terminal, by _plain_tables otherwise."""
    if not color:
        text = "".join(_plain_tables(checklists))
        if stream is None:
            return text
        stream.write(text)
        return ""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO() if stream is None else None
    console = Console(file=stream or buffer, force_terminal=True, highlight=False, emoji=False)
    if not checklists:
        console.print("No service found.")
    for checklist in checklists:
        # Repository text goes in as Text, never as rich markup (a path may contain `[link=…]`).
        table = Table(title=Text(_title(checklist)), title_justify="left", show_lines=False)
        for column in _COLUMNS:
            table.add_column(column)
        for title, status, evidence, codes in _rows(checklist):
            table.add_row(title, Text(status, style=_STYLE[status]), Text(evidence), codes)
        console.print(table)
    return buffer.getvalue() if buffer is not None else ""


def _plain_tables(checklists: list[ServiceChecklist]) -> Iterator[str]:
    """The same tables as rich draws them, for pipes, files and CI logs: rich took seven seconds for
    1,000 services, and wrapped long evidence paths to fit a width no file has."""
    from rich.cells import cell_len  # a character's width on a terminal, as rich counts it

    if not checklists:
        yield "No service found.\n"
    for checklist in checklists:
        rows = [_COLUMNS, *_rows(checklist)]
        sizes = [[cell_len(cell) for cell in row] for row in rows]
        widths = [max(row[column] for row in sizes) for column in range(len(_COLUMNS))]
        lines = [
            _title(checklist),
            _rule(widths, "┏", "━", "┳", "┓"),
            _line(rows[0], sizes[0], widths, "┃"),
            _rule(widths, "┡", "━", "╇", "┩"),
            *(_line(row, size, widths, "│") for row, size in zip(rows[1:], sizes[1:], strict=True)),
            _rule(widths, "└", "─", "┴", "┘"),
        ]
        yield "\n".join(lines) + "\n"


def _line(cells: tuple[str, ...], sizes: list[int], widths: list[int], bar: str) -> str:
    padded = (f" {cell}{' ' * (width - size)} " for cell, size, width in zip(cells, sizes, widths, strict=True))
    return bar + bar.join(padded) + bar


def _rule(widths: list[int], left: str, fill: str, middle: str, right: str) -> str:
    return left + middle.join(fill * (width + 2) for width in widths) + right
