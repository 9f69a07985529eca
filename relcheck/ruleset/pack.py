"""The rule pack: rule metadata kept as data in rules/*.toml (shipped as relcheck/_pack in the wheel).

TOML is read with the standard library, so listing and explaining rules loads no YAML or
Dockerfile parser.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

from relcheck.model import SCOPES, Param, RuleMeta, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

REQUIRED_KEYS = ("code", "slug", "title", "severity", "scope", "rationale", "fix")


class PackError(Exception):
    """The shipped pack is inconsistent: a packaging bug, reported plainly."""


def pack_dir() -> Path:
    package = Path(__file__).resolve().parent.parent
    installed = package / "_pack"
    if installed.is_dir():
        return installed
    return package.parent / "rules"


@dataclass(frozen=True)
class Area:
    """A rule area: one `rules/<name>.toml`, its `[area]` table saying how it is presented."""

    name: str  # the file's stem: dockerfile, kubernetes...
    letter: str  # the codes' prefix: D, K...
    title: str
    order: int
    checks: bool  # its rules are checked by relcheck/checks/<name>.py (E rules: by the engine)

    @property
    def heading(self) -> str:
        return f"{self.letter} — {self.title}"


@dataclass(frozen=True)
class ChecklistItem:
    """An item of the standard's production-readiness checklist (`rules/checklist.toml`)."""

    id: str
    title: str
    manual: bool  # a test that must be run: evidence shows it exists, not that it passed


@functools.cache
def _read(path: Path) -> dict:
    """A pack file's tables, parsed once (the areas and the rules come from the same files; not
    to be changed by callers)."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


@functools.lru_cache(maxsize=1)
def load_areas() -> tuple[Area, ...]:
    """Every area of the pack, in the catalog's order: the one list of areas."""
    areas = []
    for path in sorted(pack_dir().glob("*.toml")):
        table = _read(path).get("area")
        if table is None:
            continue
        try:
            areas.append(
                Area(path.stem, table["letter"], table["title"], int(table["order"]), bool(table.get("checks", True)))
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PackError(f"{path.name}: [area] lacks or misstates {exc}") from None
    return tuple(sorted(areas, key=lambda area: area.order))


@functools.lru_cache(maxsize=1)
def load_checklist() -> tuple[ChecklistItem, ...]:
    """The checklist's items in the standard's order: the one list of them."""
    items = _read(pack_dir() / "checklist.toml").get("item", [])
    return tuple(ChecklistItem(item["id"], item["title"], bool(item.get("manual", False))) for item in items)


def checklist_ids() -> tuple[str, ...]:
    return tuple(item.id for item in load_checklist())


def area_letters() -> dict[str, str]:
    """Area name -> code prefix, in the catalog's order."""
    return {area.name: area.letter for area in load_areas()}


def _rule_from_table(area: str, table: dict, source: str) -> RuleMeta:
    missing = [k for k in REQUIRED_KEYS if k not in table]
    if missing:
        raise PackError(f"{source}: rule {table.get('code', '?')} lacks {', '.join(missing)}")
    checklist = table.get("checklist") or None
    if checklist is not None and checklist not in checklist_ids():
        raise PackError(f"{source}: rule {table['code']} names unknown checklist item {checklist!r}")
    params = tuple(
        Param(name=name, default=spec["default"], description=spec.get("description", ""))
        for name, spec in table.get("params", {}).items()
    )
    autofix = table.get("autofix", "")
    if autofix not in ("", "safe", "unsafe"):
        raise PackError(f"{source}: rule {table['code']}: autofix must be \"safe\" or \"unsafe\", not {autofix!r}")
    if table["scope"] not in SCOPES:
        choices = ", ".join(SCOPES)
        raise PackError(f"{source}: rule {table['code']}: scope must be one of {choices}, not {table['scope']!r}")
    return RuleMeta(
        autofix=autofix,
        scope=table["scope"],
        code=table["code"],
        slug=table["slug"],
        title=table["title"],
        severity=Severity.parse(table["severity"]),
        area=area,
        checklist=checklist,
        rationale=table["rationale"].strip(),
        fix=table["fix"].strip(),
        params=params,
        references=tuple(table.get("references", ())),
        **_example(table.get("example"), source, table["code"]),
    )


def _example(example: object, source: str, code: str) -> dict:
    """`example` is the right way as text, or a table: `file`, `bad`, `good` and `context` files."""
    if example is None:
        return {}
    if isinstance(example, str):
        return {"example": example.strip("\n")}
    if not isinstance(example, dict) or not isinstance(example.get("file"), str) or "good" not in example:
        raise PackError(f"{source}: rule {code}: [rule.example] needs `file`, `bad` and `good`")
    context = example.get("context", {})
    return {
        "example": example["good"],
        "example_file": example["file"],
        "bad_example": example.get("bad", ""),
        "example_context": tuple(sorted(context.items())),
    }


@functools.lru_cache(maxsize=1)
def load_pack() -> tuple[RuleMeta, ...]:
    """Every rule of the pack, in catalog order."""
    directory = pack_dir()
    rules: list[RuleMeta] = []
    seen: dict[str, str] = {}
    for area in load_areas():
        path = directory / f"{area.name}.toml"
        for table in _read(path).get("rule", []):
            rule = _rule_from_table(area.name, table, path.name)
            for key in (rule.code, rule.slug):
                if key in seen:
                    raise PackError(f"{path.name}: {key} is defined twice (also in {seen[key]})")
                seen[key] = path.name
            rules.append(rule)
    return tuple(rules)

