from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from relcheck.ruleset.pack import load_pack

from .conftest import ROOT, relcheck_command

EXAMPLES = ROOT / "examples"
LEGACY = EXAMPLES / "legacy-service"
ENTERPRISE = EXAMPLES / "enterprise-service"
REPORT_SCHEMA = json.loads((ROOT / "relcheck" / "schemas" / "report.schema.json").read_text())


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*relcheck_command(), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("relcheck ")
    assert run("-V").stdout == result.stdout


def test_reports_are_written_into_new_folders_with_the_usual_mode(tmp_path: Path) -> None:
    import os
    import stat

    target = tmp_path / "reports" / "ci" / "relcheck.sarif"
    old = os.umask(0o022)
    try:
        done = run("scan", str(LEGACY), "-f", "sarif", "-o", str(target), "--fail-on", "never")
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's 0600


def test_rules_lists_every_code_with_its_status() -> None:
    result = run("rules")
    assert result.returncode == 0
    for rule in load_pack():
        assert rule.code in result.stdout and rule.slug in result.stdout
    assert "planned" in result.stdout and "implemented" in result.stdout


def test_rules_json() -> None:
    _code, out, _ = _cli("rules", "--format", "json")
    data = json.loads(out)
    assert len(data["rules"]) == len(load_pack())
    d003 = next(r for r in data["rules"] if r["code"] == "D003")
    assert d003["status"] == "implemented" and d003["slug"] == "exec-form-command"


def _cli(*args: str):
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    result = cli_runner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_explain_by_code_and_slug_is_the_same() -> None:
    by_code = _cli("explain", "D003")
    by_slug = _cli("explain", "exec-form-command")
    assert by_code[0] == by_slug[0] == 0
    assert by_code[1] == by_slug[1]
    assert "PID 1" in by_code[1] and "How to fix" in by_code[1]


def test_explain_unknown_rule_exits_2_with_a_suggestion() -> None:
    code, _, err = _cli("explain", "D0003")
    assert code == 2
    assert "unknown rule 'D0003'" in err


def test_missing_path_exits_2() -> None:
    code, _, err = _cli("scan", "does/not/exist")
    assert code == 2
    assert err.strip() == "relcheck: error: path 'does/not/exist' does not exist"


def test_legacy_example_fails_with_the_classic_mistakes() -> None:
    result = run("scan", str(LEGACY), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    codes = {f["code"] for f in report["findings"]}
    assert {"D001", "D003", "D004", "D007", "D009", "R001", "R002"} <= codes
    assert {"K003", "K004", "K014", "K015", "K019", "K020", "K024", "K027", "K028", "K029"} <= codes
    assert {"P001", "P002", "P003", "P005"} <= codes
    assert {"A001", "A002", "A003", "A004", "A005"} <= codes
    assert {"S001", "S002", "S003", "S004", "S005", "S006"} <= codes
    assert {"X001", "X005"} <= codes


def test_enterprise_example_is_clean() -> None:
    result = run("scan", str(ENTERPRISE))
    assert result.returncode == 0, result.stdout
    assert "No problems found" in result.stdout


def test_json_report_validates_and_paths_are_relative() -> None:
    _code, out, _ = _cli("scan", str(LEGACY), "--format", "json")
    report = json.loads(out)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert report["findings"]
    assert all(not f["path"].startswith("/") for f in report["findings"])
    assert "Dockerfile" in {f["path"] for f in report["findings"]}
    assert report["summary"]["error"] == sum(1 for f in report["findings"] if f["severity"] == "error")


def test_identical_runs_give_identical_output(tmp_path: Path) -> None:
    first = run("scan", str(LEGACY), "--format", "json").stdout
    second = run("scan", str(LEGACY), "--format", "json").stdout
    assert first == second
    copy = tmp_path / "copy"
    shutil.copytree(LEGACY, copy)
    assert run("scan", str(copy), "--format", "json").stdout == first


def test_text_report_is_plain_when_not_a_tty() -> None:
    result = run("scan", str(LEGACY))
    assert "\x1b[" not in result.stdout
    assert "Dockerfile:7:1: error   D003 [*] exec-form-command:" in result.stdout
    assert "fix: Write the command as a JSON array" in result.stdout
    last_three = result.stdout.rstrip().splitlines()[-3:]
    assert last_three[0].endswith("in 10 files. [*] 7 fixable with `relcheck fix` (8 more with --unsafe-fixes).")
    assert last_three[1].startswith("Checklist (legacy-service): 0/16 items pass; fail: graceful-shutdown")
    # The report ends with what was read and what was not checked.
    assert last_three[2] == (
        "Read: 1 Dockerfile, 3 Kubernetes manifests, 1 rule file, 1 PM2 file, 1 settings file, 3 source files; "
        "3 objects, 1 service."
    )


def test_select_and_ignore_take_codes_prefixes_and_slugs() -> None:
    def codes(*args: str) -> set[str]:
        _, out, _ = _cli("scan", str(LEGACY), "--format", "json", *args)
        return {f["code"] for f in json.loads(out)["findings"]}

    assert codes("--select", "D003") == {"D003"}
    assert codes("--select", "exec-form-command,non-root-user") == {"D001", "D003"}
    assert codes("--select", "R") == {"R001", "R002", "R004", "R005"}
    assert codes("--select", "D00", "--ignore", "D001", "--ignore", "D002") == {
        "D003",
        "D004",
        "D005",
        "D006",
        "D007",
        "D008",
        "D009",
    }


def test_unknown_select_exits_2() -> None:
    code, _, err = _cli("scan", str(LEGACY), "--select", "D999")
    assert code == 2
    assert "--select: unknown rule 'D999'" in err


def test_fail_on_thresholds() -> None:
    assert _cli("scan", str(LEGACY), "--select", "D004")[0] == 0  # a warning does not fail by default
    assert _cli("scan", str(LEGACY), "--select", "D004", "--fail-on", "warning")[0] == 1
    assert _cli("scan", str(LEGACY), "--select", "D010", "--fail-on", "warning")[0] == 0
    assert _cli("scan", str(LEGACY), "--select", "D010", "--fail-on", "info")[0] == 1
    assert _cli("scan", str(LEGACY), "--fail-on", "never")[0] == 0


def test_output_file_and_quiet(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, _ = _cli("scan", str(LEGACY), "--format", "json", "--output", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["version"] == 1
    _, quiet, _ = _cli("scan", str(LEGACY), "--select", "D003", "--quiet")
    assert quiet.strip().splitlines() == [
        "Dockerfile:7:1: error   D003 [*] exec-form-command: CMD uses the shell form: /bin/sh becomes PID 1 and "
        "does not forward SIGTERM to the service"
    ]


def test_init_writes_a_valid_commented_config(tmp_path: Path) -> None:
    code, _out, _ = _cli("init", str(tmp_path))
    assert code == 0
    written = (tmp_path / ".relcheck.yaml").read_text()
    assert "# select:" in written and "#   D005:" in written
    assert _cli("init", str(tmp_path))[0] == 2  # refuses to overwrite
    # The parameter block, uncommented, is itself a valid configuration.
    block = written.split("# params:\n", 1)[1]
    (tmp_path / ".relcheck.yaml").write_text(
        "params:\n" + "".join(line[2:] + "\n" for line in block.splitlines() if line.startswith("#   "))
    )
    (tmp_path / "Dockerfile").write_text("FROM node:20-alpine\n")
    assert _cli("scan", str(tmp_path), "--fail-on", "never")[0] == 0


@pytest.mark.parametrize("no_color", ["1", ""])
def test_no_color_environment(no_color: str) -> None:
    import os

    env = {**os.environ, "NO_COLOR": no_color}
    assert "\x1b[" not in run("scan", str(LEGACY), env=env).stdout


def test_readme_sample_output_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = readme.split("$ relcheck scan examples/legacy-service\n", 1)[1].split("```", 1)[0]
    actual = run("scan", str(LEGACY)).stdout.splitlines()
    shown = [line for line in sample.splitlines() if line and line != "..."]
    assert shown and all(line in actual for line in shown), [line for line in shown if line not in actual]
    assert shown[-1] == actual[-1]


def test_explain_p003_explains_pm2_default() -> None:
    code, out, _ = _cli("explain", "kill-timeout")
    assert code == 0
    assert "1600 ms" in out and "SIGKILL" in out
    assert "kill_timeout: 30000" in out
    assert "shutdown_timeout_ms = 30000" in out


def test_statistics_and_color_conventions() -> None:
    import os

    stats = run("scan", str(LEGACY), "--statistics")
    assert stats.returncode == 1
    lines = stats.stdout.splitlines()
    assert lines[0].split() == ["4", "K005", "warning", "probe-timing"]
    assert lines[-1] == "65 findings from 57 rules." and "fix:" not in stats.stdout
    forced = run("scan", str(LEGACY), env={**os.environ, "FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in forced.stdout
    both = run("scan", str(LEGACY), env={**os.environ, "FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in both.stdout


def test_help_keeps_bracketed_text() -> None:
    shown = " ".join(run("scan", "--help").stdout.split())
    assert "[tool.relcheck] in pyproject.toml" in shown and "[default: error]" in shown


def test_shell_completion() -> None:
    import os
    import subprocess

    from .conftest import relcheck_command

    # The shell named is the one whose script is printed, whatever shell (or none) runs relcheck.
    shown = subprocess.run([*relcheck_command(), "--show-completion", "bash"], capture_output=True, text=True)
    assert shown.returncode == 0 and "_RELCHECK_COMPLETE=complete_bash" in shown.stdout
    shown = subprocess.run([*relcheck_command(), "--show-completion", "zsh"], capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stdout.startswith("#compdef relcheck")
    refused = subprocess.run([*relcheck_command(), "--show-completion", "tcsh"], capture_output=True, text=True)
    assert refused.returncode == 2 and "'tcsh' is not one of" in refused.stderr
    env = {**os.environ, "_RELCHECK_COMPLETE": "complete_bash", "COMP_WORDS": "relcheck scan --fo", "COMP_CWORD": "2"}
    completed = subprocess.run(relcheck_command(), env=env, capture_output=True, text=True)
    assert completed.stdout.split() == ["--format"]
