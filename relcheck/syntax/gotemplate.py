"""What Prometheus asks of an alert's label and annotation templates before it loads a rule file.

Prometheus parses every label value and annotation as a Go `text/template` (with `$labels`,
`$externalLabels`, `$externalURL` and `$value` defined) and refuses the file when one does not
parse: an action left open, a block without its `{{ end }}`, a variable never defined, a function
it does not know. No Python library parses Go templates, so this is the small subset of Go's
template lexer and parser those refusals need; anything it does not understand it lets through.
"""

from __future__ import annotations

import re

# Go's builtins (text/template) and the functions Prometheus adds for alert templates.
FUNCTIONS = frozenset(
    {
        "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println",
        "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
        "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title",
        "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel", "stripPort", "stripDomain", "humanize",
        "humanize1024", "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "toDuration",
        "now", "pathPrefix", "externalURL", "parseDuration",
    }
)  # fmt: skip
KEYWORDS = frozenset({"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"})
CONSTANTS = frozenset({"nil", "true", "false"})
OPENS_BLOCK = frozenset({"if", "range", "with", "define", "block"})
# The variables Prometheus defines ahead of every alert template (rulefmt's template test).
PREDEFINED = frozenset({"$", "$labels", "$externalLabels", "$externalURL", "$value"})

_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<raw>`[^`]*`)
    |(?P<char>'(?:[^'\\\n]|\\.)+')
    |(?P<declare>:=|=)
    |(?P<variable>\$[A-Za-z0-9_]*)
    |(?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
    |(?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+)i?)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<punct>[|(),])""",
    re.VERBOSE,
)


def template_problem(text: str, defined: frozenset[str] = PREDEFINED) -> str | None:
    """Why Prometheus would refuse `text` as an alert template, or None when it parses."""
    if "{{" not in text:
        return None
    variables = set(defined)
    depth = 0
    position = 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            break
        inner_start = start + 2
        if text.startswith("/*", inner_start) or text.startswith("- /*", inner_start):
            close = text.find("*/", inner_start)
            end = text.find("}}", close + 2) if close >= 0 else -1
            if close < 0 or end < 0:
                return "a template comment `{{/* … */}}` is never closed"
            position = end + 2
            continue
        tokens, end = _action(text, inner_start)
        if tokens is None:
            return f"the action opened at `{_excerpt(text, start)}` is never closed with `}}}}`"
        position = end
        problem, depth = _check_action(tokens, variables, depth)
        if problem is not None:
            return problem
    if depth > 0:
        return "a block (`{{ if }}`, `{{ range }}` or `{{ with }}`) has no `{{ end }}`"
    return None


def _excerpt(text: str, start: int) -> str:
    return text[start : start + 24].replace("\n", " ")


def _action(text: str, start: int) -> tuple[list[tuple[str, str]] | None, int]:
    """The tokens of the action starting at `start` (after `{{`), and where it ends (after `}}`)."""
    tokens: list[tuple[str, str]] = []
    position = start
    if text.startswith("- ", position):
        position += 2
    while position < len(text):
        if text.startswith("}}", position):
            return tokens, position + 2
        if text.startswith(" -}}", position):
            return tokens, position + 4
        match = _TOKEN.match(text, position)
        if match is None:
            tokens.append(("other", text[position]))
            position += 1
            continue
        kind = match.lastgroup or "other"
        if kind != "space":
            tokens.append((kind, match.group()))
        position = match.end()
    return None, position


def _check_action(tokens: list[tuple[str, str]], variables: set[str], depth: int) -> tuple[str | None, int]:
    if not tokens:
        return "an empty action `{{ }}`", depth
    first = tokens[0][1] if tokens[0][0] == "ident" else ""
    if first in OPENS_BLOCK:
        depth += 1
    elif first == "end":
        if depth == 0:
            return "`{{ end }}` without an `{{ if }}`, `{{ range }}` or `{{ with }}` to close", depth
        depth -= 1
    elif first == "else" and depth == 0:
        return "`{{ else }}` outside an `{{ if }}`, `{{ range }}` or `{{ with }}`", depth
    parens = 0
    skip_name = first in ("template", "define", "block")
    for index, (kind, value) in enumerate(tokens):
        following = tokens[index + 1][0] if index + 1 < len(tokens) else ""
        if kind == "punct" and value == "(":
            parens += 1
        elif kind == "punct" and value == ")":
            parens -= 1
            if parens < 0:
                return "unbalanced `)` in an action", depth
        elif kind == "variable":
            if following == "declare" or (following == "punct" and _declares_after_comma(tokens, index)):
                variables.add(value)
            elif value.split(".", 1)[0] not in variables:
                return (
                    f'undefined variable "{value}" (Prometheus defines $labels, $value, $externalLabels '
                    "and $externalURL)",
                    depth,
                )
        elif kind == "ident" and value not in KEYWORDS and value not in CONSTANTS and value not in FUNCTIONS:
            if skip_name:
                continue
            return f'function "{value}" not defined (not a Go template builtin nor a Prometheus function)', depth
    if parens != 0:
        return "unbalanced `(` in an action", depth
    return None, depth


def _declares_after_comma(tokens: list[tuple[str, str]], index: int) -> bool:
    """`range $i, $e := …` declares both variables."""
    rest = tokens[index + 1 :]
    return len(rest) >= 3 and rest[0] == ("punct", ",") and rest[1][0] == "variable" and rest[2][0] == "declare"
