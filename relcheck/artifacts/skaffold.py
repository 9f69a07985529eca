"""Skaffold configs (`skaffold.yaml`, `apiVersion: skaffold/...`, `kind: Config`): the images they build.

Skaffold deploys what it builds under an immutable reference, whatever the manifests say: it
replaces every manifest reference to an artifact's image name (any tag) with the built image's tag
and digest ("No matter the tagger, Skaffold always uses immutable references in Kubernetes
manifests", skaffold.dev/docs/taggers). A manifest's `image: cartservice` beside an artifact
`cartservice` is a placeholder, not what runs.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from relcheck.units.images import image_reference

if TYPE_CHECKING:
    from relcheck.artifacts.kubernetes import K8sObject


def is_skaffold_config(obj: K8sObject) -> bool:
    return obj.kind == "Config" and obj.api_version.startswith("skaffold/")


def artifacts(obj: K8sObject) -> Iterator[tuple[str, str]]:
    """(image name without tag, build context folder relative to the config's folder) of every
    artifact: `build.artifacts`, and those of its profiles (a profile builds them when it is active)."""
    builds = [obj.get("build")]
    profiles = obj.get("profiles")
    if isinstance(profiles, list):
        builds += [profile.get("build") for profile in profiles if isinstance(profile, dict)]
    for build in builds:
        listed = build.get("artifacts") if isinstance(build, dict) else None
        for artifact in listed if isinstance(listed, list) else []:
            if isinstance(artifact, dict) and isinstance(artifact.get("image"), str) and artifact["image"]:
                context = artifact.get("context")
                yield image_reference(artifact["image"])[0], context if isinstance(context, str) and context else "."


def built_images(objects: Iterable[K8sObject]) -> dict[str, K8sObject]:
    """Image name (without tag) → the first Skaffold config that builds it."""
    found: dict[str, K8sObject] = {}
    for obj in objects:
        if is_skaffold_config(obj):
            for name, _ in artifacts(obj):
                found.setdefault(name, obj)
    return found


def built_from_folders(objects: Iterable[K8sObject]) -> dict[str, set[str]]:
    """Folder (relative to the scan root, "" for the root) → the image names built from it."""
    found: dict[str, set[str]] = {}
    for obj in objects:
        if not is_skaffold_config(obj):
            continue
        base = posixpath.dirname(obj.path)
        for name, context in artifacts(obj):
            folder = posixpath.normpath(posixpath.join(base, context))
            found.setdefault("" if folder == "." else folder, set()).add(name.rsplit("/", 1)[-1])
    return found


def placeholder(image: str, built: dict[str, K8sObject]) -> K8sObject | None:
    """The Skaffold config that replaces this manifest reference when it deploys, if any (a
    reference with a digest is left as it is)."""
    name, _, digest = image_reference(image)
    return None if digest is not None else built.get(name)
