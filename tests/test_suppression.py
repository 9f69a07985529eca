"""Suppression comments in Dockerfiles: line above, trailing, file-wide, expiring; counted, never dropped."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from relcheck.config.loader import Config
from relcheck.scan.engine import scan
from relcheck.scan.suppression import parse_directives


def _scan(tmp_path: Path, dockerfile: str, today: dt.date | None = None, select=("D001", "D003", "D009")):
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return scan([tmp_path], Config(), select=list(select), today=today)


def test_line_above_and_trailing(tmp_path: Path) -> None:
    result = _scan(
        tmp_path,
        (
            "# relcheck: ignore D009 -- the base is rebuilt nightly\n"
            "FROM node:latest\n"
            "USER root # relcheck: ignore non-root-user -- needs port 80\n"
            "CMD node main.js\n"
        ),
    )
    by_code = {f.code: f for f in result.findings}
    assert by_code["D009"].suppression.kind == "inline"
    assert by_code["D009"].suppression.reason == "the base is rebuilt nightly"
    # The trailing comment is not part of the USER value, and it suppresses D001 by slug.
    assert by_code["D001"].suppressed and "USER root" in by_code["D001"].message
    assert not by_code["D003"].suppressed
    assert [f.code for f in result.active()] == ["D003"]


def test_directive_does_not_leak_to_other_lines_or_codes(tmp_path: Path) -> None:
    result = _scan(tmp_path, ("FROM node:latest\n# relcheck: ignore D003\n\nUSER root\nCMD node main.js\n"))
    assert sorted(f.code for f in result.active()) == ["D001", "D003", "D009"]


def test_file_wide(tmp_path: Path) -> None:
    result = _scan(tmp_path, "# relcheck: ignore-file D0 -- prototype image\nFROM node:latest\nCMD node x\n")
    assert result.active() == []
    assert {f.suppression.kind for f in result.findings} == {"file"}


def test_expired_suppression_returns_the_finding(tmp_path: Path) -> None:
    text = "# relcheck: ignore D009 until=2027-03-31 -- waiting for the base image\nFROM node:latest\n"
    before = _scan(tmp_path, text, today=dt.date(2027, 3, 31), select=["D009"])
    assert before.active() == [] and before.findings[0].suppression.until == "2027-03-31"
    after = _scan(tmp_path, text, today=dt.date(2027, 4, 1), select=["D009"])
    assert [f.code for f in after.active()] == ["D009"]
    assert after.findings[0].expired_suppression.until == "2027-03-31"


def test_suppressed_findings_are_counted_and_shown_on_request(tmp_path: Path) -> None:
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    (tmp_path / "Dockerfile").write_text("# relcheck: ignore D009\nFROM node:latest\n")
    runner = cli_runner()
    hidden = runner.invoke(app, ["scan", str(tmp_path), "--select", "D009"])
    assert hidden.exit_code == 0
    assert "D009" not in hidden.stdout
    assert "1 suppressed (--show-suppressed lists them)" in hidden.stdout
    shown = runner.invoke(app, ["scan", str(tmp_path), "--select", "D009", "--show-suppressed"])
    assert "D009 pinned-base-image" in shown.stdout and "[suppressed (inline)]" in shown.stdout
    report = json.loads(runner.invoke(app, ["scan", str(tmp_path), "--select", "D009", "--format", "json"]).stdout)
    assert report["summary"]["suppressed"] == 1 and report["summary"]["warning"] == 0
    assert report["findings"][0]["suppressed"] is True
    assert report["findings"][0]["suppression"]["source"]["line"] == 1


def test_parse_directives_forms() -> None:
    directives = parse_directives(
        "# relcheck: ignore K001, K014 until=2027-01-01 -- reason here\n"
        "key: value  # relcheck: ignore K017\n"
        "// relcheck: ignore-file P003\n"
        "# relcheck: ignore\n"
    )
    assert [(d.line, d.target_line, d.names, d.reason, d.file_wide) for d in directives] == [
        (1, 2, ("K001", "K014"), "reason here", False),
        (2, 2, ("K017",), "", False),
        (3, 0, ("P003",), "", True),
        (4, 4, (), "", False),
    ]
    assert directives[0].until == dt.date(2027, 1, 1)


def test_kubernetes_comment_and_annotation_suppressions() -> None:
    case = Path(__file__).parent / "fixtures" / "rules" / "K001" / "pass" / "suppressed-by-comment-and-annotation"
    result = scan([case], Config(), select=["K001", "K002"])
    k001 = sorted((f.location.line, f.suppression.kind) for f in result.findings if f.code == "K001")
    # One comment inside the object, one annotation on the pod template, one comment above the object.
    assert [kind for _, kind in k001] == ["inline", "annotation", "inline"]
    assert all(f.suppressed for f in result.findings if f.code == "K001")
    k002 = {f.location.line: f.suppressed for f in result.findings if f.code == "K002"}
    assert sorted(k002.values()) == [False, False, True]  # the annotation names K002 for 'two' only


def test_a_comment_inside_a_pm2_app_covers_the_app(tmp_path: Path) -> None:
    """A finding about a subject (here a PM2 app) is scoped to the subject's lines, whatever check
    reports it: ctx.report carries the scope."""
    from relcheck.config.loader import Config
    from relcheck.scan.engine import scan

    (tmp_path / "ecosystem.config.js").write_text(
        "module.exports = {\n"
        "  apps: [\n"
        "    {\n"
        "      name: 'api',\n"
        "      script: 'main.js',\n"
        "      // relcheck: ignore P002 -- recycled by the orchestrator instead\n"
        "      exec_mode: 'cluster',\n"
        "      instances: 2,\n"
        "    },\n"
        "    { name: 'worker', script: 'worker.js', exec_mode: 'cluster', instances: 2 },\n"
        "  ],\n"
        "};\n"
    )
    result = scan([tmp_path], Config(), select=["P002"])
    by_app = {f.location.line: f.suppressed for f in result.findings}
    assert by_app == {4: True, 10: False}


def test_a_comment_on_a_list_items_first_line_is_that_items_alone(tmp_path: Path) -> None:
    """A block list item ends on the line before the next item's `- `: a comment there belongs to
    the next item (alerting rules, List items), while one on the item's own last line is its own."""
    (tmp_path / "alerts.yaml").write_text(
        "groups:\n"
        "  - name: g\n"
        "    rules:\n"
        "      - alert: A\n"
        "        expr: up == 0\n"
        "      - alert: B  # relcheck: ignore A003\n"
        "        expr: up == 0  # relcheck: ignore A004\n"
        "      - alert: C\n"
        "        expr: up == 0\n"
    )
    deployment = (
        "kind: Deployment\n    metadata: {{name: {0}}}\n    spec: {{selector: {{matchLabels: {{app: {0}}}}}, "
        "template: {{metadata: {{labels: {{app: {0}}}}}, spec: {{containers: [{{name: {0}, image: {0}:1}}]}}}}}}\n"
    )
    (tmp_path / "list.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        f"  - apiVersion: apps/v1\n    {deployment.format('a')}"
        f"  - apiVersion: apps/v1  # relcheck: ignore K001\n    {deployment.format('b')}"
    )
    result = scan([tmp_path], Config(), select=["A003", "A004", "K001"])
    suppressed = {(f.code, f.location.path, f.location.line): f.suppressed for f in result.findings}
    assert suppressed == {
        ("A003", "alerts.yaml", 4): False,
        ("A003", "alerts.yaml", 6): True,
        ("A003", "alerts.yaml", 8): False,
        ("A004", "alerts.yaml", 4): False,
        ("A004", "alerts.yaml", 6): True,
        ("A004", "alerts.yaml", 8): False,
        ("K001", "list.yaml", 7): False,
        ("K001", "list.yaml", 11): True,
    }
