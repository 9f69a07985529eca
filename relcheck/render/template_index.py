"""Where in a Helm template each key of a rendered object was written, and which value fed it.

A template is not YAML until it is rendered, so it is read line by line: keys by their indentation,
list items by their dashes, and lines of actions (`{{- toYaml .Values.resources | nindent 12 }}`)
as insertions under the key above them. `with` blocks resolve `.`; nothing is evaluated."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_KEY = re.compile(
    r"^(?P<indent> *)(?P<dashes>(?:-[ \t]+)*)(?P<key>[A-Za-z0-9_./-]+|\"[^\"{}]*\"|'[^'{}]*')[ \t]*:(?=[ \t]|$)"
)
_DASH_ONLY = re.compile(r"^(?P<indent> *)-[ \t]*(?:\{\{|$)")
_ACTION_LINE = re.compile(r"^(?P<indent>[ \t]*)\{\{-?\s*(?P<body>.*?)\s*-?\}\}\s*$")
_ACTION = re.compile(r"\{\{-?\s*(?P<body>.*?)\s*-?\}\}")
_VALUES_REF = re.compile(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
_DOT_REF = re.compile(r"(?<![\w$.)\]])\.((?:[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?(?![\w(])")
# `$name.a.b`: a variable the template set (`{{- $pdbSpec := omit .Values.server.podDisruptionBudget "enabled" }}`).
_VARIABLE_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)")
_ASSIGNMENT = re.compile(r"^\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*:?=\s*(?P<expression>.+)$")
# Functions whose result holds the keys of their first argument, as that value has them.
_SAME_KEYS = frozenset({"omit", "pick", "deepCopy", "mustDeepCopy"})
_INDENT = re.compile(r"\bn?indent\s+(\d+)")
_BUILTIN_ROOTS = frozenset({"Values", "Release", "Chart", "Capabilities", "Template", "Files", "Subcharts"})
_DOCUMENT = re.compile(r"^---", re.MULTILINE)
_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)
_NOT_NEWLINE = re.compile(r"[^\n]")


@dataclass
class Insertion:
    line: int
    column: int
    values: tuple | None  # the value it prints (`toYaml .Values.resources`), when it names one


@dataclass
class TemplateSegment:
    """One `---`-separated part of a template: a key path (keys and list-item ordinals) -> where it is."""

    first_line: int
    last_line: int
    kind: str = ""
    keys: dict[tuple, tuple[int, int, int]] = field(default_factory=dict)  # path -> line, key col, value col
    items: dict[tuple, list[tuple[int, int]]] = field(default_factory=dict)  # list path -> items' line, col
    inserts: dict[tuple, list[Insertion]] = field(default_factory=dict)  # parent path -> insertions
    refs: dict[int, tuple] = field(default_factory=dict)  # line -> the value its action prints


def index_template(text: str) -> list[TemplateSegment]:
    # A comment may span lines and hold YAML (jenkins' statefulset keeps the future
    # `runAsUser: 1000` in one): blanked, keeping every other character's line and column.
    text = _COMMENT.sub(lambda found: _NOT_NEWLINE.sub(" ", found.group()), text)
    lines = text.split("\n")
    starts = [0] + [text.count("\n", 0, m.start()) for m in _DOCUMENT.finditer(text)]
    bounds = sorted(set(starts))
    segments = []
    variables: dict[str, tuple | None] = {}  # a template's variables live on across its `---`
    for number, start in enumerate(bounds):
        end = bounds[number + 1] if number + 1 < len(bounds) else len(lines)
        segments.append(_index_segment(lines, start, end, variables))
    return segments


def _index_segment(lines: list[str], start: int, end: int, variables: dict[str, tuple | None]) -> TemplateSegment:
    segment = TemplateSegment(first_line=start + 1, last_line=max(start + 1, end))
    stack: list[tuple[int, tuple]] = []  # (column of the key, its path)
    ordinals: dict[tuple, int] = {}  # list path -> items seen so far
    scopes: list[tuple | None] = []  # what `.` is in each open block (None: not a value)
    for number in range(start, end):
        raw = lines[number]
        line_no = number + 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        action = _ACTION_LINE.match(raw)
        if action is not None and _ACTION.sub("", raw).strip() == "":
            body = action.group("body")
            if body.startswith("/*"):
                continue
            word = body.split(None, 1)[0] if body else ""
            if word in ("with", "range", "if", "define", "block"):
                scopes.append(
                    _resolve(body.split(None, 1)[1] if " " in body else "", scopes, variables)
                    if word == "with"
                    else None
                )
                continue
            if word == "end":
                if scopes:
                    scopes.pop()
                continue
            assignment = _ASSIGNMENT.match(body)
            if assignment is not None:
                variables[assignment.group("name")] = _assigned(assignment.group("expression"), scopes, variables)
                continue
            if word in ("else", "break", "continue"):
                continue
            width = _INDENT.search(body)
            column = int(width.group(1)) if width else len(action.group("indent"))
            while stack and stack[-1][0] >= column:
                stack.pop()
            parent = stack[-1][1] if stack else ()
            segment.inserts.setdefault(parent, []).append(
                Insertion(line_no, column + 1, _printed_value(body, scopes, variables))
            )
            continue
        match = _KEY.match(raw)
        if match is None:
            dash = _DASH_ONLY.match(raw)
            if dash is not None:  # `- {{ .Values.x }}` or a bare `-`: an item with no key of its own
                column = len(dash.group("indent"))
                while stack and (
                    stack[-1][0] > column or (stack[-1][0] == column and isinstance(stack[-1][1][-1], int))
                ):
                    stack.pop()
                parent = stack[-1][1] if stack else ()
                ordinal = ordinals.get(parent, 0)
                ordinals[parent] = ordinal + 1
                segment.items.setdefault(parent, []).append((line_no, column + 1))
                _note_ref(segment, line_no, raw, scopes, variables)
            continue
        indent = len(match.group("indent"))
        dashes = match.group("dashes")
        key_column = indent + len(dashes)
        key = match.group("key").strip("\"'")
        if dashes:
            # Up to the list's key, which may sit at the dash's own column (`containers:` then `- name:`);
            # an earlier item at this column is a sibling.
            while stack and (stack[-1][0] > indent or (stack[-1][0] == indent and isinstance(stack[-1][1][-1], int))):
                stack.pop()
            parent = stack[-1][1] if stack else ()
            ordinal = ordinals.get(parent, 0)
            ordinals[parent] = ordinal + 1
            segment.items.setdefault(parent, []).append((line_no, indent + 1))
            item_path = (*parent, ordinal)
            stack.append((indent, item_path))
            path = (*item_path, key)
        else:
            while stack and stack[-1][0] >= key_column:
                stack.pop()
            parent = stack[-1][1] if stack else ()
            path = (*parent, key)
        value_column = match.end() + 1 + (len(raw) - match.end() - len(raw[match.end() :].lstrip()))
        segment.keys.setdefault(path, (line_no, key_column + 1, value_column))
        stack.append((key_column, path))
        if path == ("kind",) and not segment.kind:
            segment.kind = raw[match.end() :].strip().strip("\"'")
        _note_ref(segment, line_no, raw, scopes, variables)
    return segment


def _note_ref(
    segment: TemplateSegment, line_no: int, raw: str, scopes: list[tuple | None], variables: dict[str, tuple | None]
) -> None:
    for action in _ACTION.finditer(raw):
        printed = _printed_value(action.group("body"), scopes, variables)
        if printed is not None:
            segment.refs[line_no] = printed
            return


def _resolve(expression: str, scopes: list[tuple | None], variables: dict[str, tuple | None]) -> tuple | None:
    """The value path an expression names: `.Values.a.b`, `.`/`.x` inside `with .Values.a`, or
    `$v.x` where the template set `$v` to a value."""
    found = _VALUES_REF.search(expression)
    if found is not None:
        return tuple(found.group(1)[1:].split("."))
    named = _VARIABLE_REF.search(expression)
    if named is not None and variables.get(named.group(1)) is not None:
        rest = named.group(2)
        return (*variables[named.group(1)], *(rest[1:].split(".") if rest else ()))
    current = next((scope for scope in reversed(scopes) if scope is not None), None) if scopes else None
    if current is None or (scopes and scopes[-1] is None):
        return None
    dot = _DOT_REF.search(expression)
    if dot is None:
        return None
    rest = dot.group(1)
    if rest is None:
        return current
    parts = tuple(rest.split("."))
    return None if parts[0] in _BUILTIN_ROOTS else (*current, *parts)


def _printed_value(body: str, scopes: list[tuple | None], variables: dict[str, tuple | None]) -> tuple | None:
    """The value an action prints, for `.Values.x`, `toYaml .Values.x`, `.x` inside `with`; not
    for `include` (a named template prints what it likes)."""
    if body.startswith(("include ", "template ", "tpl ")):
        return None
    return _resolve(body, scopes, variables)


def _assigned(expression: str, scopes: list[tuple | None], variables: dict[str, tuple | None]) -> tuple | None:
    """The value a variable holds: a value named as it is, or through a function that keeps its keys
    (`omit .Values.pdb "enabled"`); None for anything computed (`include`, `default`, `dict`)."""
    words = expression.strip().lstrip("(").split()
    if not words:
        return None
    if words[0] in _SAME_KEYS and len(words) > 1:
        return _resolve(words[1], scopes, variables)
    if len(words) == 1 and words[0].startswith((".", "$")):
        return _resolve(words[0], scopes, variables)
    return None


def align_segments(segments: list[TemplateSegment], kinds: list[str]) -> list[TemplateSegment]:
    """The template part each rendered document came from. Rendered documents are the template's
    parts in order, less those an `if` left out, some repeated by a `range`: each document takes the
    next part that writes its kind, else the first part that does, else the first part with keys."""
    chosen = []
    position = 0
    with_keys = [segment for segment in segments if segment.keys] or segments
    for kind in kinds:
        later = next((i for i in range(position, len(segments)) if segments[i].kind == kind), None)
        if later is not None:
            chosen.append(segments[later])
            position = later + 1
            continue
        chosen.append(next((segment for segment in segments if segment.kind == kind), with_keys[0]))
    return chosen


@dataclass(frozen=True)
class TemplateSpot:
    line: int
    column: int
    values: tuple | None  # the value path it came from, if any


def locate(
    segment: TemplateSegment, path: tuple, want_key: bool, holds: Callable[[tuple], bool] | None = None
) -> TemplateSpot:
    """Where the rendered key path (keys and list indexes) was written in the template: the key
    itself, else the action that inserted its part of the object, else the nearest enclosing key;
    with the value path that fed it when the line prints a value. `holds(value path)` says whether
    the values set that path: an action that prints a value is taken to have written a key under
    it only when the value holds that key (`toYaml .Values.extraEnvs` writes no `lifecycle`)."""
    normal = _normalize(segment, path)
    for size in range(len(normal), -1, -1):
        prefix = normal[:size]
        rest = path[size:]
        if size < len(normal):
            for insert in sorted(segment.inserts.get(prefix, ()), key=lambda i: i.values is None):
                if insert.values is None:
                    return TemplateSpot(insert.line, insert.column, None)
                if holds is None or holds((*insert.values, rest[0])):
                    return TemplateSpot(insert.line, insert.column, (*insert.values, *rest))
        if not prefix:
            break
        if isinstance(prefix[-1], int):
            items = segment.items.get(prefix[:-1])
            if items:
                line, column = items[min(prefix[-1], len(items) - 1)]
                return TemplateSpot(line, column, None)
            continue
        spot = segment.keys.get(prefix)
        if spot is not None:
            line, key_column, value_column = spot
            printed = segment.refs.get(line)
            if printed is None:  # `key:` then `{{- toYaml . | nindent N }}` inside `with .Values.x`
                printed = next((i.values for i in segment.inserts.get(prefix, ()) if i.values is not None), None)
            values = (*printed, *rest) if printed is not None else None
            exact = size == len(normal)
            return TemplateSpot(line, key_column if want_key or not exact else value_column, values)
    first = min(segment.keys.values(), default=(segment.first_line, 1, 1))
    return TemplateSpot(first[0], first[1], None)


def _normalize(segment: TemplateSegment, path: tuple) -> tuple:
    """A rendered path with each list index mapped to a template item: the same ordinal where the
    template writes that many items, else its last one (a `range` writes one item many times)."""
    normal: list = []
    for part in path:
        if isinstance(part, int):
            count = len(segment.items.get(tuple(normal), ()))
            normal.append(part if part < count else max(count - 1, 0))
        else:
            normal.append(part)
    return tuple(normal)
