"""OpenShift's release payload, read as data: the `image-references` file of a component's
manifests folder (an ImageStream, YAML or JSON) lists the images its manifests name.

`oc adm release new` builds a release from each component's `manifests/` folder and replaces every
image that `image-references` lists with the release's pull spec of that image, by digest. The
reference written in the manifest (`quay.io/openshift/origin-cluster-monitoring-operator:latest`)
is then no image any cluster pulls, as with an image a `kustomize edit set image` recipe replaces.
"""

from __future__ import annotations

from relcheck.syntax.yaml import documents
from relcheck.units.images import image_reference


def images_referenced(text: str) -> list[tuple[str, int]]:
    """(image repository, line) for each tag of the file's ImageStream; nothing for another file."""
    found: list[tuple[str, int]] = []
    parsed, _ = documents(text)
    for _, value, _ in parsed:
        if not (isinstance(value, dict) and value.get("kind") == "ImageStream"):
            continue
        spec = value.get("spec")
        tags = spec.get("tags") if isinstance(spec, dict) else None
        for tag in tags if isinstance(tags, list) else ():
            source = tag.get("from") if isinstance(tag, dict) else None
            image = source.get("name") if isinstance(source, dict) else None
            if isinstance(image, str) and image:
                found.append((image_reference(image)[0], _line_of(text, image)))
    return found


def _line_of(text: str, image: str) -> int:
    at = text.find(image)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1
