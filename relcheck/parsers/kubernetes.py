"""Kubernetes manifests: every document, List items included, as objects with positions."""

from __future__ import annotations

from relcheck.artifacts.kubernetes import K8sObject
from relcheck.model import ParseProblem
from relcheck.syntax.yaml import documents, last_line


def _span(node) -> tuple[int, int]:
    return node.start_mark.line + 1, last_line(node)


def _items_node(document):
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if not isinstance(document, MappingNode):
        return None
    for key, value in document.value:
        if getattr(key, "value", None) == "items" and isinstance(value, SequenceNode):
            return value
    return None


def parse_manifests(path: str, text: str, last_wins: bool = False) -> tuple[list[K8sObject], list[ParseProblem]]:
    """Objects with apiVersion and kind; other YAML documents are left alone. `last_wins`: an object
    with a repeated key is kept with the key's last value (the repeat is still a problem)."""
    parsed, problems = documents(text, last_wins)
    objects: list[K8sObject] = []
    for document, data, positions in parsed:
        if not isinstance(data, dict) or not data.get("apiVersion") or not data.get("kind"):
            continue
        kind = str(data["kind"])
        items = data.get("items")
        if kind.endswith("List") and isinstance(items, list):
            item_nodes = _items_node(document)
            for index, item in enumerate(items):
                if isinstance(item, dict) and item.get("kind"):
                    node = item_nodes.value[index] if item_nodes is not None else document
                    objects.append(K8sObject(path, item, positions, ("items", index), _span(node), len(objects)))
            continue
        objects.append(K8sObject(path, data, positions, (), _span(document), len(objects)))
    return objects, problems
