"""The Project: every parsed artifact of one scan, with the indexes rules query."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from relcheck.artifacts.alerts import PromRuleFile
from relcheck.artifacts.app import AppFacts
from relcheck.artifacts.dockerfile import Dockerfile
from relcheck.artifacts.kubernetes import LONG_RUNNING_KINDS, K8sObject, KubeIndex
from relcheck.artifacts.pm2 import Pm2App
from relcheck.artifacts.repo import RepoFacts, collect_repo_facts
from relcheck.model import ParseProblem
from relcheck.scan.discovery import Discovery, FileKind, SourceFile, classify
from relcheck.scan.services import Service
from relcheck.syntax.positions import Positions

if TYPE_CHECKING:
    from relcheck.render.run import RenderSettings
    from relcheck.scan.cache import Cache
    from relcheck.scan.parsepool import ParsePool

@dataclass
class Project:
    root: Path
    files: list[SourceFile]
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    kube: KubeIndex = field(default_factory=KubeIndex)
    pm2_apps: list[Pm2App] = field(default_factory=list)
    prom_rule_files: list[PromRuleFile] = field(default_factory=list)
    app_facts: dict[str, AppFacts] = field(default_factory=dict)  # per source or settings file
    settings: dict[str, object] = field(default_factory=dict)  # package.json and config files, parsed
    settings_positions: dict[str, Positions] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    repo: RepoFacts = field(default_factory=RepoFacts)
    kustomize_patches: set[str] = field(default_factory=set)  # files read as patches, not objects
    # Files that are an overlay's build output, committed → the overlay that makes their workloads.
    kustomize_outputs: dict[str, str] = field(default_factory=dict)
    # Image names a Makefile's `kustomize edit set image` replaces → the Makefiles that do.
    images_set: dict[str, list[str]] = field(default_factory=dict)
    # Overlay folders a Makefile builds with `--load-restrictor LoadRestrictionsNone` → those Makefiles.
    unrestricted_overlays: dict[str, list[str]] = field(default_factory=dict)
    # Dockerfiles that are templates a script renders (docker-library's `Dockerfile.template`): no image.
    dockerfile_templates: set[str] = field(default_factory=set)
    helm_tests: int = 0  # objects written as Helm tests (`helm.sh/hook: test`): run only by `helm test`
    render_seconds: dict[str, float] = field(default_factory=dict)  # each render (chart, overlay): its time
    started_ns: int = 0  # when the build began reading files (a snapshot of their states is older)
    # From the walk: folders it listed and the files it saw there but did not scan.
    listed_dirs: set[str] = field(default_factory=set, repr=False)
    unscanned: set[str] = field(default_factory=set, repr=False)
    _by_path: dict[str, SourceFile] = field(default_factory=dict, repr=False)
    _own_renders: set[tuple[str, str]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._by_path = {f.path: f for f in self.files}

    @property
    def rule_sources(self) -> list[PromRuleFile]:
        """The former name of prom_rule_files, kept for plugins."""
        return self.prom_rule_files

    def exists(self, path: str) -> bool:
        """Whether a regular file is at `path` (relative to the root), scanned or not. The disk is
        asked only about files the walk did not list or did not scan."""
        if path in self._by_path:
            return True
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if folder in self.listed_dirs and path not in self.unscanned:
            return False
        return (self.root / path).is_file()

    def file(self, path: str) -> SourceFile | None:
        return self._by_path.get(path)

    def in_charts_own_render(self, obj: K8sObject, identity: str) -> bool:
        """Whether the chart that rendered `obj` with a `ci/` values file also renders the container
        `identity` names with its own values (or the config's)."""
        if self._own_renders is None:
            self._own_renders = {
                (workload.obj.render.partition("@")[0], container.identity)
                for workload in self.kube.workloads
                if workload.obj.render and not workload.obj.test_install
                for container in workload.containers()
            }
        return (obj.render.partition("@")[0], identity) in self._own_renders

    def package_json(self, folder: str) -> object:
        """The parsed package.json of a folder ("" for the root), or None when there is none."""
        return self.settings.get(posixpath.join(folder, "package.json") if folder else "package.json")

    def artifact_paths(self) -> list[str]:
        """The files that hold something a rule reads, in order."""
        paths = {d.path for d in self.dockerfiles} | {o.path for o in self.kube.objects}
        paths |= {a.path for a in self.pm2_apps} | {s.path for s in self.prom_rule_files} | set(self.app_facts)
        return sorted(paths)

    def objects_in(self, path: str) -> list[object]:
        """The Kubernetes objects and PM2 apps of one file: what a rule that fails on one is retried without."""
        return [o for o in self.kube.objects if o.path == path] + [a for a in self.pm2_apps if a.path == path]

    def only(self, path: str, one: object | None = None) -> Project:
        """The project as if `path` were its only file (no services), or only `one` of its objects:
        where a rule that failed is run again file by file, then object by object, so that one bad
        object costs only its own findings."""
        return Project(
            root=self.root,
            files=[f for f in self.files if f.path == path],
            dockerfiles=[d for d in self.dockerfiles if d.path == path and one is None],
            kube=KubeIndex.build([o for o in self.kube.objects if o.path == path and (one is None or one is o)]),
            pm2_apps=[a for a in self.pm2_apps if a.path == path and (one is None or one is a)],
            prom_rule_files=[s for s in self.prom_rule_files if s.path == path],
            app_facts={key: facts for key, facts in self.app_facts.items() if key == path},
            settings={key: value for key, value in self.settings.items() if key == path},
            settings_positions={key: value for key, value in self.settings_positions.items() if key == path},
            images_set=self.images_set,
            unrestricted_overlays=self.unrestricted_overlays,
            repo=self.repo,
            listed_dirs=self.listed_dirs,
            unscanned=self.unscanned,
        )


def _without_patches(
    project: Project, objects: list[K8sObject], patches: set[str]
) -> tuple[list[K8sObject], list[K8sObject]]:
    """The objects less patches, and the patches: fragments merged into resources, not resources.
    `patches`: the files kustomization files name as patches (relcheck.render.kustomize.patch_files);
    besides, objects with a `$patch` directive, workloads the API server would refuse for want
    of an image, and those without a selector in a file named as a patch."""
    from relcheck.artifacts.kubernetes import is_named_patch, lacks_images
    from relcheck.artifacts.kustomize import carries_patch_directive

    kept, dropped = [], []
    for obj in objects:
        if obj.path in patches or carries_patch_directive(obj) or lacks_images(obj) or is_named_patch(obj):
            project.kustomize_patches.add(obj.path)
            dropped.append(obj)
        else:
            kept.append(obj)
    return kept, dropped


# Objects that deploy something relcheck does not see rendered: (API group, kind) → what they deploy.
GITOPS_KINDS = {
    ("helm.toolkit.fluxcd.io", "HelmRelease"): "a Helm chart",
    ("kustomize.toolkit.fluxcd.io", "Kustomization"): "a kustomize overlay",
    ("argoproj.io", "Application"): "an application (Helm, kustomize or plain manifests)",
    ("argoproj.io", "ApplicationSet"): "applications",
}


def _unrendered_deployers(
    objects: list[K8sObject], rendered: set[int], rendering: bool
) -> list[tuple[str, ParseProblem]]:
    """An info for each GitOps object (Flux HelmRelease/Kustomization, Argo CD Application) whose
    target was not rendered: what it deploys is not in the scan, so a repository of them must never
    read "No problems found"."""
    found = []
    for obj in objects:
        group = obj.api_version.rsplit("/", 1)[0] if "/" in obj.api_version else ""
        what = GITOPS_KINDS.get((group, obj.kind))
        if what is not None and id(obj) not in rendered:
            location = obj.key_loc("kind")
            why = (
                "its chart or path is not a folder of this repository, or it could not be rendered"
                if rendering
                else "rendering is off"
            )
            message = (
                f"{obj.display} deploys {what} that relcheck did not render ({why}), so nothing it deploys "
                "was checked; render it (helm template, kustomize build) and pipe the result in: "
                "`... | relcheck scan -`"
            )
            found.append((obj.path, ParseProblem("E002", message, location.line, location.column)))
    return found


def _fold_templates(
    problems: list[tuple[str, ParseProblem]], charts: set[str], rendered: set[str] = frozenset(), rendering: bool = True
) -> list[tuple[str, ParseProblem]]:
    """One E002 per Helm chart and per folder of other templates (Go templates, Liquid, Hugo),
    instead of one per file; only a chart's templates are called Helm's. The templates of a chart
    that was rendered (or whose render failed with a finding of its own) get none."""
    from relcheck.render.helm import ENABLE_HINT
    from relcheck.scan.parse_one import HELM_TEMPLATE, OTHER_TEMPLATE

    kept: list[tuple[str, ParseProblem]] = []
    groups: dict[tuple[str, str], list[str]] = {}
    for path, problem in problems:
        if problem.code == "E002" and problem.message in (HELM_TEMPLATE, OTHER_TEMPLATE):
            folder = posixpath.dirname(path)
            if problem.message == HELM_TEMPLATE:
                if any(path.startswith(f"{chart}/" if chart else "") for chart in rendered):
                    continue
                folder = max((c for c in charts if path.startswith(f"{c}/" if c else "")), key=len, default=folder)
            groups.setdefault((problem.message, folder), []).append(path)
        else:
            kept.append((path, problem))
    for (marker, folder), paths in sorted(groups.items()):
        shown = folder or "."
        count = f"{len(paths)} template{'s' if len(paths) != 1 else ''}"
        if marker == HELM_TEMPLATE:
            where = posixpath.join(folder, "Chart.yaml") if folder else "Chart.yaml"
            enable = ENABLE_HINT if rendering else "rendering is off (`--no-render`, or `render: false` in the config)"
            message = (
                f"Helm chart {shown} ({count}) is not rendered, so none of it was checked: {enable}, "
                f"or pipe it in: `helm template {shown} | relcheck scan -`"
            )
        else:
            where = sorted(paths)[0]
            message = (
                f"{count} in {shown}/ ({{{{ … }}}}, {{% … %}}, {{PLACEHOLDER}} or @PLACEHOLDER@: "
                "Go templates, Liquid, Hugo or a script's placeholders, not plain YAML) "
                f"{'were' if len(paths) != 1 else 'was'} not checked; render them and pipe the result in: "
                "`... | relcheck scan -`"
            )
        kept.append((where, ParseProblem("E002", message)))
    return kept


def _embedded_rule_files(project: Project, modeled: list[K8sObject], problems: list) -> None:
    """Rule files held in ConfigMaps (relcheck.parsers.alerts.from_configmap), less those whose every
    rule a rule file or PrometheusRule of the scan already has: kustomize's configMapGenerator and
    Helm's `.Files.Get` put the repository's own rule files in ConfigMaps, which are checked as files."""
    if not any(obj.kind == "ConfigMap" for obj in modeled):
        return  # (and the rule parser, with PromQL's, is not imported)
    from relcheck.parsers.alerts import from_configmap, holds_rule_text, oversized_expressions

    configmaps = [obj for obj in modeled if obj.kind == "ConfigMap" and holds_rule_text(obj)]

    known = {(rule.name, str(rule.data.get("expr"))) for source in project.prom_rule_files for rule in source.rules}
    for obj in configmaps:
        lines = None
        if not obj.render:
            written = project.file(obj.path)
            text = written.read()[0] if written is not None else None
            lines = text.splitlines() if text is not None else None
        for embedded in from_configmap(obj, lines):
            if embedded.rules and all((r.name, str(r.data.get("expr"))) in known for r in embedded.rules):
                continue
            project.prom_rule_files.append(embedded)
            problems.extend((embedded.path, problem) for problem in oversized_expressions(embedded))
            if any(rule.is_alert for rule in embedded.rules):
                project.repo.alert_files.append(embedded.path)  # R003's evidence (sorted with the rest)


def build_project(
    discovery: Discovery,
    max_file_size: int,
    services: dict[str, dict] | None = None,
    pool: ParsePool | None = None,
    render: RenderSettings | None = None,
    cache: Cache | None = None,
    jobs: int = 1,
) -> tuple[Project, list[tuple[str, ParseProblem]]]:
    """Parse every file once into the Project; problems become E001/E002 findings. `pool`, when
    given, is a set of workers already started for this scan (it is closed after parsing). With
    `render`, Helm charts and kustomize overlays are rendered and their objects linted. With a
    `cache`, only the files it has no parse of are parsed (by up to `jobs` workers)."""
    import time

    from relcheck.parsers.dockerfile import is_template_problem
    from relcheck.render.helm import Renders, is_test_hook
    from relcheck.render.run import render_all
    from relcheck.scan.parse_one import needs_parsing
    from relcheck.scan.parsepool import parse_all

    started = time.time_ns()
    problems = list(discovery.problems)
    problems.extend(classify(discovery.files, max_file_size))
    project = Project(
        root=discovery.root,
        files=discovery.files,
        listed_dirs=discovery.listed_dirs,
        unscanned=discovery.unscanned,
        started_ns=started,
    )
    charts = _chart_dirs(discovery.files)
    tasks = [
        (source, source.kind == FileKind.KUBERNETES and _in_chart_templates(source.path, charts))
        for source in discovery.files
        if needs_parsing(source)
    ]
    objects: list[K8sObject] = []
    if cache is not None:
        from relcheck.scan.parsecache import parse_cached

        parsed_files = parse_cached(tasks, max_file_size, cache, jobs, pool)
    elif pool is not None:
        parsed_files = pool.parse_all(tasks, max_file_size)
    else:
        parsed_files = parse_all(tasks, max_file_size)
    for parsed in parsed_files:
        problems.extend((parsed.path, problem) for problem in parsed.problems)
        if parsed.dockerfile is not None:
            project.dockerfiles.append(parsed.dockerfile)
        elif any(is_template_problem(problem) for problem in parsed.problems):
            project.dockerfile_templates.add(parsed.path)
        objects.extend(parsed.objects)
        project.pm2_apps.extend(parsed.pm2_apps)
        project.prom_rule_files.extend(parsed.prom_rule_files)
        for name, _ in parsed.images_set:
            setters = project.images_set.setdefault(name, [])
            if parsed.path not in setters:
                setters.append(parsed.path)
        for folder in parsed.unrestricted_builds:
            project.unrestricted_overlays.setdefault(folder, []).append(parsed.path)
        if parsed.facts is not None:
            project.app_facts[parsed.path] = parsed.facts
        if parsed.settings_positions is not None:
            project.settings[parsed.path] = parsed.settings
            project.settings_positions[parsed.path] = parsed.settings_positions
    renders = (
        render_all(project.root, discovery.files, objects, render, max_file_size, project.unrestricted_overlays)
        if render
        else Renders()
    )
    project.render_seconds = renders.seconds
    problems.extend(renders.problems)
    # Files a kustomize build read are linted as what the build made of them, not as written; a
    # rendered chart's own committed output is the chart, which its render checked.
    outputs = _chart_outputs(objects, renders.rendered)
    problems.extend(_chart_output_notes(outputs))
    skipped = {path for paths in outputs.values() for path in paths}
    written = [obj for obj in objects if obj.path not in renders.consumed and obj.path not in skipped]
    # So is a file an overlay's build wrote into the repository (argo-cd's `manifests/install.yaml`,
    # metallb's `config/manifests/metallb-native.yaml`): the overlay was rendered and checked.
    built_copies = project.kustomize_outputs = _overlay_outputs(written, renders.objects)
    problems.extend(_overlay_output_notes(built_copies))
    written = [obj for obj in written if obj.path not in built_copies]
    # A Helm test a chart's committed output (or a plain manifest) holds runs only under `helm
    # test`, as in a render, where they are left out too (relcheck.render.helm.is_test_hook).
    deployed = [obj for obj in written if not is_test_hook(obj)]
    project.helm_tests, written = len(written) - len(deployed), deployed
    whole, fragments = _without_patches(project, written, renders.patch_files)
    modeled = whole + renders.objects
    project.kube = KubeIndex.build(modeled, fragments)
    rendering = render is not None and render.enabled
    # Written objects as modeled: a patch of a GitOps object, or one an overlay's build read, is
    # not a second one (the build's copy is reported).
    problems.extend(_unrendered_deployers([*whole, *renders.objects], renders.deployers, rendering))
    if any(obj.kind == "PrometheusRule" for obj in modeled):
        from relcheck.parsers.alerts import from_prometheus_rule, loki_rules, oversized_expressions

        for obj in modeled:
            loki = loki_rules(obj)
            if loki is not None:
                problems.append((obj.path, loki))
                continue
            source = from_prometheus_rule(obj)
            if source is not None:
                project.prom_rule_files.append(source)
                problems.extend((source.path, problem) for problem in oversized_expressions(source))
    _embedded_rule_files(project, modeled, problems)
    collect_repo_facts(project.repo, project.kube.objects, project.files, max_file_size)
    _attach_dockerignores(project)
    from relcheck.scan.services import find_services

    project.services = find_services(project, services)
    return project, _fold_templates(problems, charts, renders.handled, render is None or render.enabled)


# Folders where a chart keeps what `helm template` printed for its examples (OpenTelemetry's
# `charts/opentelemetry-demo/examples/default/rendered/`): generated copies of the chart's objects.
CHART_OUTPUT_FOLDERS = frozenset({"rendered"})


def _chart_outputs(objects: list[K8sObject], rendered: set[str]) -> dict[str, list[str]]:
    """The manifests in a rendered chart's output folders (not its templates), by chart."""
    found: dict[str, set[str]] = {}
    charts = sorted((c for c in rendered if c), key=len, reverse=True)
    for obj in objects:
        chart = next((c for c in charts if obj.path.startswith(f"{c}/")), None)
        if chart is None:
            continue
        folders = obj.path[len(chart) + 1 :].split("/")[:-1]
        if folders and folders[0] not in ("templates", "charts", "crds") and CHART_OUTPUT_FOLDERS & set(folders):
            found.setdefault(chart, set()).add(obj.path)
    return {chart: sorted(paths) for chart, paths in sorted(found.items())}


def _chart_output_notes(outputs: dict[str, list[str]]) -> list[tuple[str, ParseProblem]]:
    notes = []
    for chart, paths in outputs.items():
        count = f"{len(paths)} manifest{'s' if len(paths) != 1 else ''}"
        message = (
            f"{count} in {chart}/…/rendered/ {'are' if len(paths) != 1 else 'is'} chart {chart}'s own rendered "
            "output (what `helm template` printed for an example): the chart was rendered and checked, so "
            f"{'they were' if len(paths) != 1 else 'it was'} not checked again"
        )
        notes.append((paths[0], ParseProblem("E002", message)))
    return notes


def _overlay_outputs(written: list[K8sObject], rendered: list[K8sObject]) -> dict[str, str]:
    """Manifest files that are a kustomize build's output, committed: the file holds workloads and
    one rendered overlay makes each of them as the file writes it (the same kind, namespace, name
    and pod spec, but for image tags). The overlay that made it may be one the rendered overlay
    builds on (argo-cd's `install.yaml` is `manifests/cluster-install`'s, which HA overlays build
    on), so objects other than workloads (its CRDs) need not be among the render's. File → overlay."""
    overlays: dict[tuple[str, str], set[str]] = {}
    for obj in rendered:
        by = getattr(obj, "rendered_by", "")
        if by.startswith("kustomize overlay ") and obj.kind in LONG_RUNNING_KINDS:
            overlays.setdefault(_copy_key(obj), set()).add(by.removeprefix("kustomize overlay "))
    if not overlays:
        return {}
    by_file: dict[str, list[K8sObject]] = {}
    for obj in written:
        by_file.setdefault(obj.path, []).append(obj)
    found: dict[str, str] = {}
    for path, file_objects in by_file.items():
        workloads = [obj for obj in file_objects if obj.kind in LONG_RUNNING_KINDS]
        if len(file_objects) < 2 or not workloads:
            continue
        common = set.intersection(*(overlays.get(_copy_key(obj), set()) for obj in workloads))
        if common:
            found[path] = sorted(common)[0]
    return found


def _copy_key(obj: K8sObject) -> tuple[str, str]:
    """An object's identity, and for a workload its pod spec with each image's tag left out (a
    release writes its version where the overlay says `latest`)."""
    if obj.kind not in LONG_RUNNING_KINDS:
        return obj.identity, ""
    import json

    from relcheck.units.images import image_reference

    pod = obj.get("spec", "template", "spec")

    def untagged(value: object) -> object:
        if isinstance(value, dict):
            return {
                key: image_reference(item)[0] if key == "image" and isinstance(item, str) else untagged(item)
                for key, item in value.items()
            }
        return [untagged(item) for item in value] if isinstance(value, list) else value

    return obj.identity, json.dumps(untagged(pod), sort_keys=True, default=str)


def _overlay_output_notes(copies: dict[str, str]) -> list[tuple[str, ParseProblem]]:
    return [
        (
            path,
            ParseProblem(
                "E002",
                f"{path} holds the workloads kustomize overlay {overlay} makes, as it writes them (image tags "
                "aside): a build's or a release's output, committed. The overlay was rendered and checked, so "
                "the file's objects were not checked again",
            ),
        )
        for path, overlay in sorted(copies.items())
    ]


def _chart_dirs(files: list[SourceFile]) -> set[str]:
    return {f.path.rsplit("/", 1)[0] if "/" in f.path else "" for f in files if f.name == "Chart.yaml"}


def _in_chart_templates(path: str, charts: set[str]) -> bool:
    return any(path.startswith(f"{chart}/templates/" if chart else "templates/") for chart in charts)


# A .dockerignore is read whole up to this size; past it, the patterns read so far apply.
DOCKERIGNORE_LIMIT = 1024 * 1024


def _attach_dockerignores(project: Project) -> None:
    """Each Dockerfile's .dockerignore, read and parsed here so that no check reads a file. One the
    scan excludes still counts: the walk saw it, and Docker reads it."""
    from relcheck.scan.discovery import read_text
    from relcheck.syntax.dockerignore import parse_dockerignore

    for dockerfile in project.dockerfiles:
        folder, name = posixpath.split(dockerfile.path)
        context = dockerfile.build_context = _build_context(project, dockerfile)
        candidates = [posixpath.join(folder, f"{name}.dockerignore"), posixpath.join(context, ".dockerignore")]
        found = next((c for c in candidates if project.exists(c)), None)
        if found is None:
            continue
        scanned = project.file(found)
        if scanned is not None:
            text, _ = scanned.read(DOCKERIGNORE_LIMIT)
        else:
            text, _ = read_text(project.root / found, DOCKERIGNORE_LIMIT)
        dockerfile.ignore_file = found
        dockerfile.ignore_patterns = parse_dockerignore(text or "")


# Sources a COPY names that say nothing about where the build context is.
_ANYWHERE = re.compile(r"^\.?/?$|[*?\[$]|^[a-z]+://|^<<")


def _build_context(project: Project, dockerfile: Dockerfile) -> str:
    """The folder an image is most likely built from: the Dockerfile's own, unless a folder above
    holds more of the files its COPY and ADD name (the nearest that holds them all): uptime-kuma's
    `docker/dockerfile`, built with `docker build -f docker/dockerfile .` from the root, copies
    `package.json`. Docker reads the .dockerignore of the context, not of the Dockerfile's folder."""
    sources: list[str] = []
    for stage in dockerfile.stages:
        for instruction in stage.instructions:
            if instruction.keyword not in ("COPY", "ADD") or any(f.startswith("--from") for f in instruction.flags):
                continue
            sources.extend(a.removeprefix("./").lstrip("/") for a in instruction.args[:-1] if not _ANYWHERE.search(a))
    folder = posixpath.dirname(dockerfile.path)
    if not sources:
        return folder

    def there(candidate: str, source: str) -> bool:
        path = posixpath.normpath(posixpath.join(candidate, source))
        # A bare name that is the Dockerfile's own folder is no file it copies (testkube's
        # `build/kubectl-testkube/`, beside the binary of that name its release tool builds
        # elsewhere); a path to it from above is (loki's `COPY ./clients/cmd/logstash/`, from the root).
        if "/" not in source.strip("/") and (folder == path or folder.startswith(f"{path}/")):
            return False
        if path in project.listed_dirs or project.exists(path):
            return True  # the walk's lists, or the disk for a file they do not settle
        # A folder the walk skipped (`vendor/`, a git-ignored one), unless the name is a file's.
        return "." not in posixpath.basename(path).lstrip(".") and (project.root / path).is_dir()

    sources = list(dict.fromkeys(sources))[:8]
    best, best_found, candidate = folder, -1, folder
    while True:
        found = sum(there(candidate, source) for source in sources)
        if found > best_found:
            best, best_found = candidate, found
        if not candidate or found == len(sources):
            return best
        candidate = posixpath.dirname(candidate)
