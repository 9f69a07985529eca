"""A chart whose templates call Sprig's random or clock functions, rendered the same way every time.

`name: {{ .Release.Name }}-migrate-{{ randAlphaNum 5 | lower }}` (Flagsmith's migration Job)
names a different object on every render, so a finding about it would change its message and its
fingerprint from one scan to the next, breaking baselines and code scanning's alert tracking. Such
a chart is rendered from a temporary copy whose template actions call fixed stand-ins instead:
`randAlphaNum 5` becomes `repeat 5 "x"` (`xxxxx`), `uuidv4` the nil-like UUID
`00000000-0000-4000-8000-000000000000`, `now` midnight of 2000-01-01. Only the calls inside
`{{ }}` are replaced, and each stand-in has the type of what it replaces, so the chart renders as
it would, with those values. Nothing is written into the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from relcheck.render.unvendored import copyable

# The functions whose result changes between renders.
_CALLS = re.compile(r"\b(?:randAlphaNum|randAlpha|randNumeric|randAscii|uuidv4|now)\b")
_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
# One argument of a call: a number, a variable or field (`$n`, `.Values.n`), or a parenthesised
# expression without parentheses inside.
_ARG = r"(\d+|\$?[\w.]+|\([^()]*\))"
_RANDOM_STRING = re.compile(rf"\b(randAlphaNum|randAlpha|randAscii|randNumeric)\s+{_ARG}")
_FILLER = {"randNumeric": "0"}  # digits for a number's digits, letters for the others
_UUID = re.compile(r"\buuidv4\b")
_NOW = re.compile(r"(?<![.$\w])now\b")
# Go's string literals, raw strings and character constants: text, not calls (Jenkins' chart
# fails with "RBAC roles are now generated", whose `now` is no call).
_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)+\'')
_COMMENT = re.compile(r"^\{\{-?\s*/\*")
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".tpl", ".txt", ".json")


@dataclass
class Steady:
    """A temporary copy of a chart with fixed stand-ins for its random and clock functions."""

    folder: str
    temporary: str

    def close(self) -> None:
        shutil.rmtree(self.temporary, ignore_errors=True)


def steady_copy(chart: Path) -> Steady | None:
    """A copy of the chart whose templates (its own and its unpacked subcharts') call fixed
    stand-ins; None when no template calls a random or clock function, or when the chart cannot be
    copied (too large, or it holds a symbolic link)."""
    templates = [path for path in _template_files(chart) if _calls_in_actions(_read(path))]
    if not templates or not copyable(chart):
        return None
    temporary = tempfile.mkdtemp(prefix="relcheck-steady-")
    copy = Path(temporary) / "chart"
    steady = Steady(str(copy), temporary)
    try:
        shutil.copytree(chart, copy, ignore=shutil.ignore_patterns(".git"))
        for path in templates:
            target = copy / path.relative_to(chart)
            target.write_text(steadied(_read(path)), encoding="utf-8")
    except OSError:
        steady.close()
        return None
    return steady


def steadied(template: str) -> str:
    """The template with fixed stand-ins for the random and clock calls of its actions."""
    return _ACTION.sub(lambda match: _steady_action(match.group(0)), template)


def _calls_in_actions(template: str) -> bool:
    """Whether an action of the template calls one of them (not "now" in a comment, a string or YAML)."""
    return bool(_CALLS.search(template)) and any(_CALLS.search(_code(action)) for action in _ACTION.findall(template))


def _code(action: str) -> str:
    """The action without its string literals; nothing of a comment."""
    return "" if _COMMENT.match(action) else _LITERAL.sub('""', action)


def _steady_action(action: str) -> str:
    if not _CALLS.search(_code(action)):
        return action
    # The literals stand aside while the calls are replaced, then go back as they were.
    literals: list[str] = []

    def aside(match: re.Match[str]) -> str:
        literals.append(match.group(0))
        return f"\x00{len(literals) - 1}\x00"

    action = _LITERAL.sub(aside, action)
    action = _RANDOM_STRING.sub(lambda m: f'repeat {m.group(2)} "{_FILLER.get(m.group(1), "x")}"', action)
    action = _UUID.sub('"00000000-0000-4000-8000-000000000000"', action)
    action = _NOW.sub('(toDate "2006-01-02" "2000-01-01")', action)
    return re.sub("\x00(\\d+)\x00", lambda m: literals[int(m.group(1))], action)


def _template_files(chart: Path) -> list[Path]:
    """The template files of the chart and of the subcharts unpacked in its `charts/`, at any depth."""
    found = []
    for folder, dirs, names in os.walk(chart):
        dirs[:] = [d for d in dirs if d != ".git"]
        if "templates" not in Path(folder).relative_to(chart).parts:
            continue
        found.extend(Path(folder, name) for name in names if name.endswith(_TEMPLATE_SUFFIXES))
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
