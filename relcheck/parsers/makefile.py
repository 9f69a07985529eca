"""Makefiles, read as text (never run): the images a `kustomize edit set image` recipe sets, and
the overlays a recipe builds without kustomize's load restrictor.

Kubebuilder and Operator SDK scaffold a manager whose manifest names a placeholder image
(`image: controller:latest`) and a `deploy` target that replaces it before applying:
`cd config/manager && $(KUSTOMIZE) edit set image controller=${IMG}`. The reference in the
manifest is then no image anyone pulls, as an image a Skaffold config builds is not.
"""

from __future__ import annotations

import posixpath
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


# `kustomize build DIR` (through `$(KUSTOMIZE)` or a path to the binary) or `kubectl kustomize DIR`,
# up to the end of its command.
_BUILD = re.compile(r"(?:\S*kustomize\S*\s+build|\bkubectl\s+kustomize)\b([^;&|<>\n]*)", re.I)
_UNRESTRICTED = re.compile(r"--load[-_]restrictor(?:=|\s+)['\"]?LoadRestrictionsNone\b")
# Flags of `kustomize build` that take a value as the next word.
_VALUED_FLAGS = frozenset({"--load-restrictor", "--load_restrictor", "-o", "--output", "--env", "-e", "--mount"})


def unrestricted_builds(text: str, folder: str) -> list[str]:
    """The overlay folders (from the repository's root) that a recipe builds with
    `--load-restrictor LoadRestrictionsNone`, which lets the build read files outside the overlay's
    folder. A recipe runs in the Makefile's folder; a folder named through a variable is not known."""
    found: list[str] = []
    if "LoadRestrictionsNone" not in text:
        return found
    for line in text.replace("\\\n", " ").splitlines():
        if "LoadRestrictionsNone" not in line:
            continue
        for match in _BUILD.finditer(line):
            arguments = match.group(1)
            if not _UNRESTRICTED.search(arguments):
                continue
            target = _first_operand(arguments.split())
            if target is not None:
                joined = posixpath.normpath(posixpath.join(folder, target) if folder else target)
                if joined != ".." and not joined.startswith(("../", "/")):
                    found.append("" if joined == "." else joined)
    return list(dict.fromkeys(found))


def says_unrestricted(text: str) -> bool:
    """Whether a comment of a YAML file gives a command that builds with
    `--load-restrictor LoadRestrictionsNone` (`# Run with: kubectl kustomize --load-restrictor=...`)."""
    if "LoadRestrictionsNone" not in text:
        return False
    return any(
        line.lstrip().startswith("#") and _BUILD.search(line) and _UNRESTRICTED.search(line)
        for line in text.splitlines()
    )


def _first_operand(words: list[str]) -> str | None:
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _VALUED_FLAGS
        else:
            word = word.strip("'\"")
            return None if "$" in word or not word else word
    return "."  # `kustomize build` alone builds the current folder
