"""PromQL through promql-parser, within bounds: its time grows faster than linearly with the length
of an expression (30 KB took 7 s here) and a very deep one overflows its stack and kills the process.
Real alert expressions are a few hundred characters; longer ones are not parsed."""

from __future__ import annotations

from typing import Any

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
