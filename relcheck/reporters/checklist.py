"""The checklist as a table (text), JSON (relcheck/schemas/checklist.schema.json) or Markdown."""

from __future__ import annotations

import io
import json
from typing import TextIO

from relcheck import __version__
from relcheck.checklist import ServiceChecklist

_STYLE = {"pass": "green", "partial": "yellow", "fail": "bold red", "not-found": "dim", "manual": "cyan"}
_MARK = {
    "pass": "✅ pass",
    "partial": "🟡 partial",
    "fail": "❌ fail",
    "not-found": "➖ not found",
    "manual": "🔍 manual",
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
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_markdown(checklists: list[ServiceChecklist]) -> str:
    lines = []
    for checklist in checklists:
        score = f"{checklist.passed}/{checklist.applicable}"
        lines += [
            f"### Production readiness: {checklist.service.name} ({score} items pass)",
            "",
            "| item | status | evidence | findings |",
            "|---|---|---|---|",
        ]
        for item in checklist.items:
            evidence = "<br>".join(f"`{e.location.path}:{e.location.line}` {e.detail}" for e in item.evidence[:3])
            findings = ", ".join(item.codes)
            lines.append(f"| {item.title} | {_MARK[item.status]} | {evidence or '–'} | {findings or '–'} |")
        lines.append("")
    return "\n".join(lines) if lines else "No service found.\n"


def render_text(checklists: list[ServiceChecklist], stream: TextIO | None = None, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO() if stream is None else None
    # Piped or written to a file, rich would wrap at 80 columns and cut the evidence paths.
    console = Console(
        file=stream or buffer,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        width=None if color else 160,
        emoji=False,
    )
    if not checklists:
        console.print("No service found.")
    for checklist in checklists:
        percent = _percent(checklist)
        shown = f" ({percent} %)" if percent is not None else ""
        table = Table(
            title=f"{checklist.service.name}: {checklist.passed}/{checklist.applicable} items pass{shown}",
            title_justify="left",
            show_lines=False,
        )
        table.add_column("item")
        table.add_column("status")
        table.add_column("evidence")
        table.add_column("findings")
        for item in checklist.items:
            first = item.evidence[0] if item.evidence else None
            evidence = f"{first.location.path}:{first.location.line} {first.detail}" if first else ""
            if len(item.evidence) > 1:
                evidence += f" (+{len(item.evidence) - 1})"
            table.add_row(item.title, f"[{_STYLE[item.status]}]{item.status}[/]", evidence, ", ".join(item.codes))
        console.print(table)
    return buffer.getvalue() if buffer is not None else ""
