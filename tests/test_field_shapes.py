"""Any field of a manifest may hold anything: a template tool's placeholder leaves `spec:` empty
(ytt's `spec: #@ data.values.spec` in RabbitMQ's operator bundle), a typo puts a string where a
mapping goes. Every field path of the rule fixtures' Kubernetes objects, once per path shape and kind, is
set to null and to a value of the wrong type; the model and every rule must take it without a
traceback and without a rule's internal error."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from relcheck.config.loader import Config
from relcheck.scan.engine import scan

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _paths(node: object, prefix: tuple = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _shape(kind: object, path: tuple) -> tuple:
    """A path with its list indices left out: `containers[0].image` and `[1].image` are one shape."""
    return (kind, *("[]" if isinstance(key, int) else key for key in path))


def _variants() -> list[tuple[str, dict, tuple]]:
    """(fixture file, document, path) for the first document that has each path shape."""
    loader = YAML(typ="safe")
    seen: set[tuple] = set()
    found = []
    for path in sorted(FIXTURES.glob("*/*/*/**/*.y*ml")):
        try:
            documents = list(loader.load_all(path.read_text(encoding="utf-8")))
        except Exception:  # a fixture of invalid YAML on purpose
            continue
        for document in documents:
            if not isinstance(document, dict) or "apiVersion" not in document or "kind" not in document:
                continue  # not a Kubernetes object (alert rules, values): read from files only
            for field in _paths(document):
                shape = _shape(document.get("kind"), field)
                if shape not in seen:
                    seen.add(shape)
                    found.append((str(path.relative_to(FIXTURES)), document, field))
    return found


VARIANTS = _variants()


def _with(document: dict, path: tuple, value: object) -> str:
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(changed, out)
    return out.getvalue()


def test_the_fixtures_give_many_shapes() -> None:
    kinds = {shape[1].get("kind") for shape in VARIANTS}
    assert len(VARIANTS) > 300
    assert {"Deployment", "StatefulSet", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Service"} <= kinds
    assert {"ClusterServiceVersion", "Rollout", "ClusterRoleBinding"} <= kinds


@pytest.mark.parametrize("replacement", [None, "x", 7, [], {}], ids=["null", "string", "number", "list", "mapping"])
def test_any_field_may_hold_any_value(replacement: object) -> None:
    failures = []
    for source, document, path in VARIANTS:
        try:
            text = _with(document, path, replacement)
            result = scan([], Config(), stdin_text=text, stdin_filename="manifest.yaml", root=Path.cwd())
        except Exception as exc:  # a traceback is a bug: name the field that caused it
            failures.append(f"{source} {'.'.join(map(str, path))}: {type(exc).__name__}: {exc}")
            continue
        internal = [f.message for f in result.findings if "internal error" in f.message]
        if internal:
            failures.append(f"{source} {'.'.join(map(str, path))}: {internal[0]}")
    assert failures == []
