"""Custom rules as data and rule packs as plugins behave like built-in rules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from relcheck.api import Rule
from relcheck.config.loader import Config
from relcheck.ruleset.custom import CustomRuleError
from relcheck.ruleset.load import load_ruleset
from relcheck.scan.engine import scan

from .conftest import FIXTURES, ROOT

CUSTOM = ROOT / "examples" / "custom-rules"
VIOLATIONS = FIXTURES / "custom-rules" / "violations"


def _ruleset():
    return load_ruleset(ROOT, ["examples/custom-rules"])


def test_example_custom_rules_fire_where_expected() -> None:
    result = scan([VIOLATIONS], Config(), select=["ORG"], ruleset=_ruleset())
    got = [(f.code, f.location.path, f.location.line, f.message) for f in result.findings]
    assert got == [
        ("ORG001", "k8s/deployment.yaml", 5, "Deployment 'payments' has no team label ('team' is a required property)"),
        (
            "ORG002",
            "k8s/deployment.yaml",
            11,
            "container 'app' uses image 'docker.io/library/payments:1.0.0', not from registry.example.com",
        ),
        ("ORG003", "monitoring/alerts.yaml", 6, "alert 'PaymentsDown' has no team label"),
    ]
    assert {f.severity.label for f in result.findings if f.code == "ORG002"} == {"error"}


def test_example_custom_rules_are_quiet_on_the_enterprise_example() -> None:
    result = scan([ROOT / "examples" / "enterprise-service"], Config(), ruleset=_ruleset())
    assert result.findings == []


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(VIOLATIONS, root)
    shutil.copytree(CUSTOM, root / ".relcheck" / "rules")
    return root


def _cli(*args: str, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "relcheck", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_custom_rules_everywhere_a_builtin_goes(tmp_path: Path) -> None:
    root = _project(tmp_path)
    listed = _cli("rules", cwd=root)
    assert "ORG001  deployment-team-label" in listed.stdout
    explained = _cli("explain", "allowed-registry", cwd=root)
    assert explained.returncode == 0 and "Images come from the allowed registry" in explained.stdout
    (root / ".relcheck.yaml").write_text("select: [ORG]\nseverity:\n  ORG001: error\n")
    report = json.loads(_cli("scan", str(root), "-f", "json").stdout)
    assert {(f["code"], f["severity"]) for f in report["findings"]} == {
        ("ORG001", "error"),
        ("ORG002", "error"),
        ("ORG003", "warning"),
    }
    sarif = json.loads(_cli("scan", str(root), "-f", "sarif").stdout)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["ORG002"]["shortDescription"]["text"] == "Images come from the allowed registry"
    assert "custom" in rules["ORG002"]["properties"]["tags"]
    manifest = root / "k8s" / "deployment.yaml"
    manifest.write_text(
        manifest.read_text().replace("  name: payments\n", "  name: payments  # relcheck: ignore ORG001 -- migrating\n")
    )
    suppressed = json.loads(_cli("scan", str(root), "-f", "json").stdout)
    assert [f["suppression"]["kind"] for f in suppressed["findings"] if f["code"] == "ORG001"] == ["inline"]
    checklist = json.loads(_cli("checklist", str(root), "-f", "json").stdout)
    items = {i["item"]: i for i in checklist["services"][0]["items"]}
    assert "ORG002" in [f["code"] for f in items["container-hardening"]["findings"]]


GOOD_FIELDS = "slug: x\nseverity: info\ntitle: t\nmessage: m\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "code: ORG9\n" + GOOD_FIELDS + "target: {kind: env}\ncondition: {}\n",
            'rules/bad.yaml:1: code: "ORG9" does not have the expected form',
        ),
        ("code: [unclosed\n", "rules/bad.yaml:2: invalid YAML"),
        (
            "code: ORG009\n" + GOOD_FIELDS + "condition: {}\ntarget: {kind: helm-chart}\n",
            'rules/bad.yaml:7: target.kind: "helm-chart" is not one of',
        ),
        (
            "code: ORG009\n" + GOOD_FIELDS + "target: {kind: env}\ncondition:\n  type: 12\n",
            "rules/bad.yaml:8: condition is not a valid JSON Schema",
        ),
        (
            "code: D001\nslug: again\nseverity: info\ntitle: t\nmessage: m\ntarget: {kind: env}\ncondition: {}\n",
            "rules/bad.yaml: D001 is already defined by relcheck",
        ),
    ],
)
def test_bad_custom_rules_exit_2_with_file_line_and_reason(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.yaml").write_text(content)
    (tmp_path / ".relcheck.yaml").write_text("rule-dirs: [rules]\n")
    result = _cli("scan", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"relcheck: error: {message}"), result.stderr
    with pytest.raises(CustomRuleError):
        load_ruleset(tmp_path, ["rules"])


def test_a_plugin_that_raises_becomes_an_internal_error_finding() -> None:
    def broken(ctx):
        raise KeyError("spec")
        yield

    ruleset = load_ruleset(ROOT)
    meta = Rule("ACME900", "acme-broken", "Broken", "warning", "r", "f", broken).meta("plugin:acme")
    ruleset.rules.append(meta)
    ruleset.checks[meta.code] = broken
    ruleset.origins[meta.code] = "plugin 'acme'"
    result = scan([ROOT / "examples" / "legacy-service"], Config(), select=["ACME900", "D001"], ruleset=ruleset)
    errors = [f.message for f in result.findings if f.code == "E001"]
    assert len(errors) == 1 and "internal error in rule ACME900 of plugin 'acme' (KeyError" in errors[0]
    assert "D001" in {f.code for f in result.findings}  # the scan went on


def _blocks(markdown: str, language: str) -> list[str]:
    parts = markdown.split(f"```{language}\n")[1:]
    return [part.split("```", 1)[0] for part in parts]


def test_the_docs_show_the_example_files_verbatim() -> None:
    docs = (ROOT / "docs" / "writing-rules.md").read_text()
    assert (CUSTOM / "team-label.yaml").read_text() in _blocks(docs, "yaml")
    plugin = ROOT / "examples" / "plugin-example"
    assert (plugin / "relcheck_acme" / "__init__.py").read_text() in _blocks(docs, "python")
    assert (plugin / "pyproject.toml").read_text() in _blocks(docs, "toml")
    shown = next(block for block in _blocks(docs, "text") if "ORG001" in block).strip()
    result = scan([VIOLATIONS], Config(), select=["ORG001"], ruleset=_ruleset())
    finding = result.findings[0]
    line = (
        f"{finding.location.path}:{finding.location.line}:{finding.location.column}: warning ORG001 "
        f"deployment-team-label: {finding.message}"
    )
    assert shown == line


@pytest.mark.slow  # installs into a fresh virtualenv
def test_the_plugin_example_installs_in_a_fresh_venv_and_its_rule_fires(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    installed = subprocess.run(
        [*pip, str(ROOT), str(ROOT / "examples" / "plugin-example")], capture_output=True, text=True, timeout=900
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    relcheck = str(venv / "bin" / "relcheck")
    listed = subprocess.run([relcheck, "rules"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "ACME001  revision-history-limit" in listed.stdout
    sarif = json.loads(
        subprocess.run(
            [relcheck, "scan", str(FIXTURES / "plugin"), "-f", "sarif", "--select", "ACME"],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    )
    run = sarif["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "ACME001")
    assert rule["shortDescription"]["text"] == "Deployments keep few old ReplicaSets"
    assert "plugin:acme" in rule["properties"]["tags"]
    (result,) = run["results"]
    assert result["ruleId"] == "ACME001" and result["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    quiet = subprocess.run(
        [relcheck, "scan", str(ROOT / "examples" / "enterprise-service"), "--select", "ACME"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert quiet.returncode == 0 and "No problems found" in quiet.stdout


def _installed(folder: Path, dist: str, entry_points: str | None) -> None:
    info = folder / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


def test_a_plugin_declared_by_a_distribution_on_the_path_is_loaded(tmp_path: Path, monkeypatch) -> None:
    """The cheap look for declared plugins finds them where importlib.metadata would: the module
    and its entry point are real, on the import path, and the rule comes into the rule set."""
    (tmp_path / "relcheck_probe.py").write_text(
        "from relcheck.api import Rule\n\n\ndef check(ctx):\n    yield from ()\n\n\n"
        "def rules():\n    return [Rule('PROBE1', 'probe-rule', 'Probe', 'info', 'r', 'f', check)]\n"
    )
    _installed(tmp_path, "unrelated", "[console_scripts]\nunrelated = unrelated:main\n")
    from relcheck.ruleset import load

    with monkeypatch.context() as only:
        only.setattr(sys, "path", [str(tmp_path)])
        assert not load._may_declare_plugins()
        _installed(tmp_path, "relcheck-probe", "[relcheck.rules]\nprobe = relcheck_probe:rules\n")
        assert load._may_declare_plugins()
    monkeypatch.syspath_prepend(str(tmp_path))
    ruleset = load_ruleset(ROOT)
    assert "PROBE1" in {rule.code for rule in ruleset.rules} and ruleset.origin("PROBE1") == "plugin 'probe'"


def test_a_zip_archive_on_the_path_is_left_to_importlib_metadata(tmp_path: Path, monkeypatch) -> None:
    import zipfile

    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("placeholder.py", "")
    monkeypatch.syspath_prepend(str(archive))
    from relcheck.ruleset import load

    assert load._may_declare_plugins()
