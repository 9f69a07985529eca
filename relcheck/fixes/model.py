"""Fixes as data: text edits at known offsets, how safe they are, and what they promise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace `text[start:end]` of the file at `path` (offsets in characters) with `new`."""

    path: str
    start: int
    end: int
    new: str


@dataclass(frozen=True)
class YamlChange:
    """What a YAML edit promises, checked by parsing the edited file: the value at `path` of the
    file's `index`-th object (or, with `delete`, no such key), or a new object (`document`) after it."""

    index: int
    path: tuple = ()
    value: Any = None
    document: dict | None = None
    delete: bool = False


@dataclass(frozen=True)
class Fix:
    message: str  # what the fix does, as a reviewer reads it: "Set allowPrivilegeEscalation: false"
    edits: tuple[Edit, ...]
    applicability: str = SAFE  # SAFE, or UNSAFE: it changes behaviour a reviewer should see
    changes: tuple[YamlChange, ...] = field(default=(), compare=False)
    # Each edit's region as 1-based (start line, start column, end line, end column), for reports.
    regions: tuple[tuple[int, int, int, int], ...] = field(default=(), compare=False)

    @property
    def safe(self) -> bool:
        return self.applicability == SAFE


def line_starts(text: str) -> list[int]:
    """The offset where each line starts (str.find runs in C: a character loop cost a 1,000-service
    scan 0.1 s)."""
    starts = [0]
    index = text.find("\n")
    while index != -1:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts


def offset_of(starts: list[int], line: int, column: int) -> int:
    """1-based line and column to a character offset."""
    return starts[line - 1] + column - 1


def position_of(starts: list[int], offset: int) -> tuple[int, int]:
    """A character offset to a 1-based line and column."""
    import bisect

    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def apply_edits(text: str, edits: list[Edit]) -> str:
    """The text with non-overlapping edits applied. Lines inserted at one offset (the end of a
    nested mapping is the end of its parent too) go deepest first, so each joins its own mapping;
    at one depth, in the order given."""
    ordered = sorted(
        enumerate(edits), key=lambda item: (item[1].start, item[1].end, -_depth(item[1].new), item[0]), reverse=True
    )
    for _, edit in ordered:
        text = text[: edit.start] + edit.new + text[edit.end :]
    return text


def _depth(inserted: str) -> int:
    first = inserted.lstrip("\n")
    return len(first) - len(first.lstrip(" ")) if inserted.startswith("\n") else 0


def conflicts(edit: Edit, taken: list[Edit]) -> bool:
    """Whether `edit` changes text another edit changes. Two insertions at one offset do not
    conflict (they go in the order taken); the edited file is read back before it is kept."""
    for other in taken:
        if edit.path != other.path:
            continue
        if edit.start == edit.end == other.start == other.end:
            continue
        if edit.start < other.end and other.start < edit.end:
            return True
        if edit.start == other.start or (edit.start == edit.end and other.start < edit.start < other.end):
            return True
    return False
