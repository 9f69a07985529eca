"""Configuration: found at the scan root, validated, one clear line and exit 2 when wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DOCKERFILE = "FROM node:20-alpine\nUSER node\nHEALTHCHECK --interval=10s --timeout=3s --start-period=40s CMD true\n"


def _cli(*args: str):
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    result = cli_runner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


def _codes(root: Path, *args: str) -> list[str]:
    _, out, _ = _cli("scan", str(root), "--format", "json", *args)
    return [f["code"] for f in json.loads(out)["findings"] if not f["suppressed"]]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("selct: [D001]\n", ".relcheck.yaml:1:1: selct: unknown key (did you mean 'select'?)"),
        ("ignore: D001\n", '.relcheck.yaml:1:9: ignore: expected a list, got string "D001"'),
        (
            "severity:\n  D010: fatal\n",
            '.relcheck.yaml:2:9: severity.D010: "fatal" is not one of: error, warning, info',
        ),
        ("select: [D999]\n", ".relcheck.yaml:1:10: select.0: unknown rule 'D999'"),
        (
            "params:\n  D005:\n    intervall: 10s\n",
            ".relcheck.yaml:3:5: params.D005.intervall: unknown parameter of D005 (known: interval, timeout, "
            "start_period, retries)",
        ),
        (
            "params:\n  healthcheck:\n    retries: three\n",
            '.relcheck.yaml:3:14: params.healthcheck.retries: expected integer, got string "three"',
        ),
        (
            "params:\n  D:\n    retries: 2\n",
            ".relcheck.yaml:2:3: params.D: name one rule (a code or slug), not a prefix",
        ),
        (
            "fail-on: sometimes\n",
            '.relcheck.yaml:1:10: fail-on: "sometimes" is not one of: error, warning, info, never',
        ),
        ("select: [D001\n", ".relcheck.yaml:2:1: invalid YAML:"),
        ("- D001\n", ".relcheck.yaml:1:1: expected a mapping of options at the top level"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(project: Path, config: str, message: str) -> None:
    (project / ".relcheck.yaml").write_text(config)
    code, out, err = _cli("scan", str(project))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"relcheck: error: {message}")


def test_config_selects_ignores_and_overrides(project: Path) -> None:
    assert "D001" not in _codes(project)
    (project / ".relcheck.yaml").write_text("select: [D]\nignore: [small-base-image]\n")
    codes = _codes(project)
    assert codes and all(c.startswith("D") for c in codes) and "D010" not in codes
    (project / ".relcheck.yaml").write_text("select: [D005]\nseverity:\n  D005: error\nfail-on: error\n")
    code, out, _ = _cli("scan", str(project), "--format", "json")
    findings = json.loads(out)["findings"]
    # The options note stays info; overrides change the rule's own severity.
    assert [(f["code"], f["severity"]) for f in findings] == [("D005", "info")]
    assert code == 0


def test_params_change_what_a_rule_accepts(project: Path) -> None:
    assert "D005" in _codes(project, "--select", "D005")
    (project / ".relcheck.yaml").write_text("params:\n  D005:\n    interval: 10s\n")
    assert _codes(project, "--select", "D005") == []


def test_pyproject_table(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.relcheck]\nignore = ["D"]\n')
    assert not any(c.startswith("D") for c in _codes(project))
    (project / "pyproject.toml").write_text('[tool.relcheck]\nignroe = ["D"]\n')
    code, _, err = _cli("scan", str(project))
    assert code == 2
    assert err.startswith("relcheck: error: pyproject.toml: ignroe: unknown key (did you mean 'ignore'?)")


def test_explicit_config_file_wins(project: Path, tmp_path_factory) -> None:
    other = tmp_path_factory.mktemp("cfg") / "strict.yaml"
    other.write_text("select: [D011]\n")
    (project / ".relcheck.yaml").write_text("select: [D009]\n")
    assert set(_codes(project, "--config", str(other))) == {"D011"}
    code, _, err = _cli("scan", str(project), "--config", str(other) + ".missing")
    assert code == 2 and "does not exist" in err


def test_exclude_and_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "legacy").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text("FROM node:latest\n")
    (tmp_path / "legacy" / "Dockerfile").write_text("FROM node:latest\n")
    (tmp_path / ".relcheck.yaml").write_text(
        "select: [D009]\nexclude: ['legacy/']\nper-file-ignores:\n  'api/Dockerfile': [pinned-base-image]\n"
    )
    code, out, _ = _cli("scan", str(tmp_path), "--format", "json")
    report = json.loads(out)
    assert [(f["path"], f["suppressed"], f["suppression"]["kind"]) for f in report["findings"]] == [
        ("api/Dockerfile", True, "config")
    ]
    assert code == 0
    assert "legacy/Dockerfile" not in {f["path"] for f in report["files"]}


def test_a_subfolder_scan_uses_the_repositorys_config(tmp_path: Path) -> None:
    """`relcheck scan services/api` reads the config at the repository's root, as ruff does; its
    paths, and the report's, are relative to the folder it is in."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    api = repo / "services" / "api"
    (api / "old").mkdir(parents=True)
    (api / "Dockerfile").write_text("FROM node:latest\nCMD node main.js\n")
    (api / "old" / "Dockerfile").write_text("FROM node:latest\n")
    (repo / ".relcheck.yaml").write_text("ignore: [D002]\nexclude: ['services/api/old']\n")
    code, out, _ = _cli("scan", str(api), "-f", "json", "--select", "D")
    assert code == 1
    findings = json.loads(out)["findings"]
    assert {f["path"] for f in findings} == {"services/api/Dockerfile"}
    assert "D009" in {f["code"] for f in findings} and "D002" not in {f["code"] for f in findings}
    _, shown, _ = _cli("scan", str(api), "--show-settings")
    assert f"scan root: {repo.resolve()}\nconfig: .relcheck.yaml\n" in shown
    # The nearest config wins; without a repository nothing above the scanned folder is read.
    (api / ".relcheck.yaml").write_text("ignore: [D009]\n")
    _, out, _ = _cli("scan", str(api), "-f", "json", "--select", "D")
    codes = {(f["path"], f["code"]) for f in json.loads(out)["findings"]}
    assert ("Dockerfile", "D002") in codes and not any(code == "D009" for _, code in codes)
    (api / ".relcheck.yaml").unlink()
    (repo / ".git").rmdir()
    _, out, _ = _cli("scan", str(api), "-f", "json", "--select", "D")
    assert "D002" in {f["code"] for f in json.loads(out)["findings"]}


def test_a_null_value_is_named_once_in_a_schema_message() -> None:
    from jsonschema import Draft202012Validator

    from relcheck.config.errors import schema_problem

    (error,) = Draft202012Validator({"type": ["string", "boolean"]}).iter_errors(None)
    assert schema_problem(error) == "expected a string or a boolean, got nothing (null)"
    (error,) = Draft202012Validator({"type": "string"}).iter_errors(3)
    assert schema_problem(error) == "expected a string, got integer 3"
