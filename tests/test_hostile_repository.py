"""A repository under review is hostile: everything in the scanned tree, its config included, may be
written by an attacker (a pull request from a fork). Each test runs relcheck as a real process over a
generated tree and asserts the exit code, the time, the peak memory, that no marker from outside the
tree appears in any output, and, where the scan goes on, that a neighbouring good file is still
reported. The command line is the user's: paths given there may point anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from relcheck.scan.discovery import read_text

from .conftest import relcheck_command

MAX_SECONDS = 20.0
MAX_RSS_MIB = 300
MARKER = "OUTSIDE-MARKER-7f3a"
GOOD_DOCKERFILE = "FROM node:latest\n"  # D009: the neighbour that must still be reported


def _relcheck(*args: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run relcheck; its own peak RSS (MiB) comes from wait4, so other processes never count."""
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    with open(folder / f"rc-out-{os.getpid()}", "w+") as out, open(folder / f"rc-err-{os.getpid()}", "w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen([*relcheck_command(), *args], stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(process.args, os.waitstatus_to_exitcode(status), out.read(), err.read())
    return done, elapsed, usage.ru_maxrss / 1024


def _bounded(done: subprocess.CompletedProcess, elapsed: float, rss: float) -> None:
    assert elapsed < MAX_SECONDS, elapsed
    assert rss < MAX_RSS_MIB, rss
    assert "Traceback" not in done.stderr + done.stdout
    assert MARKER not in done.stderr + done.stdout


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the repository holding files an attacker would like printed."""
    folder = tmp_path / "outside"
    (folder / "rules").mkdir(parents=True)
    (folder / "secret.yaml").write_text(f"select: [{MARKER}]\n")
    (folder / "rules" / "steal.yaml").write_text(f"code: {MARKER}\n")
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "ok").mkdir(parents=True)
    (root / "ok" / "Dockerfile").write_text(GOOD_DOCKERFILE)
    return root


def _config_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("relcheck: error:"), done.stderr
    return lines[0]


@pytest.mark.parametrize(
    "plant",
    [
        pytest.param(lambda repo, out: (repo / ".relcheck.yaml").symlink_to(out / "secret.yaml"), id="config-link"),
        pytest.param(lambda repo, out: (repo / "pyproject.toml").symlink_to(out / "secret.yaml"), id="pyproject-link"),
        pytest.param(
            lambda repo, out: (repo / ".relcheck.yaml").write_text("rule-dirs: [../outside/rules]\n"),
            id="rule-dir-dotdot",
        ),
        pytest.param(
            lambda repo, out: (
                (repo / "rules").symlink_to(out / "rules"),
                (repo / ".relcheck.yaml").write_text("rule-dirs: [rules]\n"),
            ),
            id="rule-dir-link",
        ),
        pytest.param(
            lambda repo, out: (
                (repo / ".relcheck" / "rules").mkdir(parents=True),
                (repo / ".relcheck" / "rules" / "steal.yaml").symlink_to(out / "rules" / "steal.yaml"),
            ),
            id="rule-file-link",
        ),
        pytest.param(
            lambda repo, out: (repo / ".relcheck.yaml").write_text(f"rule-dirs: [{out / 'rules'}]\n"),
            id="rule-dir-absolute",
        ),
    ],
)
def test_the_repository_cannot_make_relcheck_read_outside_it(repo: Path, outside: Path, plant) -> None:
    plant(repo, outside)
    done, *measured = _relcheck("scan", str(repo))
    _bounded(done, *measured)
    line = _config_error(done)
    assert "outside the repository" in line or "link" in line


def test_a_config_named_on_the_command_line_may_be_anywhere(repo: Path, outside: Path) -> None:
    (outside / "relcheck.yaml").write_text(f"select: [D009]\nrule-dirs: [{outside / 'rules'}]\n")
    (outside / "rules" / "steal.yaml").unlink()
    done, *_ = _relcheck("scan", str(repo), "--config", str(outside / "relcheck.yaml"), "-f", "json")
    assert done.returncode == 0, done.stderr  # D009 is a warning
    assert [f["code"] for f in json.loads(done.stdout)["findings"]] == ["D009"]


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ("max-file-size: 1000000000000000000000000000000\n", "max-file-size"),
        ("select: [D001]\n" + "# padding\n" * 200_000, "bytes"),
    ],
    ids=["max-file-size-10e30", "config-over-1-mib"],
)
def test_config_values_and_sizes_are_bounded(repo: Path, config: str, key: str) -> None:
    (repo / ".relcheck.yaml").write_text(config)
    done, *measured = _relcheck("scan", str(repo))
    _bounded(done, *measured)
    assert key in _config_error(done)


def test_a_huge_pyproject_is_refused_without_reading_it(repo: Path) -> None:
    with open(repo / "pyproject.toml", "wb") as handle:
        handle.truncate(1024**3)  # 1 GiB, sparse: nothing to write, everything to read
    done, *measured = _relcheck("scan", str(repo))
    _bounded(done, *measured)
    assert "over the" in _config_error(done)


@pytest.mark.parametrize("baseline", ["/dev/zero", "deep"])
def test_a_baseline_is_read_under_the_same_limits(repo: Path, tmp_path: Path, baseline: str) -> None:
    if baseline == "deep":
        path = tmp_path / "deep.json"
        path.write_text("[" * 100_000 + "]" * 100_000)
        baseline = str(path)
    done, *measured = _relcheck("scan", str(repo), "--baseline", baseline)
    _bounded(done, *measured)
    assert "baseline" in _config_error(done)


def test_unicode_digits_and_huge_numbers_are_values_not_crashes(repo: Path) -> None:
    (repo / "k8s").mkdir()
    (repo / "k8s" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
        '  replicas: 1e400\n  strategy: {rollingUpdate: {maxUnavailable: "²%", maxSurge: "٣%"}}\n'
        "  template:\n    metadata: {labels: {app: api}}\n    spec:\n"
        '      containers:\n        - name: app\n          image: "app:1"\n'
        '          ports: [{containerPort: "²", name: http}]\n'
        '          env: [{name: PORT, value: "²"}, {name: NODE_OPTIONS, value: "--max-old-space-size='
        + "9"
        * 5000
        + '"}]\n'
        '          resources: {limits: {memory: "٣Gi", cpu: "' + "1" * 5000 + '"}}\n'
        '          livenessProbe: {httpGet: {path: /, port: "²"}}\n'
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: api}\n"
        'spec: {minAvailable: "' + "9" * 5000 + '%", selector: {matchLabels: {app: api}}}\n'
    )
    (repo / ".env").write_text("SHUTDOWN_TIMEOUT_MS=²\nPORT=٣٠٠٠\n")
    (repo / "ecosystem.config.js").write_text(
        "module.exports = { apps: [{ name: 'api', script: 'dist/main.js', instances: '²',"
        " max_memory_restart: 1e400, kill_timeout: '٣', node_args: '--max-old-space-size=" + "9" * 5000 + "' }] };\n"
    )
    (repo / "src").mkdir()
    (repo / "src" / "main.ts").write_text("const s = '\\u{FFFFFFFFFFFFFFFFFFFF}';\nprocess.on('SIGTERM', () => {});\n")
    done, *measured = _relcheck("scan", str(repo), "-f", "json")
    _bounded(done, *measured)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [f for f in findings if "internal error" in f["message"]] == []
    assert ("ok/Dockerfile", "D009") in {(f["path"], f["code"]) for f in findings}


def test_utf32_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_bytes("apiVersion: v1\nkind: Pod\n".encode("utf-32"))
    assert read_text(path) == ("apiVersion: v1\nkind: Pod\n", None)


def test_a_file_swapped_for_a_link_after_the_walk_is_not_read(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()  # the walk builds real paths
    (tmp_path / "secret").write_text(MARKER)
    real = tmp_path / "Dockerfile"
    real.write_text("FROM node:20\n")
    walked = os.stat(real).st_ino
    real.unlink()
    real.symlink_to(tmp_path / "secret")
    text, problem = read_text(real, inode=walked)
    assert text is None and problem is not None and problem.code == "E002"
    # A folder above it swapped for a link: the file opened is not the file the walk saw.
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("walked")
    walked = os.stat(tmp_path / "d" / "f").st_ino
    (tmp_path / "d" / "f").unlink()
    (tmp_path / "d").rmdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "f").write_text(MARKER)
    (tmp_path / "d").symlink_to(tmp_path / "elsewhere")
    text, problem = read_text(tmp_path / "d" / "f", inode=walked)
    assert text is None and problem is not None and "replaced" in problem.message


def _custom_rule(condition: str) -> str:
    return (
        "code: ORG900\nslug: hostile\nseverity: warning\ntitle: Hostile\n"
        "target: {kind: kubernetes, kinds: [ConfigMap]}\n"
        f"condition:\n{condition}\nmessage: 'no ({{error}})'\n"
    )


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("  $ref: http://127.0.0.1:9/schema.json", "leaves the rule's own schema"),
        ("  $ref: file:///etc/passwd", "leaves the rule's own schema"),
        ("  $ref: /dev/zero", "leaves the rule's own schema"),
        ("  properties: {data: {$dynamicRef: 'https://example.invalid/x'}}", "leaves the rule's own schema"),
        ("  $id: https://example.invalid/root\n  $ref: other.json", "leaves the rule's own schema"),
        ("  properties: {data: {pattern: '(a'}}", "is not a 'regex'"),
        ("  enum: [" + ", ".join(str(n) for n in range(2000)) + "]", "more than 1000 values"),
        ("  " + "properties: {a: {" * 40 + "type: object" + "}}" * 40, "nests deeper"),
    ],
    ids=["http-ref", "file-ref", "device-ref", "dynamic-ref", "id", "bad-pattern", "huge-enum", "deep"],
)
def test_custom_rule_schemas_reach_nothing_and_stay_bounded(repo: Path, condition: str, reason: str) -> None:
    (repo / ".relcheck" / "rules").mkdir(parents=True)
    (repo / ".relcheck" / "rules" / "hostile.yaml").write_text(_custom_rule(condition))
    done, *measured = _relcheck("scan", str(repo))
    _bounded(done, *measured)
    assert reason in _config_error(done)


def test_repository_regular_expressions_match_within_a_time_limit(repo: Path) -> None:
    """`(a+)+$` against a long value hangs a backtracking engine; custom rule patterns, .gitignore,
    .dockerignore, exclude and per-file-ignores are all the repository's. A rule whose pattern runs
    out of time is reported as not checked; a glob that does matches nothing."""
    long_value = "a" * 50_000 + "!"
    (repo / ".relcheck" / "rules").mkdir(parents=True)
    (repo / ".relcheck" / "rules" / "slow.yaml").write_text(
        _custom_rule(
            "  properties:\n    data:\n      patternProperties: {'^(a+)+$': {type: string}}\n"
            "      additionalProperties: false\n      properties: {v: {pattern: '^(a+)+$'}}"
        )
    )
    (repo / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  v: '{long_value}'\n"
    )
    (repo / ".gitignore").write_text("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n")
    (repo / ("a" * 200)).write_text("x")
    (repo / "ok" / ".dockerignore").write_text("**/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\nnode_modules\n.git\n")
    (repo / "ok" / ("a" * 200)).write_text("x")
    (repo / ".relcheck.yaml").write_text(
        "exclude: ['*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b']\nper-file-ignores: {'*a*a*a*a*a*a*a*a*a*a*a*a*b': [D009]}\n"
    )
    done, *measured = _relcheck("scan", str(repo), "-f", "json")
    _bounded(done, *measured)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert ("ok/Dockerfile", "D009") in {(f["path"], f["code"]) for f in findings}
    stopped = [f["message"] for f in findings if f["code"] == "E002" and "ORG900" in f["message"]]
    assert len(stopped) == 1 and "not checked" in stopped[0] and "ran over 0.25 s" in stopped[0]


def test_a_rule_that_fails_on_one_object_keeps_its_findings_on_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relcheck.checks import kubernetes
    from relcheck.config.loader import Config
    from relcheck.scan.engine import scan
    from relcheck.units import images

    def fragile(image: str) -> str | None:
        if image.startswith("boom"):
            raise ValueError("a value this rule never expected")
        return images.unpinned_reason(image)

    monkeypatch.setattr(kubernetes, "unpinned_reason", fragile)

    def pod(name: str, image: str) -> str:
        head = f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\n"
        return head + f"spec:\n  containers: [{{name: c, image: '{image}'}}]\n"

    # The bad object first, in a file that also holds a good one.
    (tmp_path / "a.yaml").write_text(pod("a", "boom:latest") + "---\n" + pod("a2", "cache:latest"))
    (tmp_path / "b.yaml").write_text(pod("b", "web:latest"))
    (tmp_path / "c.yaml").write_text(pod("c", "api:latest"))
    result = scan([tmp_path], Config(), select=["K019"])
    found = sorted((f.code, f.location.path, f.location.line) for f in result.findings if f.code == "K019")
    assert [where for _, where, _ in found] == ["a.yaml", "b.yaml", "c.yaml"]
    assert found[0][2] == 11  # the good Pod (its image line) in the bad object's file
    (internal,) = [f for f in result.findings if "internal error" in f.message]
    assert "ValueError" in internal.message


FORGED = "x\n::add-mask::secret\r::stop-commands::tok\x1b[31m\u202e<img src=x onerror=alert(1)>`|*[a](javascript:x)"


def _forging_tree(repo: Path) -> None:
    (repo / "::error file=a::forged").mkdir()
    (repo / "::error file=a::forged" / "Dockerfile").write_text("FROM node:latest\n")
    bad = repo / ("evil\n::warning::forged\x1b[2J.yaml")
    bad.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + json.dumps(FORGED) + "\n"
        "spec:\n  containers:\n    - name: c\n      image: " + json.dumps("img:latest" + FORGED) + "\n"
    )


@pytest.mark.parametrize("form", ["text", "github", "markdown", "junit", "json", "sarif"])
def test_no_report_line_is_a_workflow_command_or_a_terminal_escape(repo: Path, form: str) -> None:
    _forging_tree(repo)
    done, *measured = _relcheck("scan", str(repo), "-f", form, "--fail-on", "never")
    _bounded(done, *measured)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) > 2
    for line in lines:
        if form == "github":
            assert line.startswith(("::error ", "::warning ", "::notice ")), line
            assert "::add-mask::" not in line.split("::", 2)[2] or "%0A" in line
        else:
            assert not line.lstrip().startswith("::"), line
        assert "\x1b" not in line and "\r" not in line
        if form not in ("json", "sarif"):  # JSON strings carry the text faithfully, control characters escaped
            assert "\u202e" not in line
    if form == "junit":
        import xml.etree.ElementTree as ElementTree

        ElementTree.fromstring(done.stdout)
    if form == "markdown":
        assert "<img" not in done.stdout and "](javascript" not in done.stdout
    if form == "text":
        assert "\\x1b[31m" in done.stdout and "\\n::add-mask::" in done.stdout  # shown, not acted on


def test_suppressions_cannot_be_made_permanent_or_matched_by_look_alikes(repo: Path) -> None:
    (repo / "ok" / "Dockerfile").write_text("# relcheck: ignore D009 until=2020-02-30 -- forever?\nFROM node:latest\n")
    (repo / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "    - name: c\n      image: 'app:latest'  # relcheck: ignore \u212a019 -- the Kelvin sign is not K\n"
        "# relcheck: ignore K001 -- nothing here\n"
    )
    done, *measured = _relcheck("scan", str(repo), "-f", "json", "--report-unused-suppressions")
    _bounded(done, *measured)
    found = {(f["path"], f["code"], f["line"]) for f in json.loads(done.stdout)["findings"] if not f["suppressed"]}
    assert {("ok/Dockerfile", "D009", 2), ("ok/Dockerfile", "E003", 1), ("pod.yaml", "K019", 7)} <= found
    assert ("pod.yaml", "E003", 7) in found and ("pod.yaml", "E004", 8) in found


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("/dev/null", "not a regular file"),
        ("folder", "not a regular file"),
        ("fifo", "not a regular file"),
        ("link.json", "symlink"),
        ("ok/Dockerfile", "a file this scan read"),
        (".relcheck.yaml", "an input of this scan"),
    ],
)
def test_output_never_replaces_what_it_must_not(repo: Path, tmp_path: Path, target: str, why: str) -> None:
    (repo / "folder").mkdir()
    os.mkfifo(repo / "fifo")
    (tmp_path / "elsewhere.json").write_text("keep")
    (repo / "link.json").symlink_to(tmp_path / "elsewhere.json")
    (repo / ".relcheck.yaml").write_text("select: [D]\n")
    before = (repo / "ok" / "Dockerfile").read_text()
    done, *measured = _relcheck("scan", str(repo), "-f", "json", "-o", target, cwd=repo)
    _bounded(done, *measured)
    assert why in _config_error(done)
    assert (repo / "ok" / "Dockerfile").read_text() == before
    assert (tmp_path / "elsewhere.json").read_text() == "keep" and (repo / "folder").is_dir()
    assert (repo / ".relcheck.yaml").read_text() == "select: [D]\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("form", ["text", "json"])
def test_a_report_that_cannot_be_written_exits_3_with_one_line(repo: Path, form: str) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*relcheck_command(), "scan", str(repo), "-f", form], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.returncode == 3
    assert done.stderr.splitlines() == ["relcheck: error: cannot write the report to stdout: No space left on device"]


@pytest.mark.parametrize(
    "args",
    [
        ["scan", ".", "--jobs", "-1"],
        ["scan", ".", "-f", "nope"],
        ["scan", ".", "--nope"],
        ["nope"],
        ["scan", "missing"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(repo: Path, args: list[str]) -> None:
    done, *measured = _relcheck(*args, cwd=repo)
    _bounded(done, *measured)
    _config_error(done)


def test_security_md_names_tests_that_exist() -> None:
    """Each guarantee in SECURITY.md names the test that keeps it: the names must stay true."""
    import re

    from .conftest import ROOT

    named = []
    for line in (ROOT / "SECURITY.md").read_text(encoding="utf-8").splitlines():
        # A bare `::name` is in the file last named on the same line, else in this file.
        current = "tests/test_hostile_repository.py"
        for match in re.finditer(r"`(tests/[\w/]+\.py)?::(\w+)(?:\[[^\]]*\])?`", line):
            current = match.group(1) or current
            named.append((current, match.group(2)))
    assert len(named) >= 20
    for path, name in named:
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), (path, name)


def test_yaml_keys_that_python_would_merge_are_distinct(repo: Path) -> None:
    (repo / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  1: a\n  true: b\n  1.0: c\n  null: d\n"
    )
    done, *measured = _relcheck("scan", str(repo), "-f", "json")
    _bounded(done, *measured)
    findings = json.loads(done.stdout)["findings"]
    assert [f for f in findings if f["code"] == "E001"] == []
    assert ("ok/Dockerfile", "D009") in {(f["path"], f["code"]) for f in findings}
