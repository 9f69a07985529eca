"""Runs the selected checks over the Project and applies overrides and suppressions."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relcheck.config import Config, default_excludes
from relcheck.discovery import Discovery, Kind, SourceFile, discover, stdin_file
from relcheck.gcpause import long_lived_model
from relcheck.model import Finding, Location, ParseProblem, Related, RuleMeta, Severity, Suppression, raised_at
from relcheck.project import Project, build_project
from relcheck.registry import ENGINE_CODES
from relcheck.ruleset import RuleSet, builtin
from relcheck.saferegex import PatternTimeout
from relcheck.selectors import UnknownRuleError, resolve, resolve_all
from relcheck.services import Service
from relcheck.suppression import Directive, applies, parse_directives

# Kinds whose comments relcheck reads for suppression directives.
COMMENTED_KINDS = frozenset(
    {Kind.DOCKERFILE, Kind.KUBERNETES, Kind.PROMETHEUS_RULES, Kind.PM2, Kind.APP_SETTINGS, Kind.APP_SOURCE, Kind.OTHER}
)


class CheckContext:
    """What a check gets: the project, its rule, effective params and a finding factory."""

    def __init__(self, project: Project, rule: RuleMeta, severity: Severity, params: dict[str, Any]) -> None:
        self.project = project
        self.rule = rule
        self.severity = severity
        self.params = params

    def finding(
        self,
        location: Location,
        message: str,
        *,
        identity: str = "",
        value: str = "",
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        scope: tuple[int, int] | None = None,
        ignores: tuple[str, ...] = (),
        ignore_source: str = "",
    ) -> Finding:
        return Finding(
            code=self.rule.code,
            slug=self.rule.slug,
            severity=severity if severity is not None else self.severity,
            message=message,
            location=location,
            checklist=self.rule.checklist,
            fix=self.rule.fix,
            identity=identity,
            value=value,
            related=tuple(related),
            scope=scope,
            annotation_ignores=ignores,
            annotation_source=ignore_source,
        )


@dataclass
class ScanResult:
    root: Path
    files: list[SourceFile]
    findings: list[Finding]
    rules: dict[str, RuleMeta]
    services: list[Service] = field(default_factory=list)
    selected: frozenset[str] = frozenset()  # the rules that ran
    # The scan root's folder inside its git repository ("" at the top, or outside any repository);
    # code scanning and CI annotations want paths relative to the repository.
    repo_prefix: str = ""
    # Objects that run pods of kinds no rule models (OpenShift DeploymentConfig, Argo Rollout...), by kind.
    unmodeled_workloads: dict[str, int] = field(default_factory=dict)
    objects: int = 0  # Kubernetes objects read (kustomize patches not counted)
    kustomize_patches: int = 0  # files read as patches, not objects
    excluded_by_default: list[str] = field(default_factory=list)  # folders the default excludes left out
    unowned_objects: list[str] = field(default_factory=list)  # workloads no service owns (kind/namespace/name)
    severities: dict[str, Severity] = field(default_factory=dict)  # each rule's severity after the config

    def repo_path(self, path: str) -> str:
        return f"{self.repo_prefix}/{path}" if self.repo_prefix and path != "<stdin>" else path

    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]


def selected_codes(rules: Sequence[RuleMeta], select: Sequence[str] | None, ignore: Sequence[str]) -> set[str]:
    """Codes to run. E codes run unless ignored by name, whatever `select` says."""
    codes = {r.code for r in rules} if not select else resolve_all(select, rules) | set(ENGINE_CODES)
    return codes - resolve_all(ignore, rules)


def effective_severities(rules: Sequence[RuleMeta], overrides: dict[str, str]) -> dict[str, Severity]:
    severities = {r.code: r.severity for r in rules}
    # Broader names first, so that `K: warning` with `K001: error` gives K001 error.
    for name in sorted(overrides, key=lambda n: len(resolve(n, rules)), reverse=True):
        for code in resolve(name, rules):
            severities[code] = Severity.parse(overrides[name])
    return severities


def effective_params(rule: RuleMeta, config: Config) -> dict[str, Any]:
    params = rule.param_defaults()
    for name, values in config.params.items():
        if _names_rule(name, rule):
            params.update(values)
    return params


def _names_rule(name: str, rule: RuleMeta) -> bool:
    return name.upper() == rule.code or name.lower() == rule.slug


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
) -> ScanResult:
    """Scan `paths` (and manifests read from stdin, shown as `<stdin>`) with the given settings;
    reported paths are relative to `root` (by default the deepest folder holding every path)."""
    ruleset = ruleset or builtin()
    rules = ruleset.rules
    by_code = {r.code: r for r in rules}
    from relcheck.parallel import MIN_FILES_PER_WORKER, ParsePool, capped_jobs, worker_count

    jobs = capped_jobs(jobs)
    # Workers start while the main process still finds and classifies files: as soon as the walk
    # has found enough files for all of them, else once it knows how many it found.
    pools: list[ParsePool] = []

    def start_all_workers() -> None:
        if not pools:
            pools.append(ParsePool(jobs, background=True))

    milestone = (jobs * MIN_FILES_PER_WORKER, start_all_workers) if jobs > 1 else None
    try:
        if discovery is None:  # a caller that walked the tree already (the hook) hands its walk over
            excludes = [*config.exclude, *config.extend_exclude]
            discovery = (
                discover(paths, excludes, milestone, default_excludes(config), root)
                if paths
                else Discovery(root or Path.cwd(), [], [])
            )
        if stdin_text is not None:
            discovery.files.append(stdin_file(stdin_text, stdin_filename))
        if not pools:
            pools.append(ParsePool(worker_count(jobs, len(discovery.files)), background=True))
        project, problems = build_project(discovery, config.max_file_size, config.services, pools[0])
    finally:
        for pool in pools:
            pool.close()
    codes = selected_codes(rules, select if select else config.select, [*config.ignore, *ignore])
    if not any(path.is_dir() for path in paths):
        # Repository rules judge a whole tree: not piped input, nor a scan of single files.
        codes = {code for code in codes if by_code[code].area != "repo"}
    severities = effective_severities(rules, config.severity)

    findings: list[Finding] = []
    for path, problem in problems:
        if problem.code in codes:
            findings.append(_problem_finding(by_code[problem.code], severities[problem.code], path, problem))
    checks = ruleset.checks
    for code in sorted(codes & set(checks)):
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

    from relcheck.checks.dockerfile import neutral_fixes

    neutral_fixes(findings, project.dockerfiles)
    directives = _apply_suppressions(findings, project, config, rules, today or _dt.date.today())
    findings += _directive_findings(directives, by_code, severities, codes, report_unused_suppressions)
    for finding in findings:
        if baseline and not finding.suppressed and finding.fingerprint in baseline:
            finding.suppression = Suppression("baseline", "accepted in the baseline")
    _complete_regions(findings, project, config.max_file_size)
    findings.sort(key=Finding.sort_key)
    return ScanResult(
        root=project.root,
        files=project.files,
        findings=findings,
        rules=by_code,
        services=project.services,
        selected=frozenset(codes),
        repo_prefix=repo_prefix(project.root),
        unmodeled_workloads=dict(sorted(project.kube.unmodeled.items())),
        objects=len(project.kube.objects),
        kustomize_patches=len(project.kustomize_patches),
        excluded_by_default=list(discovery.excluded_by_default),
        unowned_objects=_unowned_objects(project),
        severities=severities,
    )


def _unowned_objects(project: Project) -> list[str]:
    owned = {id(w) for service in project.services for w in service.workloads}
    return sorted(w.obj.identity for w in project.kube.workloads if id(w) not in owned)


def repo_prefix(root: Path) -> str:
    """The scan root relative to the enclosing git repository's root, '/'-separated."""
    current = root
    while True:
        if (current / ".git").exists():
            return root.relative_to(current).as_posix() if current != root else ""
        if current.parent == current:
            return ""
        current = current.parent


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
        fix=rule.fix,
        identity="file",
        value=problem.message,
    )


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


def _scan_anchor(project: Project) -> Location:
    """Where a finding about the scan as a whole goes: the first service's anchor file."""
    anchors = [a for service in project.services if (a := service.anchor()) is not None]
    return anchors[0] if anchors else Location(".")


def _pattern_timeout(rule: RuleMeta, project: Project, code: str, exc: Exception, origin: str) -> Finding:
    return Finding(
        code=rule.code,
        slug=rule.slug,
        severity=Severity.ERROR,
        message=f"rule {code} of {origin} not checked: {exc}. Write the pattern so that it cannot backtrack "
        "without end (no nested or overlapping repeats).",
        location=_scan_anchor(project),
        checklist=None,
        fix=rule.fix,
        identity=f"pattern-timeout:{code}",
    )


def _internal_error(rule: RuleMeta, project: Project, code: str, exc: Exception, origin: str = "relcheck") -> Finding:
    where = raised_at(exc)
    return Finding(
        code=rule.code,
        slug=rule.slug,
        severity=Severity.ERROR,
        message=f"internal error in rule {code} of {origin} ({type(exc).__name__}: {exc}{where}); other rules "
        "ran. Please report this.",
        location=_scan_anchor(project),
        checklist=None,
        fix=rule.fix,
        identity=f"internal:{code}",
    )


@dataclass
class _Placed:
    """A directive of a file, the codes it names, and what became of it."""

    path: str
    directive: Directive
    codes: set[str]
    unknown: list[str]
    used: bool = False


def _apply_suppressions(
    findings: list[Finding], project: Project, config: Config, rules: list[RuleMeta], today: _dt.date
) -> list[_Placed]:
    per_file = _per_file_ignores(config, rules)
    directives = _all_directives(project, rules, config.max_file_size, {f.location.path for f in findings})
    by_path: dict[str, list[_Placed]] = {}
    for placed in directives:
        by_path.setdefault(placed.path, []).append(placed)
    for finding in findings:
        path = finding.location.path
        for spec, codes, pattern in per_file:
            if finding.code in codes and spec.match_file(path):
                finding.suppression = Suppression("config", f"per-file-ignores: {pattern}")
                break
        if finding.suppressed:
            continue
        if finding.annotation_ignores and _names_code(finding.annotation_ignores, finding.code, rules):
            finding.suppression = Suppression("annotation", f"relcheck.dev/ignore on {finding.annotation_source}")
            continue
        for placed in by_path.get(path, ()):
            directive = placed.directive
            if directive.problem or finding.code not in placed.codes:
                continue
            if not applies(directive, finding.location.line, finding.scope):
                continue
            placed.used = True
            suppression = Suppression(
                "file" if directive.file_wide else "inline",
                directive.reason,
                directive.until.isoformat() if directive.until else None,
                Location(path, directive.line, 1),
            )
            if directive.until is not None and directive.until < today:
                finding.expired_suppression = suppression
                continue
            finding.suppression = suppression
            break
    return directives


def _directive_findings(
    directives: list[_Placed],
    by_code: dict[str, RuleMeta],
    severities: dict[str, Severity],
    codes: set[str],
    report_unused: bool,
) -> list[Finding]:
    """E003 for directives that are invalid or name no rule; E004, when asked, for those that
    suppressed nothing although every rule they name ran."""
    found = []
    for placed in directives:
        directive = placed.directive
        problems = [directive.problem] if directive.problem else []
        problems += [f"{UnknownRuleError(name)}" for name in placed.unknown]
        if problems and "E003" in codes:
            what = (
                "invalid, so it suppresses nothing"
                if directive.problem
                else "names rules that do not exist (its other names still apply)"
            )
            found.append(
                _directive_finding(
                    by_code["E003"], severities["E003"], placed, f"suppression directive {what}: {'; '.join(problems)}"
                )
            )
        elif report_unused and "E004" in codes and not placed.used and placed.codes and placed.codes <= codes:
            names = " ".join(directive.names)
            found.append(
                _directive_finding(
                    by_code["E004"], severities["E004"], placed, f"suppression of {names} suppressed nothing"
                )
            )
    return found


def _directive_finding(rule: RuleMeta, severity: Severity, placed: _Placed, message: str) -> Finding:
    return Finding(
        code=rule.code,
        slug=rule.slug,
        severity=severity,
        message=message,
        location=Location(placed.path, placed.directive.line, 1),
        checklist=rule.checklist,
        fix=rule.fix,
        identity=f"directive:{placed.directive.line}",
        value=" ".join(placed.directive.names),
    )


def _names_code(names: tuple[str, ...], code: str, rules: list[RuleMeta]) -> bool:
    for name in names:
        try:
            if code in resolve(name, rules):
                return True
        except UnknownRuleError:
            continue
    return False


def _per_file_ignores(config: Config, rules: list[RuleMeta]):
    if not config.per_file_ignores:
        return []
    from relcheck.saferegex import gitignore_spec

    return [
        (gitignore_spec([pattern]), resolve_all(names, rules), pattern)
        for pattern, names in sorted(config.per_file_ignores.items())
    ]


def _all_directives(project: Project, rules: list[RuleMeta], max_bytes: int, with_findings: set[str]) -> list[_Placed]:
    """The suppression directives of the files relcheck parses, and of other files with findings
    (a README a repository rule points at): any of them may be invalid or unused."""
    found = []
    for source in project.files:
        if source.kind not in COMMENTED_KINDS or (source.kind == Kind.OTHER and source.path not in with_findings):
            continue
        text, _ = source.read(max_bytes)
        if not text or "relcheck:" not in text:
            continue
        for directive in parse_directives(text):
            codes: set[str] = set()
            unknown = []
            for name in directive.names:
                try:
                    codes.update(resolve(name, rules))
                except UnknownRuleError:
                    unknown.append(name)
            found.append(_Placed(source.path, directive, codes, unknown))
    return found
