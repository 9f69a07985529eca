"""Fixes to PM2 ecosystem files: `kill_timeout` up to the app's shutdown timeout (P003), and a
`listen_timeout` beside `wait_ready: true` (P004). Both safe: PM2 then waits as long as the app
needs. In JavaScript, only an app written as an object literal is edited, and only a number
literal is replaced (never a computed value); JSON and YAML files are edited as YAML text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relcheck.artifacts.pm2 import Pm2App
from relcheck.fixes.model import SAFE, Edit, Fix
from relcheck.fixes.registry import FixContext, fixer
from relcheck.fixes.yamledit import YamlText
from relcheck.model import Finding
from relcheck.syntax.positions import Positions

LISTEN_TIMEOUT_MS = 10000  # the P004 hint: long enough for a service to connect and listen
_JS_SUFFIXES = (".js", ".cjs", ".mjs")


@fixer("P003")
def kill_timeout(finding: Finding, ctx: FixContext) -> Fix | None:
    app = finding.subject
    if not isinstance(app, Pm2App):
        return None
    needed = ctx.params["P003"]["shutdown_timeout_ms"]
    return _set(ctx, app, "kill_timeout", needed, f"Set kill_timeout: {needed}")


@fixer("P004")
def listen_timeout(finding: Finding, ctx: FixContext) -> Fix | None:
    app = finding.subject
    if not isinstance(app, Pm2App) or not finding.identity.endswith("/listen_timeout"):
        return None  # wait_ready itself needs the app to send 'ready': not a change to make for it
    return _set(ctx, app, "listen_timeout", LISTEN_TIMEOUT_MS, f"Add listen_timeout: {LISTEN_TIMEOUT_MS}")


def _set(ctx: FixContext, app: Pm2App, key: str, value: int, message: str) -> Fix | None:
    text = ctx.text(app.path)
    if text is None or app.path == "<stdin>" or app.from_command:
        return None  # an app of a command line has no entry to write the key in
    if app.path.lower().endswith(_JS_SUFFIXES):
        edit = _js_edit(app, text, key, value)
        return Fix(message, (edit,), SAFE) if edit is not None else None
    span = app.scope or (1, text.count("\n") + 1)
    target = _AppInFile(app.path, app.data, app.positions, app.keys, span)
    edits = YamlText(text, target, ctx.starts(app.path), ctx.lines(app.path)).set(((key,), value))  # type: ignore[arg-type]
    return Fix(message, tuple(edits), SAFE)


@dataclass
class _AppInFile:
    path: str
    data: dict
    positions: Positions
    base: tuple
    span: tuple[int, int]


def _js_edit(app: Pm2App, text: str, key: str, value: int) -> Edit | None:
    from relcheck.syntax.javascript import parse, property_key

    if app.open:
        return None  # a spread or computed key may set it already
    mark = app.positions.marks.get(app.keys)
    tree, problem = parse(app.path, text)
    if tree is None or problem is not None or mark is None:
        return None
    data = text.encode("utf-8")
    found = _object_at(tree.root_node, (mark[0] - 1, mark[1] - 1))
    if found is None:
        return None

    def offset(byte: int) -> int:
        return len(data[:byte].decode("utf-8", "replace"))

    pairs = [child for child in found.named_children if child.type not in ("comment",)]
    for pair in pairs:
        if pair.type == "pair" and property_key(pair.child_by_field_name("key")) == key:
            literal = pair.child_by_field_name("value")
            if literal is None or literal.type != "number":
                return None  # a computed value: not ours to rewrite
            return Edit(app.path, offset(literal.start_byte), offset(literal.end_byte), str(value))
    entry = f"{key}: {value}"
    if not pairs:
        inner = offset(found.start_byte) + 1
        return Edit(app.path, inner, offset(found.end_byte) - 1, f" {entry} ")
    last = pairs[-1]
    following = last.next_sibling
    trailing_comma = following is not None and following.type == ","
    if found.start_point.row == found.end_point.row:  # one line: `{ name: 'api', script: 'x' }`
        return Edit(app.path, offset(last.end_byte), offset(last.end_byte), f", {entry}")
    line = text.split("\n")[last.start_point.row]
    indent = line[: len(line) - len(line.lstrip())]
    if trailing_comma:
        at = offset(following.end_byte)
        return Edit(app.path, at, at, f"\n{indent}{entry},")
    at = offset(last.end_byte)
    return Edit(app.path, at, at, f",\n{indent}{entry}")


def _object_at(node: Any, point: tuple[int, int]) -> Any:
    """The object literal that starts at `point` (row, byte column), searched in the tree."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "object" and (current.start_point.row, current.start_point.column) == point:
            return current
        if current.start_point <= point <= current.end_point:
            stack.extend(current.children)
    return None
