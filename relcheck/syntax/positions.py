"""Where parsed values came from: key paths mapped to 1-based line and column."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from typing import Any

from relcheck.model import Location

# Per key path, five numbers in one flat array: the value's line and column, its key's line and
# column, and a collection's last line; 0 where the parser gave none (lines and columns are 1-based).
# A large scan holds hundreds of thousands of paths: as two dicts of (line, column) tuples and a
# third of ends they took 40 MiB of a 1,000-service scan's 180, and were half of what workers sent back.
WIDTH = 5
VALUE, KEY, END = 0, 2, 4
_BLANK = array("I", bytes(4 * WIDTH))


class Positions:
    """Where each value came from: a key path (tuple of keys/indexes) -> 1-based line, column.

    `marks` (values), `key_marks` (keys) and `ends` (a collection's last line, where the parser
    knows it) read and write like dicts keyed by path."""

    __slots__ = ("rows", "table")

    def __init__(
        self,
        marks: Mapping[tuple, tuple[int, int]] | None = None,
        key_marks: Mapping[tuple, tuple[int, int]] | None = None,
        ends: Mapping[tuple, int] | None = None,
    ) -> None:
        # For the parsers' hot loops: path -> row number, and five numbers a row.
        self.rows: dict[tuple, int] = {}
        self.table = array("I")
        for path, (line, column) in (marks or {}).items():
            self.set(path, VALUE, line, column)
        for path, (line, column) in (key_marks or {}).items():
            self.set(path, KEY, line, column)
        for path, line in (ends or {}).items():
            self.set(path, END, line)

    # -- the parsers' side ------------------------------------------------------------------------

    def row(self, path: tuple) -> int:
        """The offset of the path's numbers in the table, a blank row added for a new path."""
        row = self.rows.get(path)
        if row is None:
            row = self.rows[path] = len(self.rows)
            self.table += _BLANK
        return row * WIDTH

    def set(self, path: tuple, field: int, line: int, column: int = 0, only_new: bool = False) -> None:
        """Record a value's (`VALUE`) or a key's (`KEY`) mark, or an end (`END`, the line alone);
        `only_new` keeps a mark already recorded."""
        at = self.row(path) + field
        table = self.table
        if only_new and table[at]:
            return
        table[at] = line
        if field != END:
            table[at + 1] = column

    def shifted(self, lines: int, columns: int) -> Positions:
        """These positions for text that starts `lines` lines down and `columns` columns in (a
        literal block of another file)."""
        moved = Positions()
        moved.rows = dict(self.rows)
        table = array("I", self.table)
        for at in range(0, len(table), WIDTH):
            for field in (VALUE, KEY):
                if table[at + field]:
                    table[at + field] += lines
                    table[at + field + 1] += columns
            if table[at + END]:
                table[at + END] += lines
        moved.table = table
        return moved

    # -- the readers' side ------------------------------------------------------------------------

    def get(self, path: tuple, field: int) -> tuple[int, int] | None:
        """The value's (`VALUE`) or the key's (`KEY`) mark at `path`, if recorded."""
        row = self.rows.get(path)
        if row is None:
            return None
        at = row * WIDTH + field
        line = self.table[at]
        return (line, self.table[at + 1]) if line else None

    @property
    def marks(self) -> _Marks:
        return _Marks(self, VALUE)

    @property
    def key_marks(self) -> _Marks:
        return _Marks(self, KEY)

    @property
    def ends(self) -> _Ends:
        return _Ends(self)

    def span(self, path: tuple) -> tuple[int, int] | None:
        row = self.rows.get(path)
        if row is None:
            return None
        at = row * WIDTH
        first, last = self.table[at], self.table[at + END]
        return (first, last) if first and last else None

    def of(self, path: tuple, key: bool = False) -> tuple[int, int]:
        """The mark of the path's value (or of its key), falling back to the nearest parent."""
        index, table = self.rows, self.table
        probe = tuple(path)
        while probe:
            row = index.get(probe)
            if row is not None:
                at = row * WIDTH
                if not key and table[at]:
                    return table[at], table[at + 1]
                if table[at + KEY]:
                    return table[at + KEY], table[at + KEY + 1]
            probe = probe[:-1]
        return self.get((), VALUE) or (1, 1)

    def key_of(self, path: tuple) -> tuple[int, int]:
        """Where the key at `path` is written, else the nearest enclosing key, or a list item's first
        line (items have no key)."""
        index, table = self.rows, self.table
        probe = tuple(path)
        while probe:
            row = index.get(probe)
            if row is not None:
                at = row * WIDTH
                if table[at + KEY]:
                    return table[at + KEY], table[at + KEY + 1]
                if isinstance(probe[-1], int) and table[at]:
                    return table[at], table[at + 1]
            probe = probe[:-1]
        return self.get((), VALUE) or (1, 1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Positions):
            return NotImplemented
        return (dict(self.marks), dict(self.key_marks), dict(self.ends)) == (
            dict(other.marks),
            dict(other.key_marks),
            dict(other.ends),
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it replaces

    def __repr__(self) -> str:
        return f"Positions({dict(self.marks)!r}, {dict(self.key_marks)!r}, {dict(self.ends)!r})"


class _Marks(Mapping):
    """The value marks or the key marks of a Positions, as a dict of path -> (line, column)."""

    __slots__ = ("_field", "_positions")

    def __init__(self, positions: Positions, field: int) -> None:
        self._positions = positions
        self._field = field

    def __getitem__(self, path: tuple) -> tuple[int, int]:
        mark = self._positions.get(path, self._field)
        if mark is None:
            raise KeyError(path)
        return mark

    def get(self, path: tuple, default: Any = None) -> Any:
        mark = self._positions.get(path, self._field)
        return default if mark is None else mark

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self._positions.get(path, self._field) is not None

    def __iter__(self) -> Iterator[tuple]:
        table, field = self._positions.table, self._field
        return (path for path, row in self._positions.rows.items() if table[row * WIDTH + field])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __setitem__(self, path: tuple, mark: tuple[int, int]) -> None:
        self._positions.set(path, self._field, *mark)

    def setdefault(self, path: tuple, mark: tuple[int, int]) -> tuple[int, int]:
        self._positions.set(path, self._field, *mark, only_new=True)
        return self[path]


class _Ends(Mapping):
    """The last lines of collections, as a dict of path -> line."""

    __slots__ = ("_positions",)

    def __init__(self, positions: Positions) -> None:
        self._positions = positions

    def _line(self, path: object) -> int:
        row = self._positions.rows.get(path) if isinstance(path, tuple) else None
        return 0 if row is None else self._positions.table[row * WIDTH + END]

    def __getitem__(self, path: tuple) -> int:
        line = self._line(path)
        if not line:
            raise KeyError(path)
        return line

    def __contains__(self, path: object) -> bool:
        return bool(self._line(path))

    def __iter__(self) -> Iterator[tuple]:
        table = self._positions.table
        return (path for path, row in self._positions.rows.items() if table[row * WIDTH + END])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __setitem__(self, path: tuple, line: int) -> None:
        self._positions.set(path, END, line)

    def setdefault(self, path: tuple, line: int) -> int:
        self._positions.set(path, END, line, only_new=True)
        return self[path]


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
