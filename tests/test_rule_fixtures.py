"""Every rule's fixtures: `fail/<case>/expect.txt` lists `path:line CODE` per expected finding;
`pass/<case>` must give no finding of the rule. Adding a case is adding a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from relcheck.config import Config
from relcheck.engine import scan

RULE_FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _cases(kind: str) -> list[tuple[str, Path]]:
    return [
        (code_dir.name, case)
        for code_dir in sorted(RULE_FIXTURES.iterdir())
        for case in sorted((code_dir / kind).iterdir())
        if (code_dir / kind).is_dir()
    ]


def _expected(case: Path) -> list[str]:
    lines = (case / "expect.txt").read_text(encoding="utf-8").splitlines()
    return sorted(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _scan(case: Path, code: str):
    return scan([case], Config(), select=[code])


@pytest.mark.parametrize(("code", "case"), _cases("fail"), ids=lambda v: v if isinstance(v, str) else v.name)
def test_failing_fixture(code: str, case: Path) -> None:
    result = _scan(case, code)
    got = sorted(f"{f.location.path}:{f.location.line} {f.code}" for f in result.findings if f.code == code)
    assert got == _expected(case)
    if not code.startswith("E"):
        assert [f for f in result.findings if f.code.startswith("E")] == []


@pytest.mark.parametrize(("code", "case"), _cases("pass"), ids=lambda v: v if isinstance(v, str) else v.name)
def test_passing_fixture(code: str, case: Path) -> None:
    result = _scan(case, code)
    assert [(f.location.path, f.location.line, f.message) for f in result.active() if f.code == code] == []
    assert [f.message for f in result.findings if f.code.startswith("E")] == []
