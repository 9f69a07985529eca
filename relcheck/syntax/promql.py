"""PromQL through promql-parser, within bounds: its time grows faster than linearly with the length
of an expression (30 KB took 7 s here) and a very deep one overflows its stack and kills the process.
Real alert expressions are a few hundred characters; longer ones are not parsed."""

from __future__ import annotations

import re
from typing import Any

from relcheck.artifacts.alerts import Expression

MAX_EXPRESSION_CHARS = 8 * 1024


def too_large(expr: Any) -> bool:
    return isinstance(expr, str) and len(expr) > MAX_EXPRESSION_CHARS


def parse(expr: Any) -> tuple[Any, str | None]:
    """(syntax tree, None) or (None, the parser's message); (None, None) for an expression not parsed."""
    import promql_parser

    if too_large(expr):
        return None, None
    try:
        return promql_parser.parse(str(expr)), None
    except ValueError as exc:
        return None, str(exc)


def skipped_message(expr: str) -> str:
    return (
        f"PromQL expression of {len(expr):,} characters not checked (over {MAX_EXPRESSION_CHARS:,}; a very long "
        "expression can crash the PromQL parser)"
    )


def analyse(expr: Any) -> Expression | None:
    """None for a value that is not an expression (a mapping, a list, a boolean) or one too long
    to parse (E002 reports it)."""
    if not isinstance(expr, (str, int, float)) or isinstance(expr, bool):
        return None
    tree, error = parse(expr)
    if tree is None:
        return Expression(error=error) if error is not None else None
    names, selectors = _selected(tree)
    return Expression(metric_names=names, reads_series=selectors > 0, counts_events=_counts_events(tree))


# Functions that count what happened in a window: their value is already about the whole window.
_EVENT_COUNTS = frozenset({"increase", "changes", "resets", "delta"})
_COMPARISONS = frozenset({">", ">=", "<", "<=", "==", "!="})


def _counts_events(tree: Any) -> bool:
    """Whether the condition (the left side of a top-level `and`/`unless`; each side of an `or`)
    compares a count of events in a window, aggregated or not, with a number:
    `sum(increase(x[5m])) > 0`."""
    import promql_parser as promql

    node = _unwrapped(tree)
    while type(node) is promql.BinaryExpr and str(node.op) in ("and", "unless"):
        node = _unwrapped(node.lhs)
    if type(node) is promql.BinaryExpr and str(node.op) == "or":
        return _counts_events(node.lhs) and _counts_events(node.rhs)
    if type(node) is not promql.BinaryExpr or str(node.op) not in _COMPARISONS:
        return False
    lhs, rhs = _unwrapped(node.lhs), _unwrapped(node.rhs)
    counted, number = (lhs, rhs) if type(rhs) is promql.NumberLiteral else (rhs, lhs)
    if type(number) is not promql.NumberLiteral:
        return False
    # An age under a number (`uptime < 60`, `60 > uptime`): the start is the event, the number its window.
    under = str(node.op) in ("<", "<=") if counted is lhs else str(node.op) in (">", ">=")
    return _event_count(counted) or (under and _age(counted))


_STARTED_AT = re.compile(r"(?:start|boot)_time")


def _age(node: Any) -> bool:
    """How long something has run: an uptime gauge (Asterisk's `asterisk_core_uptime_seconds`), or
    the time since a start or boot timestamp (`time() - process_start_time_seconds`), aggregated or not."""
    import promql_parser as promql

    node = _unwrapped(node)
    while type(node) is promql.AggregateExpr:
        node = _unwrapped(node.expr)
    if type(node) is promql.VectorSelector:
        return "uptime" in (node.name or "")
    if type(node) is promql.BinaryExpr and str(node.op) == "-":
        started = _unwrapped(node.rhs)
        while type(started) is promql.AggregateExpr:
            started = _unwrapped(started.expr)
        return type(started) is promql.VectorSelector and bool(_STARTED_AT.search(started.name or ""))
    return False


def _event_count(node: Any) -> bool:
    """A count of events in a window, aggregated or not, or joined with an info metric for its
    labels (`increase(x[5m]) * on (instance) group_left(cluster) max by (instance, cluster) (y_info)`:
    an info metric's value is 1, so the product is the count)."""
    import promql_parser as promql

    node = _unwrapped(node)
    while type(node) is promql.AggregateExpr:
        node = _unwrapped(node.expr)
    if type(node) is promql.BinaryExpr:
        if str(node.op) == "*":
            lhs, rhs = node.lhs, node.rhs
            return (_event_count(lhs) and _only_info(rhs)) or (_only_info(lhs) and _event_count(rhs))
        return _change_since(node)
    return (
        type(node) is promql.Call
        and node.func.name in _EVENT_COUNTS
        and bool(node.args)
        and type(node.args[0]) in (promql.MatrixSelector, promql.SubqueryExpr)
    )


def _only_info(node: Any) -> bool:
    """Whether the expression reads info metrics only (`*_info`, whose value is 1 by convention)."""
    names, _ = _selected(node)
    return bool(names) and all(name.endswith("_info") for name in names)


def _change_since(node: Any) -> bool:
    """`x - x offset 10m`: what `delta(x[10m])` counts, written by hand (a home-ops' OOMKilled alert:
    `kube_pod_container_status_restarts_total - kube_pod_container_status_restarts_total offset 10m >= 1`)."""
    import promql_parser as promql

    if str(node.op) != "-":
        return False
    now, before = _unwrapped(node.lhs), _unwrapped(node.rhs)
    if type(now) is not promql.VectorSelector or type(before) is not promql.VectorSelector:
        return False
    return (
        now.offset is None
        and before.offset is not None
        and now.name == before.name
        and str(now.matchers) == str(before.matchers)
    )


def _unwrapped(node: Any) -> Any:
    import promql_parser as promql

    while type(node) is promql.ParenExpr:
        node = node.expr
    return node


def _selected(tree: Any) -> tuple[tuple[str, ...], int]:
    """The metric names the expression selects, in the order they are written, and how many
    selectors it has (a selector may name no metric: `{job="api"}`).

    The tree is walked here rather than with promql_parser.walk(), which rebuilds every node it
    hands to its callback (a twentieth of the cost for a typical alert expression).
    """
    import promql_parser as promql

    names: dict[str, None] = {}
    selectors = 0
    pending = [tree]
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is promql.VectorSelector:
            selectors += 1
            name = node.name
            if not name:
                matchers = getattr(node.matchers, "matchers", [])
                name = next((m.value for m in matchers if m.name == "__name__"), None)
            if name:
                names[name] = None
        elif kind is promql.BinaryExpr:
            pending += (node.rhs, node.lhs)
        elif kind is promql.AggregateExpr:
            pending += (node.expr, node.param) if node.param is not None else (node.expr,)
        elif kind is promql.Call:
            pending += reversed(node.args)
        elif kind is promql.MatrixSelector:
            pending.append(node.vector_selector)
        elif kind is promql.ParenExpr or kind is promql.UnaryExpr or kind is promql.SubqueryExpr:
            pending.append(node.expr)
    return tuple(names), selectors
