"""JavaScript and TypeScript as syntax trees (tree-sitter): parsed, never executed.

Literal values (objects, arrays, strings, numbers, booleans, `const` names bound to literals) are
converted to Python values with their positions; anything else (`process.env.X || 2`, calls,
spreads) becomes UNKNOWN, so that rules can stay quiet instead of guessing.
"""

from __future__ import annotations

import functools
import posixpath
from typing import Any

from relcheck.model import ParseProblem
from relcheck.syntax.jsvalues import UNKNOWN, JsArray, JsObject, _Unknown
from relcheck.syntax.positions import END, KEY, VALUE, Positions

MINIFIED = "minified or generated code"
# A line longer than this means minified or generated code: not worth a syntax tree.
MAX_LINE_LENGTH = 5_000
MAX_DEPTH = 100


@functools.lru_cache(maxsize=4)
def language(dialect: str):
    """The grammar for a dialect, loaded once per process."""
    from tree_sitter import Language

    if dialect == "typescript":
        import tree_sitter_typescript as grammar

        return Language(grammar.language_typescript())
    if dialect == "tsx":
        import tree_sitter_typescript as grammar

        return Language(grammar.language_tsx())
    import tree_sitter_javascript as grammar

    return Language(grammar.language())


@functools.lru_cache(maxsize=4)
def _parser(dialect: str):
    from tree_sitter import Parser

    return Parser(language(dialect))


@functools.lru_cache(maxsize=16)
def node_query(dialect: str, node_types: tuple[str, ...]):
    """A query capturing every node of the given types, so a tree is searched in C, not walked
    node by node in Python."""
    from tree_sitter import Query

    return Query(language(dialect), "[" + " ".join(f"({t})" for t in node_types) + "] @node")


def nodes_of_types(tree, dialect: str, node_types: tuple[str, ...]) -> list:
    """The tree's nodes of these types, in document order (outer before inner)."""
    query = node_query(dialect, node_types)
    try:
        from tree_sitter import QueryCursor
    except ImportError:  # tree-sitter 0.23 and 0.24 (the last with wheels for musl on aarch64)
        captures = query.captures(tree.root_node)
    else:
        captures = QueryCursor(query).captures(tree.root_node)
    found = captures.get("node", [])
    return sorted(found, key=lambda node: (node.start_byte, -node.end_byte))


def dialect_for(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".tsx"):
        return "tsx"
    if lower.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"


def minified(text: str) -> bool:
    return any(len(line) > MAX_LINE_LENGTH for line in text.split("\n"))


def parse(path: str, text: str) -> tuple[Any, ParseProblem | None]:
    """The syntax tree, or a problem: E001 at the first syntax error, E002 for minified code."""
    tree, _, problem = parse_in_dialect(path, text)
    return tree, problem


# JavaScript with type annotations that Babel strips before it runs (Flow: `import type`,
# `function f(x: string): T`) is read by the TypeScript grammars when the JavaScript one cannot.
_TYPED_DIALECTS = ("typescript", "tsx")


def parse_in_dialect(path: str, text: str) -> tuple[Any, str, ParseProblem | None]:
    """As `parse`, with the dialect whose grammar made the tree (queries on it need that grammar)."""
    dialect = dialect_for(path)
    if minified(text):
        return None, dialect, ParseProblem("E002", f"{MINIFIED} (a line over 5,000 characters); skipped")
    source = text.encode("utf-8")
    tree = _parser(dialect).parse(source)
    if tree.root_node.has_error and dialect == "javascript":
        for typed in _TYPED_DIALECTS:
            retried = _parser(typed).parse(source)
            if not retried.root_node.has_error:
                return retried, typed, None
    if tree.root_node.has_error:
        node, what = _first_error(tree.root_node)
        line, column = node.start_point.row + 1, node.start_point.column + 1
        return tree, dialect, ParseProblem("E001", f"JavaScript/TypeScript syntax error: {what}", line, column)
    return tree, dialect, None


_PAIRS = {"{": "}", "[": "]", "(": ")"}


def _first_error(root) -> tuple[Any, str]:
    """Where the parser gave up, and how to say it: an unclosed bracket, a missing token, or the
    innermost piece of code it could not fit."""
    node = root
    while True:
        for child in node.children:
            if child.is_missing:
                return child, f"missing '{child.type}'"
            if child.type == "ERROR":
                opener = _unclosed(child)
                if opener is not None:
                    return opener, f"unclosed '{opener.type}'"
                inner = next((c for c in child.children if c.type == "ERROR" or c.has_error), None)
                if inner is None:
                    snippet = text_of(child).split("\n", 1)[0][:40].strip()
                    return child, f"unexpected '{snippet}'" if snippet else "unexpected syntax"
                node = child
                break
            if child.has_error:
                node = child
                break
        else:
            return node, "unexpected syntax"


def _unclosed(error_node):
    """The first opening bracket among a node's direct children that none of them closes."""
    stack = []
    for child in error_node.children:
        if child.type in _PAIRS:
            stack.append(child)
        elif stack and child.type == _PAIRS[stack[-1].type]:
            stack.pop()
    return stack[0] if stack else None


def point(node) -> tuple[int, int]:
    return node.start_point.row + 1, node.start_point.column + 1


def text_of(node) -> str:
    return node.text.decode("utf-8", "replace")


def string_value(node) -> str | None:
    """A string literal's value; template strings only without substitutions."""
    if node.type == "string":
        parts = []
        for child in node.named_children:
            if child.type == "string_fragment":
                parts.append(text_of(child))
            elif child.type == "escape_sequence":
                parts.append(_unescape(text_of(child)))
        return "".join(parts)
    if node.type == "template_string":
        if any(child.type == "template_substitution" for child in node.named_children):
            return None
        return text_of(node)[1:-1]
    return None


_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(escape: str) -> str:
    """A JavaScript escape sequence: \\n, \\xHH, \\uHHHH, \\u{H...}; any other escaped character is itself."""
    body = escape[1:]
    if body[:1] in _SIMPLE_ESCAPES and len(body) == 1:
        return _SIMPLE_ESCAPES[body]
    try:
        if body.startswith("u{") and body.endswith("}"):
            return chr(int(body[2:-1], 16))
        if body[:1] in ("x", "u") and len(body) in (3, 5):
            return chr(int(body[1:], 16))
    except (ValueError, OverflowError):  # not hex, or past the last code point
        return body
    return "" if body.startswith(("\n", "\r")) else body  # a line continuation, or `\\i` meaning `i`


def _number(text: str) -> int | float | _Unknown:
    cleaned = text.replace("_", "").lower()
    try:
        if cleaned.startswith("0x"):
            return int(cleaned, 16)
        if cleaned.startswith("0o"):
            return int(cleaned, 8)
        if cleaned.startswith("0b"):
            return int(cleaned, 2)
        if cleaned.endswith("n"):
            return int(cleaned[:-1])
        value = float(cleaned)
        return int(value) if value.is_integer() and "." not in cleaned and "e" not in cleaned else value
    except ValueError:
        return UNKNOWN


def property_key(node) -> str | None:
    if node.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
        return text_of(node)
    if node.type == "string":
        return string_value(node)
    if node.type == "number":
        return text_of(node)
    return None  # computed keys: [expr]


def top_level_consts(root) -> dict[str, Any]:
    """`const name = <node>` at the top level of a module (the nodes, converted on use)."""
    consts: dict[str, Any] = {}
    for statement in root.named_children:
        declaration = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration") or statement
        if declaration.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in declaration.named_children:
            if declarator.type != "variable_declarator":
                continue
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if name is not None and value is not None and name.type == "identifier":
                consts[text_of(name)] = value
    return consts


# `__dirname`, the folder of the file being read, as the start of a relative path.
HERE = "."
_PATH_CALLS = frozenset({"path.join", "path.resolve", "path.posix.join", "path.posix.resolve"})


class Converter:
    """Literal JavaScript values to Python, recording positions under key paths."""

    def __init__(self, consts: dict[str, Any] | None = None, positions: Positions | None = None) -> None:
        self.consts = consts or {}
        self.positions = positions if positions is not None else Positions({}, {})
        self._resolving: set[str] = set()

    def convert(self, node, path: tuple = (), depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            return UNKNOWN
        self.positions.set(path, VALUE, *point(node), only_new=True)
        kind = node.type
        if kind in ("object", "array"):  # its last line: suppression comments inside it apply to it
            self.positions.set(path, END, node.end_point.row + 1, only_new=True)
        if kind in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"):
            inner = node.named_children[0] if node.named_children else None
            return self.convert(inner, path, depth + 1) if inner is not None else UNKNOWN
        if kind == "object":
            return self._object(node, path, depth)
        if kind == "array":
            result = JsArray()
            for child in node.named_children:
                if child.type == "spread_element":
                    result.open = True
                    continue
                result.append(self.convert(child, (*path, len(result)), depth + 1))
            return result
        if kind in ("string", "template_string"):
            value = string_value(node)
            if value is None and kind == "template_string":
                return self._template(node, path, depth)
            return UNKNOWN if value is None else value
        if kind == "call_expression":
            return self._path_call(node, path, depth)
        if kind == "binary_expression":
            return self._concatenation(node, path, depth)
        if kind == "number":
            return _number(text_of(node))
        if kind in ("true", "false"):
            return kind == "true"
        if kind in ("null", "undefined"):
            return None
        if kind == "unary_expression":
            operand = node.child_by_field_name("argument")
            operator = node.child_by_field_name("operator")
            value = self.convert(operand, path, depth + 1) if operand is not None else UNKNOWN
            if operator is not None and text_of(operator) == "-" and isinstance(value, (int, float)):
                return -value
            return UNKNOWN
        if kind == "identifier":
            return self.resolve(text_of(node), path, depth)
        return UNKNOWN

    def resolve(self, name: str, path: tuple, depth: int) -> Any:
        if name == "undefined":
            return None
        if name == "__dirname":
            return HERE  # the folder of the file: paths built on it are relative to it
        target = self.consts.get(name)
        if target is None or name in self._resolving:
            return UNKNOWN
        self._resolving.add(name)
        try:
            return self.convert(target, path, depth + 1)
        finally:
            self._resolving.discard(name)

    def _path_call(self, node, path: tuple, depth: int) -> Any:
        """`path.join(__dirname, 'src', 'app.js')` and `path.resolve(...)` on known strings, as a
        path relative to the file's folder (`src/app.js`); a PM2 file names its scripts so."""
        function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        callee = "".join(text_of(function).split()) if function is not None else ""
        if callee not in _PATH_CALLS or arguments is None:
            return UNKNOWN
        parts = [self.convert(a, path, depth + 1) for a in arguments.named_children]
        if not parts or not all(isinstance(part, str) for part in parts):
            return UNKNOWN
        if callee.endswith("resolve"):
            start = max((i for i, part in enumerate(parts) if part.startswith("/") or part == HERE), default=None)
            if start is None:
                return UNKNOWN  # relative to the process's working folder, which is not known here
            parts = parts[start:]
        return posixpath.normpath(posixpath.join(*parts))

    def _template(self, node, path: tuple, depth: int) -> Any:
        """A template string whose substitutions are known strings or numbers (`${__dirname}/app.js`)."""
        raw, base = node.text, node.start_byte
        pieces, start = [], 1  # after the opening backtick
        for child in node.named_children:
            if child.type != "template_substitution":
                continue
            pieces.append(raw[start : child.start_byte - base].decode("utf-8", "replace"))
            inner = child.named_children[0] if child.named_children else None
            value = self.convert(inner, path, depth + 1) if inner is not None else UNKNOWN
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                return UNKNOWN
            pieces.append(str(value))
            start = child.end_byte - base
        pieces.append(raw[start:-1].decode("utf-8", "replace"))
        text = "".join(pieces)
        return posixpath.normpath(text) if text.startswith(f"{HERE}/") else text

    def _concatenation(self, node, path: tuple, depth: int) -> Any:
        """`__dirname + '/app.js'`, `'--max-old-space-size=' + 512`: strings joined with `+`."""
        operator = node.child_by_field_name("operator")
        if operator is None or text_of(operator) != "+":
            return UNKNOWN
        left = self.convert(node.child_by_field_name("left"), path, depth + 1)
        right = self.convert(node.child_by_field_name("right"), path, depth + 1)
        if not (isinstance(left, str) or isinstance(right, str)):
            return UNKNOWN  # a sum of numbers is not read
        if any(isinstance(v, bool) or not isinstance(v, (str, int, float)) for v in (left, right)):
            return UNKNOWN
        text = f"{left}{right}"
        return posixpath.normpath(text) if left == HERE and text.startswith(f"{HERE}/") else text

    def _object(self, node, path: tuple, depth: int) -> JsObject:
        result = JsObject()
        for child in node.named_children:
            if child.type == "pair":
                key_node, value_node = child.child_by_field_name("key"), child.child_by_field_name("value")
                key = property_key(key_node) if key_node is not None else None
                if key is None or value_node is None:
                    result.open = True
                    continue
                self.positions.set((*path, key), KEY, *point(key_node))
                result[key] = self.convert(value_node, (*path, key), depth + 1)
            elif child.type == "shorthand_property_identifier":
                key = text_of(child)
                self.positions.set((*path, key), KEY, *point(child))
                result[key] = self.resolve(key, (*path, key), depth)
            elif child.type == "method_definition":
                name = child.child_by_field_name("name")
                key = property_key(name) if name is not None else None
                if key is None:
                    result.open = True
                else:
                    self.positions.set((*path, key), KEY, *point(name))
                    result[key] = UNKNOWN
            elif child.type in ("spread_element", "ERROR"):
                result.open = True
        return result
