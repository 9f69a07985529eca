"""The rule pack: rule metadata kept as data in rules/*.toml (shipped as relcheck/_pack in the wheel).

TOML is read with the standard library, so listing and explaining rules loads no YAML or
Dockerfile parser.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from relcheck.model import CHECKLIST_ITEMS, Param, RuleMeta, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# Area files in the order the catalog presents them.
AREAS = {
    "dockerfile": "D",
    "kubernetes": "K",
    "pm2": "P",
    "alerts": "A",
    "app": "S",
    "cross": "X",
    "repo": "R",
    "errors": "E",
}

REQUIRED_KEYS = ("code", "slug", "title", "severity", "rationale", "fix")


class PackError(Exception):
    """The shipped pack is inconsistent: a packaging bug, reported plainly."""


def pack_dir() -> Path:
    here = Path(__file__).resolve().parent
    installed = here / "_pack"
    if installed.is_dir():
        return installed
    return here.parent / "rules"


def _rule_from_table(area: str, table: dict, source: str) -> RuleMeta:
    missing = [k for k in REQUIRED_KEYS if k not in table]
    if missing:
        raise PackError(f"{source}: rule {table.get('code', '?')} lacks {', '.join(missing)}")
    checklist = table.get("checklist") or None
    if checklist is not None and checklist not in CHECKLIST_ITEMS:
        raise PackError(f"{source}: rule {table['code']} names unknown checklist item {checklist!r}")
    params = tuple(
        Param(name=name, default=spec["default"], description=spec.get("description", ""))
        for name, spec in table.get("params", {}).items()
    )
    return RuleMeta(
        code=table["code"],
        slug=table["slug"],
        title=table["title"],
        severity=Severity.parse(table["severity"]),
        area=area,
        checklist=checklist,
        rationale=table["rationale"].strip(),
        fix=table["fix"].strip(),
        example=table.get("example", "").strip("\n"),
        params=params,
        references=tuple(table.get("references", ())),
    )


@functools.lru_cache(maxsize=1)
def load_pack() -> tuple[RuleMeta, ...]:
    """Every rule of the pack, in catalog order."""
    directory = pack_dir()
    rules: list[RuleMeta] = []
    seen: dict[str, str] = {}
    for area in AREAS:
        path = directory / f"{area}.toml"
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for table in data.get("rule", []):
            rule = _rule_from_table(area, table, path.name)
            for key in (rule.code, rule.slug):
                if key in seen:
                    raise PackError(f"{path.name}: {key} is defined twice (also in {seen[key]})")
                seen[key] = path.name
            rules.append(rule)
    return tuple(rules)


@functools.lru_cache(maxsize=1)
def rules_by_code() -> dict[str, RuleMeta]:
    return {rule.code: rule for rule in load_pack()}
