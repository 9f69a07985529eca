"""Regular expressions written by the scanned repository, matched within a time limit.

A pattern from a custom rule, a `.gitignore`, a `.dockerignore` or the config's globs is the
repository's, so it may be written to hang a backtracking engine (`(a|a)*$` on a long name, or a glob
of fifteen stars). Python's `re` cannot be interrupted mid-match; the `regex` module can, and ships
wheels for every platform pip installs on (RE2's binding has none for musl, so Alpine could not
install relcheck). Every match of a repository's pattern runs with a time limit; a pattern that
once runs out of time is not run again: the caller is told (`PatternTimeout`), or, for globs, the
pattern matches nothing, so the file it would have left out is read.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_PATTERN_LENGTH = 4096
# Far above any honest pattern on a path or a manifest value (microseconds), far below a hang.
MATCH_SECONDS = 0.25


class UnsafePattern(ValueError):
    """A pattern that cannot be compiled (or one too long); the message says why."""


class PatternTimeout(ValueError):
    """A pattern ran out of time on a text: it backtracks without end, and is not run again."""


class TimedPattern:
    """A compiled pattern whose every match is bounded in time."""

    __slots__ = ("_compiled", "source", "timed_out")

    def __init__(self, source: str, compiled: Any) -> None:
        self.source = source
        self._compiled = compiled
        self.timed_out = False

    @property
    def pattern(self) -> str:
        return self.source

    def search(self, text: str) -> Any:
        return self._run(self._compiled.search, text)

    def match(self, text: str) -> Any:
        return self._run(self._compiled.match, text)

    def _run(self, method: Any, text: str) -> Any:
        if not self.timed_out:
            try:
                return method(text, timeout=MATCH_SECONDS)
            except TimeoutError:
                self.timed_out = True
        raise PatternTimeout(
            f"pattern {self.source!r} ran over {MATCH_SECONDS} s on a text of {len(text):,} characters "
            "(it backtracks without end); it is not used"
        )


@functools.lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> TimedPattern:
    """`pattern` compiled for matching within a time limit; raises UnsafePattern."""
    import regex

    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePattern(f"pattern of {len(pattern)} characters, over {MAX_PATTERN_LENGTH}")
    try:
        return TimedPattern(pattern, regex.compile(pattern, regex.VERSION0))
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise UnsafePattern(f"not a regular expression: {exc}") from None


def search(pattern: str, text: str) -> bool:
    """Whether `pattern` occurs in `text`; raises UnsafePattern or PatternTimeout."""
    return compile_pattern(pattern).search(text) is not None


class _GlobRegex:
    """Stands in for the `re` pattern pathspec compiled from a glob: the same expression, run by
    `regex` within the time limit. A glob that runs out of time matches nothing from then on."""

    __slots__ = ("_timed",)

    def __init__(self, timed: TimedPattern) -> None:
        self._timed = timed

    @property
    def pattern(self) -> str:
        return self._timed.source

    def search(self, text: str) -> Any:
        try:
            return self._timed.search(text)
        except PatternTimeout:
            return None

    def match(self, text: str) -> Any:
        try:
            return self._timed.match(text)
        except PatternTimeout:
            return None


def gitignore_spec(lines: list[str]) -> Any:
    """A gitignore-style spec of the repository's globs, each matched within the time limit."""
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")
    for glob in spec.patterns:
        compiled = getattr(glob, "regex", None)
        if compiled is not None:
            try:
                glob.regex = _GlobRegex(compile_pattern(compiled.pattern))
            except UnsafePattern:
                glob.regex = _GlobRegex(compile_pattern("(?!)"))  # pathspec's own regex: never refused
    return spec
