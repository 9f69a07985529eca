"""The pack, the implementations, the fixtures and the docs stay in step."""

from __future__ import annotations

import re

import pytest

from relcheck.api import CHECKLIST_ITEMS
from relcheck.ruleset.docs import markdown
from relcheck.ruleset.pack import checklist_ids, load_areas, load_pack
from relcheck.ruleset.registry import ENGINE_CODES, implemented_codes, load_checks

from .conftest import FIXTURES, ROOT, SHARED

RULE_FIXTURES = FIXTURES / "rules"


def test_codes_and_slugs_are_unique_and_well_formed() -> None:
    pack = load_pack()
    codes = [r.code for r in pack]
    slugs = [r.slug for r in pack]
    assert len(set(codes)) == len(codes)
    assert len(set(slugs)) == len(slugs)
    for rule in pack:
        assert re.fullmatch(r"[DKPASXRE]\d{3}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.slug), rule.slug
        assert rule.checklist is None or rule.checklist in CHECKLIST_ITEMS
        assert rule.rationale and rule.fix and rule.title


def test_pack_matches_the_catalog() -> None:
    catalog = SHARED / "RULES.md"
    if not catalog.is_file():
        pytest.skip("the rule catalog (../shared/RULES.md) is not present")
    rows = re.findall(
        r"^\| ([A-Z]\d{3}) \| ([a-z0-9-]+) \| (\w+) \| .*? \| ([a-z-]+) \|$",
        catalog.read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    expected = {code: (slug, severity, checklist) for code, slug, severity, checklist in rows}
    pack = {r.code: (r.slug, r.severity.label, r.checklist) for r in load_pack() if not r.code.startswith("E")}
    assert pack == expected


def test_every_check_has_a_pack_entry_and_every_rule_a_check() -> None:
    pack = {r.code for r in load_pack()}
    assert set(load_checks()) <= pack
    assert implemented_codes() == pack and pack >= ENGINE_CODES


def test_the_area_table_is_the_one_list_of_areas() -> None:
    areas = load_areas()
    assert [a.order for a in areas] == sorted({a.order for a in areas})  # one order each
    assert [a.name for a in areas] == ["dockerfile", "kubernetes", "pm2", "alerts", "app", "cross", "repo", "errors"]
    for area in areas:
        codes = [r.code for r in load_pack() if r.area == area.name]
        assert codes and all(code.startswith(area.letter) for code in codes), area.name
        module = ROOT / "relcheck" / "checks" / f"{area.name}.py"
        assert module.is_file() == area.checks, area.name
    assert sorted(p.stem for p in (ROOT / "relcheck" / "checks").glob("[!_]*.py")) == sorted(
        a.name for a in areas if a.checks
    )


def test_schemas_list_exactly_the_checklist_items() -> None:
    import json

    ids = list(checklist_ids())
    assert len(ids) == 16 and len(set(ids)) == 16
    found = 0
    for path in (ROOT / "relcheck" / "schemas").glob("*.json"):
        pending = [json.loads(path.read_text(encoding="utf-8"))]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                enum = node.get("enum")
                if isinstance(enum, list) and "graceful-shutdown" in enum:
                    assert [e for e in enum if e is not None] == ids, path.name
                    found += 1
                pending.extend(node.values())
            elif isinstance(node, list):
                pending.extend(node)
    assert found == 3  # the custom rule, report and checklist schemas


def test_every_implemented_rule_has_failing_and_passing_fixtures() -> None:
    implemented = implemented_codes()
    for code in sorted(implemented):
        for kind in ("fail", "pass"):
            cases = [p for p in (RULE_FIXTURES / code / kind).glob("*") if p.is_dir()]
            assert cases, f"{code} has no {kind} fixtures"
        for case in (RULE_FIXTURES / code / "fail").iterdir():
            assert (case / "expect.txt").is_file(), f"{case} states no expectation"


def test_every_fixture_folder_names_an_implemented_rule() -> None:
    implemented = implemented_codes()
    assert {p.name for p in RULE_FIXTURES.iterdir() if p.is_dir()} <= implemented


def test_rule_docs_are_current() -> None:
    docs = ROOT / "docs" / "rules.md"
    expected = markdown(list(load_pack()), implemented_codes())
    assert docs.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `python -m relcheck.ruleset.docs docs/rules.md`"
    )


def test_the_distribution_carries_its_license_and_typing_marker() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert (ROOT / "relcheck" / "py.typed").exists()
