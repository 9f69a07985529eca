"""Suppression comments: `# relcheck: ignore K001 K014 until=2027-03-31 -- reason` and `ignore-file`.

A directive alone on its line applies to the next line that is not blank or a comment; one that
trails a line applies to that line. Either also applies to a finding whose object (its scope:
a Kubernetes object, a Dockerfile instruction) contains the directive or the line it targets.
`ignore-file` applies to the whole file.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

_DIRECTIVE = re.compile(r"(?P<marker>#|//)\s*relcheck:\s*(?P<verb>ignore-file|ignore)\b(?P<rest>.*)$")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Directive:
    line: int  # where the comment is
    target_line: int  # the line it applies to (0 for file-wide)
    names: tuple[str, ...]  # codes, prefixes or slugs as written
    reason: str
    until: _dt.date | None
    file_wide: bool
    problem: str = ""  # why the directive is invalid: it then suppresses nothing


def _comment_only(line: str, marker: str) -> bool:
    return line.lstrip().startswith(marker)


def parse_directives(text: str) -> list[Directive]:
    if "relcheck:" not in text:
        return []
    lines = text.split("\n")
    found: list[Directive] = []
    for index, line in enumerate(lines):
        match = _DIRECTIVE.search(line)
        if not match:
            continue
        rest = match.group("rest")
        rest, _, reason = rest.partition("--")
        names: list[str] = []
        until = None
        problem = ""
        for token in rest.replace(",", " ").split():
            if token.lower().startswith("until="):
                until = _date(token[6:])
                if until is None:  # a date that does not exist must not make the directive permanent
                    problem = f"{token!r} is not a date (YYYY-MM-DD)"
            else:
                names.append(token)
        file_wide = match.group("verb") == "ignore-file"
        number = index + 1
        target = 0 if file_wide else number
        if not file_wide and _comment_only(line, match.group("marker")):
            target = _next_code_line(lines, index, match.group("marker"))
        found.append(Directive(number, target, tuple(names), reason.strip(), until, file_wide, problem))
    return found


def _date(text: str) -> _dt.date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:  # 2020-02-30, 9999-99-99
        return None


def _next_code_line(lines: list[str], index: int, marker: str) -> int:
    for later in range(index + 1, len(lines)):
        stripped = lines[later].strip()
        if stripped and not stripped.startswith(marker):
            return later + 1
    return index + 1


def applies(directive: Directive, line: int, scope: tuple[int, int] | None) -> bool:
    if directive.file_wide:
        return True
    if directive.target_line == line:
        return True
    if scope is None:
        return False
    # Anywhere inside the object, or on the line above its first line.
    return scope[0] <= directive.line <= scope[1] or scope[0] <= directive.target_line <= scope[1]
