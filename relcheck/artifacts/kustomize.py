"""Kustomize: which files of a scan are patches, not objects.

A file a `kustomization.yaml` lists under `patches`, `patchesStrategicMerge` or `patchesJson6902`
holds a fragment that kustomize merges into a resource: a Deployment patch with only a replica
count or one container's image is not a Deployment, and linting it as one reports everything it
leaves out. Such files, and any object carrying a `$patch` directive, are kept out of the model.
With kustomize on PATH, overlays are rendered instead (relcheck.render.kustomize); these files are then
read through the build.
"""

from __future__ import annotations

from relcheck.artifacts.kubernetes import K8sObject

PATCH_FIELDS = ("patches", "patchesStrategicMerge", "patchesJson6902")
# The names kustomize reads a folder's kustomization from.
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def carries_patch_directive(obj: K8sObject) -> bool:
    """`$patch: delete` (or replace, merge) at the top of the object or in its metadata."""
    return "$patch" in obj.data or "$patch" in obj.metadata
