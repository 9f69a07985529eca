from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = Path(os.environ.get("RELCHECK_SHARED", ROOT.parent / "shared"))


@pytest.fixture
def run_cli(monkeypatch):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    def run(*args: str, cwd: Path | None = None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        result = cli_runner().invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


def relcheck_command() -> list[str]:
    return [sys.executable, "-m", "relcheck"]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty user cache (the hook keeps its last scan there, and the scan cache's
    signing key) and a scan cache of its own, outside the fixtures it scans."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("RELCHECK_CACHE_DIR", str(tmp_path_factory.mktemp("scan-cache")))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        help="Rewrite each failing rule fixture's expect.txt with what the scan reports (review the diff).",
    )
