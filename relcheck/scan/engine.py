"""Runs the selected checks over the Project and applies overrides and suppressions.

`CheckContext` (relcheck.scan.context) and `ScanResult` (relcheck.scan.result) are importable from here too."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relcheck.config.loader import Config, default_excludes
from relcheck.model import Finding, Location, ParseProblem, Related, RuleMeta, Severity, raised_at
from relcheck.ruleset.load import RuleSet, builtin, effective_params, effective_severities, selected_codes
from relcheck.scan import suppression
from relcheck.scan.context import CheckContext
from relcheck.scan.discovery import Discovery, FileKind, discover, repo_prefix, stdin_file
from relcheck.scan.gcpause import long_lived_model
from relcheck.scan.project import Project, build_project
from relcheck.scan.result import ScanResult
from relcheck.syntax.saferegex import PatternTimeout

if TYPE_CHECKING:
    from relcheck.render.run import RenderSettings
    from relcheck.scan.cache import Cache
    from relcheck.scan.incremental import FocusPlan

# Findings a focused scan keeps from an earlier whole one: given the plan that held and its project.
Carried = Callable[["FocusPlan", Project], list[Finding]]


@long_lived_model()
def scan(
    paths: Sequence[Path],
    config: Config,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    today: _dt.date | None = None,
    stdin_text: str | None = None,
    stdin_filename: str | None = None,
    baseline: set[str] | None = None,
    jobs: int = 1,
    ruleset: RuleSet | None = None,
    report_unused_suppressions: bool = False,
    discovery: Discovery | None = None,
    root: Path | None = None,
    fixes: bool = False,
    overrides: dict[str, str] | None = None,
    cache: Cache | None = None,
    focus: set[str] | None = None,
    plan: FocusPlan | None = None,
    carried: Carried | None = None,
    snapshot: bool = False,
) -> ScanResult:
    """Scan `paths` (and manifests read from stdin, shown as `<stdin>`) with the given config;
    reported paths are relative to `root` (by default the deepest folder holding every path).
    With a `cache` (relcheck.scan.cache), files parse and units are checked only when they changed.
    With `focus` (the hook's files) as well, only the units that hold those files (or those of a
    `plan` made already) may be checked, without the repository's rules: the findings in other
    units are then not in the result, and `carried(plan, project)` adds findings kept from before
    (it may raise FocusLost for the whole scan). `snapshot`: a whole scan with a cache leaves the
    snapshot of its units (its time in the result's snapshot_taken)."""
    ruleset = ruleset or builtin()
    rules = ruleset.rules
    if discovery is None:  # a caller that walked the tree already (the hook) hands its walk over
        discovery = Discovery(root or Path.cwd(), [], []) if not paths else None
    if overrides or stdin_text is not None:
        cache = None  # texts that are not the files' (fixes being tried, piped input)
    codes = _codes(paths, rules, config, select, ignore)
    severities = effective_severities(rules, config.severity)
    if focus is not None and cache is not None and discovery is not None:
        project, problems, checked, discovery, focused, taken = _focused(
            paths, config, discovery, jobs, root, cache, focus, ruleset, codes, severities, fixes, plan, carried
        )
    else:
        project, problems, discovery = _build(
            paths, config, discovery, stdin_text, stdin_filename, jobs, root, overrides or {}, cache
        )
        noted: dict[str, int] | None = {} if snapshot and cache is not None else None
        checked = _run_checks(project, problems, ruleset, config, codes, severities, fixes, cache, snapshot=noted)
        focused, taken = None, (noted or {}).get("taken")
    findings = _place_rendered(checked)
    suppression.apply(
        findings,
        project,
        config,
        rules,
        today or _dt.date.today(),
        severities=severities,
        codes=codes,
        report_unused=report_unused_suppressions,
        baseline=baseline,
    )
    for finding in findings:
        if finding.suppressed or not fixes:  # fixes were attached before suppression (and cached with them)
            finding.autofix, finding.autofix_refused = None, ""
    _complete_regions(findings, project, config.max_file_size)
    findings.sort(key=Finding.sort_key)
    return ScanResult(
        root=project.root,
        files=project.files,
        findings=findings,
        rules={r.code: r for r in rules},
        services=project.services,
        selected=frozenset(codes),
        repo_prefix=repo_prefix(project.root),
        unmodeled_workloads=dict(sorted(project.kube.unmodeled.items())),
        objects=len(project.kube.objects),
        kustomize_patches=len(project.kustomize_patches),
        helm_tests=project.helm_tests,
        renders=dict(project.render_seconds),
        excluded_by_default=list(discovery.excluded_by_default),
        unowned_objects=_unowned_objects(project),
        severities=severities,
        plan=focused,
        snapshot_taken=taken,
    )


def _codes(
    paths: Sequence[Path], rules: list[RuleMeta], config: Config, select: Sequence[str] | None, ignore: Sequence[str]
) -> set[str]:
    codes = selected_codes(rules, select if select else config.select, [*config.ignore, *ignore])
    if not any(path.is_dir() for path in paths):
        # Repository rules judge a whole tree: not piped input, nor a scan of single files.
        codes = codes - {rule.code for rule in rules if rule.area == "repo"}
    return codes


def changes_plan(
    paths: Sequence[Path],
    config: Config,
    select: Sequence[str] | None,
    ignore: Sequence[str],
    ruleset: RuleSet,
    discovery: Discovery,
    cache: Cache,
) -> FocusPlan | None:
    """The units whose files changed since the last whole scan with the same rules left its
    snapshot (relcheck.scan.incremental.focus_plan); None when only a whole scan can tell."""
    codes = _codes(paths, ruleset.rules, config, select, ignore)
    severities = effective_severities(ruleset.rules, config.severity)
    return _plan(discovery, cache, set(), ruleset, codes, severities, config)


def _plan(
    discovery: Discovery,
    cache: Cache,
    focus: set[str],
    ruleset: RuleSet,
    codes: set[str],
    severities: dict[str, Severity],
    config: Config,
) -> FocusPlan | None:
    """focus_plan against the snapshot the last whole scan with these rules left."""
    from relcheck.scan.incremental import focus_plan, snapshot_name

    name = snapshot_name(discovery.root, _narrow_key(ruleset, codes, severities, config))
    return focus_plan(discovery, cache, name, focus, config.max_file_size)


def _focused(
    paths: Sequence[Path],
    config: Config,
    whole: Discovery,
    jobs: int,
    root: Path | None,
    cache: Cache,
    focus: set[str],
    ruleset: RuleSet,
    codes: set[str],
    severities: dict[str, Severity],
    fixes: bool,
    plan: FocusPlan | None = None,
    carried: Carried | None = None,
) -> tuple[Project, list[tuple[str, ParseProblem]], list[Finding], Discovery, FocusPlan | None, int | None]:
    """The hook's scan: the units that hold `focus`, in a project of their files and the shared
    ones, when the last whole scan's snapshot vouches for them; else the whole scan, which leaves a
    snapshot. The last items: the plan that held (None for the whole scan), the snapshot's time."""
    from relcheck.scan.incremental import FocusLost, plan_holds

    if plan is None:
        plan = _plan(whole, cache, focus, ruleset, codes, severities, config)
    if plan is not None:
        project, problems, narrowed = _build(paths, config, plan.discovery, None, None, jobs, root, {}, cache)
        try:
            if plan_holds(plan, project):
                kept = carried(plan, project) if carried is not None else []
                checked = _run_checks(
                    project, problems, ruleset, config, codes, severities, fixes, cache, plan, carried=kept
                )
                return project, problems, checked, narrowed, plan, plan.taken
        except FocusLost:
            pass
    project, problems, discovery = _build(paths, config, whole, None, None, jobs, root, {}, cache)
    noted: dict[str, int] = {}
    checked = _run_checks(project, problems, ruleset, config, codes, severities, fixes, cache, snapshot=noted)
    return project, problems, checked, discovery, None, noted.get("taken")


def _narrow_key(ruleset: RuleSet, codes: set[str], severities: dict[str, Severity], config: Config) -> str:
    """The key of the rules narrower than the repository, as they run in this scan."""
    from relcheck.scan.incremental import rules_key

    by_code = {r.code: r for r in ruleset.rules}
    narrow = [code for code in sorted(codes & set(ruleset.checks)) if by_code[code].scope != "repository"]
    return rules_key(ruleset, narrow, severities, config)


def _build(
    paths: Sequence[Path],
    config: Config,
    discovery: Discovery | None,
    stdin_text: str | None,
    stdin_filename: str | None,
    jobs: int,
    root: Path | None,
    overrides: dict[str, str],
    cache: Cache | None = None,
) -> tuple[Project, list[tuple[str, ParseProblem]], Discovery]:
    """Walk (unless the walk is given), then parse every file once into the Project; `overrides`
    are texts to read instead of what files hold (the fixes being tried)."""
    from relcheck.scan.parsepool import MIN_FILES_PER_WORKER, ParsePool, capped_jobs, worker_count

    jobs = capped_jobs(jobs)
    # Workers start while the main process still finds and classifies files: as soon as the walk
    # has found enough files for all of them, else once it knows how many it found.
    pools: list[ParsePool] = []

    def start_all_workers() -> None:
        if not pools:
            pools.append(ParsePool(jobs, background=True))

    # With a cache that has parses already, workers start only for the files it lacks.
    early = cache is None or not cache.has_parses()
    milestone = (jobs * MIN_FILES_PER_WORKER, start_all_workers) if jobs > 1 and early else None
    try:
        if discovery is None:
            excludes = [*config.exclude, *config.extend_exclude]
            discovery = discover(paths, excludes, milestone, default_excludes(config), root)
        if stdin_text is not None:
            discovery.files.append(stdin_file(stdin_text, stdin_filename))
        for source in discovery.files:
            if source.path in overrides:
                source.remember((overrides[source.path], None))
        if early and not pools:
            pools.append(ParsePool(worker_count(jobs, len(discovery.files)), background=True))
        project, problems = build_project(
            discovery, config.max_file_size, config.services, pools[0] if pools else None,
            render_settings(config), cache, jobs,
        )
    finally:
        for pool in pools:
            pool.close()
    return project, problems, discovery


def _place_rendered(findings: list[Finding]) -> list[Finding]:
    """Findings on values a chart's values file set are shown at that key, with the template line
    as a related location (where suppression comments apply too). The same finding from two renders
    (a chart with `ci/` values, two overlays of one base) is kept once. One on a value that only a
    chart-testing `ci/` values file sets (`replicaCount: 1` for a test install) is left out: those
    renders check the templates, not a deployment's values."""
    from relcheck.artifacts.rendered import ValueLocation
    from relcheck.render.helm import is_test_values

    kept: list[Finding] = []
    at: dict[tuple, list[int]] = {}  # (code, path, line, column) -> the findings kept there, in order
    # index in kept -> the messages found there with numbers left out (made when needed): the one kept
    # and, where a finding in the file's own words replaced a variant's, the variant's too
    loose_keys: dict[int, set[str]] = {}
    # index in kept -> the objects whose findings it stands for: two findings of one object at one
    # place are two problems (Kong's Service sends two undeclared ports, 8002 and 8445, from one line)
    merged: dict[int, set[int]] = {}
    same_subject: dict[tuple, int] = {}  # (code, path, line, column, identity) -> a test install's finding
    for finding in findings:
        location = finding.location
        if finding.test_values_only or (isinstance(location, ValueLocation) and is_test_values(location.path)):
            continue
        if isinstance(location, ValueLocation) and location.template is not None:
            finding.location = Location(location.path, location.line, location.column)
            template = Related(location.template, location.note)
            finding.related = (template, *finding.related)
            finding.template_at, finding.template_scope = location.template, finding.scope
            finding.scope = None
        if any(isinstance(r.location, ValueLocation) for r in finding.related):
            finding.related = tuple(
                Related(Location(r.location.path, r.location.line, r.location.column), r.message)
                if isinstance(r.location, ValueLocation)
                else r
                for r in finding.related
            )
        where = (finding.code, finding.location.path, finding.location.line, finding.location.column)
        here = at.get(where)
        index = None
        if here is not None:
            # One problem at one place: the same finding from two renders, or renders whose
            # messages differ in the workload's kind or in numbers only: a test install
            # (mattermost's `ci/` values set `replicaCount: 1`: "1 pod of 1" beside "1 pod of 2" at
            # the same strategy key), or overlays of one base that patch its replica count
            # (eks-workshop's modules).
            loose, subject = _loose(finding), _subject_object(finding)
            for candidate in here:
                if subject is not None and subject in merged.setdefault(candidate, _objects(kept[candidate])):
                    continue
                if candidate not in loose_keys:
                    loose_keys[candidate] = {_loose(kept[candidate])}
                if loose in loose_keys[candidate]:
                    index = candidate
                    break
            if index is None and kept[here[0]].variant != finding.variant:
                # A test install's finding where the chart's own render has one of the same rule
                # (its ci/ values leave out the volume that changes the message): the chart's own says it.
                index = here[0]
        if index is None and finding.variant:
            # Two test installs' findings about one thing at one place (alloy's Deployment with
            # `replicas: 1`, and with an HPA of its own that leaves `replicas` out): one problem.
            index = same_subject.get((*where, finding.identity))
            subject = _subject_object(finding)
            if index is not None and not kept[index].variant:
                index = None
            elif index is not None and subject is not None and subject in merged.get(index, ()):
                index = None  # two problems of one object
        if index is None:
            if finding.variant:
                same_subject.setdefault((*where, finding.identity), len(kept))
            at.setdefault(where, []).append(len(kept))
            kept.append(finding)
            continue
        merged.setdefault(index, _objects(kept[index])).update(_objects(finding))
        if kept[index].variant and not finding.variant:
            # The object as its file writes it says it best; later findings there are compared
            # with both messages (an overlay that turns a StatefulSet into a Deployment says "more
            # replicas of this Deployment", the file and the overlays that keep its kind "StatefulSet").
            loose_keys.setdefault(index, {_loose(kept[index])}).add(_loose(finding))
            kept[index] = finding
    return kept


# One template line that renders a different kind with other values (a chart's `controller.kind`, an
# overlay that patches `/kind`): the same finding there is one problem, whatever the kind.
_ROLE_KIND = re.compile(r"\b(?:ClusterRole|Role)(?= ')")
_WORKLOAD_KIND = re.compile(r"\b(?:Deployment|StatefulSet|DaemonSet|Job|CronJob|ReplicaSet|Rollout)(?= ')")
_NUMBER = re.compile(r"\d+")
_PLURAL = re.compile(r"(# [a-z]+?)s\b")


def _subject_object(finding: Finding) -> int | None:
    """The identity of the Kubernetes object a finding is about (None for a finding on something
    else, or on nothing): objects of several renders, or several of one render (a chart's shards),
    may share a line; one object's findings there are each a problem of its own."""
    from relcheck.scan.context import object_of

    if finding.subject is None:
        return None
    obj = object_of(finding.subject)
    return id(obj) if hasattr(obj, "render") else None


def _objects(finding: Finding) -> set[int]:
    subject = _subject_object(finding)
    return set() if subject is None else {subject}


def _loose(finding: Finding) -> str:
    """The message with the workload's kind, the kind of the RBAC role it cites and every number left
    out ("# replica" and "# replicas" alike; an overlay's ClusterRole and another's Role: argo-events'
    cluster and namespace installs)."""
    named = _ROLE_KIND.sub("role", _WORKLOAD_KIND.sub("workload", _as_written_name(finding)))
    return _PLURAL.sub(r"\1", _NUMBER.sub("#", named))


def _as_written_name(finding: Finding) -> str:
    """The message with the object's name as its file writes it, where a kustomize overlay renamed
    it (`namePrefix`: loki's operator is `controller-manager` in one overlay and
    `loki-operator-controller-manager` in another, both at one line of the base)."""
    if finding.renamed is None:
        return finding.message
    name, written = finding.renamed
    return finding.message.replace(f"'{name}'", f"'{written}'")


def render_settings(config: Config) -> RenderSettings:
    from relcheck.render.engines import DEFAULT_TIMEOUT
    from relcheck.render.run import RenderSettings

    return RenderSettings(
        enabled=config.render,
        charts=dict(config.helm.get("charts", {})),
        timeout=float(config.helm.get("timeout", DEFAULT_TIMEOUT)),
        config_source=config.source,
        locate=config.locate,
    )


def _run_checks(
    project: Project,
    problems: list[tuple[str, ParseProblem]],
    ruleset: RuleSet,
    config: Config,
    codes: set[str],
    severities: dict[str, Severity],
    fixes: bool = False,
    cache: Cache | None = None,
    focus: FocusPlan | None = None,
    snapshot: dict[str, int] | None = None,
    carried: Sequence[Finding] = (),
) -> list[Finding]:
    """The parse problems as E001/E002, then every selected rule's check: the rules narrower than
    the repository unit by unit through the cache (relcheck.scan.incremental), the repository's on
    the whole project (not in a `focus` run). Fixes are attached to every finding when `fixes` is
    asked or a cache keeps them (suppressed ones lose them later). `snapshot`: leave the snapshot of
    the units in the cache (relcheck.scan.incremental) and note its time there. `carried`: findings
    kept from before, joined before the order is set."""
    from relcheck.scan.incremental import unit_findings

    by_code = {r.code: r for r in ruleset.rules}
    findings: list[Finding] = []
    read_for_services, other_files = _source_the_s_rules_read(project)
    for path, problem in problems:
        if problem.code in codes and not _of_no_server(problem, path, read_for_services, other_files):
            findings.append(_problem_finding(by_code[problem.code], severities[problem.code], path, problem))
    checked = sorted(codes & set(ruleset.checks))
    narrow = [code for code in checked if by_code[code].scope != "repository"]
    whole = [code for code in checked if by_code[code].scope == "repository"]
    with_fixes = fixes or cache is not None

    def run(codes: list[str]):
        def on(view: Project) -> list[Finding]:
            produced = _run_rules(view, ruleset, config, codes, severities)
            if with_fixes:
                from relcheck.fixes.attach import attach_fixes

                attach_fixes(produced, view, ruleset.rules, config)
            return produced

        return on

    base_key = _narrow_key(ruleset, codes, severities, config) if cache is not None else ""
    findings += unit_findings(project, run(narrow), cache, base_key, config.max_file_size, focus, snapshot)
    if focus is None:
        findings += run(whole)(project)
    findings += carried
    # One order, however the findings were made (unit by unit, cached, whole), before duplicates go.
    findings.sort(key=lambda f: (*f.sort_key(), f.identity, f.value))

    from relcheck.checks.dockerfile import neutral_fixes

    neutral_fixes(findings, project)
    return findings


def _source_the_s_rules_read(project: Project) -> tuple[set[str], set[str]]:
    """The source files the S rules read (a Node service's: not a static site's or a browser
    extension's, which run in browsers, nor a Python service's JavaScript), and the source files
    that only services of another runtime hold."""
    from relcheck.scan.runtime import speaks_node

    node_services = [service for service in project.services if speaks_node(service)]
    read = {path for service in node_services for path in service.app.source_files}
    other = {path for service in project.services if not speaks_node(service) for path in service.files}
    other -= {path for service in node_services for path in service.files}
    other &= {source.path for source in project.files if source.kind == FileKind.APP_SOURCE}
    return read, other


def _of_no_server(problem: ParseProblem, path: str, read_for_services: set[str], other_files: set[str]) -> bool:
    """A source file the grammar read only in part that no service's facts come from (a browser
    app's `.tsx` in Unleash's `frontend/`), or a minified one that only services of another runtime
    hold (a static site's icons, the bundled UI of a Python service): what the S rules might miss
    there, they never read."""
    from relcheck.parsers.source import PARTIAL
    from relcheck.syntax.javascript import MINIFIED

    if problem.message.startswith(PARTIAL):
        return path not in read_for_services
    return problem.message.startswith(MINIFIED) and path in other_files


def _run_rules(
    project: Project, ruleset: RuleSet, config: Config, codes: list[str], severities: dict[str, Severity]
) -> list[Finding]:
    """The rules' checks on the project; a check that fails costs its own rule (an E001 naming it,
    then a file-by-file rerun), never the scan."""
    by_code = {r.code: r for r in ruleset.rules}
    checks = ruleset.checks
    findings: list[Finding] = []
    for code in codes:
        rule = by_code[code]
        params = effective_params(rule, config)
        produced: list[Finding] = []
        try:
            produced.extend(checks[code](CheckContext(project, rule, severities[code], params)))
        except PatternTimeout as exc:  # the repository's own pattern hangs: its rule stops, others run
            produced.append(_pattern_timeout(by_code["E002"], project, code, exc, ruleset.origin(code)))
        except Exception as exc:  # a bug in one rule must not end the scan
            produced.append(_internal_error(by_code["E001"], project, code, exc, ruleset.origin(code)))
            produced += _file_by_file(checks[code], project, rule, severities[code], params, produced)
        findings.extend(produced)
    return findings


def _unowned_objects(project: Project) -> list[str]:
    owned = {id(w) for service in project.services for w in service.workloads}
    return sorted(w.obj.identity for w in project.kube.workloads if id(w) not in owned)


def _complete_regions(findings: list[Finding], project: Project, max_bytes: int) -> None:
    """Findings that know only where they start end at the end of that line (SARIF wants all four)."""
    lines: dict[str, list[str]] = {}
    for finding in findings:
        location = finding.location
        if location.end_line is not None and location.end_column is not None:
            continue
        source = project.file(location.path)
        if source is None:
            continue
        if location.path not in lines:
            text, _ = source.read(max_bytes)
            lines[location.path] = text.split("\n") if text else []
        file_lines = lines[location.path]
        if 0 < location.line <= len(file_lines):
            end = max(len(file_lines[location.line - 1]) + 1, location.column)
            finding.location = Location(location.path, location.line, location.column, location.line, end)


def _problem_finding(rule: RuleMeta, severity: Severity, path: str, problem: ParseProblem) -> Finding:
    return Finding(
        code=rule.code,
        slug=rule.slug,
        severity=severity,
        message=problem.message,
        location=Location(path, problem.line, problem.column),
        checklist=rule.checklist,
        fix=(_skip_fix(problem.message) or rule.fix) if rule.code == "E002" else rule.fix,
        identity="file",
        value=problem.message,
    )


# What lets relcheck check a skipped file, by the reason its E002 gives (the rule's own fix covers the rest).
_SKIP_FIXES = (
    (
        ("-byte cap",),
        "Nothing to fix if the skip is expected; otherwise raise `max-file-size` in .relcheck.yaml above the "
        "file's size, or exclude the file (`exclude`).",
    ),
    (
        ("that relcheck did not render",),
        "Nothing to fix in this file if the skip is expected; to check what it deploys, render it (`helm "
        "template`, `kustomize build`) and scan the output: `... | relcheck scan -`.",
    ),
    (
        ("Helm chart ", "kustomize overlay "),
        "Nothing to fix if the skip is expected; to check what it makes, do what the message says (vendor its "
        "dependencies, name the values it is deployed with) or render it yourself and scan the output: "
        "`helm template ... | relcheck scan -`, `kustomize build ... | relcheck scan -`.",
    ),
    (
        ("holds the workloads kustomize overlay",),
        "Nothing to fix: its objects are checked in the overlay's render, where kustomize makes them.",
    ),
    (
        ("template", "placeholder"),
        "Nothing to fix: a template is checked once it is written out; scan the file the build writes from it.",
    ),
    (
        ("parsed in part",),
        "Nothing to fix if the code compiles: the rest of the file was read, but S rules may miss what the "
        "unread part holds.",
    ),
)


def _skip_fix(message: str) -> str | None:
    """The fix hint for a skip, by its reason, where the rule's generic hint says less."""
    for reasons, fix in _SKIP_FIXES:
        if any(reason in message for reason in reasons):
            return fix
    return None


def _file_by_file(
    check: Any, project: Project, rule: RuleMeta, severity: Severity, params: dict[str, Any], found: list[Finding]
) -> list[Finding]:
    """A rule that raised, run again on each file alone: the files it can read keep their findings
    (those that need several files are lost with the one that broke it); in a file it cannot read
    it is run again on each of the file's objects."""
    seen = {finding.fingerprint for finding in found}
    more: list[Finding] = []

    def run(view: Project) -> bool:
        try:
            produced = list(check(CheckContext(view, rule, severity, params)))
        except Exception:  # the file (or object) it cannot read: the E001 already says so
            return False
        for finding in produced:
            if finding.fingerprint not in seen:
                seen.add(finding.fingerprint)
                more.append(finding)
        return True

    for path in project.artifact_paths():
        if not run(project.only(path)):
            for one in project.objects_in(path):
                run(project.only(path, one))
    return more


def _rule_stopped(rule: RuleMeta, project: Project, message: str, identity: str) -> Finding:
    """A finding about a rule that could not run to the end, placed at the first service's anchor file
    (it is about the scan, not a file)."""
    anchors = [a for service in project.services if (a := service.anchor()) is not None]
    return Finding(
        code=rule.code,
        slug=rule.slug,
        severity=Severity.ERROR,
        message=message,
        location=anchors[0] if anchors else Location("."),
        checklist=None,
        fix=rule.fix,
        identity=identity,
    )


def _pattern_timeout(rule: RuleMeta, project: Project, code: str, exc: Exception, origin: str) -> Finding:
    message = (
        f"rule {code} of {origin} not checked: {exc}. Write the pattern so that it cannot backtrack "
        "without end (no nested or overlapping repeats)."
    )
    return _rule_stopped(rule, project, message, f"pattern-timeout:{code}")


def _internal_error(rule: RuleMeta, project: Project, code: str, exc: Exception, origin: str = "relcheck") -> Finding:
    message = (
        f"internal error in rule {code} of {origin} ({type(exc).__name__}: {exc}{raised_at(exc)}); other rules "
        "ran. Please report this."
    )
    return _rule_stopped(rule, project, message, f"internal:{code}")
