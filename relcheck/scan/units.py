"""Units: the parts of a scan that the rules narrower than the repository (scope object, file or
service) can check alone, so that they are checked per unit, in parallel, and from the cache.

A unit holds whole services: each service's own files, the files of its workloads, and the files of
the objects about those workloads (HPAs, PDBs, Services). Files that belong together for other
reasons join too: a Dockerfile and its .dockerignore, a Skaffold config and the workloads whose
images it builds, kustomization files and their patches, the PDBs, Services and HPAs that select
nothing with the custom resources of their namespace. Files of no service form one more unit. The
evidence no service owns (a shared runbook, shared alert files) is not in a unit; it is in every
unit's key.

A Project whose objects come from renders (Helm, kustomize) is one unit: its files are tied
together by templates and values in ways the objects do not show.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relcheck.artifacts.kubernetes import KubeIndex
from relcheck.artifacts.kustomize import KUSTOMIZATION_NAMES
from relcheck.artifacts.skaffold import built_images, placeholder
from relcheck.units.images import image_reference

if TYPE_CHECKING:
    from relcheck.scan.project import Project
    from relcheck.scan.services import Service


@dataclass
class Unit:
    files: list[str]  # sorted
    services: list[Service] = field(default_factory=list)
    key: str = ""


class _Groups:
    """Union-find over paths."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.parent = {path: path for path in paths}

    def find(self, path: str) -> str:
        parent = self.parent
        if path not in parent:
            parent[path] = path
        root = path
        while parent[root] != root:
            root = parent[root]
        while parent[path] != root:
            parent[path], path = root, parent[path]
        return root

    def join(self, paths: Iterable[str]) -> None:
        first = None
        for path in paths:
            root = self.find(path)
            if first is None:
                first = root
            elif root != first:
                self.parent[root] = first


def partition(project: Project) -> list[Unit] | None:
    """The units of the project, in a stable order; None when it cannot be split (rendered objects)."""
    kube = project.kube
    if any(obj.render for obj in kube.objects):
        return None
    groups = _Groups(f.path for f in project.files)
    for service in project.services:
        groups.join(_service_paths(service))
    for workload in kube.workloads:
        related = (*workload.hpas, *workload.pdbs, *workload.exposed_by, *workload.limit_ranges)
        rollout = kube.scaled_by_rollout.get(id(workload))
        if rollout is not None:
            related = (*related, rollout)  # the Rollout that owns its scale (workloadRef)
        for grant in (workload.lease_grant, workload.watch_grant):
            if grant is not None:
                # The RBAC that shows it elects a leader, or watches the API (K014, K020 read it)
                related = (*related, grant.role, grant.binding)
        if related:
            groups.join([workload.obj.path, *(obj.path for obj in related)])
    # What selects or targets nothing here may select a custom resource's pods (or the rule says it
    # selects nothing): kept with the custom resources and the other strays of its namespace.
    strays: dict[str, list[str]] = {}
    for obj in kube.hpas:
        if kube.hpa_targets.get(id(obj)) is None:
            strays.setdefault(obj.namespace, []).append(obj.path)
    for obj in kube.pdbs:
        if not kube.pdb_targets.get(id(obj)):
            strays.setdefault(obj.namespace, []).append(obj.path)
    for obj in kube.services:
        if not kube.service_targets.get(id(obj)):
            strays.setdefault(obj.namespace, []).append(obj.path)
    if strays:
        from relcheck.artifacts.kubernetes import _is_custom

        for obj in kube.objects:
            if _is_custom(obj) and obj.namespace in strays:
                strays[obj.namespace].append(obj.path)
    for paths in strays.values():
        groups.join(paths)
    # A Skaffold config decides what a workload's image reference deploys (relcheck.artifacts.skaffold).
    built = built_images(kube.objects)
    if built:
        for workload in kube.workloads:
            for container in workload.containers():
                image = container.get("image")
                config = placeholder(image, built) if isinstance(image, str) else None
                if config is not None:
                    groups.join([workload.obj.path, config.path])
    # So does a Makefile whose `kustomize edit set image` replaces a workload's image before deploying.
    if project.images_set:
        for workload in kube.workloads:
            for container in workload.containers():
                image = container.get("image")
                setters = project.images_set.get(image_reference(image)[0], []) if isinstance(image, str) else []
                if setters:
                    groups.join([workload.obj.path, *setters])
    for dockerfile in project.dockerfiles:
        if dockerfile.ignore_file:
            groups.join([dockerfile.path, dockerfile.ignore_file])
    kustomize = [f.path for f in project.files if posixpath.basename(f.path) in KUSTOMIZATION_NAMES]
    # A Makefile that builds an overlay without the load restrictor decides how that overlay is reported.
    builders = sorted({path for paths in project.unrestricted_overlays.values() for path in paths})
    # A build's committed output is checked or not as the overlays' renders make their workloads.
    outputs = sorted(project.kustomize_outputs)
    groups.join([*kustomize, *sorted(project.kustomize_patches), *builders, *outputs])

    members: dict[str, list[str]] = {}
    for path in groups.parent:
        members.setdefault(groups.find(path), []).append(path)
    owners: dict[str, list[Service]] = {}
    for service in project.services:
        paths = _service_paths(service)
        if paths:
            owners.setdefault(groups.find(paths[0]), []).append(service)
    units = [Unit(sorted(paths), owners.get(root, [])) for root, paths in members.items() if root in owners]
    rest = sorted(path for root, paths in members.items() if root not in owners for path in paths)
    if rest:
        units.append(Unit(rest))
    return sorted(units, key=lambda unit: unit.files[0] if unit.files else "")


def _service_paths(service: Service) -> list[str]:
    return [
        *service.files,
        *(w.obj.path for w in service.workloads),
        *(d.path for d in service.dockerfiles),
        *(a.path for a in service.pm2_apps),
        *(s.path for s in service.prom_rule_files),
        *service.borrowed_files,
    ]


def view(project: Project, unit: Unit) -> Project:
    """The project as the unit's rules see it: the unit's files and what they hold, its services as
    the whole scan found them. Lookups of files by path (`exists`, `file`) still answer for the whole
    scan, as they would in it."""
    from relcheck.scan.project import Project

    paths = set(unit.files)
    kube = project.kube
    objects = [o for o in kube.objects if o.path in paths]
    kept = {id(o) for o in objects}
    part = KubeIndex(
        objects=objects,
        workloads=[w for w in kube.workloads if id(w.obj) in kept],
        hpas=[o for o in kube.hpas if id(o) in kept],
        pdbs=[o for o in kube.pdbs if id(o) in kept],
        services=[o for o in kube.services if id(o) in kept],
        hpa_targets={k: v for k, v in kube.hpa_targets.items() if k in kept},
        pdb_targets={k: v for k, v in kube.pdb_targets.items() if k in kept},
        service_targets={k: v for k, v in kube.service_targets.items() if k in kept},
        targets_elsewhere={k for k in kube.targets_elsewhere if k in kept},
        targets_withheld={k: v for k, v in kube.targets_withheld.items() if k in kept},
        unmodeled=dict(kube.unmodeled),
        scaled_by_rollout={k: r for k, r in kube.scaled_by_rollout.items() if id(r) in kept},
    )
    seen = Project(
        root=project.root,
        files=[f for f in project.files if f.path in paths],
        dockerfiles=[d for d in project.dockerfiles if d.path in paths],
        kube=part,
        pm2_apps=[a for a in project.pm2_apps if a.path in paths],
        prom_rule_files=[s for s in project.prom_rule_files if s.path in paths],
        app_facts={k: v for k, v in project.app_facts.items() if k in paths},
        settings={k: v for k, v in project.settings.items() if k in paths},
        settings_positions={k: v for k, v in project.settings_positions.items() if k in paths},
        services=list(unit.services),
        repo=project.repo,
        kustomize_patches={p for p in project.kustomize_patches if p in paths},
        kustomize_outputs={p: o for p, o in project.kustomize_outputs.items() if p in paths},
        images_set={
            name: kept_setters
            for name, setters in project.images_set.items()
            if (kept_setters := [path for path in setters if path in paths])
        },
        listed_dirs=project.listed_dirs,
        unscanned=project.unscanned,
    )
    seen._by_path = project._by_path
    return seen


def service_signature(service: Service) -> str:
    """What the whole scan decided about a service that its own files do not say: its name (after
    the workload that deploys it, told apart from namesakes), the workloads it was given, its runtime."""
    workloads = sorted(f"{w.obj.path}#{w.obj.identity}" for w in service.workloads)
    return "\x1f".join([service.name, service.root, str(service.runtime), *workloads])
