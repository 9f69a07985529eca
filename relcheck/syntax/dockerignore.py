""".dockerignore patterns, matched the way Docker's pattern matcher does (last match wins, `!` re-includes)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from relcheck.syntax.saferegex import PatternTimeout, UnsafePattern, compile_pattern


@dataclass(frozen=True)
class IgnorePattern:
    regex: Any  # matched within a time limit: the repository writes it
    negated: bool
    text: str


def parse_dockerignore(text: str) -> list[IgnorePattern]:
    patterns = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:].strip()
        cleaned = line.lstrip("/")
        while cleaned.startswith("./"):
            cleaned = cleaned[2:]
        cleaned = cleaned.rstrip("/")
        if not cleaned:
            continue
        patterns.append(IgnorePattern(_translate(cleaned), negated, raw.strip()))
    return patterns


@functools.lru_cache(maxsize=1024)
def _translate(pattern: str) -> re.Pattern[str]:
    # Cached: a monorepo's .dockerignore files mostly repeat the same few patterns.
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("^"):
                    body = "!" + body[1:]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end + 1
                continue
        else:
            out.append(re.escape(char))
        i += 1
    # The repository writes these patterns: matched within a time limit (relcheck.syntax.saferegex).
    try:
        return compile_pattern("^" + "".join(out) + "$")
    except UnsafePattern:
        return compile_pattern("^" + re.escape(pattern) + "$")  # a malformed class such as `[]`: match it literally


def _matches(pattern: IgnorePattern, path: str) -> bool:
    try:
        return pattern.regex.match(path) is not None
    except PatternTimeout:  # a pattern that backtracks without end leaves nothing out: the file counts
        return False


def is_excluded(patterns: list[IgnorePattern], path: str) -> bool:
    """Whether `path` (relative to the build context) is left out of the context."""
    excluded = False
    parts = path.split("/")
    for pattern in patterns:
        # A pattern that matches a parent directory covers everything below it.
        hit = any(_matches(pattern, "/".join(parts[: n + 1])) for n in range(len(parts)))
        if hit:
            excluded = not pattern.negated
    return excluded


def excludes_directory(patterns: list[IgnorePattern], name: str) -> bool:
    """A directory counts as excluded when it, or everything in it, is left out."""
    return is_excluded(patterns, name) or is_excluded(patterns, f"{name}/any-file")
