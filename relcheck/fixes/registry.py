"""Fixers by rule code: a function from a finding (and the scan) to a Fix, or None where this
finding has no fix that can be made here. The rule pack says which rules have one (`autofix`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from relcheck.fixes.model import Fix, line_starts

if TYPE_CHECKING:
    from relcheck.model import Finding
    from relcheck.scan.project import Project


@dataclass
class FixContext:
    project: Project
    params: dict[str, dict[str, Any]]  # rule code -> its effective parameters
    max_bytes: int

    _starts: dict[str, list[int]] = field(default_factory=dict)
    _objects: dict[str, list] = field(default_factory=dict)
    _lines: dict[str, list[str]] = field(default_factory=dict)

    def text(self, path: str) -> str | None:
        source = self.project.file(path)
        if source is None:
            return None
        text, _ = source.read(self.max_bytes)
        return text

    def starts(self, path: str) -> list[int]:
        """Where each line of the file starts (offsets), computed once a file."""
        if path not in self._starts:
            self._starts[path] = line_starts(self.text(path) or "")
        return self._starts[path]

    def lines(self, path: str) -> list[str]:
        """The file's lines, split once a file."""
        if path not in self._lines:
            self._lines[path] = (self.text(path) or "").split("\n")
        return self._lines[path]

    def objects(self, path: str) -> list:
        """Every object the file parses into (kustomize patches included), parsed once a file."""
        if path not in self._objects:
            from relcheck.parsers.kubernetes import parse_manifests

            self._objects[path], _ = parse_manifests(path, self.text(path) or "")
        return self._objects[path]


Fixer = Callable[["Finding", FixContext], "Fix | None"]
FIXERS: dict[str, Fixer] = {}


def fixer(code: str) -> Callable[[Fixer], Fixer]:
    def register(function: Fixer) -> Fixer:
        FIXERS[code] = function
        return function

    return register
