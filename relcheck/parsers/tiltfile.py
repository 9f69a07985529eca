"""Tiltfiles, parsed (never run): the images Tilt builds for the manifests it deploys.

A Tiltfile is Starlark, whose syntax is a subset of Python's, so Python's own parser reads it into a
syntax tree without running a line. `docker_build('argocd', '.')` (and `docker_build_with_restart`,
`custom_build`) builds the image `ref` names, and Tilt replaces every reference to that image in the
YAML it deploys with the image it built, under a tag of its own: the manifest's `image: argocd` (or
`argocd:latest`) is a placeholder, as an image a Skaffold config builds is.

Only a ref Tilt is given as a string literal, or as a module-level name bound once to one, is read:
anything computed (`os.getenv(...)`, a join) is left unknown.
"""

from __future__ import annotations

import ast

from relcheck.units.images import image_reference

# Tilt's build functions whose first argument (or `ref=`) names the image built.
_BUILDS = frozenset({"docker_build", "docker_build_with_restart", "custom_build"})


def images_built(text: str) -> list[tuple[str, int]]:
    """(image name without tag, line) for every image the Tiltfile builds; nothing for a file
    Python's parser does not read (a Tiltfile using Starlark-only syntax)."""
    if not any(name in text for name in _BUILDS):
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    constants = _string_constants(tree)
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _called_name(node.func) in _BUILDS):
            continue
        ref = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "ref"), None)
        value = _string(ref, constants)
        if value:
            name = image_reference(value)[0]
            if name:
                found.append((name, node.lineno))
    return found


def _called_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else ""


def _string(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound exactly once, to a string literal."""
    bound: dict[str, list[ast.expr]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(statement.value)
    return {
        name: values[0].value
        for name, values in bound.items()
        if len(values) == 1 and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str)
    }
