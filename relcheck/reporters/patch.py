"""The plain report of a scan, patched file by file instead of made again.

A whole scan with the cache keeps, beside its plain report, each file's lines of it and counts,
each service's checklist score, and the findings a scan of a few units cannot make again: those in
the files no service owns, and the repository rules'. When the files changed since then are
Kubernetes manifests that still say the same about which objects belong together
(relcheck.scan.incremental.structure_digests), the next scan checks only their units (the
pre-commit hook's focused scan) and prints the kept report with their files and services made
again: the bytes a whole scan prints (tests/test_incremental.py compares them).

Repository rules look at the whole tree, so their findings are kept only when every repository
rule of the rule set is one that reads alert rules, source and the services' shape, never the body
of a manifest (MANIFEST_BLIND; tests/test_incremental.py edits manifest bodies and compares). A
plugin's repository rule means a whole scan every time.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relcheck.model import Finding, Severity
from relcheck.reporters.text import card_scores, checklist_text, file_sections, summary_text

if TYPE_CHECKING:
    from relcheck.ruleset.load import RuleSet
    from relcheck.scan.cache import Cache
    from relcheck.scan.engine import Carried
    from relcheck.scan.incremental import FocusPlan
    from relcheck.scan.project import Project
    from relcheck.scan.result import ScanResult

FORMAT = 1
# Kept reports: one per scan root, options and day is the common case.
MAX_KEPT = 4
# Past this many units changed since the kept report, a whole scan (which keeps a new one) costs less.
MAX_UNITS = 16
# Repository rules that read alert rules, source and the services' shape, never a manifest's body.
MANIFEST_BLIND = frozenset({"A002", "X007"})
# A file's counts (_counts) are these four, then the safe and unsafe fixes of its active findings.
COUNTS = ("error", "warning", "info", "suppressed")


def entry_name(key: str) -> str:
    return f"patches/{key[:2]}/{key}"


def patchable(ruleset: RuleSet) -> bool:
    """Whether the rule set's repository rules leave a manifest edit alone (MANIFEST_BLIND)."""
    return all(
        rule.code in MANIFEST_BLIND and ruleset.origin(rule.code) == "relcheck"
        for rule in ruleset.rules
        if rule.scope == "repository"
    )


def keep(cache: Cache, key: str, result: ScanResult, sections: dict[str, str], ruleset: RuleSet) -> None:
    """After a whole scan and its plain report (`sections`, filled by the text reporter): what a
    later scan needs to patch it."""
    from relcheck.checklist.score import build_once, owners
    from relcheck.reporters.inventory import inventory_line
    from relcheck.scan.discovery import read_paths
    from relcheck.scan.incremental import stopped, storable
    from relcheck.scan.services import shared_files

    if result.snapshot_taken is None or not patchable(ruleset) or result.renders:
        return
    if any(stopped(f) for f in result.findings):
        return  # a rule failed: its next run may not
    cards = build_once(result)
    if len({card.service.name for card in cards}) != len(cards):
        return  # scores are kept by name
    scopes = {code: rule.scope for code, rule in result.rules.items()}
    shared = shared_files(result.services)
    counts: dict[str, tuple[int, ...]] = {}
    carried: dict[str, list[Finding]] = {}
    problems: dict[str, list[str]] = {}
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    for path, findings in by_path.items():
        counts[path] = _counts(findings)
        if not_checked := _not_checked(findings):
            problems[path] = not_checked
        kept = [
            storable(f)
            for f in findings
            if not _remade(f) and (path in shared or scopes.get(f.code) == "repository")
        ]
        if kept:
            carried[path] = kept
    try:
        blobs = {path: pickle.dumps(kept, pickle.HIGHEST_PROTOCOL) for path, kept in carried.items()}
    except Exception:  # a plugin's finding that does not pickle: no patching
        return
    cache.store_object(
        entry_name(key),
        {
            "format": FORMAT,
            "taken": result.snapshot_taken,
            "sections": sections,
            "counts": counts,
            "problems": problems,
            "carried": blobs,
            "scores": card_scores(cards),
            "owners": owners(result),
            "inventory": inventory_line(result),
            "files": len(result.files),
            "read": read_paths(result.files),
        },
    )
    cache.keep_newest("patches", MAX_KEPT)


@dataclass
class Kept:
    """A kept report, as loaded."""

    entry: dict[str, Any]

    @property
    def taken(self) -> int:
        return self.entry["taken"]


def load(cache: Cache, key: str) -> Kept | None:
    entry: Any = cache.load_object(entry_name(key))
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None
    return Kept(entry)


def applies(kept: Kept, plan: FocusPlan | None) -> bool:
    """Whether the plan's changes are few enough, since the kept report (their kind: see carrier)."""
    return plan is not None and plan.taken == kept.taken and len(plan.unit_files) <= MAX_UNITS


def carrier(kept: Kept) -> Carried:
    """The findings the focused scan keeps: those in the plan's files outside its units (the files
    no service owns), and the repository rules' in its units' files; as they were before suppression."""

    def carry(plan: FocusPlan, project: Project) -> list[Finding]:
        from relcheck.scan.discovery import FileKind
        from relcheck.scan.incremental import FocusLost

        if any(source.kind != FileKind.KUBERNETES for source in project.files if source.path in plan.structures):
            raise FocusLost  # not a manifest: the repository rules may read it
        if any(obj.kind == "PrometheusRule" and obj.path in plan.structures for obj in project.kube.objects):
            raise FocusLost  # alert rules in a changed manifest: the repository rules read them
        in_units = plan.unit_paths
        found: list[Finding] = []
        for source in plan.discovery.files:
            blob = kept.entry["carried"].get(source.path)
            if blob is None:
                continue
            try:
                kept_findings = pickle.loads(blob)
            except Exception:  # signed, yet unreadable: the whole scan
                raise FocusLost from None
            for finding in kept_findings:
                if source.path in in_units and finding.code not in MANIFEST_BLIND:
                    continue  # made again by the focused scan
                finding.suppression = finding.expired_suppression = None
                found.append(finding)
        return found

    return carry


@dataclass
class Patched:
    text: str
    active: dict[Severity, int]  # active findings by severity (for the exit code)
    read: set[str]  # the files read as what they are (for the notes on what was not read)


def patch(kept: Kept, result: ScanResult, show_suppressed: bool) -> Patched | None:
    """The kept report with the files of the focused `result` made again; None when the change
    touches what the kept report's last lines say (what was not checked)."""
    from relcheck.checklist.score import build

    entry = kept.entry
    plan = result.plan
    made = {source.path for source in plan.discovery.files}
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    if any(_not_checked(by_path.get(path, [])) != entry["problems"].get(path, []) for path in plan.structures):
        return None
    sections = {path: text for path, text in entry["sections"].items() if path not in made}
    sections.update((path, "\n".join(lines)) for path, lines in file_sections(result.findings, show_suppressed, False))
    counts = {path: tallies for path, tallies in entry["counts"].items() if path not in made}
    counts.update((path, _counts(findings)) for path, findings in by_path.items())
    scores = list(entry["scores"])
    index = {score[0]: position for position, score in enumerate(scores)}
    in_units = plan.unit_paths
    for score in card_scores([c for c in build(result, entry["owners"]) if in_units.intersection(c.service.files)]):
        if score[0] not in index:
            return None
        scores[index[score[0]]] = score
    totals = [sum(column) for column in zip(*counts.values(), strict=True)] if counts else [0] * 6
    tallies = dict(zip(COUNTS, totals[:4], strict=True))
    summary = summary_text(tallies, entry["files"], show_suppressed, (totals[4], totals[5]))
    tail = [summary, *checklist_text(scores), entry["inventory"]]
    body = "\n\n".join(sections[path] for path in sorted(sections))
    text = body + ("\n\n" if body else "") + "\n".join(tail) + "\n"
    active = {Severity.ERROR: totals[0], Severity.WARNING: totals[1], Severity.INFO: totals[2]}
    return Patched(text, active, set(entry["read"]))


def _remade(finding: Finding) -> bool:
    """A finding every scan makes again from the files it reads: a parse problem (E001, E002), a
    suppression directive's (E003, E004)."""
    if finding.code in ("E001", "E002"):
        return finding.identity == "file"
    return finding.code in ("E003", "E004") and finding.identity.startswith("directive:")


def _counts(findings: Sequence[Finding]) -> tuple[int, ...]:
    active = Counter(f.severity for f in findings if not f.suppressed)
    fixes = [f.autofix for f in findings if not f.suppressed and f.autofix is not None]
    return (
        active[Severity.ERROR],
        active[Severity.WARNING],
        active[Severity.INFO],
        sum(1 for f in findings if f.suppressed),
        sum(1 for fix in fixes if fix.safe),
        sum(1 for fix in fixes if not fix.safe),
    )


def _not_checked(findings: Sequence[Finding]) -> list[str]:
    """What the report's last line counts of a file: its E002 findings."""
    return sorted(f.message for f in findings if f.code == "E002")
