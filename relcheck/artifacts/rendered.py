"""Objects that a renderer produced (Helm, kustomize), positioned in the files that wrote them.

A rendered object has no file of its own: its positions are those of the template (or resource)
lines that wrote each key, and where a value came from a values file, `loc` and `key_loc` answer
with that file's line (a `ValueLocation`, which remembers the template line too)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from relcheck.artifacts.kubernetes import K8sObject
from relcheck.model import Location


@dataclass(frozen=True, init=False)
class ValueLocation(Location):
    """Where a rendered value was set (a values file's key), with the template line that printed it."""

    template: Location | None = None
    note: str = ""  # what the template location is, as a related location's message

    def __init__(self, path: str, line: int, column: int, template: Location, note: str) -> None:
        super().__init__(path, line, column)
        self.__dict__["template"] = template
        self.__dict__["note"] = note


class Origin(Protocol):
    """Where the keys of a rendered object were written: the template (or resource) location, and
    the values file (or patch) location that set the value, each None where the object's own
    positions say it best."""

    note: str  # what the template location is, as a related location's message

    def place(self, path: tuple, key: bool) -> tuple[Location | None, Location | None]: ...


@dataclass
class RenderedObject(K8sObject):
    render: str = ""  # type: ignore[assignment]  # which render: "chart/path@values-file", an overlay
    origin: Origin | None = None
    rendered_by: str = ""  # "Helm chart charts/api", "kustomize overlay deploy/prod": for messages
    # For a chart's test-values render (`test_install`), the kinds any of its templates can write.
    chart_kinds: frozenset[str] = frozenset()
    # The kustomization file of the overlay whose build this is, when the object's own lines are in
    # a base: a finding there names the overlay (the same base may build differently in another).
    built_by: str = ""
    kind_replaced: bool = False  # an overlay's patch gave it another kind than its file writes
    # Rendered without dependencies that are not vendored (relcheck.render.unvendored): pods, Services
    # and workloads its objects point at may be in one of those.
    partial: bool = False
    # The chart's own workload templates that this render left empty (`{{- if include "ghost.host" . }}`
    # around bitnami's Ghost Deployment): its Services and PDBs may select the pods those make.
    withheld: tuple[str, ...] = ()

    def loc(self, *keys: Any) -> Location:
        return self._placed((*self.base, *keys), key=False, own=super().loc(*keys))

    def key_loc(self, *keys: Any) -> Location:
        own = super().key_loc(*keys)
        return self._placed((*self.base, *keys), key=True, own=own) if keys else own

    def missing_loc(self, *keys: Any, fallback: Location) -> Location:
        if self.origin is None:
            return fallback
        value, _ = self.origin.place((*self.base, *keys), True)
        if value is None:
            return fallback
        return ValueLocation(value.path, value.line, value.column, fallback, self.origin.note)

    def _placed(self, path: tuple, key: bool, own: Location) -> Location:
        if self.origin is None:
            return own
        value, template = self.origin.place(path, key)
        template = template or own
        if value is None:
            return template
        return ValueLocation(value.path, value.line, value.column, template, self.origin.note)
