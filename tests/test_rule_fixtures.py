"""Every rule's fixtures. A failing case lists what it expects in `fail/<case>/expect.txt`, one
finding a line, in report order: `path:line:column CODE message`. `pytest --update-fixtures`
rewrites those files from what the scan reports; review the diff as you would a snapshot.
`pass/<case>` must give no finding of the rule. Adding a case is adding a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from relcheck.config.loader import Config, find_config, load_config
from relcheck.ruleset.pack import load_pack
from relcheck.scan.engine import scan

RULE_FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _cases(kind: str) -> list[tuple[str, Path]]:
    return [
        (code_dir.name, case)
        for code_dir in sorted(RULE_FIXTURES.iterdir())
        for case in sorted((code_dir / kind).iterdir())
        if (code_dir / kind).is_dir()
    ]


def _expected(case: Path) -> list[str]:
    listing = case / "expect.txt"
    if not listing.is_file():
        return []
    lines = listing.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def _write_expected(case: Path, got: list[str]) -> None:
    listing = case / "expect.txt"
    old = listing.read_text(encoding="utf-8").splitlines() if listing.is_file() else []
    comments = [line for line in old if line.startswith("#")]
    listing.write_text("\n".join([*comments, *got]) + "\n", encoding="utf-8")


def _scan(case: Path, code: str):
    """A case may carry a .relcheck.yaml (for rule parameters); it is read like any scan root's."""
    config = load_config(find_config(case), list(load_pack())) if find_config(case) else Config()
    if code == "E004":  # an unused suppression is judged with every rule running
        return scan([case], config, report_unused_suppressions=True)
    return scan([case], config, select=[code])


@pytest.mark.parametrize(("code", "case"), _cases("fail"), ids=lambda v: v if isinstance(v, str) else v.name)
def test_failing_fixture(code: str, case: Path, request: pytest.FixtureRequest) -> None:
    result = _scan(case, code)
    got = [
        f"{f.location.path}:{f.location.line}:{f.location.column} {f.code} {f.message}"
        for f in result.findings
        if f.code == code
    ]
    if request.config.getoption("--update-fixtures"):
        _write_expected(case, got)
    assert got, "a failing fixture must fail"
    assert got == _expected(case)
    if not code.startswith("E"):
        assert [f for f in result.findings if f.code.startswith("E")] == []


@pytest.mark.parametrize(("code", "case"), _cases("pass"), ids=lambda v: v if isinstance(v, str) else v.name)
def test_passing_fixture(code: str, case: Path) -> None:
    result = _scan(case, code)
    assert [(f.location.path, f.location.line, f.message) for f in result.active() if f.code == code] == []
    assert [f.message for f in result.findings if f.code.startswith("E")] == []


SERVICES = Path(__file__).parent / "fixtures" / "services"
AREA_PREFIX = {"kubernetes": "K", "pm2": "P", "alerts": "A", "app": "S"}


@pytest.mark.parametrize("area", sorted(AREA_PREFIX))
def test_a_standard_service_passes_every_rule_of_its_area(area: str) -> None:
    """One compliant service per area, shared by all its rules (each rule has its own pass cases too)."""
    result = scan([SERVICES / area], Config(), select=[AREA_PREFIX[area]])
    assert [(f.code, f.location.path, f.location.line) for f in result.findings] == []


def _example_scan(tmp_path: Path, code: str, files: dict[str, str]):
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return scan([tmp_path], Config(), select=[code])


EXAMPLES = [rule for rule in load_pack() if rule.example_file]


@pytest.mark.parametrize("rule", EXAMPLES, ids=lambda rule: rule.code)
def test_the_docs_example_fails_and_its_fix_passes(rule, tmp_path: Path) -> None:
    """Each rule's "Example / Use instead" (in the pack, shown by `explain`, docs/rules.md and SARIF)
    is a fail and a pass fixture: the docs cannot lie."""
    bad = _example_scan(tmp_path / "bad", rule.code, rule.example_files(good=False))
    assert [f.code for f in bad.active() if f.code == rule.code], "the example must raise its rule"
    good = _example_scan(tmp_path / "good", rule.code, rule.example_files(good=True))
    assert [f.message for f in good.active() if f.code == rule.code] == []
    assert [f.message for f in [*bad.findings, *good.findings] if f.code.startswith("E")] == []


def test_every_rule_has_an_example() -> None:
    without = [rule.code for rule in load_pack() if not rule.code.startswith("E") and not rule.example_file]
    assert without == []
