"""Makefiles, read as text (never run): the images a `kustomize edit set image` recipe sets.

Kubebuilder and Operator SDK scaffold a manager whose manifest names a placeholder image
(`image: controller:latest`) and a `deploy` target that replaces it before applying:
`cd config/manager && $(KUSTOMIZE) edit set image controller=${IMG}`. The reference in the
manifest is then no image anyone pulls, as an image a Skaffold config builds is not.
"""

from __future__ import annotations

import re

# `kustomize edit set image NAME=REF [NAME=REF...]` (through `$(KUSTOMIZE)`, `${KUSTOMIZE}` or a
# path to the binary): the names before `=`. `NAME:TAG=` and `NAME@DIGEST=` name the image too.
_SET_IMAGE = re.compile(r"\bedit\s+set\s+image((?:\s+[^\s=;&|]+=\S+)+)")
_PAIR_NAME = re.compile(r"([^\s=;&|]+)=\S+")


def images_set(text: str) -> list[tuple[str, int]]:
    """(image name, line) for every image a `kustomize edit set image` recipe line replaces."""
    found: list[tuple[str, int]] = []
    if "set image" not in text and "set  image" not in text:
        return found
    for match in _SET_IMAGE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        for pair in _PAIR_NAME.finditer(match.group(1)):
            name = re.split(r"[:@]", pair.group(1), maxsplit=1)[0]
            if name and not name.startswith(("$", "-")):
                found.append((name, line))
    return found
