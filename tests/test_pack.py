"""The pack, the implementations, the fixtures and the docs stay in step."""

from __future__ import annotations

import re

import pytest

from relcheck.model import CHECKLIST_ITEMS
from relcheck.pack import load_pack
from relcheck.registry import ENGINE_CODES, implemented_codes, load_checks
from relcheck.ruledocs import markdown

from .conftest import FIXTURES, ROOT, SHARED

RULE_FIXTURES = FIXTURES / "rules"
# Areas whose checks have landed (all of them); a rule of any other area must be listed as planned.
IMPLEMENTED_AREAS = {"alerts", "app", "cross", "dockerfile", "kubernetes", "pm2", "repo", "errors"}


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


def test_every_check_has_a_pack_entry_and_planned_rules_are_exactly_the_unimplemented() -> None:
    pack = {r.code: r for r in load_pack()}
    checks = load_checks()
    assert set(checks) <= set(pack)
    implemented = implemented_codes()
    for code, rule in pack.items():
        assert (code in implemented) == (rule.area in IMPLEMENTED_AREAS), code
    assert implemented >= ENGINE_CODES


def test_every_implemented_rule_has_failing_and_passing_fixtures() -> None:
    implemented = implemented_codes()
    for code in sorted(implemented):
        for kind in ("fail", "pass"):
            cases = [p for p in (RULE_FIXTURES / code / kind).glob("*") if p.is_dir()]
            assert cases, f"{code} has no {kind} fixtures"
        for case in (RULE_FIXTURES / code / "fail").iterdir():
            markers = any("# expect:" in p.read_text() for p in case.rglob("*.y*ml"))
            assert (case / "expect.txt").is_file() or markers, f"{case} states no expectation"


def test_every_fixture_folder_names_an_implemented_rule() -> None:
    implemented = implemented_codes()
    assert {p.name for p in RULE_FIXTURES.iterdir() if p.is_dir()} <= implemented


def test_rule_docs_are_current() -> None:
    docs = ROOT / "docs" / "rules.md"
    expected = markdown(list(load_pack()), implemented_codes())
    assert docs.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `python -m relcheck.ruledocs docs/rules.md`"
    )


def test_the_distribution_carries_its_license_and_typing_marker() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert (ROOT / "relcheck" / "py.typed").exists()
