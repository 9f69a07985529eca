"""Text edits to YAML at the positions the parser recorded: set a value, or add a key (and the
mappings above it) to a block or flow mapping. Everything else in the file stays byte for byte;
the result is checked by parsing it again (relcheck.fixes.verify), never trusted."""

from __future__ import annotations

import json
import re
from typing import Any

from relcheck.artifacts.kubernetes import K8sObject, dig
from relcheck.fixes.model import Edit, line_starts, offset_of

# Strings written without quotes: they read back as the same string (never a number or boolean).
_PLAIN = re.compile(r"^[A-Za-z0-9_/][A-Za-z0-9_./-]*$")
_NUMBER = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)$"
)
_KEYWORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"})
# An anchor, alias or merge key: a value written once and used in several places.
_SHARED = re.compile(r"(?:^|[\s\[{,:-])[&*][^\s\]},]+|<<\s*:")


class Refused(Exception):
    """The edit cannot be made safely here; the message says why."""


def flow(value: Any) -> str:
    """A value in YAML flow style, as JSON-like as YAML allows."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    text = str(value)
    plain = _PLAIN.match(text) and text.lower() not in _KEYWORDS and not _NUMBER.match(text)
    return text if plain else json.dumps(text)


def block(key: str, value: Any, indent: int) -> list[str]:
    """`key: value` as block lines at `indent` (mappings as blocks, lists and scalars in flow)."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines = [f"{pad}{flow(key)}:"]
        for child, child_value in value.items():
            lines += block(child, child_value, indent + 2)
        return lines
    return [f"{pad}{flow(key)}: {flow(value)}"]


def nest(keys: tuple, value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


class YamlText:
    """One YAML file's text with the positions of one of its objects."""

    def __init__(
        self, text: str, obj: K8sObject, starts: list[int] | None = None, lines: list[str] | None = None
    ) -> None:
        self.text = text
        self.lines = lines if lines is not None else text.split("\n")
        self.starts = starts if starts is not None else line_starts(text)
        self.obj = obj
        # A JSON file stays JSON: new values are written as JSON, on lines like their siblings'.
        self.json = obj.path.lower().endswith(".json")

    def _value(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False) if self.json else flow(value)

    def _entry(self, key: Any, value: Any) -> str:
        return f"{self._value(key) if self.json else flow(key)}: {self._value(value)}"

    def set(self, *pairs: tuple[tuple, Any]) -> list[Edit]:
        """Edits that make each `(path, value)` hold: a value replaced where one is written, else the
        key added (with the mappings it needs) to the deepest mapping that exists; keys added to one
        mapping go in together."""
        self._refuse_shared()
        data = self.obj.data
        edits: list[Edit] = []
        additions: dict[tuple, dict] = {}
        for path, value in pairs:
            if _has(data, path) and dig(data, path) is not None:
                current = dig(data, path)
                if isinstance(current, (dict, list)):
                    raise Refused(f"{'.'.join(map(str, path))} holds a {type(current).__name__}, not a value")
                edits.append(self._replace_scalar(path, value))
                continue
            size = len(path) - 1
            while size > 0:
                node = dig(data, path[:size])
                if isinstance(node, dict) or (node is None and _has(data, path[:size])):
                    break  # a mapping to add to, or a null (`key:`) to fill
                if _has(data, path[:size]):
                    raise Refused(f"{'.'.join(map(str, path[:size]))} is not a mapping")
                size -= 1
            _merge(additions.setdefault(path[:size], {}), nest(path[size:], value))
        for parent, entries in additions.items():
            if parent and dig(data, parent) is None and _has(data, parent):
                edits.append(self._fill_null(parent, entries))
            else:
                edits.append(self._add_keys(parent, entries))
        return edits

    # --- helpers -------------------------------------------------------------------------------

    def _full(self, path: tuple) -> tuple:
        return (*self.obj.base, *path)

    def _refuse_shared(self) -> None:
        first, last = self.obj.span
        for line in self.lines[first - 1 : last]:
            if _SHARED.search(line.split(" #", 1)[0]):
                raise Refused("the object uses an anchor, alias or merge key")

    def _offset(self, mark: tuple[int, int]) -> int:
        return offset_of(self.starts, mark[0], mark[1])

    def _replace_scalar(self, path: tuple, value: Any) -> Edit:
        mark = self.obj.positions.marks.get(self._full(path))
        if mark is None:
            raise Refused("no position for the value")
        start = self._offset(mark)
        line = self.lines[mark[0] - 1]
        rest = line[mark[1] - 1 :]
        if rest[:1] in ("|", ">"):
            raise Refused("a block scalar")
        if rest[:1] in ("'", '"'):
            end = _closing_quote(rest)
            if end is None:
                raise Refused("a quoted scalar that spans lines")
            length = end + 1
        else:
            length = len(re.split(r"\s#", rest, maxsplit=1)[0].rstrip())
            if rest[:1] in ("{", "["):
                raise Refused("a flow collection")
        return Edit(self.obj.path, start, start + length, self._value(value))

    def _add_keys(self, parent: tuple, entries: dict) -> Edit:
        mapping = dig(self.obj.data, parent) if parent else self.obj.data
        if not isinstance(mapping, dict):
            raise Refused("not a mapping")
        value_mark = self.obj.positions.marks.get(self._full(parent))
        if value_mark is not None and self._char(value_mark) == "{":
            return self._add_to_flow(value_mark, entries)
        if self.json:
            raise Refused("a JSON mapping without its opening brace")
        if not mapping:
            raise Refused("an empty mapping that is not written as {}")
        marks = [self.obj.positions.key_marks.get(self._full((*parent, child))) for child in mapping]
        if any(mark is None for mark in marks):
            raise Refused("keys without positions")
        first_line, first_column = min(marks)
        indent = first_column - 1
        if any(mark[1] != first_column for mark in marks):
            raise Refused("keys of one mapping at different columns")
        last = self._last_content_line(first_line, indent)
        at = self.starts[last - 1] + len(self.lines[last - 1])
        lines = [line for key, value in entries.items() for line in block(key, value, indent)]
        return Edit(self.obj.path, at, at, "\n" + "\n".join(lines))

    def _fill_null(self, path: tuple, value: dict) -> Edit:
        """`key:` with nothing after it becomes `key:` followed by the new block."""
        mark = self.obj.positions.key_marks.get(self._full(path))
        if mark is None:
            raise Refused("no position for the key")
        line = self.lines[mark[0] - 1]
        after = line[mark[1] - 1 :].split(":", 1)
        if len(after) != 2 or after[1].split(" #", 1)[0].strip() not in ("", "null", "~"):
            raise Refused("a null written in a form this edit does not handle")
        rest = after[1].split(" #", 1)[0]
        start = self.starts[mark[0] - 1] + (mark[1] - 1) + len(after[0]) + 1
        if self.json or rest.strip():  # `"key": null` or `key: ~`: the value in place
            token = rest.rstrip().rstrip(",")
            return Edit(self.obj.path, start, start + len(token), " " + self._value(value))
        lines = [line for key, child in value.items() for line in block(key, child, mark[1] + 1)]
        return Edit(self.obj.path, start, start + len(rest), "\n" + "\n".join(lines))

    def _add_to_flow(self, mark: tuple[int, int], entries: dict) -> Edit:
        start = self._offset(mark)
        close = _closing_brace(self.text, start)
        if close is None:
            raise Refused("a flow mapping this edit cannot read")
        inside = self.text[start + 1 : close]
        entries_text = [self._entry(key, value) for key, value in entries.items()]
        if not inside.strip():  # `{}` becomes `{key: value}`
            return Edit(self.obj.path, start + 1, close, ", ".join(entries_text))
        at = start + 1 + len(inside.rstrip())
        written = inside.rstrip()
        if "\n" in written:  # one entry a line: a new line, indented like the last entry
            last = written.rsplit("\n", 1)[1]
            indent = last[: len(last) - len(last.lstrip())]
            return Edit(self.obj.path, at, at, "".join(f",\n{indent}{entry}" for entry in entries_text))
        return Edit(self.obj.path, at, at, "".join(f", {entry}" for entry in entries_text))

    def _char(self, mark: tuple[int, int]) -> str:
        line = self.lines[mark[0] - 1]
        return line[mark[1] - 1 : mark[1]]

    def _last_content_line(self, first: int, indent: int) -> int:
        """The last line of the block mapping whose keys start at `indent`, from its first key's line."""
        last = first
        for number in range(first + 1, min(len(self.lines), self.obj.span[1]) + 1):
            line = self.lines[number - 1]
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if line.startswith(("---", "...")) or len(line) - len(line.lstrip(" ")) < indent:
                break
            last = number
        return last


def _merge(into: dict, more: dict) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _has(data: Any, path: tuple) -> bool:
    parent = dig(data, path[:-1]) if path[:-1] else data
    if isinstance(parent, dict):
        return path[-1] in parent
    return isinstance(parent, list) and isinstance(path[-1], int) and 0 <= path[-1] < len(parent)


def _closing_quote(text: str) -> int | None:
    quote = text[0]
    index = 1
    while index < len(text):
        character = text[index]
        if quote == '"' and character == "\\":
            index += 2
            continue
        if character == quote:
            if quote == "'" and text[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    return None


def _closing_brace(text: str, start: int) -> int | None:
    """The `}` that closes the flow mapping opened at `start` (quotes and nesting respected)."""
    depth = 0
    index = start
    while index < len(text):
        character = text[index]
        if character in "'\"":
            end = _closing_quote(text[index:])
            if end is None:
                return None
            index += end + 1
            continue
        if character in "{[":
            depth += 1
        elif character in "}]":
            depth -= 1
            if depth == 0:
                return index if character == "}" else None
        elif character == "#" and index > 0 and text[index - 1] in " \t":
            return None  # a comment inside a flow mapping: left alone
        index += 1
    return None
