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

MAX_ROUNDS = 4


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


def fix_paths(
    paths: list[Path],
    config: Any,
    select: list[str] | None = None,
    ignore: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    root: Path | None = None,
) -> Outcome:
    """The fixes a scan of `paths` offers (safe ones, and unsafe ones with `unsafe`), applied in
    memory; `write` puts them on disk."""
    from relcheck.scan.engine import scan

    def rescan(overrides: dict[str, str]) -> Any:
        return scan(
            paths, config, select, list(ignore), ruleset=config.ruleset, root=root, fixes=True, overrides=overrides
        )

    return fix(rescan, lambda finding: finding.autofix.safe or unsafe)


def fix(run_scan: Scan, wanted: Callable[[Finding], bool]) -> Outcome:
    """Apply the fixes `wanted` accepts, one rule at a time, round after round, until none is left
    or MAX_ROUNDS. Each rule's fixes are checked by a scan of the edited text: a fix whose object
    (or file) then has a finding it did not have before any fix is dropped."""
    outcome = Outcome()
    refused: set[tuple[str, str, str, str]] = set()
    result = run_scan({})
    before = _finding_keys(result)
    for finding in result.active():
        if finding.autofix_refused:
            outcome.dropped.append((finding.location.path, finding.code, finding.autofix_refused))
    for _ in range(MAX_ROUNDS):
        progress = False
        codes = sorted({f.code for f in result.active() if f.autofix is not None and wanted(f)})
        for code in codes:
            fixes = [
                f
                for f in result.active()
                if f.code == code
                and f.autofix is not None
                and wanted(f)
                and _key(f) not in refused
            ]
            kept = _choose(fixes, result, outcome, refused)
            if not kept:
                continue
            trial = run_scan({**outcome.changed, **_edited(outcome, kept)})
            added = _added(trial, before)
            if added:
                blamed = _blame(kept, added)
                for finding, one in blamed:
                    refused.add(_key(finding))
                    mine = _object_of(finding.identity)
                    own = sorted(a for a in added if _same_thing(_object_of(a[2]), mine)) or sorted(added)
                    outcome.dropped.append(
                        (finding.location.path, code, f"{one.message}: it would add {own[0][1]} ({own[0][2]})")
                    )
                kept = [item for item in kept if item not in blamed]
                trial = run_scan({**outcome.changed, **_edited(outcome, kept)}) if kept else result
                if kept and _added(trial, before):  # still worse: none of this rule's fixes this round
                    for finding, _one in kept:
                        refused.add(_key(finding))
                    kept, trial = [], result
            if not kept:
                continue
            for path, text in _edited(outcome, kept).items():
                outcome.texts[path] = text
            outcome.applied.extend((finding.location.path, finding.code, one.message) for finding, one in kept)
            result = trial
            progress = True
        if not progress:
            break
    return outcome


def _key(finding: Finding) -> tuple[str, str, str, str]:
    """A refused fix, by what it would do: after other fixes, the same finding may get another fix."""
    return (finding.location.path, finding.code, finding.identity, finding.autofix.message)


def _choose(fixes: list[Finding], result: Any, outcome: Outcome, refused: set) -> list[tuple[Finding, Fix]]:
    """Fixes that do not overlap, each file's read back (relcheck.fixes.verify) one by one."""
    taken: list[Edit] = []
    by_file: dict[str, list[tuple[Finding, Fix]]] = {}
    for finding in fixes:
        edits = finding.autofix.edits
        if any(conflicts(edit, taken) for edit in edits) or len({e.path for e in edits}) != 1:
            continue  # the next round, on the edited text
        taken.extend(edits)
        by_file.setdefault(edits[0].path, []).append((finding, finding.autofix))
    kept: list[tuple[Finding, Fix]] = []
    for path, chosen in by_file.items():
        text = outcome.texts.get(path)
        if text is None:
            text = result_file_text(result, path)
            if text is None:
                continue
            outcome.originals[path] = outcome.texts[path] = text
        kept.extend(_verified(path, text, chosen, outcome, refused))
    return kept


def _edited(outcome: Outcome, kept: list[tuple[Finding, Fix]]) -> dict[str, str]:
    paths = {e.path for _, f in kept for e in f.edits}
    return {path: _applied(outcome.texts[path], path, kept) for path in paths}


def _applied(text: str, path: str, fixes: list[tuple[Finding, Fix]]) -> str:
    return apply_edits(text, [e for _, f in fixes for e in f.edits if e.path == path])


def _added(result: Any, before: dict[str, set[tuple[str, str]]]) -> set[tuple[str, str, str]]:
    after = _finding_keys(result)
    return {(path, code, identity) for path, keys in after.items() for code, identity in keys - before.get(path, set())}


def _object_of(identity: str) -> str:
    """What a finding is about: `Deployment/default/api` or, for a container,
    `Deployment/default/api/container:app`."""
    parts = identity.split("/")
    return "/".join(parts[:4] if len(parts) > 3 and parts[3].startswith("container:") else parts[:3])


def _same_thing(a: str, b: str) -> bool:
    """A workload and its containers are one thing to blame; two containers are not."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _blame(kept: list[tuple[Finding, Fix]], added: set[tuple[str, str, str]]) -> list[tuple[Finding, Fix]]:
    """The fixes to drop for new findings: those on the objects the new findings are about, else
    those in their files, else all of them (a finding across files)."""
    objects = {_object_of(identity) for _, _, identity in added}
    by_object = [item for item in kept if any(_same_thing(_object_of(item[0].identity), o) for o in objects)]
    if by_object:
        return by_object
    files = {path for path, _, _ in added}
    by_file = [item for item in kept if item[1].edits[0].path in files]
    return by_file or list(kept)


def result_file_text(result: Any, path: str) -> str | None:
    for source in result.files:
        if source.path == path:
            text, _ = source.read()
            return text
    return None


def _verified(
    path: str, text: str, chosen: list[tuple[Finding, Fix]], outcome: Outcome, refused: set
) -> list[tuple[Finding, Fix]]:
    """The fixes of one file that read back as they promise, taken one by one: a fix that reads back
    alone but not with those taken before it waits for the next pass; one that does not read back
    even alone is dropped."""
    kept: list[tuple[Finding, Fix]] = []
    for finding, one in chosen:
        if _reads_back(path, text, [f for _, f in kept] + [one]):
            kept.append((finding, one))
        elif not _reads_back(path, text, [one]):
            refused.add(_key(finding))
            outcome.dropped.append((path, finding.code, f"{one.message}: the edited file would not read as intended"))
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
        elif 0 <= change.index < len(expected) and change.delete:
            parent = expected[change.index]
            for key in change.path[:-1]:
                parent = parent[key]
            parent.pop(change.path[-1], None)
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
        if b"\r\n" in target.read_bytes():  # the file's own line endings, for the lines fixes add
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
    if current.replace("\r\n", "\n") != original.replace("\r\n", "\n"):
        return "it changed while relcheck was fixing it"
    return None
