"""Applying fixes: in passes over the files' text held in memory, each pass a scan of the edited
text; a fix whose file does not read back as it promised, or that adds a finding, is dropped and
reported. Nothing is written until the passes are over (`write`), and then only files of the scan."""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relcheck.fixes.model import Edit, Fix, apply_edits, conflicts
from relcheck.model import Finding

MAX_PASSES = 5


@dataclass
class Outcome:
    originals: dict[str, str] = field(default_factory=dict)  # path -> text before any fix
    texts: dict[str, str] = field(default_factory=dict)  # path -> text after the fixes kept
    applied: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, what the fix did)
    dropped: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, why it was dropped)

    @property
    def changed(self) -> dict[str, str]:
        return {path: text for path, text in self.texts.items() if text != self.originals.get(path)}

    def diff(self) -> str:
        chunks = []
        for path, text in sorted(self.changed.items()):
            before = self.originals[path].splitlines(keepends=True)
            after = text.splitlines(keepends=True)
            chunks.extend(difflib.unified_diff(before, after, f"a/{path}", f"b/{path}"))
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks)


Scan = Callable[[dict[str, str]], Any]  # texts by path -> ScanResult of the tree with those texts


def fix(run_scan: Scan, wanted: Callable[[Finding], bool]) -> Outcome:
    """Apply the fixes `wanted` accepts, pass after pass, until none is left or MAX_PASSES."""
    outcome = Outcome()
    refused: set[tuple[str, str, str]] = set()
    first = run_scan({})
    before = _finding_keys(first)
    result = first
    for _ in range(MAX_PASSES):
        fixes = [
            f
            for f in result.active()
            if f.autofix is not None and wanted(f) and (f.location.path, f.code, f.identity) not in refused
        ]
        if not fixes:
            break
        taken: list[Edit] = []
        by_file: dict[str, list[tuple[Finding, Fix]]] = {}
        for finding in fixes:
            edits = finding.autofix.edits
            if any(conflicts(edit, taken) for edit in edits):
                continue  # the next pass, on the edited text
            taken.extend(edits)
            for path in {edit.path for edit in edits}:
                by_file.setdefault(path, []).append((finding, finding.autofix))
        progress = False
        edited: dict[str, str] = {}
        kept_by_file: dict[str, list[tuple[Finding, Fix]]] = {}
        for path, chosen in by_file.items():
            text = outcome.texts.get(path)
            if text is None:
                text = result_file_text(result, path)
                if text is None:
                    continue
                outcome.originals[path] = outcome.texts[path] = text
            kept = _verified(path, text, chosen, outcome, refused)
            if kept:
                kept_by_file[path] = kept
                edited[path] = _applied(text, path, kept)
        # A fix that adds a finding (to any file) is dropped: found by trying the file's fixes one by one.
        trial = run_scan({**outcome.changed, **edited})
        for path in _worse_files(trial, before, edited):
            kept_by_file[path] = _without_new_findings(
                run_scan, outcome, path, kept_by_file[path], before, edited, refused
            )
            edited[path] = _applied(outcome.texts[path], path, kept_by_file[path])
        for path, kept in kept_by_file.items():
            if kept:
                outcome.texts[path] = edited[path]
                outcome.applied.extend((path, finding.code, f.message) for finding, f in kept)
                progress = True
        if not progress:
            break
        result = run_scan(outcome.changed)
    return outcome


def _applied(text: str, path: str, fixes: list[tuple[Finding, Fix]]) -> str:
    return apply_edits(text, [e for _, f in fixes for e in f.edits if e.path == path])


def _worse_files(result: Any, before: dict[str, set[tuple[str, str]]], edited: dict[str, str]) -> list[str]:
    """Edited files with a finding they did not have before any fix (an E001 included); a finding
    in another file is laid to every edited file (the rule that found it reads across files)."""
    after = _finding_keys(result)
    worse = {path for path in edited if after.get(path, set()) - before.get(path, set())}
    if any(after.get(path, set()) - before.get(path, set()) for path in after if path not in edited):
        worse |= set(edited)
    return sorted(worse)


def _without_new_findings(
    run_scan: Scan,
    outcome: Outcome,
    path: str,
    fixes: list[tuple[Finding, Fix]],
    before: dict[str, set[tuple[str, str]]],
    edited: dict[str, str],
    refused: set,
) -> list[tuple[Finding, Fix]]:
    """The file's fixes, added one at a time, each kept only when the scan finds nothing new."""
    kept: list[tuple[Finding, Fix]] = []
    text = outcome.texts[path]
    for finding, one in fixes:
        trial = {**outcome.changed, **edited, path: _applied(text, path, [*kept, (finding, one)])}
        after = _finding_keys(run_scan(trial))
        added = sorted(key for file in after for key in after[file] - before.get(file, set()))
        if added:
            refused.add((finding.location.path, finding.code, finding.identity))
            outcome.dropped.append((path, finding.code, f"{one.message}: it would add {added[0][0]} ({added[0][1]})"))
        else:
            kept.append((finding, one))
    return kept


def result_file_text(result: Any, path: str) -> str | None:
    for source in result.files:
        if source.path == path:
            text, _ = source.read()
            return text
    return None


def _verified(
    path: str, text: str, chosen: list[tuple[Finding, Fix]], outcome: Outcome, refused: set
) -> list[tuple[Finding, Fix]]:
    """The fixes of one file whose edited text reads back as they promise: together if they do,
    else each alone."""
    if _reads_back(path, text, [f for _, f in chosen]):
        return chosen
    kept = []
    for finding, one in chosen:
        if _reads_back(path, text, [one]):
            kept.append((finding, one))
        else:
            refused.add((finding.location.path, finding.code, finding.identity))
            outcome.dropped.append((path, finding.code, f"{one.message}: the edited file would not read as intended"))
    if len(kept) > 1 and not _reads_back(path, text, [f for _, f in kept]):
        kept = kept[:1]
    return kept


def _reads_back(path: str, text: str, fixes: list[Fix]) -> bool:
    """Whether the file, edited, parses and holds what the fixes promise (YAML fixes promise values
    at key paths, or a new document; the others are held to the rescan)."""
    edited = apply_edits(text, [e for f in fixes for e in f.edits if e.path == path])
    changes = [c for f in fixes for c in f.changes]
    if not changes:
        return True
    from relcheck.parsers.kubernetes import parse_manifests

    old, _ = parse_manifests(path, text)
    new, problems = parse_manifests(path, edited)
    if problems:
        return False
    expected = [copy.deepcopy(obj.data) for obj in old]
    for change in sorted(changes, key=lambda c: c.document is not None):
        if change.document is not None:
            expected.insert(change.index + 1, change.document)
        elif 0 <= change.index < len(expected):
            _put(expected[change.index], change.path, change.value)
        else:
            return False
    return [obj.data for obj in new] == expected


def _put(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        if isinstance(data, dict) and not isinstance(data.get(key), (dict, list)):
            data[key] = {}
        data = data[key]
    data[path[-1]] = value


def _finding_keys(result: Any) -> dict[str, set[tuple[str, str]]]:
    keys: dict[str, set[tuple[str, str]]] = {}
    for finding in result.findings:
        keys.setdefault(finding.location.path, set()).add((finding.code, finding.identity))
    return keys


def write(root: Path, outcome: Outcome) -> list[tuple[str, str]]:
    """Write the changed files in place, each whole or not at all, keeping its mode; returns the
    files not written, with why (a link, a file with a byte-order mark, a file that changed)."""
    from relcheck.reporters.atomic import write_atomic

    skipped = []
    for path, text in sorted(outcome.changed.items()):
        target = root / path
        reason = _unwritable(target, outcome.originals[path])
        if reason is not None:
            skipped.append((path, reason))
            continue
        mode = os.stat(target).st_mode & 0o7777
        if "\r\n" in outcome.originals[path]:  # the file's own line endings, for the lines fixes add
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        write_atomic(target, text)
        os.chmod(target, mode)
    return skipped


def _unwritable(target: Path, original: str) -> str | None:
    if target.is_symlink() or not target.is_file():
        return "not a regular file (a link is never replaced)"
    raw = target.read_bytes()
    if raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return "written with a byte-order mark; relcheck edits plain UTF-8 files only"
    try:
        current = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if current != original:
        return "it changed while relcheck was fixing it"
    return None
