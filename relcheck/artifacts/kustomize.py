"""Kustomize: which files of a scan are patches, not objects.

A file a `kustomization.yaml` lists under `patches`, `patchesStrategicMerge` or `patchesJson6902`
holds a fragment that kustomize merges into a resource: a Deployment patch with only a replica
count or one container's image is not a Deployment, and linting it as one reports everything it
leaves out. Such files, and any object carrying a `$patch` directive, are kept out of the model.
With kustomize on PATH, overlays are rendered instead (relcheck.render.kustomize); these files are then
read through the build.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from relcheck.artifacts.kubernetes import K8sObject

KUSTOMIZATION_KINDS = frozenset({"Kustomization", "Component"})
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"
PATCH_FIELDS = ("patches", "patchesStrategicMerge", "patchesJson6902")


def is_kustomization(obj: K8sObject) -> bool:
    """A kustomization file (not Flux's Kustomization, a cluster object of another group)."""
    group = obj.api_version.rsplit("/", 1)[0] if "/" in obj.api_version else ""
    if obj.kind not in KUSTOMIZATION_KINDS or group != KUSTOMIZE_GROUP:
        return False
    return posixpath.basename(obj.path) in ("kustomization.yaml", "kustomization.yml", "Kustomization")


def patch_paths(objects: Iterable[K8sObject]) -> set[str]:
    """Scan-relative paths of the files kustomizations name as patches."""
    found: set[str] = set()
    for obj in objects:
        if not is_kustomization(obj):
            continue
        folder = posixpath.dirname(obj.path)
        for field in PATCH_FIELDS:
            entries = obj.data.get(field)
            for entry in entries if isinstance(entries, list) else []:
                path = _patch_file(entry)
                if path is not None:
                    found.add(posixpath.normpath(posixpath.join(folder, path)))
    return found


def _patch_file(entry: Any) -> str | None:
    """The file an entry names: `- path: p.yaml` or a plain `- p.yaml`; inline patches name none."""
    if isinstance(entry, dict):
        entry = entry.get("path")
    if not isinstance(entry, str) or "\n" in entry or ":" in entry.split("/", 1)[0]:
        return None  # an inline patch, or a remote one
    return entry.strip() or None


def carries_patch_directive(obj: K8sObject) -> bool:
    """`$patch: delete` (or replace, merge) at the top of the object or in its metadata."""
    return "$patch" in obj.data or "$patch" in obj.metadata
