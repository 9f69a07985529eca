"""Rendering in a scan: which charts, overlays and GitOps objects to render, with which engine."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relcheck.artifacts.kubernetes import K8sObject
from relcheck.model import ParseProblem
from relcheck.render.engines import DEFAULT_TIMEOUT, helm_engine, kustomize_command
from relcheck.render.helm import ChartRenderer, ChartSettings, Renders, ValuesFile, chart_folders
from relcheck.render.kustomize import KustomizeRenderer, entry_points, patch_files, read_kustomizations
from relcheck.render.siblings import chart_names
from relcheck.scan.discovery import FileKind, SourceFile, read_text
from relcheck.syntax.positions import Positions


@dataclass
class RenderSettings:
    """The config's `helm` table and `--no-render`."""

    enabled: bool = True
    charts: dict[str, dict] = field(default_factory=dict)  # chart folder -> values, release, namespace
    timeout: float = DEFAULT_TIMEOUT
    config_source: str | None = None  # for problems about the config's own entries
    locate: Any = None  # the config's key path -> (line, column), where it knows


class RepoFiles:
    """Reading files of the repository for renderers: the walk's files, or files inside the root."""

    def __init__(self, root: Path, files: list[SourceFile], max_bytes: int) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.by_path = {f.path: f for f in files}
        self.max_bytes = max_bytes

    def inside(self, path: str) -> bool:
        if os.path.isabs(path) or path == ".." or path.startswith("../"):
            return False
        full = os.path.realpath(self.root / path)
        return Path(full).is_relative_to(self.real_root)

    def exists(self, path: str) -> bool:
        if path in self.by_path:
            return True
        return self.inside(path) and (self.root / path).is_file()

    def read(self, path: str) -> str | None:
        source = self.by_path.get(path)
        if source is not None:
            text, _ = source.read(self.max_bytes)
            return text
        if not self.exists(path):
            return None
        text, _ = read_text(self.root / path, self.max_bytes)
        return text


def render_all(
    root: Path,
    files: list[SourceFile],
    objects: list[K8sObject],
    settings: RenderSettings,
    max_bytes: int,
    unrestricted: dict[str, list[str]] | None = None,
) -> Renders:
    """Render the charts and overlays of the scan. `unrestricted`: overlay folders the repository's
    Makefiles build with `--load-restrictor LoadRestrictionsNone` → those Makefiles."""
    out = Renders()
    # A test folder's charts and overlays are evidence only (argo-cd's test/manifests/cmp patches
    # the repo server with a test plugin): not rendered, though a base there may be read.
    files = [f for f in files if f.kind != FileKind.EVIDENCE]
    repo = RepoFiles(root, files, max_bytes)
    paths = [f.path for f in files]
    kustomizations = read_kustomizations(paths, repo.read)
    out.patch_files = patch_files(kustomizations)
    if not settings.enabled:
        return out
    charts = chart_folders(paths)
    deployers = _helm_deployers(objects, repo)
    for key in sorted(settings.charts):
        folder = "" if key in (".", "") else posixpath.normpath(key)
        if folder not in charts and settings.config_source and not os.path.isabs(settings.config_source):
            message = f"helm.charts names {key}, which is not a chart folder of this scan (no Chart.yaml there)"
            line, column = settings.locate(("helm", "charts", key), True) if settings.locate else (None, None)
            out.problems.append((settings.config_source, ParseProblem("E002", message, line or 1, column or 1)))
    if charts or deployers:
        engine = helm_engine(settings.timeout)
        if engine is not None:
            renderer = ChartRenderer(root, engine, repo.read, repo.exists)
            renderer.siblings = chart_names(charts, repo.read)
            try:
                for chart in charts:
                    renderer.render_chart(chart, _configured(chart, settings, repo, out), out)
                for obj, chart, chart_settings in deployers:
                    renderer.render_chart(chart, chart_settings, out)
                    out.deployers.add(id(obj))
            finally:
                engine.close()
    command = kustomize_command() if kustomizations else None
    if command is not None:
        renderer = KustomizeRenderer(root, command, objects, repo.inside, settings.timeout)
        renderer.unrestricted = unrestricted or {}
        renderer.scanned = repo.by_path.__contains__
        # Entry points, and overlays a GitOps object deploys though another overlay builds on them.
        entries = entry_points(kustomizations)
        walked = {f for f, k in kustomizations.items() if k.walked}
        wanted = {f for obj in [*objects, *out.objects] for f in _deployed_folders(obj) if f in walked}
        out.rendered |= renderer.render_all([*entries, *sorted(wanted - set(entries))], kustomizations, out)
    # A GitOps object (written, or made by a chart: an app of apps) whose chart or overlay was
    # rendered on its own, or whose folder holds plain manifests, counts as checked; the others are
    # reported as not rendered.
    checked = out.rendered | {posixpath.dirname(obj.path) for obj in objects if obj.path not in out.consumed}
    for obj in [*objects, *out.objects]:
        if id(obj) not in out.deployers and any(folder in checked for folder in _deployed_folders(obj)):
            out.deployers.add(id(obj))
    return out


def _configured(chart: str, settings: RenderSettings, repo: RepoFiles, out: Renders) -> ChartSettings:
    entry = settings.charts.get(chart or ".") or settings.charts.get(chart) or {}
    values = []
    for relative in entry.get("values", []):
        path = posixpath.normpath(posixpath.join(chart, relative) if chart else relative)
        if os.path.isabs(relative) or path.startswith("../") or path == ".." or not repo.exists(path):
            where = posixpath.join(chart, "Chart.yaml") if chart else "Chart.yaml"
            message = (
                f"values file {relative} that the config names for chart {chart or '.'} is not a file of the "
                "repository; rendered without it"
            )
            out.problems.append((where, ParseProblem("E002", message)))
            continue
        values.append(path)
    return ChartSettings(values=values, release=entry.get("release"), namespace=entry.get("namespace", "default"))


def _group(obj: K8sObject) -> str:
    return obj.api_version.rsplit("/", 1)[0] if "/" in obj.api_version else ""


def _local_folder(value: Any, repo: RepoFiles, marker: str) -> str | None:
    """A folder of the repository, from a path a GitOps object names, when it holds `marker`."""
    if not isinstance(value, str) or not value.strip() or "://" in value:
        return None
    folder = posixpath.normpath(value.strip().lstrip("/"))
    if folder.startswith("../") or folder == "..":
        return None
    folder = "" if folder == "." else folder
    return folder if repo.exists(posixpath.join(folder, marker) if folder else marker) else None


def _helm_deployers(objects: list[K8sObject], repo: RepoFiles) -> list[tuple[K8sObject, str, ChartSettings]]:
    """Flux HelmReleases and Argo CD Applications whose chart is a folder of this repository."""
    found = []
    for obj in objects:
        group = _group(obj)
        if obj.kind == "HelmRelease" and group == "helm.toolkit.fluxcd.io":
            spec = obj.get("spec", "chart", "spec")
            if not isinstance(spec, dict) or str((spec.get("sourceRef") or {}).get("kind")) not in (
                "GitRepository",
                "Bucket",
            ):
                continue
            chart = _local_folder(spec.get("chart"), repo, "Chart.yaml")
            if chart is None:
                continue
            files = [posixpath.normpath(f) for f in spec.get("valuesFiles") or [] if isinstance(f, str)]
            namespace = str(obj.get("spec", "targetNamespace") or obj.metadata.get("namespace") or "default")
            target = obj.get("spec", "targetNamespace")
            release = obj.get("spec", "releaseName") or (f"{target}-{obj.name}" if target else obj.name)
            inline = obj.get("spec", "values")
            found.append(
                (obj, chart, _gitops_settings(obj, files, str(release), namespace, inline, ("spec", "values"), repo))
            )
        elif obj.kind == "Application" and group == "argoproj.io":
            sources = obj.get("spec", "sources")
            candidates = (
                [("spec", "source")] + [("spec", "sources", i) for i in range(len(sources))]
                if isinstance(sources, list)
                else [("spec", "source")]
            )
            for keys in candidates:
                source = obj.get(*keys)
                if not isinstance(source, dict):
                    continue
                chart = _local_folder(source.get("path"), repo, "Chart.yaml")
                if chart is None:
                    continue
                helm = source.get("helm") if isinstance(source.get("helm"), dict) else {}
                files = [
                    posixpath.normpath(posixpath.join(chart, str(f)))
                    for f in helm.get("valueFiles") or []
                    if isinstance(f, str)
                ]
                namespace = str(obj.get("spec", "destination", "namespace") or "default")
                release = str(helm.get("releaseName") or obj.name)
                if isinstance(helm.get("valuesObject"), dict):
                    inline, at = helm["valuesObject"], (*keys, "helm", "valuesObject")
                else:
                    inline, at = _yaml_text(helm.get("values")), (*keys, "helm", "values")
                found.append((obj, chart, _gitops_settings(obj, files, release, namespace, inline, at, repo)))
    return found


def _yaml_text(text: Any) -> dict | None:
    from relcheck.syntax.yaml import YamlError, load_one

    if not isinstance(text, str):
        return None
    try:
        data, _ = load_one(text)
    except YamlError:
        return None
    return data if isinstance(data, dict) else None


def _gitops_settings(
    obj: K8sObject, files: list[str], release: str, namespace: str, inline: Any, at: tuple, repo: RepoFiles
) -> ChartSettings:
    kept = [f for f in files if not f.startswith("../") and repo.exists(f)]
    values = None
    if isinstance(inline, dict):
        if obj.get(*at) is inline:  # written as YAML in the object: its keys have positions
            values = ValuesFile(obj.path, inline, obj.positions, (*obj.base, *at))
        else:  # a YAML string inside the object: every key is at that string
            line, column = obj.positions.of((*obj.base, *at))
            values = ValuesFile(obj.path, inline, Positions({(): (line, column)}, {}), ())
    kind_at = obj.key_loc("kind")
    return ChartSettings(
        values=kept,
        release=release,
        namespace=namespace,
        inline=values,
        label=obj.display,
        with_ci=False,
        where=(obj.path, kind_at.line, kind_at.column),
    )


def _deployed_folders(obj: K8sObject) -> list[str]:
    """The repository folders a Flux HelmRelease or Kustomization, or an Argo CD Application, deploys."""
    group = _group(obj)
    if obj.kind == "Kustomization" and group == "kustomize.toolkit.fluxcd.io":
        paths = [obj.get("spec", "path")]
    elif obj.kind == "HelmRelease" and group == "helm.toolkit.fluxcd.io":
        paths = [obj.get("spec", "chart", "spec", "chart")]
    elif obj.kind == "Application" and group == "argoproj.io":
        sources = obj.get("spec", "sources")
        paths = [obj.get("spec", "source", "path")]
        paths += [s.get("path") for s in sources if isinstance(s, dict)] if isinstance(sources, list) else []
    else:
        return []
    folders = []
    for path in paths:
        if isinstance(path, str) and path.strip() and "://" not in path:
            folder = posixpath.normpath(path.strip().lstrip("/"))
            folders.append("" if folder == "." else folder)
    return folders
