"""A scan whose every input is as it was prints what that scan printed, without parsing or checking.

The inputs: relcheck's version and Python, the command line and working folder, the environment
variables and terminal that shape the report, today's date (suppressions expire), the config,
baseline and rule set, and the state of every file the walk found (path, size, modification and
change times, inode), with the files it saw and did not scan; for a tree with Helm charts or
kustomize overlays, the engines that render them (their files' state). A report is not stored while a file is
changed less than two seconds ago (a file written twice within the clock's resolution would look
unchanged).
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from relcheck.artifacts.kustomize import KUSTOMIZATION_NAMES
from relcheck.scan.cache import Cache, digest, file_state, python_tag, source_state

if TYPE_CHECKING:
    from relcheck.scan.discovery import Discovery

# What else shapes a report: colour, width, CI annotations, relcheck's own settings.
ENVIRONMENT = (
    "NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES", "CI", "GITHUB_ACTIONS", "TZ", "PYTHONIOENCODING",
)
RENDERED_NAMES = frozenset({"Chart.yaml", *KUSTOMIZATION_NAMES})
RACY_SECONDS = 2
# Reports kept: the last few (options, trees); each edit of the tree makes the last one useless.
MAX_REPORTS = 8


def report_key(
    argv: Iterable[str], root: Path, listing: Discovery, fixed: Iterable[str], today: _dt.date, rendering: bool = True
) -> tuple[str, int]:
    """(the key, the newest modification time seen) of a scan."""
    parts = _context(argv, root, listing, fixed, today, rendering)
    newest = 0
    for source in listing.files:
        state = source_state(source)
        parts.append(f"{source.path}\0{state}")
        if state != "-":  # the change time too: copies and `touch -d` set old modification times
            newest = max(newest, *(int(part) for part in state.split(":")[1:3]))
    parts += _unread(root, listing)
    return digest(*parts), newest


def patch_key(
    argv: Iterable[str], root: Path, listing: Discovery, fixed: Iterable[str], today: _dt.date, rendering: bool = True
) -> str:
    """What a report patched file by file (relcheck.reporters.patch) depends on besides the files'
    contents: the report_key without the files' states, but with their paths."""
    parts = _context(argv, root, listing, fixed, today, rendering)
    parts += ["patch", *sorted(source.path for source in listing.files)]
    return digest(*parts, *_unread(root, listing))


def _context(
    argv: Iterable[str], root: Path, listing: Discovery, fixed: Iterable[str], today: _dt.date, rendering: bool
) -> list[str]:
    from relcheck.scan.discovery import repo_prefix

    # The scan root's place in its git repository sets the paths code scanning reads.
    parts = [python_tag(), "report", *argv, "\0", str(Path.cwd()), str(root), repo_prefix(root), today.isoformat()]
    parts += fixed
    if rendering and any(source.name in RENDERED_NAMES for source in listing.files):
        from relcheck.render.engines import engines_fingerprint

        parts.append(engines_fingerprint())  # charts and overlays: rendered by these engines
    parts += [f"{name}={os.environ.get(name, '')}" for name in ENVIRONMENT]
    parts += sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("RELCHECK_"))
    parts.append(f"tty={sys.stdout.isatty()}:{sys.stderr.isatty()}")
    return parts


def _unread(root: Path, listing: Discovery) -> list[str]:
    """The files the walk saw and did not scan, and what it could not read."""
    parts = sorted(f"{path}\0{file_state(root / path)}" for path in listing.unscanned)
    return parts + [f"{path}\0{problem!r}" for path, problem in listing.problems]


class Recorder(io.TextIOBase):
    """A text stream that keeps what is written to it and passes it on."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")



def replay(cache: Cache, key: str) -> int | None:
    """Print the stored report of `key`; its exit code, or None when there is none."""
    stored: Any = cache.load_object(f"reports/{key[:2]}/{key}")
    if not (isinstance(stored, tuple) and len(stored) == 3 and isinstance(stored[2], int)):
        return None
    out, err, code = stored
    if not all(isinstance(parts, list) and all(isinstance(p, str) for p in parts) for parts in (out, err)):
        return None
    for stream, parts in ((sys.stdout, out), (sys.stderr, err)):
        for part in parts:
            stream.write(part)
        stream.flush()
    return code


def remember(cache: Cache, key: str, newest_ns: int, out: Recorder, err: Recorder, code: int) -> None:
    """Store what the scan printed (as it was written: no copy of a large report joined)."""
    if time.time_ns() - newest_ns < RACY_SECONDS * 1_000_000_000:
        return
    cache.store_object(f"reports/{key[:2]}/{key}", (out.parts, err.parts, code))
    cache.keep_newest("reports", MAX_REPORTS)
