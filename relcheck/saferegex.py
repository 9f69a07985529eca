"""Regular expressions written by the scanned repository, matched in linear time.

A pattern from a custom rule, a `.gitignore`, a `.dockerignore` or the config's globs is the
repository's, so it may be written to hang a backtracking engine (`(a+)+$` on a long name). Python's
`re` cannot be interrupted mid-match, so these patterns are compiled by RE2 (google-re2), whose
matching time is linear in the text. RE2 has no backreferences or look-arounds: a pattern that needs
them is refused with a clear reason.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_PATTERN_LENGTH = 4096
MAX_PROGRAM_MEMORY = 8 << 20  # RE2 refuses patterns whose program would need more


class UnsafePattern(ValueError):
    """A pattern RE2 cannot compile (or one too large); the message says why."""


@functools.lru_cache(maxsize=1)
def _options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would otherwise print its own complaints to stderr
    options.max_mem = MAX_PROGRAM_MEMORY
    return options


@functools.lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Any:
    """`pattern` compiled by RE2; raises UnsafePattern."""
    import re2

    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePattern(f"pattern of {len(pattern)} characters, over {MAX_PATTERN_LENGTH}")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise UnsafePattern(f"{reason} (patterns are matched by RE2: no backreferences or look-arounds)") from None


def search(pattern: str, text: str) -> bool:
    return compile_pattern(pattern).search(text) is not None


def gitignore_spec(lines: list[str]) -> Any:
    """A gitignore-style spec of the repository's globs, matched by pathspec's RE2 backend."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines, backend="re2")
