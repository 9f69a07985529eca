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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from relcheck.scan.cache import Cache, digest, no_collection, python_tag
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
            body = getattr(getattr(check, "__code__", None), "co_code", b"")
            parts.append(f"{getattr(check, '__module__', '')}.{getattr(check, '__qualname__', '')}")
            parts.append(body.hex() if ruleset.origin(code) != "relcheck" else "")
        parts.append(repr(by_code.get(code)))
        parts.append(ruleset.origin(code))
    return digest(*parts)


def content_digests(project: Project, max_file_size: int) -> dict[str, str]:
    """Each file's content, hashed (what could not be read: the reason it could not)."""
    found = {}
    for source in project.files:
        text, problem = source.read(max_file_size)
        found[source.path] = digest(text if text is not None else f"\0{problem!r}")
    return found


def unit_findings(
    project: Project,
    run: Run,
    cache: Cache | None,
    base_key: str,
    max_file_size: int,
) -> list[Finding]:
    """The findings of the unit-scoped rules: from the cache where a unit's key is there, else by
    running them (on the unit alone, or on the whole project when most units must run)."""
    units = partition(project) if cache is not None else None
    if units is None or cache is None:
        return run(project)
    contents = content_digests(project, max_file_size)
    paths_key = digest(base_key, *sorted(contents))
    shared = sorted(project.services[0].shared_files) if project.services else []
    shared_key = digest(*(f"{path}\0{contents.get(path, '')}" for path in shared))
    for unit in units:
        signatures = [service_signature(service) for service in unit.services]
        unit.key = digest(
            paths_key,
            shared_key if unit.services else "",
            *(f"{path}\0{contents[path]}" for path in unit.files),
            *signatures,
        )
    found: dict[int, list[Finding]] = {}
    with no_collection():
        for index, unit in enumerate(units):
            cached = cache.load_object(f"units/{unit.key[:2]}/{unit.key}")
            if isinstance(cached, list):
                found[index] = cached
    missing = [index for index in range(len(units)) if index not in found]
    if not missing:
        return [finding for index in range(len(units)) for finding in found[index]]
    if len(missing) > WHOLE_RUN_SHARE * len(units):
        fresh = _split(run(project), units)
        if fresh is None:
            return run_again_whole(run, project)
    else:
        fresh = {}
        for index in missing:
            produced = run(view(project, units[index]))
            inside = set(units[index].files)
            if any(f.location.path not in inside or _stopped(f) for f in produced):
                return run_again_whole(run, project)
            fresh[index] = produced
    for index in missing:
        found[index] = fresh.get(index, [])
        cache.store_object(f"units/{units[index].key[:2]}/{units[index].key}", [_storable(f) for f in found[index]])
    return [finding for index in range(len(units)) for finding in found[index]]


def run_again_whole(run: Run, project: Project) -> list[Finding]:
    """A run per unit that found something outside its unit: the whole project, cached for none."""
    return run(project)


def _split(findings: list[Finding], units: list[Unit]) -> dict[int, list[Finding]] | None:
    """Each finding to the unit of its file; None when one is in no unit's file or a rule failed."""
    unit_of = {path: index for index, unit in enumerate(units) for path in unit.files}
    split: dict[int, list[Finding]] = {}
    for finding in findings:
        index = unit_of.get(finding.location.path)
        if index is None or _stopped(finding):
            return None
        split.setdefault(index, []).append(finding)
    return split


def _stopped(finding: Finding) -> bool:
    """A finding saying a rule failed or stopped: not a result to keep."""
    return finding.identity.startswith(("internal:", "pattern-timeout:"))


def _storable(finding: Finding) -> Finding:
    """The finding without what it is about (the parsed object stays out of the cache; fixes were
    attached before it was stored)."""
    return dataclasses.replace(finding, subject=None)
