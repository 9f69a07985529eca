"""Terminal report: findings grouped by file, `path:line:col severity CODE slug message`, a fix hint each."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

from relcheck.model import Finding, Severity
from relcheck.reporters import summary_counts
from relcheck.reporters.escape import line_start, visible
from relcheck.reporters.inventory import inventory_line
from relcheck.scan.result import ScanResult

if TYPE_CHECKING:
    from relcheck.checklist.score import ServiceChecklist

_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _plural(count: int, word: str) -> str:
    if word == "info":
        return f"{count} info"
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: ScanResult, show_suppressed: bool) -> str:
    counts = summary_counts(result.findings)
    return summary_text(counts, len(result.files), show_suppressed, fix_counts(result.active()))


def summary_text(counts: dict[str, int], file_count: int, show_suppressed: bool, fixable: tuple[int, int]) -> str:
    """The summary line from the counts of summary_counts, the files and fix_counts."""
    files = _plural(file_count, "file")
    shown = counts["error"] + counts["warning"] + counts["info"]
    if shown == 0:
        line = f"No problems found in {files}."
    else:
        parts = ", ".join(_plural(counts[k], k) for k in ("error", "warning", "info") if counts[k])
        line = f"Found {_plural(shown, 'problem')} ({parts}) in {files}."
    if counts["suppressed"]:
        hint = "" if show_suppressed else " (--show-suppressed lists them)"
        line += f" {counts['suppressed']} suppressed{hint}."
    return line + _fixable_text(*fixable)


def fix_counts(findings: Sequence[Finding]) -> tuple[int, int]:
    """(safe, unsafe): how many findings have a fix of each kind."""
    safe = sum(1 for f in findings if f.autofix is not None and f.autofix.safe)
    unsafe = sum(1 for f in findings if f.autofix is not None and not f.autofix.safe)
    return safe, unsafe


def fixable_note(findings: Sequence[Finding]) -> str:
    """` [*] 3 fixable with `relcheck fix` (2 more with --unsafe-fixes).`, or nothing."""
    return _fixable_text(*fix_counts(findings))


def _fixable_text(safe: int, unsafe: int) -> str:
    if not safe and not unsafe:
        return ""
    more = f" ({unsafe} more with --unsafe-fixes)" if unsafe else ""
    if not safe:
        return f" {unsafe} fixable with `relcheck fix --unsafe-fixes`."
    return f" [*] {safe} fixable with `relcheck fix`{more}."


def render(
    result: ScanResult,
    stream: TextIO | None = None,
    *,
    color: bool | None = None,
    show_suppressed: bool = False,
    quiet: bool = False,
    checklist: bool = True,
    notes: Sequence[str] = (),
    sections: dict[str, str] | None = None,
) -> str:
    """Writes the report to `stream` (or returns it as plain text when stream is None); `checklist`
    False leaves out the per-service checklist lines (the pre-commit hook reports a change); `notes`
    follow the summary line (what another report of the same run left out). A plain report fills
    `sections` with each file's lines (relcheck.reporters.patch keeps them)."""
    if not color or os.environ.get("NO_COLOR") or stream is None:
        if stream is None:
            return _plain(result, show_suppressed, quiet, checklist, notes)
        for chunk in _plain_chunks(result, show_suppressed, quiet, checklist, notes, sections):
            stream.write(chunk)
        return ""
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO() if stream is None else None
    use_color = bool(color) and stream is not None and not os.environ.get("NO_COLOR")
    console = Console(
        file=stream or buffer,
        force_terminal=use_color,
        no_color=not use_color,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )
    shown = [f for f in result.findings if show_suppressed or not f.suppressed]
    current = None
    for finding in shown:
        # A blank line between files keeps groups apart; every line still names its file.
        if not quiet and current is not None and finding.location.path != current:
            console.print()
        current = finding.location.path
        console.print(Text.assemble(*_finding_pieces(finding)))
        if not quiet:
            console.print(Text(f"    fix: {visible(finding.fix)}", style="dim"))
    if not quiet:
        if shown:
            console.print()
        console.print(Text(summary_line(result, show_suppressed), style="bold"))
        for note in notes:
            console.print(Text(note))

        for line in checklist_lines(result) if checklist else ():
            console.print(Text(line))
        console.print(Text(inventory_line(result), style="dim"))
    return buffer.getvalue() if buffer is not None else ""


def _plain(
    result: ScanResult, show_suppressed: bool, quiet: bool, checklist: bool = True, notes: Sequence[str] = ()
) -> str:
    """The same report without rich: what pipes, files and CI logs get (and much faster)."""
    return "".join(_plain_chunks(result, show_suppressed, quiet, checklist, notes))


def _plain_chunks(
    result: ScanResult,
    show_suppressed: bool,
    quiet: bool,
    checklist: bool = True,
    notes: Sequence[str] = (),
    sections: dict[str, str] | None = None,
) -> Iterator[str]:
    """The plain report a file's findings at a time: written as it is made, a large scan's report
    (14,000 findings, 28,000 lines) never sits in memory whole. `sections` gets each file's text, the
    very string written (a stream that keeps what it is given holds it once)."""
    separator = "\n" if quiet else "\n\n"  # a blank line between files, but in --quiet
    first = True
    for path, section in file_sections(result.findings, show_suppressed, quiet):
        text = "\n".join(section)
        if sections is not None:
            sections[path] = text
        if not first:
            yield separator
        yield text
        first = False
    if quiet:
        if not first:
            yield "\n"
        return
    tail = [summary_line(result, show_suppressed), *notes]
    if checklist:
        tail.extend(checklist_lines(result))
    tail.append(inventory_line(result))
    yield ("" if first else "\n\n") + "\n".join(tail) + "\n"


def file_sections(
    findings: Sequence[Finding], show_suppressed: bool, quiet: bool
) -> Iterator[tuple[str, list[str]]]:
    """(path, its lines) per file with findings shown, in the findings' order (sorted, so each
    file's findings are together); the plain report puts a blank line between files."""
    path, lines = None, []
    for finding in findings:
        if finding.suppression is not None and not show_suppressed:
            continue
        if finding.location.path != path:
            if path is not None:
                yield path, lines
            path, lines = finding.location.path, []
        lines.append("".join([text for text, _ in _finding_pieces(finding)]))
        if not quiet:
            lines.append(f"    fix: {visible(finding.fix)}")
    if path is not None:
        yield path, lines


# Up to this many services, a checklist line each; beyond, one summary line.
MAX_CHECKLIST_LINES = 5


def checklist_lines(result: ScanResult) -> list[str]:
    """One checklist line per service for a few services; for more, one line that says how many
    pass every item and which do worst (`relcheck checklist` shows them all)."""
    from relcheck.checklist.score import build_once

    return checklist_text(card_scores(build_once(result)))


# A service's checklist in the report: (name, items passed, items applicable, its summary line).
Score = tuple[str, int, int, str]


def card_scores(cards: Sequence[ServiceChecklist]) -> list[Score]:
    from relcheck.checklist.score import UNOWNED

    return [(c.service.name, c.passed, c.applicable, c.summary()) for c in cards if c.service.name != UNOWNED]


def checklist_text(scores: Sequence[Score]) -> list[str]:
    """checklist_lines from each service's score, in the services' order."""
    from relcheck.reporters.escape import visible

    if len(scores) <= MAX_CHECKLIST_LINES:
        return [summary for _, _, _, summary in scores]
    complete = sum(1 for _, passed, applicable, _ in scores if applicable and passed == applicable)
    worst = sorted(scores, key=lambda s: (s[1] / s[2] if s[2] else 1.0, s[0]))[:3]
    shown = ", ".join(f"{visible(name)} {passed}/{applicable}" for name, passed, applicable, _ in worst)
    return [
        f"Checklist: {len(scores)} services, {complete} pass every applicable item; worst: {shown} "
        "(`relcheck checklist` shows each)"
    ]


def finding_lines(finding: Finding) -> list[str]:
    """A finding as the plain report prints it: its line (and related lines), then its fix hint."""
    text = "".join(piece for piece, _ in _finding_pieces(finding))
    return [*text.split("\n"), f"    fix: {visible(finding.fix)}"]


def _finding_pieces(finding: Finding) -> list[tuple[str, str]]:
    """A finding's line as (text, rich style) pieces: the plain report joins the texts."""
    loc = finding.location
    severity = finding.severity
    pieces = [
        (f"{line_start(loc.path)}:{loc.line}:{loc.column}: ", ""),
        (f"{severity.label:<7}", _STYLES[severity]),
        (f" {finding.code} ", "bold"),
        *([("[*] ", "cyan")] if finding.autofix is not None and finding.autofix.safe else []),
        (f"{visible(finding.slug)}: ", "dim"),
        (visible(finding.message), ""),
    ]
    if finding.suppression is not None:
        reason = f": {visible(finding.suppression.reason)}" if finding.suppression.reason else ""
        pieces.append((f" [suppressed ({finding.suppression.kind}){reason}]", "dim"))
    elif finding.expired_suppression is not None:
        pieces.append((f" [suppression expired {finding.expired_suppression.until}]", "magenta"))
    for related in finding.related:
        rloc = related.location
        pieces.append((f"\n    see {visible(rloc.path)}:{rloc.line}: {visible(related.message)}", "dim"))
    return pieces
