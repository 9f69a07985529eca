"""YAML via ruamel's C-backed composer: nodes that keep line/column marks, converted with bounds.

Aliases, merge keys and nesting are expanded under a node budget, so a billion-laughs file costs
milliseconds and ends in a clear error instead of filling memory.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

from relcheck.model import ParseProblem
from relcheck.syntax.positions import END, KEY, VALUE, WIDTH, Positions

MAX_DEPTH = 200

MERGE_TAG = "tag:yaml.org,2002:merge"


# How a repeated mapping key is reported: Kubernetes refuses one, Helm's values files tolerate it.
DUPLICATE_KEY = "duplicate key"


class YamlError(Exception):
    """Invalid YAML (E001) or YAML refused on purpose, such as an alias bomb (E002)."""

    def __init__(self, message: str, line: int = 1, column: int = 1, code: str = "E001") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code


@functools.lru_cache(maxsize=1)
def _loader_class():
    """A loader that is ruamel's C parser and composer and nothing else.

    `YAML().compose_all` builds a new loader class per call and resolves every scalar through
    Python properties; composing a small manifest costs less than that set-up. Here the class is
    built once and plain scalars resolve through a cache of the YAML 1.2 core schema's rules.
    Returns None without the C extension.
    """
    try:
        from ruamel.yaml.cyaml import CParser
    except ImportError:  # pragma: no cover - without the C extension
        return None
    from ruamel.yaml.resolver import implicit_resolvers
    from ruamel.yaml.tag import Tag

    # The classes the composer passes to resolve() as the node kind.
    ScalarNode, SequenceNode = _install_lean_nodes()

    by_first: dict[str | None, list] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            for character in first or [None]:
                by_first.setdefault(character, []).append((Tag(suffix=tag), regexp))
    str_tag = Tag(suffix="tag:yaml.org,2002:str")
    seq_tag = Tag(suffix="tag:yaml.org,2002:seq")
    map_tag = Tag(suffix="tag:yaml.org,2002:map")
    # Keyed by id: a loader built again (its cache cleared) leaves the old tags to the collector, and
    # a new object could take one of their ids, so the old entries go first.
    _CANONICAL_TAGS.clear()
    for tag in [str_tag, *(tag for resolvers in by_first.values() for tag, _ in resolvers)]:
        _CANONICAL_TAGS[id(tag)] = (tag.suffix, _conversion(tag.suffix))

    @functools.lru_cache(maxsize=8192)
    def plain_tag(value: str):
        for tag, regexp in by_first.get(value[:1], []) + by_first.get(None, []):
            if regexp.match(value):
                return tag
        return str_tag

    class Loader(CParser):
        def resolve(self, kind, value, implicit):
            if kind is ScalarNode:
                return plain_tag(value) if implicit[0] else str_tag
            return seq_tag if kind is SequenceNode else map_tag

        # Path resolvers are not used. The composer calls these hooks twice per node; C builtins
        # that accept the same arguments and do nothing cost less than Python functions.
        descend_resolver = operator.is_  # (parent, index) -> bool, ignored
        ascend_resolver = tuple  # () -> (), ignored

    return Loader


def _install_lean_nodes() -> tuple[type, type]:
    """Have the C composer build nodes through constructors without keyword handling.

    The composer looks its node classes up in its module each time; ruamel's own constructors
    pass every argument on through two more Python calls, which was a fifth of composing a
    manifest. The replacements are subclasses with the same slots and values, so any other
    reader of these nodes sees no difference. Left alone if the module is not as expected (or
    already done). Returns the scalar and sequence classes the composer uses.
    """
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from ruamel.yaml.tag import Tag

    try:
        import _ruamel_yaml as composer
    except ImportError:  # pragma: no cover - the C extension under another name
        return ScalarNode, SequenceNode
    if (composer.ScalarNode, composer.SequenceNode, composer.MappingNode) != (ScalarNode, SequenceNode, MappingNode):
        return composer.ScalarNode, composer.SequenceNode

    # Written out rather than shared with collection_init: one more call per scalar would give
    # back a good part of what this saves.
    class LeanScalarNode(ScalarNode):
        __slots__ = ()

        def __init__(self, tag, value, start_mark, end_mark, style=None):
            self.ctag = tag if tag.__class__ is Tag else Tag(suffix=tag)
            self.value = value
            self.start_mark = start_mark
            self.end_mark = end_mark
            self.style = style
            self.comment = None
            self.anchor = None

    def collection_init(node, tag, value, start_mark, end_mark, flow_style=None):
        node.ctag = tag if tag.__class__ is Tag else Tag(suffix=tag)
        node.value = value
        node.start_mark = start_mark
        node.end_mark = end_mark
        node.flow_style = flow_style
        node.comment = None
        node.anchor = None

    class LeanSequenceNode(SequenceNode):
        __slots__ = ()
        __init__ = collection_init

    class LeanMappingNode(MappingNode):
        __slots__ = ()

        def __init__(self, tag, value, start_mark, end_mark, flow_style=None):
            collection_init(self, tag, value, start_mark, end_mark, flow_style)
            self.merge = None

    composer.ScalarNode = LeanScalarNode
    composer.SequenceNode = LeanSequenceNode
    composer.MappingNode = LeanMappingNode
    return LeanScalarNode, LeanSequenceNode


def _compose(text: str) -> list[Any]:
    loader_class = _loader_class()
    if loader_class is None:  # pragma: no cover - without the C extension
        return _compose_pure(text)
    loader = loader_class(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes
    finally:
        loader.dispose()


def _compose_pure(text: str) -> list[Any]:
    import warnings

    from ruamel.yaml import YAML

    with warnings.catch_warnings():
        # An anchor defined again (`&key` on each list item, as onedr0p's home-ops writes) is YAML
        # 1.2, which kubectl reads: the alias takes the latest. ruamel warns on stderr; not ours to say.
        warnings.simplefilter("ignore")
        return list(YAML(typ="safe", pure=True).compose_all(text))


def compose_all(text: str) -> list[Any]:
    """Every document's root node (None for empty documents); raises YamlError with a position."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return _compose(text)
    except MarkedYAMLError as exc:
        # libyaml (the fast path) refuses some YAML that the spec, kubectl and ruamel's pure-Python
        # composer accept, such as `{value: http://otel:4317}` (a colon inside a flow scalar).
        # Only a file both refuse is invalid; its error is the fast path's.
        try:
            return _compose_pure(text)
        except (YAMLError, ValueError, RecursionError):
            pass
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is not None:
            raise YamlError(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
        raise YamlError(f"invalid YAML: {problem}") from None
    except (YAMLError, ValueError, RecursionError) as exc:
        first = str(exc).strip().split("\n", 1)[0] or type(exc).__name__  # ruamel adds `in "<unicode string>"` lines
        raise YamlError(f"invalid YAML: {first}") from None


_SATURATED = 10**12


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def check_expansion(root, max_depth: int = MAX_DEPTH, max_nodes: int | None = None) -> None:
    """Refuse alias bombs and deep nesting before converting anything.

    Each node's expanded size is computed once (memoised by identity), so the check costs the
    number of distinct nodes even when aliases would expand to billions.
    """
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    sizes: dict[int, int] = {}

    def size(node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > max_depth:
            line, column = _mark(node)
            raise YamlError(f"YAML nested deeper than {max_depth} levels; not checked", line, column, "E002")
        total = 1
        if isinstance(node, MappingNode):
            for key, value in node.value:
                total += size(key, depth + 1) + size(value, depth + 1)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
        total = min(total, _SATURATED)  # keep the arithmetic small for bombs
        sizes[id(node)] = total
        return total

    expanded = size(root, 0)
    limit = max_nodes if max_nodes is not None else 100_000 + 4 * len(sizes)
    if expanded > limit:
        raise YamlError(
            f"aliases expand this YAML from {len(sizes)} to more than {limit} nodes (an alias bomb?); not checked",
            *_mark(root),
            "E002",
        )


def _tag(node) -> str | None:
    """The node's tag as a string, without building a new one each time (`node.tag` does)."""
    ctag = node.ctag
    if ctag is None:
        return None
    return ctag.suffix if ctag.handle is None else str(ctag)


def _as_int(value: str) -> Any:
    try:
        text = value.replace("_", "")
        if text.startswith(("0x", "-0x", "+0x")):
            return int(text, 16)
        if text.startswith(("0o", "-0o", "+0o")):
            return int(text, 8)
        return int(text, 10)
    except ValueError:
        return value


def _as_float(value: str) -> Any:
    try:
        return float(value.replace("_", ""))
    except ValueError:
        return value


def _as_bool(value: str) -> bool:
    return value.lower() in ("true", "yes", "on", "y")


_CORE = "tag:yaml.org,2002:"
# Scalar conversions by tag; any other tag (custom, timestamp, binary) keeps the text.
_SCALAR_CONVERSIONS = {"str": None, "null": lambda value: None, "bool": _as_bool, "int": _as_int, "float": _as_float}
_BY_TAG = {f"{_CORE}{name}": convert for name, convert in _SCALAR_CONVERSIONS.items()}


# The loader's own tag objects (they live as long as the process), by id: (tag, conversion).
_CANONICAL_TAGS: dict[int, tuple[str, Any]] = {}


def _conversion(tag: str) -> Any:
    if tag in _BY_TAG:
        return _BY_TAG[tag]
    # Short or unusual spellings of the same tags (`!!int`).
    return next((c for name, c in _SCALAR_CONVERSIONS.items() if tag.endswith(f":{name}")), None)


def _tag_and_conversion(node) -> tuple[str, Any]:
    known = _CANONICAL_TAGS.get(id(node.ctag))
    if known is not None:
        return known
    tag = _tag(node) or ""
    return tag, _conversion(tag)


def _scalar(node) -> Any:
    convert = _tag_and_conversion(node)[1]
    return node.value if convert is None else convert(node.value)


def last_line(node) -> int:
    """The 1-based line a node's text ends on. A scalar's or a flow collection's end mark is just
    past its text; a block collection's is where the next token starts (the next list item's `- `,
    a dedented key, `---`, the end of the stream), so it ends on the line before that: a list item
    never reaches into the next one (whose comments are that item's)."""
    end = node.end_mark
    past_text = node.id == "scalar" or node.flow_style
    return max(end.line + (1 if past_text and end.column > 0 else 0), node.start_mark.line + 1)


class _Converter:
    """Nodes to plain values, recording where each key path's value (and key) was written."""

    def __init__(self, positions: Positions | None, max_depth: int, repeats: list | None = None) -> None:
        self.positions = positions
        self.max_depth = max_depth
        # With a list, a repeated key is noted there (message, line, column) and its last value kept,
        # as Helm and kubectl read it; without one, it is an error.
        self.repeats = repeats

    def convert(self, node, path: tuple, explicit: bool = True) -> Any:
        kind = node.id
        if self.positions is not None:
            self._place(node, path, explicit, kind != "scalar")
        if len(path) > self.max_depth:
            line, column = _mark(node)
            raise YamlError(f"YAML nested deeper than {self.max_depth} levels; not checked", line, column, "E002")
        if kind == "scalar":
            return _scalar(node)
        if kind == "mapping":
            return self._mapping(node, path, explicit)
        return [self.convert(item, (*path, i), explicit) for i, item in enumerate(node.value)]

    def _place(self, node, path: tuple, explicit: bool, collection: bool) -> None:
        """The node's mark (kept when merged in and the path has one), and a collection's last line
        (explicit ones only): written into the table directly, as this runs for every value."""
        positions = self.positions
        assert positions is not None
        mark = node.start_mark
        line = mark.line + 1
        end = 0
        if collection and explicit:
            end = last_line(node)
        rows = positions.rows
        new = len(rows)
        row = rows.setdefault(path, new)
        if row == new:
            positions.table.extend((line, mark.column + 1, 0, 0, end))
            return
        table, at = positions.table, row * WIDTH
        if explicit or not table[at]:
            table[at], table[at + 1] = line, mark.column + 1
        if end:
            table[at + END] = end

    def _mapping(self, node, path: tuple, explicit: bool) -> dict:
        result: dict = {}
        merges = []
        positions = self.positions
        if positions is not None:
            rows, table_extend = positions.rows, positions.table.extend
        scalars_inline = len(path) < self.max_depth
        canonical = _CANONICAL_TAGS
        for key_node, value_node in node.value:
            if key_node.id != "scalar":
                # Never in real configuration: usually a template marker such as `{{ .Values.x }}`.
                raise YamlError(
                    "a mapping or list used as a key (a template marker such as `{{ ... }}`?)", *_mark(key_node)
                )
            key_tag, key_conversion = canonical.get(id(key_node.ctag)) or _tag_and_conversion(key_node)
            if key_tag == MERGE_TAG:
                merges.extend(value_node.value if value_node.id == "sequence" else [value_node])
                continue
            key = key_node.value if key_conversion is None else key_conversion(key_node.value)
            if key.__class__ is not str:
                # Kubernetes and JSON keys are text: `1`, `true` and `1.0` are three keys (Python
                # would take 1 and True for one), each kept as written.
                key = key_node.value
            key_path = (*path, key)
            if key in result:
                first = positions.get(key_path, KEY) if positions is not None else None
                where = f" (first at line {first[0]})" if first else ""
                if self.repeats is None:
                    raise YamlError(f"{DUPLICATE_KEY} '{key}'{where}", *_mark(key_node))
                inside = ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in path)
                where = f" in {inside}" if inside else ""
                self.repeats.append((f"{DUPLICATE_KEY} '{key}'{where}", *_mark(key_node)))
                del result[key]  # the last value, in the last place
            inline = scalars_inline and value_node.id == "scalar"
            if positions is not None:
                # The key's row, written here for most keys (a new path): with a scalar's mark, what
                # convert() does for a scalar without the call; else convert() adds the value's.
                key_mark = key_node.start_mark
                key_line, key_column = key_mark.line + 1, key_mark.column + 1
                if inline:
                    mark = value_node.start_mark
                    line, column = mark.line + 1, mark.column + 1
                else:
                    line = column = 0
                if key_path not in rows:
                    rows[key_path] = len(rows)
                    table_extend((line, column, key_line, key_column, 0))
                else:
                    positions.set(key_path, KEY, key_line, key_column, not explicit)
                    if inline:
                        positions.set(key_path, VALUE, line, column, not explicit)
            if inline:
                convert = (canonical.get(id(value_node.ctag)) or _tag_and_conversion(value_node))[1]
                result[key] = value_node.value if convert is None else convert(value_node.value)
            else:
                result[key] = self.convert(value_node, key_path, explicit)
        # Merge keys (`<<: *defaults`): explicit keys win, earlier merged mappings win over later ones.
        for source in merges:
            if source.id != "mapping":
                continue
            for key, value in self._mapping(source, path, explicit=False).items():
                result.setdefault(key, value)
        return result


def to_python(
    node,
    positions: Positions | None = None,
    max_nodes: int | None = None,
    max_depth: int = MAX_DEPTH,
    aliases: bool = True,
    repeats: list | None = None,
) -> Any:
    """Plain Python values (dicts, lists, scalars); positions, when given, are filled per key path.

    `aliases=False` says the text has no `*`, so no node can appear twice: the expansion check
    is skipped and nesting is bounded during the conversion instead. `repeats`: a list to note
    repeated keys in, the last value kept (else a repeated key is a YamlError).
    """
    if node is None:
        return None
    if aliases or max_nodes is not None:
        check_expansion(node, max_depth, max_nodes)
    return _Converter(positions, max_depth, repeats).convert(node, ())


def documents(text: str, last_wins: bool = False) -> tuple[list[tuple[Any, Any, Positions]], list[ParseProblem]]:
    """Every non-empty document as (node, value, positions); a document that fails to convert is a
    problem and the others are kept. `last_wins`: a repeated key is a problem, and its document is
    kept with the key's last value (as Helm and kubectl read it)."""
    try:
        nodes = compose_all(text)
    except YamlError as exc:
        if exc.code == "E001" and text.lstrip().startswith(("{", "[")):
            return _json_stream(text)
        return [], [ParseProblem(exc.code, exc.message, exc.line, exc.column)]
    return _converted(nodes, text, last_wins)


def _converted(
    nodes: list[Any], text: str, last_wins: bool = False
) -> tuple[list[tuple[Any, Any, Positions]], list[ParseProblem]]:
    found, problems = [], []
    for node in nodes:
        if node is None:
            continue
        positions = Positions({}, {})
        repeats: list | None = [] if last_wins else None
        try:
            found.append((node, to_python(node, positions, aliases="*" in text, repeats=repeats), positions))
        except YamlError as exc:
            problems.append(ParseProblem(exc.code, exc.message, exc.line, exc.column))
        problems += [ParseProblem("E001", message, line, column) for message, line, column in repeats or ()]
    return found, problems


def _json_stream(text: str) -> tuple[list[tuple[Any, Any, Positions]], list[ParseProblem]]:
    """JSON values one after another (`kubectl get -o json` output concatenated), as kubectl reads
    them. Each value is composed on its own, padded to its line and column so positions stay
    those of the file; an error is described as JSON, never as YAML."""
    import json

    decoder = json.JSONDecoder()
    found: list[tuple[Any, Any, Positions]] = []
    problems: list[ParseProblem] = []
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position >= len(text):
            break
        try:
            _, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            problems.append(ParseProblem("E001", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno))
            break
        line = text.count("\n", 0, position)
        column = position - (text.rfind("\n", 0, position) + 1)
        try:
            nodes = compose_all("\n" * line + " " * column + text[position:end])
        except YamlError as exc:
            problems.append(ParseProblem(exc.code, exc.message, exc.line, exc.column))
        else:
            more, trouble = _converted(nodes, text)
            found.extend(more)
            problems.extend(trouble)
        position = end
    return found, problems


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
