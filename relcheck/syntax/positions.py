"""Where parsed values came from: key paths mapped to 1-based line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from relcheck.model import Location


@dataclass
class Positions:
    """Where each value came from: a key path (tuple of keys/indexes) -> 1-based line, column."""

    marks: dict[tuple, tuple[int, int]]
    key_marks: dict[tuple, tuple[int, int]]
    # Last line of collections (mappings and lists), where the parser knows it.
    ends: dict[tuple, int] = field(default_factory=dict)

    def span(self, path: tuple) -> tuple[int, int] | None:
        if path not in self.marks or path not in self.ends:
            return None
        return self.marks[path][0], self.ends[path]

    def of(self, path: tuple, key: bool = False) -> tuple[int, int]:
        """The mark of the path's value (or of its key), falling back to the nearest parent."""
        table = self.key_marks if key else self.marks
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.key_marks:
                return self.key_marks[probe]
            probe = probe[:-1]
        return self.marks.get((), (1, 1))

    def key_of(self, path: tuple) -> tuple[int, int]:
        """Where the key at `path` is written, else the nearest enclosing key, or a list item's first
        line (items have no key)."""
        probe = tuple(path)
        while probe:
            if probe in self.key_marks:
                return self.key_marks[probe]
            if isinstance(probe[-1], int) and probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.marks.get((), (1, 1))


class Positioned:
    """`loc` and `key_loc` for anything parsed from a document: it has a `path`, the document's
    `positions`, and the `base` key path where it sits in that document."""

    path: str
    positions: Positions
    base: tuple

    def loc(self, *keys: Any) -> Location:
        """Where a value is (or the nearest enclosing value that exists)."""
        line, column = self.positions.of((*self.base, *keys))
        return Location(self.path, line, column)

    def key_loc(self, *keys: Any) -> Location:
        """Where a key is written (or the nearest enclosing key, or the list item it is in)."""
        if not keys:
            return self.loc()
        line, column = self.positions.key_of((*self.base, *keys))
        return Location(self.path, line, column)
