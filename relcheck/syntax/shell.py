"""A start script's last step, read with tree-sitter's Bash grammar: which command the shell runs
last, through `if` blocks, `case` blocks and the script's own functions (docker-library's
entrypoints end in `if ! _is_sourced; then _main "$@"; fi`, and `_main` ends in `exec "$@"`;
docker-zulip's ends in `case "$1" in app:run) appRun ;; ... esac`, and `appRun` in `exec supervisord`)."""

from __future__ import annotations

import fnmatch
import functools
from typing import Any

# A function that calls itself, or a chain of them, is followed this far.
_MAX_DEPTH = 8
# Statements that only wrap a command: `exec server 2>&1`.
_WRAPPERS = frozenset({"redirected_statement"})


@functools.lru_cache(maxsize=1)
def _parser():
    import tree_sitter_bash as grammar
    from tree_sitter import Language, Parser

    return Parser(Language(grammar.language()))


# How a script names its first argument in a `case`: `case "$1" in`.
_FIRST_ARGUMENT = frozenset({"$1", '"$1"', "${1}", '"${1}"'})


def last_steps(text: str, args: list[str] | None = None) -> list[str] | None:
    """The text of the command the script runs last (the one that may `exec` the service), one for
    each branch of an `if` or a `case` it ends in; None when one of them is not a single command (a
    pipeline, a list, a loop). `args`: the script's arguments, where known; a `case` on the first
    one then takes the branch its pattern picks."""
    root = _parser().parse(text.encode("utf-8", "replace")).root_node
    functions = {
        name.text.decode("utf-8", "replace"): body
        for node in root.named_children
        if node.type == "function_definition"
        and (name := node.child_by_field_name("name")) is not None
        and (body := node.child_by_field_name("body")) is not None
    }
    return _last_of(root, functions, 0, args)


def _statements(node: Any) -> list[Any]:
    return [child for child in node.named_children if child.type not in ("comment", "function_definition")]


def _last_of(block: Any, functions: dict[str, Any], depth: int, args: list[str] | None = None) -> list[str] | None:
    statements = _statements(block)
    return _step(statements[-1], functions, depth, args) if statements else None


def _step(node: Any, functions: dict[str, Any], depth: int, args: list[str] | None = None) -> list[str] | None:
    if depth > _MAX_DEPTH:
        return None
    while node.type in _WRAPPERS and node.named_children:
        node = node.named_children[0]
    if node.type == "if_statement":
        return _if_step(node, functions, depth)
    if node.type == "case_statement":
        return _case_step(node, functions, depth, args)
    if node.type != "command":
        return None
    name = node.child_by_field_name("name")
    called = name.text.decode("utf-8", "replace") if name is not None else ""
    body = functions.get(called)
    if body is not None:
        return _last_of(body, functions, depth + 1)
    return [node.text.decode("utf-8", "replace")]


def _if_step(node: Any, functions: dict[str, Any], depth: int) -> list[str] | None:
    """The last steps of an `if`'s branches. With no `else`, the script ends when the condition
    fails and nothing is left to run as PID 1: the `then` branch decides."""
    found: list[str] = []
    for body in _branches(node):
        steps = _step(body[-1], functions, depth + 1) if body else None
        if steps is None:
            return None
        found += steps
    return found


def _case_step(node: Any, functions: dict[str, Any], depth: int, args: list[str] | None) -> list[str] | None:
    """The last steps of a `case`'s branches; on the script's first argument, when it is known,
    of the branch whose pattern matches it (the first, as the shell takes). None when no branch
    matches: the script ends with nothing run last."""
    items = [child for child in node.named_children if child.type == "case_item"]
    value = node.child_by_field_name("value")
    subject = value.text.decode("utf-8", "replace") if value is not None else ""
    if subject in _FIRST_ARGUMENT and args:
        items = [item for item in items if any(fnmatch.fnmatchcase(args[0], p) for p in _patterns(item))][:1]
    found: list[str] = []
    for item in items:
        patterns = {p.id for p in _pattern_nodes(item)}
        body = [child for child in _statements(item) if child.id not in patterns]
        steps = _step(body[-1], functions, depth + 1) if body else None
        if steps is None:
            return None
        found += steps
    return found or None


def _pattern_nodes(item: Any) -> list[Any]:
    return item.children_by_field_name("value")


def _patterns(item: Any) -> list[str]:
    return [p.text.decode("utf-8", "replace").strip("\"'") for p in _pattern_nodes(item)]


def _branches(node: Any) -> list[list[Any]]:
    """The statements of each branch of an `if_statement`: `then`, each `elif`, `else`."""
    found = [_branch_body(node)]
    found += [_branch_body(clause) for clause in node.named_children if clause.type in ("elif_clause", "else_clause")]
    return found


def _branch_body(node: Any) -> list[Any]:
    conditions = {child.id for child in node.children_by_field_name("condition")}
    return [
        child
        for child in _statements(node)
        if child.id not in conditions and child.type not in ("elif_clause", "else_clause")
    ]
