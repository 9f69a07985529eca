"""CI integrations: SARIF for code scanning, JUnit, GitHub, GitLab, Markdown, baselines, pre-commit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest

from relcheck.config.loader import Config, load_config
from relcheck.reporters import ci, sarif
from relcheck.ruleset.pack import load_pack
from relcheck.scan.engine import scan

from .conftest import ROOT, SHARED

LEGACY = ROOT / "examples" / "legacy-service"
ENTERPRISE = ROOT / "examples" / "enterprise-service"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


def _sarif(path: Path, **options) -> dict:
    return json.loads(sarif.render(scan([path], Config(), fixes=True), **options))


@pytest.mark.skipif(not SARIF_SCHEMA.is_file(), reason="the SARIF schema (../shared/schemas) is not present")
def test_sarif_validates_against_the_official_schema() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema)
    for document in (
        _sarif(LEGACY),
        _sarif(ENTERPRISE),
        _sarif(LEGACY, category="relcheck/legacy", include_suppressed=True),
    ):
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]] == []
    fixes = [r["fixes"][0] for r in _sarif(LEGACY)["runs"][0]["results"] if "fixes" in r]
    assert len(fixes) == 15
    (change,) = next(f for f in fixes if f["description"]["text"].startswith("Use the exec form"))["artifactChanges"]
    assert change["artifactLocation"]["uri"].endswith("legacy-service/Dockerfile")
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 7, "startColumn": 5, "endLine": 7, "endColumn": 14},
            "insertedContent": {"text": '["npm", "start"]'},
        }
    ]


def test_sarif_meets_what_github_reads() -> None:
    document = _sarif(LEGACY, category="relcheck")
    assert document["version"] == "2.1.0" and document["$schema"]
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "relcheck" and driver["semanticVersion"]
    rules = driver["rules"]
    assert len(rules) == len(list(load_pack()))  # every rule of the pack, E003/E004 included
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"] and rule["helpUri"] in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["properties"]["tags"][0] == "reliability" and len(rule["properties"]["tags"]) <= 20
    assert run["automationDetails"] == {"id": "relcheck/"}
    assert run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert uri.startswith("examples/legacy-service/") and location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        region = location["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert min(region.values()) >= 1 and region["endColumn"] >= region["startColumn"]
        assert set(result["partialFingerprints"]) == {"relcheck/v1"}
    x001 = next(r for r in run["results"] if r["ruleId"] == "X001")
    assert x001["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("k8s/deployment.yaml")


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("k8s/deployment.yaml", "k8s/deployment.yaml"),
        ("my service/k8s/api.yaml", "my%20service/k8s/api.yaml"),
        ("svc#2/Dockerfile", "svc%232/Dockerfile"),
        ("100%/Dockerfile", "100%25/Dockerfile"),
        ("c:d/Dockerfile", "c%3Ad/Dockerfile"),  # not read as a URI scheme
        ("café/Dockerfile", "caf%C3%A9/Dockerfile"),
        ("Dockerfile.\udcff", "Dockerfile.%FF"),  # a name that is not UTF-8, by its own byte
    ],
)
def test_sarif_uris_are_percent_encoded_repository_paths(path: str, uri: str) -> None:
    from urllib.parse import unquote

    assert sarif.artifact_uri(path) == uri
    assert unquote(uri, errors="surrogateescape") == path


def test_sarif_names_a_folder_with_a_space_by_a_valid_uri(tmp_path: Path) -> None:
    service = tmp_path / "my service"
    service.mkdir()
    (service / "Dockerfile").write_text("FROM node:latest\n")
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in _sarif(tmp_path)["runs"][0]["results"]
    }
    assert uris == {"my%20service/Dockerfile"}


def test_sarif_clean_scan_has_empty_results() -> None:
    assert _sarif(ENTERPRISE)["runs"][0]["results"] == []


def test_sarif_fingerprints_survive_line_moves(tmp_path: Path) -> None:
    service = tmp_path / "svc"
    shutil.copytree(LEGACY, service)
    before = {(r["ruleId"], r["partialFingerprints"]["relcheck/v1"]) for r in _sarif(service)["runs"][0]["results"]}
    deployment = service / "k8s" / "deployment.yaml"
    deployment.write_text("# a comment that moves every line\n\n" + deployment.read_text())
    after_doc = _sarif(service)["runs"][0]["results"]
    after = {(r["ruleId"], r["partialFingerprints"]["relcheck/v1"]) for r in after_doc}
    assert before == after
    moved = [
        r
        for r in after_doc
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("k8s/deployment.yaml")
    ]
    assert moved and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 2 for r in moved)


def test_sarif_suppressions_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("# relcheck: ignore D009 -- rebuilt nightly\nFROM node:latest\n")
    (tmp_path / ".relcheck.yaml").write_text("per-file-ignores:\n  Dockerfile: [D010]\n")
    from relcheck.config.loader import load_config
    from relcheck.ruleset.pack import load_pack

    result = scan([tmp_path], load_config(tmp_path / ".relcheck.yaml", list(load_pack())))
    default = json.loads(sarif.render(result))["runs"][0]["results"]
    assert not {"D009", "D010"} & {r["ruleId"] for r in default}
    full = json.loads(sarif.render(result, include_suppressed=True))["runs"][0]["results"]
    kinds = {r["ruleId"]: r["suppressions"][0] for r in full if "suppressions" in r}
    assert kinds["D009"] == {"kind": "inSource", "status": "accepted", "justification": "rebuilt nightly"}
    assert kinds["D010"]["kind"] == "external"


def test_junit_has_one_failure_per_finding() -> None:
    result = scan([LEGACY], Config())
    tree = ElementTree.fromstring(ci.render_junit(result))
    failures = tree.findall(".//failure")
    assert len(failures) == len(result.active()) == int(tree.get("failures"))
    suites = {s.get("name") for s in tree.findall("testsuite")}
    assert {"relcheck.dockerfile", "relcheck.kubernetes", "relcheck.cross"} <= suites
    passing = [c for c in tree.iter("testcase") if c.find("failure") is None]
    assert passing and all(c.get("classname").startswith("relcheck.") for c in passing)
    # Names are unique and do not carry line numbers (a moved line keeps the test's identity).
    names = [c.get("name") for c in tree.iter("testcase")]
    assert len(names) == len(set(names))
    assert not any(":" in name.split(" ", 2)[-1].split(" #")[0].rsplit("/", 1)[-1] for name in names)
    # Only attributes junit-10.xsd knows.
    allowed = {
        "testsuites": {"name", "tests", "failures", "errors", "time", "disabled"},
        "testsuite": {"name", "tests", "failures", "errors", "skipped", "time", "disabled", "hostname", "id"},
        "testcase": {"name", "classname", "time", "assertions", "status"},
        "failure": {"message", "type"},
    }
    for element in tree.iter():
        assert set(element.attrib) <= allowed[element.tag], element.tag


def test_gitlab_code_quality_validates() -> None:
    schema = json.loads((ROOT / "tests" / "schemas" / "gitlab-codequality.schema.json").read_text())
    result = scan([LEGACY], Config())
    report = json.loads(ci.render_gitlab(result))
    jsonschema.Draft202012Validator(schema).validate(report)
    assert len(report) == len(result.active())
    assert len({issue["fingerprint"] for issue in report}) == len(report)


def test_github_workflow_commands() -> None:
    lines = ci.render_github(scan([LEGACY], Config())).splitlines()
    assert lines[0].startswith("::error file=examples/legacy-service/Dockerfile,line=1,col=1,")
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    assert all("\n" not in line.split("::", 2)[2] for line in lines)
    # At most what one step annotates per level (legacy has 14 errors, 35 warnings, 16 info),
    # the most severe first, and one notice counting the rest.
    levels = [line.split(" ", 1)[0] for line in lines]
    assert levels.count("::error") == 10 and levels.count("::warning") == 10 and levels.count("::notice") == 10
    assert levels == sorted(levels, key=["::error", "::warning", "::notice"].index)
    assert lines[-1].startswith("::notice title=relcheck::36 more findings than GitHub annotates")


def test_several_reports_in_one_run(tmp_path: Path) -> None:
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    result = cli_runner().invoke(
        app,
        [
            "scan",
            str(LEGACY),
            "-f",
            "sarif",
            "-o",
            str(tmp_path / "r.sarif"),
            "-f",
            "junit",
            "-o",
            str(tmp_path / "r.xml"),
            "-f",
            "markdown",
            "-o",
            str(tmp_path / "r.md"),
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["version"] == 1
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert (tmp_path / "r.md").read_text().startswith("## relcheck")
    ElementTree.parse(tmp_path / "r.xml")
    clash = cli_runner().invoke(app, ["scan", str(LEGACY), "-f", "json", "-f", "sarif"])
    assert clash.exit_code == 2 and "several formats would go to stdout" in clash.stderr


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: app
          image: registry.example.com/api:1.0.0
          resources: {limits: {memory: 1Gi}}
"""


def _baseline_run(root: Path, baseline: Path) -> list[tuple[str, str]]:
    from relcheck.scan.baseline import load

    result = scan([root], Config(), select=["K"], baseline=load(baseline))
    return sorted((f.code, f.message) for f in result.active())


def test_baseline_keeps_moved_objects_and_reports_changes(tmp_path: Path) -> None:
    from relcheck.scan.baseline import render

    root = tmp_path / "svc"
    root.mkdir()
    manifest = root / "deployment.yaml"
    manifest.write_text(DEPLOYMENT)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(render(scan([root], Config(), select=["K"])))
    assert json.loads(baseline.read_text())["findings"]
    assert _baseline_run(root, baseline) == []
    # Moved within its file: still baselined.
    manifest.write_text("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: before}\n---\n" + DEPLOYMENT)
    assert _baseline_run(root, baseline) == []
    # The offending value changed: it comes back.
    manifest.write_text(DEPLOYMENT.replace("api:1.0.0", "api:latest").replace("memory: 1Gi", "memory: 512m"))
    back = _baseline_run(root, baseline)
    assert {code for code, _ in back} == {"K019", "K029"}
    # A new object is reported.
    manifest.write_text(DEPLOYMENT + "---\n" + DEPLOYMENT.replace("name: api", "name: worker"))
    assert {code for code, message in _baseline_run(root, baseline) if "worker" in message} >= {"K001", "K011"}


def test_baseline_command_and_bad_file(tmp_path: Path) -> None:
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    runner = cli_runner()
    target = tmp_path / "b.json"
    written = runner.invoke(app, ["baseline", str(LEGACY), "--output", str(target)])
    assert written.exit_code == 0 and "findings accepted" in written.stdout
    clean = runner.invoke(app, ["scan", str(LEGACY), "--baseline", str(target)])
    assert clean.exit_code == 0 and "suppressed" in clean.stdout
    (tmp_path / "bad.json").write_text("{}")
    bad = runner.invoke(app, ["scan", str(LEGACY), "--baseline", str(tmp_path / "bad.json")])
    assert bad.exit_code == 2 and "not a relcheck baseline" in bad.stderr


@pytest.mark.parametrize("command", ["scan", "baseline", "hook", "checklist"])
def test_every_scanning_command_takes_jobs(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import relcheck.scan.engine
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    asked: list[int] = []
    real_scan = relcheck.scan.engine.scan

    def recording_scan(*args, **kwargs):
        asked.append(kwargs.get("jobs", 1))
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(relcheck.scan.engine, "scan", recording_scan)
    monkeypatch.chdir(LEGACY)
    arguments = {
        "scan": [str(LEGACY)],
        "baseline": [str(LEGACY), "--output", str(tmp_path / "b.json")],
        "hook": [],
        "checklist": [str(LEGACY)],
    }
    result = cli_runner().invoke(app, [command, *arguments[command], "--jobs", "2"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert asked == [2]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _try_repo(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """`pre-commit try-repo` installs the hook's environment from a package index: without one
    (offline), the test is skipped rather than failed."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)
    output = done.stdout + done.stderr
    if done.returncode not in (0, 1) or ("error has occurred" in output and "pip" in output):
        pytest.skip(f"pre-commit could not install the hook's environment (no package index?): {output[-300:]}")
    return done


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.slow  # installs into a fresh virtualenv
def test_pre_commit_hook_fails_then_passes(tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if not Path(pre_commit).exists():
        pytest.skip("pre-commit is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "k8s").mkdir()
    (repo / "k8s" / "api.yaml").write_text(DEPLOYMENT.replace("api:1.0.0", "api:latest"))
    (repo / "README.md").write_text("# demo\n")
    _git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = [pre_commit, "try-repo", str(ROOT), "relcheck", "--all-files"]
    failed = _try_repo(command, cwd=repo, env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "K019 image-tag-pinned" in failed.stdout
    good = ROOT / "tests" / "fixtures" / "services" / "kubernetes" / "service.yaml"
    (repo / "k8s" / "api.yaml").write_text(good.read_text())
    _git(repo, "add", "-A")
    passed = _try_repo(command, cwd=repo, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr


ECOSYSTEM = (
    "module.exports = { apps: [{ name: 'api', script: 'dist/main.js', exec_mode: 'cluster', instances: 2,"
    " max_memory_restart: '400M', kill_timeout: 30000 }] };\n"
)
PM2_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          resources:
            limits: {memory: MEMORY, cpu: "1"}
"""


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.slow  # installs into a fresh virtualenv
def test_pre_commit_hook_reports_what_a_staged_file_breaks_elsewhere(tmp_path: Path) -> None:
    """Lowering a memory limit in a manifest fails the commit through the PM2 rule reported at
    ecosystem.config.js; the hook prints no checklist and no repository rule; file names match
    whatever their case."""
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if not Path(pre_commit).exists():
        pytest.skip("pre-commit is not installed")
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "ecosystem.config.js").write_text(ECOSYSTEM)
    (repo / "Dockerfile").write_text('FROM node:20.11-alpine\nUSER node\nCMD ["pm2-runtime", "ecosystem.config.js"]\n')
    (repo / "k8s" / "api.yaml").write_text(PM2_DEPLOYMENT.replace("MEMORY", "2Gi"))
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init")
    (repo / "k8s" / "api.yaml").write_text(PM2_DEPLOYMENT.replace("MEMORY", "512Mi"))
    (repo / "worker.DOCKERFILE").write_text("FROM node:latest\n")
    _git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # From a subfolder: pre-commit passes paths relative to the repository's root.
    done = _try_repo([pre_commit, "try-repo", str(ROOT), "relcheck"], cwd=repo / "k8s", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ecosystem.config.js:1:" in done.stdout and "X003 pm2-restart-below-limit" in done.stdout
    assert "worker.DOCKERFILE:1:1: warning D009" in done.stdout  # the files pattern ignores case
    assert "Checklist (" not in done.stdout and " R00" not in done.stdout


def test_hook_works_from_a_subfolder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "services" / "api").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "Dockerfile").write_text("FROM node:latest\n")
    (repo / "services" / "api" / "Dockerfile").write_text("FROM node:latest\n")
    done = subprocess.run(
        [sys.executable, "-m", "relcheck", "hook", "../../Dockerfile", "Dockerfile"],
        cwd=repo / "services" / "api",
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if " D009 " in line]
    assert [line.split(":", 1)[0] for line in lines] == ["Dockerfile", "services/api/Dockerfile"]


def test_hook_batches_of_one_run_scan_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pre-commit starts the hook once per batch of files; only the first start scans."""
    import relcheck.scan.engine
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for name in ("a", "b", "c"):
        (repo / name).mkdir()
        (repo / name / "Dockerfile").write_text("FROM node:latest\n")
    scans: list[int] = []
    real_scan = relcheck.scan.engine.scan

    def counting_scan(*args, **kwargs):
        scans.append(1)
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(relcheck.scan.engine, "scan", counting_scan)
    monkeypatch.chdir(repo)
    outputs = [cli_runner().invoke(app, ["hook", f"{name}/Dockerfile"]).stdout for name in ("a", "b", "c")]
    assert len(scans) == 1
    for name, output in zip(("a", "b", "c"), outputs, strict=True):
        assert f"{name}/Dockerfile:1:1: warning D009" in output and output.count(" D009 ") == 1
    (repo / "b" / "Dockerfile").write_text("FROM node:20.11-alpine\n")  # the tree changed: scan again
    again = cli_runner().invoke(app, ["hook", "b/Dockerfile"]).stdout
    assert len(scans) == 2 and " D009 " not in again


def test_sarif_follows_the_config_links_related_locations_and_keeps_within_github_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / ".relcheck.yaml").write_text("severity: {D009: error}\n")
    result = scan([LEGACY], load_config(tmp_path / ".relcheck.yaml", list(load_pack())))
    document = json.loads(sarif.render(result))
    driver = document["runs"][0]["tool"]["driver"]
    d009 = next(rule for rule in driver["rules"] if rule["id"] == "D009")
    assert d009["defaultConfiguration"]["level"] == "error"
    with_related = [r for r in document["runs"][0]["results"] if "relatedLocations" in r]
    assert with_related and all("](1)" in r["message"]["text"] for r in with_related)

    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    cut = json.loads(sarif.render(result))["runs"][0]
    assert len(cut["results"]) == 3 and {r["level"] for r in cut["results"]} == {"error"}
    assert cut["properties"]["relcheck"]["omittedResults"] == len(result.active()) - 3
    assert "most severe" in capsys.readouterr().err


@pytest.mark.parametrize("report_format", ["text", "json", "sarif", "junit", "github", "gitlab", "markdown"])
def test_piped_findings_carry_the_stdin_filename_in_every_format(report_format: str) -> None:
    from .conftest import relcheck_command

    done = subprocess.run(
        [*relcheck_command(), "scan", "-", "--stdin-filename", "svc/Dockerfile", "-f", report_format],
        input="FROM node:latest\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "svc/Dockerfile" in done.stdout and "stdin" not in done.stdout.lower()


def test_sarif_of_piped_input_needs_a_path() -> None:
    from .conftest import relcheck_command

    done = subprocess.run(
        [*relcheck_command(), "scan", "-", "-f", "sarif"], input="FROM node:latest\n", capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "relcheck: error: SARIF places findings in the repository's files: with -, give --stdin-filename PATH\n"
    )


def test_the_text_summary_says_what_the_sarif_report_left_out(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relcheck.reporters import sarif

    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    total = len(scan([LEGACY], Config()).active())
    code, out, _ = run_cli("scan", str(LEGACY), "-f", "sarif", "-o", str(tmp_path / "r.sarif"), "-f", "text")
    assert code == 1
    note = f"The SARIF report holds the 3 most severe of {total:,} results (code scanning shows no more per run)."
    summary = next(line for line in out.splitlines() if line.startswith("Found "))
    assert out.splitlines()[out.splitlines().index(summary) + 1] == note
    code, out, _ = run_cli("scan", str(LEGACY), "-f", "text")
    assert "SARIF" not in out
