"""The rules narrower than the repository, run unit by unit (relcheck.scan.units), each unit's
findings kept in the cache under a key of everything its rules may read: relcheck's version, the
config and rule set, the scan's list of files, the content of each of the unit's files, the
evidence no service owns, and what the scan decided about its services. A unit whose key is in the
cache is not checked again.

When most units must be checked, the rules run once on the whole project and each finding goes to
the unit of the file it is in (the same findings: tests/test_scopes.py runs every rule both ways).
A run that cannot be split that way (a finding in no unit's file, a rule that failed) is used as
it is and cached for no unit.
"""

from __future__ import annotations

import dataclasses
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relcheck.scan.cache import Cache, content_digest, digest, file_state, python_tag, source_state
from relcheck.scan.discovery import Discovery
from relcheck.scan.units import Unit, partition, service_signature, view

if TYPE_CHECKING:
    from relcheck.config.loader import Config
    from relcheck.model import Finding, Severity
    from relcheck.ruleset.load import RuleSet
    from relcheck.scan.project import Project

Run = Callable[["Project"], list["Finding"]]
# Past this share of units to check, one run over the whole project costs less than a run per unit.
WHOLE_RUN_SHARE = 0.5


def rules_key(ruleset: RuleSet, codes: Sequence[str], severities: dict[str, Severity], config: Config) -> str:
    """The rules that run and how: codes, severities, parameters, each rule's definition."""
    parts = [python_tag(), repr(config), *codes, *(f"{c}={severities[c]}" for c in codes)]
    by_code = {rule.code: rule for rule in ruleset.rules}
    for code in codes:
        check = ruleset.checks.get(code)
        owner = getattr(check, "__self__", None)
        if owner is not None and dataclasses.is_dataclass(owner):  # a custom rule: its definition
            parts.append(repr(owner))
        else:
            module = getattr(check, "__module__", "") or ""
            parts.append(f"{module}.{getattr(check, '__qualname__', '')}")
            if ruleset.origin(code) != "relcheck":  # a plugin's check: its module file as it is now
                parts.append(_module_state(module))
        parts.append(repr(by_code.get(code)))
        parts.append(ruleset.origin(code))
    return digest(*parts)


def _module_state(module: str) -> str:
    import sys

    path = getattr(sys.modules.get(module), "__file__", None)
    return f"{path}:{file_state(path)}" if path else "-"


def content_digests(project: Project, max_file_size: int) -> dict[str, str]:
    """Each file's content, hashed (what could not be read: the reason it could not)."""
    return {source.path: content_digest(source, max_file_size) for source in project.files}


def unit_findings(
    project: Project,
    run: Run,
    cache: Cache | None,
    base_key: str,
    max_file_size: int,
    focus: FocusPlan | None = None,
    snapshot: dict[str, int] | None = None,
) -> list[Finding]:
    """The findings of the unit-scoped rules: from the cache where a unit's key is there, else by
    running them (on the unit alone, or on the whole project when most units must run). With a
    `focus`, only for the units it names (the project holds those and the shared files). With
    `snapshot` (a dict), a whole scan leaves the snapshot of its units and notes its `taken` there."""
    units = partition(project) if cache is not None else None
    if units is None or cache is None:
        return run(project)
    contents = content_digests(project, max_file_size)
    if focus is not None:
        wanted = {tuple(files) for files in focus.unit_files}
        units = [unit for unit in units if tuple(unit.files) in wanted]
    paths_key = digest(base_key, *(focus.all_paths if focus is not None else sorted(contents)))
    from relcheck.scan.services import shared_files

    shared = sorted(shared_files(project.services))
    shared_key = digest(*(f"{path}\0{contents.get(path, '')}" for path in shared))
    for unit in units:
        signatures = [service_signature(service) for service in unit.services]
        unit.key = digest(
            paths_key,
            shared_key if unit.services else "",
            *(f"{path}\0{contents[path]}" for path in unit.files),
            *signatures,
        )
    # One entry per scan root and rule set: each unit's findings, pickled (read and written whole).
    index_name = f"findings/{digest(str(project.root), base_key)}"
    stored: Any = cache.load_object(index_name)
    stored = stored if isinstance(stored, dict) else {}
    found: dict[int, list[Finding]] = {}
    for index, unit in enumerate(units):
        blob = stored.get(unit.key)
        if isinstance(blob, bytes):
            loaded = _loads(blob)
            if isinstance(loaded, list):
                found[index] = loaded
    missing = [index for index in range(len(units)) if index not in found]
    if snapshot is not None and focus is None:
        snapshot["taken"] = _leave_snapshot(cache, snapshot_name(project, base_key), project, units, contents, missing)
    if not missing:
        return [finding for index in range(len(units)) for finding in found[index]]
    if len(missing) > WHOLE_RUN_SHARE * len(units) and focus is None:
        whole = run(project)
        fresh = _split(whole, units)
        if fresh is None:
            return whole  # used as it is, cached for no unit
    else:
        fresh = {}
        for index in missing:
            produced = run(view(project, units[index]))
            inside = set(units[index].files)
            if any(f.location.path not in inside or stopped(f) for f in produced):
                if focus is not None:
                    raise FocusLost
                return run(project)  # a unit's run found something outside it: the whole, cached for none
            fresh[index] = produced
    # A whole scan keeps its units' entries only; a focused one adds its units' to the others.
    entries = dict(stored) if focus is not None else {u.key: stored[u.key] for u in units if u.key in stored}
    for index in missing:
        found[index] = fresh.get(index, [])
        try:
            entries[units[index].key] = pickle.dumps([storable(f) for f in found[index]], pickle.HIGHEST_PROTOCOL)
        except Exception:  # a plugin's finding that does not pickle: that unit is checked every time
            continue
    cache.store_object(index_name, entries)
    return [finding for index in range(len(units)) for finding in found[index]]


class FocusLost(Exception):
    """A focused run found what only the whole scan can place: the caller scans it all."""


def _split(findings: list[Finding], units: list[Unit]) -> dict[int, list[Finding]] | None:
    """Each finding to the unit of its file; None when one is in no unit's file or a rule failed."""
    unit_of = {path: index for index, unit in enumerate(units) for path in unit.files}
    split: dict[int, list[Finding]] = {}
    for finding in findings:
        index = unit_of.get(finding.location.path)
        if index is None or stopped(finding):
            return None
        split.setdefault(index, []).append(finding)
    return split


def _loads(blob: bytes) -> Any:
    try:
        return pickle.loads(blob)
    except Exception:  # signed, yet unreadable: checked again
        return None


def stopped(finding: Finding) -> bool:
    """A finding saying a rule failed or stopped: not a result to keep."""
    return finding.identity.startswith(("internal:", "pattern-timeout:"))


def storable(finding: Finding) -> Finding:
    """The finding without what it is about (the parsed object stays out of the cache; fixes were
    attached before it was stored)."""
    return dataclasses.replace(finding, subject=None)


# The pre-commit hook's shortcut: the units that hold the staged files, checked in a project of
# their files and the shared ones, when the last whole scan's snapshot vouches that nothing else
# bears on them.


def snapshot_name(project_or_root: Project | Path, base_key: str) -> str:
    root = project_or_root if isinstance(project_or_root, Path) else project_or_root.root
    return f"trees/{digest(str(root), base_key)}"


def structure_digests(project: Project, only: set[str] | None = None) -> dict[str, str]:
    """Per file, what of it decides which service owns what and which objects belong together:
    its kind; its objects' names, labels, selectors, targets and images; a package.json's name and
    workspaces. An edit that leaves these alone changes no unit and no service but its own.
    `only`: these files' digests (all by default)."""
    from relcheck.artifacts.kubernetes import _custom_pod_labels, _is_custom

    def wanted(path: str) -> bool:
        return only is None or path in only

    parts: dict[str, list[str]] = {source.path: [str(source.kind)] for source in project.files if wanted(source.path)}
    for obj in project.kube.objects:
        if not wanted(obj.path):
            continue
        facts = [obj.api_version, obj.kind, obj.namespace, obj.name, obj.labels]
        facts += [obj.get("spec", "selector"), obj.get("spec", "scaleTargetRef"), obj.get("build", "artifacts")]
        facts.append(obj.get("spec", "workloadRef"))  # an Argo Rollout owning a Deployment's scale
        if _is_custom(obj):
            facts.append(_custom_pod_labels(obj))
        parts.setdefault(obj.path, []).append(repr(facts))
    for workload in project.kube.workloads:
        if not wanted(workload.obj.path):
            continue
        images = [c.get("image") for c in workload.containers()]
        parts.setdefault(workload.obj.path, []).append(repr((workload.template_labels, images)))
    for path, settings in project.settings.items():
        if wanted(path) and isinstance(settings, dict) and path.rsplit("/", 1)[-1] == "package.json":
            parts.setdefault(path, []).append(repr((settings.get("name"), settings.get("workspaces"))))
    for path in project.kustomize_patches:
        if wanted(path):
            parts.setdefault(path, []).append("patch")
    for path, overlay in project.kustomize_outputs.items():
        if wanted(path):
            parts.setdefault(path, []).append(f"output of {overlay}")
    return {path: digest(*facts) for path, facts in parts.items()}


def _leave_snapshot(
    cache: Cache, name: str, project: Project, units: list[Unit], contents: dict[str, str], missing: list[int]
) -> int:
    """The snapshot of this whole scan's units (the last one when no unit changed); its `taken`."""
    if not missing:  # nothing changed: the last one holds
        last: Any = cache.load_object(name)
        if isinstance(last, dict) and isinstance(last.get("taken"), int):
            return last["taken"]
    return store_snapshot(cache, name, project, units, contents)


def _services_of(unit: Unit) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((s.root, service_signature(s), tuple(sorted(s.files))) for s in unit.services)


def store_snapshot(cache: Cache, name: str, project: Project, units: list[Unit], contents: dict[str, str]) -> int:
    """What the hook's shortcut needs of this whole scan: each file's state and digests, the units
    and their services, the shared files. Over the last snapshot of the same files, only the files
    whose content changed are looked at again (a file's state left stale costs the hook a read)."""
    last: Any = cache.load_object(name)
    known = last.get("files") if isinstance(last, dict) else None
    if isinstance(known, dict) and len(known) == len(contents) and all(path in known for path in contents):
        changed = {path for path, content in contents.items() if known[path][1] != content}
        files = dict(known)
    else:
        changed, files = set(contents), {}
    structures = structure_digests(project, changed)
    for source in project.files:
        if source.path in changed:
            files[source.path] = (file_state(source.abs_path), contents[source.path], structures.get(source.path, ""))
    from relcheck.scan.services import shared_files

    shared = sorted(shared_files(project.services))
    # The states are trusted for files unchanged since before the scan read them.
    taken = project.started_ns or time.time_ns()
    units_seen = [(unit.files, _services_of(unit)) for unit in units]
    cache.store_object(name, {"taken": taken, "files": files, "shared": shared, "units": units_seen})
    return taken


@dataclass
class FocusPlan:
    discovery: Discovery  # the walk, narrowed to the units' files and the shared files
    all_paths: list[str]  # every file of the walk, sorted (in the units' keys)
    unit_files: list[list[str]]  # the units to check
    services: list[list[tuple[str, str, tuple[str, ...]]]]  # their services, as the whole scan found them
    structures: dict[str, str]  # the structure digests of the files that changed since it
    taken: int = 0  # when the snapshot it comes from was taken
    shared: tuple[str, ...] = ()  # the files no service owns

    @property
    def unit_paths(self) -> frozenset[str]:
        """The files of the units to check."""
        return frozenset(path for files in self.unit_files for path in files)


def focus_plan(discovery: Discovery, cache: Cache, name: str, focus: set[str], max_file_size: int) -> FocusPlan | None:
    """The units holding `focus` or a changed file, when the last whole scan's snapshot covers the
    same files; None when only a whole scan can tell (no snapshot, files added or removed)."""
    snapshot: Any = cache.load_object(name)
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("files"), dict):
        return None
    known: dict[str, tuple[str, str, str]] = snapshot["files"]
    paths = sorted(source.path for source in discovery.files)
    if len(paths) != len(known) or any(path not in known for path in paths):
        return None
    racy = snapshot["taken"] - 2_000_000_000
    changed: dict[str, str] = {}
    for source in discovery.files:
        state, content, structure = known[source.path]
        fresh = source_state(source)
        if fresh == state and fresh != "-" and all(int(t) < racy for t in fresh.split(":")[1:3]):
            continue
        if content_digest(source, max_file_size) != content:
            changed[source.path] = structure
    if not set(changed).isdisjoint(snapshot["shared"]):
        return None  # every service counts what no service owns as its evidence: all are checked
    unit_of = {path: index for index, (files, _) in enumerate(snapshot["units"]) for path in files}
    chosen = sorted({unit_of[path] for path in (*focus, *changed) if path in unit_of})
    keep = set(snapshot["shared"])
    for index in chosen:
        keep.update(snapshot["units"][index][0])
    narrowed = Discovery(
        discovery.root,
        [source for source in discovery.files if source.path in keep],
        [(path, problem) for path, problem in discovery.problems if path in keep],
        listed_dirs=discovery.listed_dirs,
        unscanned=discovery.unscanned,
        excluded_by_default=discovery.excluded_by_default,
    )
    return FocusPlan(
        narrowed,
        paths,
        [snapshot["units"][index][0] for index in chosen],
        [snapshot["units"][index][1] for index in chosen],
        changed,
        snapshot["taken"],
        tuple(snapshot["shared"]),
    )


def plan_holds(plan: FocusPlan, project: Project) -> bool:
    """Whether the narrowed project has the plan's units, with the same services, and the changed
    files still say what they said about units and services."""
    if any(digest_ != plan.structures[path] for path, digest_ in _changed_structures(plan, project).items()):
        return False
    units = partition(project)
    if units is None:
        return False
    found = {tuple(unit.files): _services_of(unit) for unit in units}
    pairs = zip(plan.unit_files, plan.services, strict=True)
    return all(found.get(tuple(files)) == services for files, services in pairs)


def _changed_structures(plan: FocusPlan, project: Project) -> dict[str, str]:
    structures = structure_digests(project)
    return {path: structures.get(path, "") for path in plan.structures}
