"""Plain values handed from stage to stage: severities, locations, rule metadata, findings."""

from __future__ import annotations

import enum
import hashlib
import traceback
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that `severity >= threshold` reads naturally."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]

    @property
    def label(self) -> str:
        return _SEVERITY_LABELS[self]


# Looked up rather than derived: an enum member's `name` is a descriptor, and reports ask per finding.
_SEVERITY_LABELS = {severity: severity.name.lower() for severity in Severity}


@dataclass(frozen=True, init=False)
class Location:
    """A 1-based region in a file; `path` is relative to the scan root and `/`-separated."""

    path: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    def __init__(
        self, path: str, line: int = 1, column: int = 1, end_line: int | None = None, end_column: int | None = None
    ) -> None:
        # A frozen dataclass's own __init__ sets each field through object.__setattr__, three times
        # the cost of this; a large scan makes a Location per finding, evidence and position asked.
        fields = self.__dict__
        fields["path"] = path
        fields["line"] = line
        fields["column"] = column
        fields["end_line"] = end_line
        fields["end_column"] = end_column

    def region(self) -> tuple[int, int, int, int]:
        end_line = self.end_line or self.line
        end_column = self.end_column or self.column
        if end_line == self.line and end_column < self.column:
            end_column = self.column
        return self.line, self.column, end_line, end_column


def raised_at(exc: BaseException) -> str:
    """` at file.py:123` for the frame that raised, for internal-error messages."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    return f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""


@dataclass(frozen=True)
class ParseProblem:
    """A file that could not be parsed (E001) or was skipped on purpose (E002)."""

    code: str
    message: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str


@dataclass(frozen=True)
class RuleMeta:
    """One entry of the rule pack (data from rules/*.toml)."""

    code: str
    slug: str
    title: str
    severity: Severity
    area: str
    checklist: str | None
    rationale: str
    fix: str
    example: str = ""  # the right way (ruff's "Use instead")
    params: tuple[Param, ...] = ()
    references: tuple[str, ...] = ()
    example_file: str = ""  # the file the example shows, as a repository path
    bad_example: str = ""  # the same file the wrong way ("" with a file: the file is missing)
    example_context: tuple[tuple[str, str], ...] = ()  # other files both need, as they are
    autofix: str = ""  # "safe" or "unsafe" when `relcheck fix` can fix its findings, else ""
    # What the check may look at (SCOPES): the scan runs it on that much of the tree and caches its
    # findings by it. A plugin that says nothing is judged on the whole repository.
    scope: str = "repository"

    def example_files(self, good: bool) -> dict[str, str]:
        """The example as files to scan: the wrong way or the right way."""
        files = dict(self.example_context)
        text = self.example if good else self.bad_example
        if text:
            files[self.example_file] = text
        return files

    def param_defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


# From narrowest to widest. `object`: one Kubernetes object, PM2 app or alerting rule; `file`: one
# file; `service`: everything of one service (its files, its workloads and the objects about them, the
# evidence no service owns); `repository`: anything in the scan.
SCOPES = ("object", "file", "service", "repository")


@dataclass(frozen=True)
class Related:
    """Another place a finding depends on (cross-file rules name it)."""

    location: Location
    message: str


@dataclass(frozen=True)
class Suppression:
    """Why a finding is not counted against the run."""

    kind: str  # "inline", "file", "annotation", "config", "baseline"
    reason: str = ""
    until: str | None = None  # ISO date of expiry
    source: Location | None = None


@dataclass
class Finding:
    code: str
    slug: str
    severity: Severity
    message: str
    location: Location
    checklist: str | None
    fix: str
    # What the finding is about, independent of line numbers: used for fingerprints and suppression.
    identity: str = ""
    value: str = ""
    related: tuple[Related, ...] = ()
    suppression: Suppression | None = None
    # Set when a suppression matched but its `until` date has passed.
    expired_suppression: Suppression | None = None
    # Lines of the enclosing object, so that a comment anywhere inside it can suppress the finding.
    scope: tuple[int, int] | None = None
    # Rules named by a `relcheck.dev/ignore` annotation on the object the finding is about.
    annotation_ignores: tuple[str, ...] = ()
    annotation_source: str = ""
    # A finding on a values-file key of a rendered chart: the template line that printed the value
    # and that object's lines there, where a suppression comment applies too.
    template_at: Location | None = None
    template_scope: tuple[int, int] | None = None
    # Made from another variant of the object than the one its file writes (a chart's render with
    # a `ci/` values file, an overlay that replaces the kind): where a render of the object as
    # written finds the same problem at the same line, that one is shown (relcheck.scan.engine).
    variant: bool = False
    # Made from a chart's `ci/` values render about a container its own render deploys too: the
    # difference is the test install's values (alloy's `enableHttpServerPort: false` drops the
    # readiness probe), and the own render's findings speak for the container. Left out.
    test_values_only: bool = False
    # (the name a kustomize overlay gave the object, the name its file writes) where they differ
    # (`namePrefix`): two overlays' findings at one line of the base are one problem.
    renamed: tuple[str, str] | None = None
    # The object, container, app or rule the finding is about (for fixers; not part of the report).
    subject: Any = field(default=None, compare=False, repr=False)
    autofix: Any = None  # relcheck.fixes.model.Fix, where the rule has a fix for this finding
    autofix_refused: str = ""  # why the rule's fix cannot be made here (an alias, a block scalar...)

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: rule, file, object identity and the offending value."""
        key = "\x1f".join((self.code, self.location.path, self.identity, self.value or self.message))
        # A path that is not UTF-8 holds its raw bytes as lone surrogates: hashed as those bytes.
        return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:24]

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.location.path, self.location.line, self.location.column, self.code, self.message)
