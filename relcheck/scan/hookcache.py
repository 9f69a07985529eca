"""One scan per pre-commit run, however many batches pre-commit splits the file list into.

pre-commit starts the hook once per batch when the list of files is too long for one command
line (three times for `--all-files` on 9,000 files), and each start would scan the whole
repository again. The first start keeps what its scan found, keyed by the state of the tree (every
file's path and state, the config and relcheck's version); the next starts of the same run find the
same key and reuse it. The cache lives in the user's cache folder, never in
the repository, and an entry older than a few minutes is not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relcheck import __version__
from relcheck.scan.cache import source_state

if TYPE_CHECKING:
    from relcheck.scan.discovery import SourceFile

MAX_AGE_SECONDS = 600
MAX_CACHE_BYTES = 64 * 1024 * 1024


def _directory() -> Path | None:
    """The user's own cache folder for relcheck (0700), or None when it cannot be had safely."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relcheck" / "hook"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(base)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return base


def tree_state(files: Iterable[SourceFile]) -> str:
    """Each file's path and state (size, times, inode, mode), hashed. The states are those the scan
    compares with its snapshot (relcheck.scan.cache.source_state): each file is looked up once."""
    ordered = sorted(files, key=lambda source: source.path)
    text = "".join(f"{source.path}\0{source_state(source)}\0" for source in ordered)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()  # one call: 9,000 cost 10 ms


def tree_key(root: Path, config_text: str, state: str) -> str:
    """What the scan depends on: relcheck's version, the root, the config and the tree's state."""
    digest = hashlib.sha256(f"{__version__}\0{root}\0{config_text}\0{state}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def load(key: str) -> list[dict[str, Any]] | None:
    directory = _directory()
    if directory is None:
        return None
    path = directory / f"{key}.json"
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_BYTES:
            return None
        if time.time() - info.st_mtime > MAX_AGE_SECONDS:
            return None
        entries = json.loads(path.read_text(encoding="utf-8", errors="surrogateescape"))
    except (OSError, ValueError, RecursionError):
        return None
    return entries if isinstance(entries, list) else None


def store(key: str, entries: list[dict[str, Any]]) -> None:
    directory = _directory()
    if directory is None:
        return
    from relcheck.reporters.atomic import write_atomic

    with contextlib.suppress(OSError):
        for old in directory.glob("*.json"):  # one run's entry is all that is ever reused
            if time.time() - old.stat().st_mtime > MAX_AGE_SECONDS:
                old.unlink()
        write_atomic(directory / f"{key}.json", json.dumps(entries))
