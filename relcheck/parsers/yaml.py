"""YAML via ruamel's C-backed composer: nodes that keep line/column marks, converted with bounds.

Aliases, merge keys and nesting are expanded under a node budget, so a billion-laughs file costs
milliseconds and ends in a clear error instead of filling memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_NODES = 1_000_000
MAX_DEPTH = 200

MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Positions:
    """Where each value came from: a key path (tuple of keys/indexes) -> 1-based line, column."""

    marks: dict[tuple, tuple[int, int]]
    key_marks: dict[tuple, tuple[int, int]]

    def of(self, path: tuple, key: bool = False) -> tuple[int, int]:
        """The mark of the path's value (or of its key), falling back to the nearest parent."""
        table = self.key_marks if key else self.marks
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.key_marks:
                return self.key_marks[probe]
            probe = probe[:-1]
        return self.marks.get((), (1, 1))


def _yaml():
    from ruamel.yaml import YAML

    try:
        return YAML(typ="safe", pure=False)
    except Exception:  # pragma: no cover - without the C extension
        return YAML(typ="safe", pure=True)


def compose_all(text: str) -> list[Any]:
    """Every document's root node (None for empty documents); raises YamlError with a position."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return list(_yaml().compose_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is not None:
            raise YamlError(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
        raise YamlError(f"invalid YAML: {problem}") from None
    except (YAMLError, ValueError, RecursionError) as exc:
        raise YamlError(f"invalid YAML: {exc}") from None


class _Converter:
    def __init__(self, max_nodes: int, max_depth: int, positions: Positions | None) -> None:
        self.budget = max_nodes
        self.max_depth = max_depth
        self.positions = positions

    def _spend(self, node) -> None:
        self.budget -= 1
        if self.budget < 0:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
            raise YamlError("YAML expands to too many nodes (alias bomb?); not parsed", line, column)

    def convert(self, node, path: tuple, depth: int) -> Any:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        self._spend(node)
        if depth > self.max_depth:
            raise YamlError(
                f"YAML nested deeper than {self.max_depth} levels; not parsed",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if self.positions is not None and path not in self.positions.marks:
            self.positions.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return _scalar(node)

    def _mapping(self, node, path: tuple, depth: int) -> dict:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        result: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if isinstance(source, MappingNode):
                        for key, value in self._mapping(source, path, depth + 1).items():
                            merged.setdefault(key, value)
                continue
            key = self.convert(key_node, (*path, "<key>"), depth + 1)
            if isinstance(key, (dict, list)):
                key = str(key)
            if self.positions is not None:
                self.positions.key_marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result


def _scalar(node) -> Any:
    tag = node.tag or ""
    value = node.value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return value.lower() in ("true", "yes", "on", "y")
    if tag.endswith(":int"):
        try:
            text = value.replace("_", "")
            if text.startswith(("0x", "-0x", "+0x")):
                return int(text, 16)
            if text.startswith(("0o", "-0o", "+0o")):
                return int(text, 8)
            return int(text, 10)
        except ValueError:
            return value
    if tag.endswith(":float"):
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    return value


def to_python(node, positions: Positions | None = None, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    if node is None:
        return None
    return _Converter(max_nodes, max_depth, positions).convert(node, (), 0)


def load_one(text: str, max_nodes: int = 100_000) -> tuple[Any, Positions]:
    """A single-document YAML file (such as a config) with the positions of its keys."""
    documents = [doc for doc in compose_all(text) if doc is not None]
    positions = Positions({}, {})
    if not documents:
        return None, positions
    if len(documents) > 1:
        line = documents[1].start_mark.line + 1
        raise YamlError("expected one YAML document, found several", line, 1)
    return to_python(documents[0], positions, max_nodes=max_nodes), positions
