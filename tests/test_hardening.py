"""Hostile inputs: each finishes in bounded time and memory, without a traceback, with E001/E002 where
it belongs, and every other file of the tree is still scanned. Generated here, never committed.

The bounds are generous limits for noisy machines, not benchmarks (each case takes well under a
second here; the note of the change that added them gives the figures)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from relcheck.config.loader import Config
from relcheck.scan.discovery import FileKind, SourceFile
from relcheck.scan.engine import scan
from relcheck.scan.gcpause import long_lived_model
from relcheck.scan.parsepool import parse_all, usable_cpus, worker_count

from .conftest import ROOT, relcheck_command

# Scans in a subprocess that need two workers: --jobs gives at most one per usable processor.
needs_two_cpus = pytest.mark.skipif(usable_cpus() < 2, reason="workers need two usable processors")
MAX_SECONDS = 10.0
MAX_RSS_MIB = 300
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hostile}\n"


@pytest.fixture(autouse=True)
def _two_processors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans in this process get their two workers on a one-processor machine too."""
    monkeypatch.setattr("relcheck.scan.parsepool.usable_cpus", lambda: 2)


def test_jobs_are_capped_at_the_usable_processors(monkeypatch: pytest.MonkeyPatch) -> None:
    for cpus, jobs, files, workers in [(2, 8, 9000, 2), (4, 8, 9000, 4), (4, 8, 2500, 2), (1, 2, 9000, 0)]:
        monkeypatch.setattr("relcheck.scan.parsepool.usable_cpus", lambda cpus=cpus: cpus)
        assert worker_count(jobs, files) == workers, (cpus, jobs, files)


def _bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &a{i} [" + ", ".join([f"*{'a' if i == 0 else f'a{i - 1}'}"] * 10) + "]" for i in range(9)]
    return "\n".join(lines) + "\n"


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return make


def _big_yaml(root: Path) -> None:
    with open(root / "huge.yaml", "wb") as handle:
        handle.write(MANIFEST.encode())
        chunk = b"# " + b"x" * 1022 + b"\n"
        for _ in range(100 * 1024):  # 100 MiB
            handle.write(chunk)


def _fifo(root: Path) -> None:
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "Dockerfile")


def _symlinks(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "Dockerfile").write_text("FROM secret:latest\n")
    (root / "escape.Dockerfile").symlink_to(outside / "Dockerfile")
    (root / "loop").mkdir()
    (root / "loop" / "again").symlink_to(root / "loop")
    (root / "self.yaml").symlink_to(root / "self.yaml")


# name -> (how to make it, the path the E001/E002 is at (None when the input is fine), code)
HOSTILE: dict[str, tuple[Callable[[Path], None], str | None, str | None]] = {
    "billion-laughs": (_write("bomb.yaml", MANIFEST + _bomb()), "bomb.yaml", "E002"),
    "deep-yaml": (_write("deep.yaml", MANIFEST + "data: " + "[" * 10000 + "]" * 10000 + "\n"), "deep.yaml", "E002"),
    "deep-json": (
        _write("deep.json", '{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + "[" * 10000 + "]" * 10000 + "}"),
        "deep.json",
        "E002",
    ),
    "100-mib-yaml": (_big_yaml, "huge.yaml", "E002"),
    "binary-manifest": (_write("deployment.yaml", bytes(range(256)) * 64), "deployment.yaml", "E002"),
    "invalid-utf8": (_write("Dockerfile", b'FROM node:20\nLABEL a="\xff\xfe"\n'), "Dockerfile", "E001"),
    "utf16-bom": (_write("pod.yaml", (MANIFEST + "data: {a: b}\n").encode("utf-16")), None, None),
    "crlf": (_write("pod.yaml", (MANIFEST + "data: {a: b}\n").replace("\n", "\r\n")), None, None),
    "symlinks": (_symlinks, "escape.Dockerfile", "E002"),
    "fifo-dockerfile": (_fifo, "fifo/Dockerfile", "E002"),
    "empty-dockerfile": (_write("Dockerfile", ""), "Dockerfile", "E002"),
    "empty-yaml-and-js": (
        lambda root: [_write("e.yaml", "")(root), _write("ecosystem.config.js", "")(root)],
        None,
        None,
    ),
    "continuation-100k": (
        _write(
            "Dockerfile", "FROM node:20-alpine\nRUN echo start \\\n" + "  && echo x \\\n" * 100_000 + "  && echo end\n"
        ),
        "Dockerfile",
        "E002",
    ),
    "promql-1mb": (
        _write(
            "alerts.yaml",
            "groups:\n  - name: g\n    rules:\n      - alert: Big\n        expr: "
            + " + ".join(f"m{i}" for i in range(120_000))
            + "\n",
        ),
        "alerts.yaml",
        "E002",
    ),
    "js-syntax-error": (
        _write("src/main.ts", "process.on('SIGTERM', stop);\nconst x = {\n  a: 1\n  b: 2\n};\n"),
        "src/main.ts",
        "E002",  # read around the error: the rest of the file still counts for the service it serves
    ),
    "minified-bundle": (_write("src/vendor.js", "var a=" + "[1,2,3]," * 400_000 + "1;"), "src/vendor.js", "E002"),
}


def _run(root: Path, *args: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run relcheck; its own peak RSS (MiB) comes from wait4, so other processes never count."""
    with open(root.parent / "out.json", "w+") as out, open(root.parent / "err.txt", "w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*relcheck_command(), "scan", str(root), "--format", "json", *args], stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        return subprocess.CompletedProcess(process.args, code, out.read(), err.read()), elapsed, usage.ru_maxrss / 1024


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input(tmp_path: Path, name: str) -> None:
    make, where, code = HOSTILE[name]
    root = tmp_path / "repo"
    root.mkdir()
    make(root)
    if name == "js-syntax-error":  # the service whose source it is (a source file of none is read by no S rule)
        (root / "package.json").write_text('{"name": "api", "main": "src/main.ts", "scripts": {"start": "node ."}}\n')
    (root / "ok").mkdir(exist_ok=True)
    (root / "ok" / "Dockerfile").write_text("FROM node:latest\n")
    result, elapsed, rss = _run(root)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and result.stderr == ""
    assert elapsed < MAX_SECONDS, elapsed
    assert rss < MAX_RSS_MIB, rss
    report = json.loads(result.stdout)
    problems = [(f["path"], f["code"]) for f in report["findings"] if f["code"] in ("E001", "E002")]
    if where is None:
        assert problems == []
    else:
        assert (where, code) in problems
        located = next(f for f in report["findings"] if f["path"] == where and f["code"] == code)
        assert located["line"] >= 1 and located["column"] >= 1
    assert ("ok/Dockerfile", "D009") in {(f["path"], f["code"]) for f in report["findings"]}
    assert not any("secret" in f["message"] for f in report["findings"])  # nothing outside the root was read


def test_a_file_name_that_is_not_utf8_is_reported_in_every_format(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    raw = os.fsencode(root) + b"/Dockerfile.\xff"
    try:
        with open(raw, "wb") as handle:  # some file systems (APFS) refuse names that are not UTF-8
            handle.write(b"FROM node:latest\n")
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    name = os.fsdecode(b"Dockerfile.\xff")
    # A strict stdout, as a UTF-8 locale other than C gives: the name must not stop the report.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    for report_format in ("text", "json", "sarif", "markdown", "junit", "github", "gitlab"):
        for output in (None, tmp_path / f"report.{report_format}"):
            written = ["--output", str(output)] if output else []
            result = subprocess.run(
                [*relcheck_command(), "scan", str(root), "--format", report_format, *written],
                capture_output=True,
                env=env,
                timeout=60,
            )
            assert (result.returncode, result.stderr) == (1, b""), (report_format, result.stderr.decode())
            report = output.read_bytes() if output else result.stdout
            if report_format == "text":
                assert report.startswith(b"Dockerfile.\xff:1:1: ")  # the name's own bytes, as `ls` shows it
            if report_format == "json":
                document = json.loads(report.decode("utf-8"))  # valid UTF-8 JSON that reads back as the name
                assert {f["path"] for f in document["findings"]} == {name}
            if report_format == "sarif":
                document = json.loads(report.decode("utf-8"))
                uris = {
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in document["runs"][0]["results"]
                }
                assert uris == {"Dockerfile.%FF"}  # a URI: the name's byte, percent-encoded
            if report_format == "junit":
                import xml.etree.ElementTree as ElementTree

                document = ElementTree.fromstring(report.decode("utf-8"))  # well-formed UTF-8 XML
                assert any("Dockerfile.\\xff" in (case.get("name") or "") for case in document.iter("testcase"))
    baseline = subprocess.run(
        [*relcheck_command(), "baseline", "--output", str(tmp_path / "baseline.json"), str(root)],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert baseline.returncode == 0, baseline.stderr.decode()
    again = subprocess.run(
        [*relcheck_command(), "scan", str(root), "--baseline", str(tmp_path / "baseline.json")],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert again.returncode == 0 and b"No problems found" in again.stdout


def test_a_config_that_is_a_yaml_bomb_exits_2_at_once(tmp_path: Path) -> None:
    (tmp_path / ".relcheck.yaml").write_text(_bomb())
    started = time.perf_counter()
    result = subprocess.run([*relcheck_command(), "scan", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - started < MAX_SECONDS
    assert result.returncode == 2
    assert result.stderr.startswith("relcheck: error: .relcheck.yaml:1:1: aliases expand this YAML")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node:20\n")
    (tmp_path / "Dockerfile").chmod(0)
    result = scan([tmp_path], Config(), select=["E"])
    assert [(f.code, f.message.split(":")[0]) for f in result.findings] == [("E001", "cannot read file")]


def test_the_marker_of_an_executable_config_never_appears(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "ecosystem.config.js").write_text(
        f"require('fs').writeFileSync('{marker}', 'x');\nmodule.exports = {{ apps: [{{ name: 'a' }}] }};\n"
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.js").write_text(f"require('child_process').execSync('touch {marker}');\n")
    result, _, _ = _run(tmp_path, "--jobs", "2")
    assert result.returncode in (0, 1) and not marker.exists()


def test_python_m_relcheck_imports_nothing_from_the_repository_it_scans(tmp_path: Path) -> None:
    """`python -m relcheck` puts the working folder first on the import path. A repository that
    declares a rule plugin there (a `.dist-info` naming a module of its own) or holds a module
    named like a dependency must not get its code run when it is scanned from its root."""
    marker = tmp_path / "pwned"
    info = tmp_path / "evil-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[relcheck.rules]\nevil = evilplugin:rules\n")
    (tmp_path / "evilplugin.py").write_text(f"open({str(marker)!r}, 'w').write('x')\ndef rules():\n    return []\n")
    (tmp_path / "typer.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    (tmp_path / "deployment.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    for command in (["scan", "."], ["rules"], ["hook", "deployment.yaml"]):
        done = subprocess.run(
            [*relcheck_command(), *command], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode in (0, 1), done.stderr
        assert not marker.exists(), command


def _tree(tmp_path: Path, services: int) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return generate(services, tmp_path / f"mono{services}")


@needs_two_cpus
def test_jobs_give_byte_identical_output(tmp_path: Path) -> None:
    tree = _tree(tmp_path, 230)  # 2,072 files: enough for two workers
    for target in (tree, ROOT / "examples" / "legacy-service", ROOT / "examples" / "enterprise-service"):
        one = subprocess.run(
            [*relcheck_command(), "scan", str(target), "-f", "json", "-j", "1"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        two = subprocess.run(
            [*relcheck_command(), "scan", str(target), "-f", "json", "-j", "2"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert one.stdout and one.stdout == two.stdout and two.stderr == ""


def test_floor_benchmark_times_every_parser_library(tmp_path: Path) -> None:
    tree = _tree(tmp_path, 3)
    shown = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "floor.py"), str(tree), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    rows = dict(
        (cell.strip() for cell in line.strip("|").split("|"))
        for line in shown.stdout.splitlines()
        if line.startswith("| ") and "---" not in line
    )
    counts = {name.split("(")[-1].rstrip(")") for name in rows if "(" in name}
    assert counts == {"12 files", "3 files", "6 JS/TS files", "6 expressions"}  # 3 services: 9 manifests + 3 rule files
    parts = [
        float(value) for name, value in rows.items() if name not in ("part", "**floor before relcheck's own work**")
    ]
    assert len(parts) == 6 and all(value >= 0 for value in parts)
    assert float(rows["**floor before relcheck's own work**"].strip("* ")) == pytest.approx(sum(parts), abs=0.011)


class ExplodingSource(SourceFile):
    """A file whose reading raises (a parser bug) or kills its process (a native crash)."""

    def read(self, max_bytes: int = 0):
        if self.name == "raise.Dockerfile":
            raise RuntimeError("parser bug")
        if self.name == "crash.Dockerfile":
            os._exit(3)
        return super().read(max_bytes)


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tree(tmp_path_factory.mktemp("big"), 450)  # 4,052 files: two workers, and a parse that lasts


def _group(pgid: int) -> list[int]:
    """The live processes in a process group (read from /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry))
    return members


def _scan_in_its_own_group(tree: Path, processes: int, then: float) -> subprocess.Popen:
    """`relcheck scan -j 2` in a process group of its own, `then` seconds after the group has
    `processes` members: the scan, multiprocessing's resource tracker, the fork server (3), and
    then the two workers (5)."""
    process = subprocess.Popen(
        [*relcheck_command(), "scan", str(tree), "-j", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(_group(process.pid)) < processes and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(then)
    assert process.poll() is None, f"the scan ended before its group had {processes} processes"
    return process


@needs_two_cpus
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc")
@pytest.mark.parametrize(
    ("when", "processes", "then"),
    [
        ("fork-server-importing", 3, 0.05),  # its imports run before it ignores SIGINT itself
        ("workers-starting", 5, 0.01),
        ("workers-parsing", 5, 0.3),
    ],
)
def test_ctrl_c_with_workers_exits_130_quietly_and_leaves_no_process(
    big_tree: Path, when: str, processes: int, then: float
) -> None:
    # Ctrl-C in a terminal signals the whole foreground process group: the scan, the fork server and
    # the workers alike. Only the scan should answer, and it stops the others.
    process = _scan_in_its_own_group(big_tree, processes, then)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err.decode()
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err, err.decode()
    deadline = time.monotonic() + 10
    while _group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group(process.pid) == []


@needs_two_cpus
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGKILL, -signal.SIGKILL)])
def test_a_scan_ended_by_a_signal_takes_its_workers_with_it(big_tree: Path, signum: int, code: int) -> None:
    # A cancelled CI job, or the out-of-memory killer, signals the scan's process alone. Workers
    # left behind would wait for work for ever and hold the scan's output pipes open.
    process = _scan_in_its_own_group(big_tree, 5, 0.3)
    os.kill(process.pid, signum)
    try:
        _, err = process.communicate(timeout=30)  # returns once every holder of the pipe has exited
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("processes of the scan outlived it, holding its stderr open")
    assert process.returncode == code
    assert b"Traceback" not in err, err.decode()
    deadline = time.monotonic() + 10
    while _group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group(process.pid) == []


def test_a_worker_crash_costs_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("relcheck.scan.parsepool.MIN_FILES_PER_WORKER", 100)  # two workers for 240 files
    tasks = []
    for index in range(240):
        name = {7: "raise.Dockerfile", 150: "crash.Dockerfile"}.get(index, f"{index}.Dockerfile")
        path = tmp_path / name
        path.write_text("FROM node:20-alpine\nUSER node\n")
        tasks.append((ExplodingSource(name, path, FileKind.DOCKERFILE), False))
    results = parse_all(tasks, 5 * 2**20, jobs=2)
    assert [r.path for r in results] == [task[0].path for task in tasks]  # file order, whatever happened
    problems = {r.path: [p.message for p in r.problems] for r in results if r.problems}
    assert set(problems) == {"raise.Dockerfile", "crash.Dockerfile"}
    assert "internal error while parsing (RuntimeError: parser bug" in problems["raise.Dockerfile"][0]
    assert "the parser crashed on this file" in problems["crash.Dockerfile"][0]
    assert sum(1 for r in results if r.dockerfile is not None) == 238


def test_a_worker_crash_while_the_main_process_parses_manifests_prints_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The main process shares the manifests with the workers; a worker dying meanwhile costs its
    file, and nothing else: no traceback from the pool's thread (Python 3.10 and 3.11 printed one
    when queued work had been cancelled), every manifest parsed once."""
    monkeypatch.setattr("relcheck.scan.parsepool.MIN_FILES_PER_WORKER", 100)
    escaped: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook_args: escaped.append(hook_args.exc_value))
    tasks = []
    for index in range(400):
        name = "crash.Dockerfile" if index == 390 else f"{index}.Dockerfile"
        (tmp_path / name).write_text("FROM node:20-alpine\nUSER node\n")
        tasks.append((ExplodingSource(name, tmp_path / name, FileKind.DOCKERFILE), False))
    for index in range(3000):
        (tmp_path / f"{index}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{index}}}\n")
        tasks.append((SourceFile(f"{index}.yaml", tmp_path / f"{index}.yaml", FileKind.KUBERNETES), False))
    results = parse_all(tasks, 5 * 2**20, jobs=2)
    assert [r.path for r in results] == [task[0].path for task in tasks]
    assert [r.path for r in results if r.problems] == ["crash.Dockerfile"]
    assert [r.objects[0].name for r in results[400:]] == [f"cm-{index}" for index in range(3000)]
    assert escaped == [] and capfd.readouterr().err == ""


def test_a_killed_write_leaves_the_previous_report_intact(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text('{"previous": true}\n')
    writer = (
        f"from relcheck.reporters.atomic import write_atomic; from pathlib import Path; "
        f"write_atomic(Path({str(target)!r}), 'x' * (200 * 1024 * 1024))"
    )
    process = subprocess.Popen([sys.executable, "-c", writer])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".report.json.*.tmp")):
        time.sleep(0.005)
    assert list(tmp_path.glob(".report.json.*.tmp")), "the temporary file never appeared"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert target.read_text() == '{"previous": true}\n'


def test_a_scan_raises_the_collector_thresholds_and_restores_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from relcheck.scan import engine
    from relcheck.scan.gcpause import SCAN_THRESHOLDS

    seen = []
    real_discover = engine.discover
    monkeypatch.setattr(
        engine, "discover", lambda *a, **k: (seen.append(gc.get_threshold()), real_discover(*a, **k))[1]
    )
    before = gc.get_threshold()
    engine.scan([ROOT / "examples" / "legacy-service"], Config())
    assert seen == [SCAN_THRESHOLDS] and gc.get_threshold() == before


def test_a_command_keeps_the_thresholds_raised_from_the_scan_to_its_last_report(
    run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from relcheck.reporters import text
    from relcheck.scan import engine
    from relcheck.scan.gcpause import SCAN_THRESHOLDS

    seen: dict[str, tuple[int, ...]] = {}
    real_scan, real_render = engine.scan, text.render

    def scan(*args: object, **kwargs: object) -> engine.ScanResult:
        result = real_scan(*args, **kwargs)
        seen["after the scan"] = gc.get_threshold()  # the default here let a full collection start
        return result

    def render(*args: object, **kwargs: object) -> str:
        seen["while reporting"] = gc.get_threshold()
        return real_render(*args, **kwargs)

    monkeypatch.setattr(engine, "scan", scan)
    monkeypatch.setattr(text, "render", render)
    before = gc.get_threshold()
    code, _, _ = run_cli("scan", str(ROOT / "examples" / "legacy-service"), "--fail-on", "never")
    assert code == 0
    assert seen == {"after the scan": SCAN_THRESHOLDS, "while reporting": SCAN_THRESHOLDS}
    assert gc.get_threshold() == before


def _run_entry(monkeypatch: pytest.MonkeyPatch, command: Callable[[], None]) -> list[tuple[int, bool]]:
    """The `relcheck` executable's entry, run() around `command`, stopped at its final os._exit:
    the codes it exited with, each with whether the cycle collector was on at that moment."""
    import gc

    from relcheck import __main__ as entry

    exits: list[tuple[int, bool]] = []

    class Exited(Exception):
        pass

    def exit_now(code: int) -> None:
        exits.append((code, gc.isenabled()))
        raise Exited

    monkeypatch.setattr(entry, "main", command)
    monkeypatch.setattr(entry.os, "_exit", exit_now)
    before = gc.get_threshold(), gc.isenabled()
    on_terminate = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(Exited):
            entry.run()
    finally:
        gc.set_threshold(*before[0])
        if before[1]:
            gc.enable()
        signal.signal(signal.SIGTERM, on_terminate)
    return exits


def test_the_relcheck_command_runs_without_the_cycle_collector_until_it_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    seen = []

    def command() -> None:
        with long_lived_model():  # as the CLI's own context does, restoring what it found
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())

    assert _run_entry(monkeypatch, command) == [(0, False)]
    assert seen == [False, False]
    assert gc.isenabled()  # the test process has it back


def test_ctrl_c_before_the_cli_takes_over_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def interrupted_while_importing() -> None:
        raise KeyboardInterrupt

    assert [code for code, _ in _run_entry(monkeypatch, interrupted_while_importing)] == [130]
    assert "Traceback" not in capfd.readouterr().err


def test_workers_that_cannot_start_leave_the_scan_to_the_main_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    tree = _tree(tmp_path, 3)
    expected = [(f.code, f.location.path, f.location.line) for f in scan([tree], Config(), jobs=1).findings]

    def refuse(*_: object, **__: object) -> None:
        raise RuntimeError("no processes here")

    escaped: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook_args: escaped.append(hook_args.exc_value))
    monkeypatch.setattr("relcheck.scan.parsepool.MIN_FILES_PER_WORKER", 5)  # the walk reaches 10 files early
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", refuse)
    found = [(f.code, f.location.path, f.location.line) for f in scan([tree], Config(), jobs=2).findings]
    assert found == expected and len(found) > 10
    assert escaped == [] and capfd.readouterr().err == ""  # nothing escaped the thread that tried


def test_texts_read_by_workers_come_back_with_their_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("relcheck.scan.parsepool.MIN_FILES_PER_WORKER", 100)  # two workers for 240 files
    tasks = []
    for index in range(240):
        path = tmp_path / f"{index}.Dockerfile"
        path.write_text(f"FROM node:20-alpine\nUSER node\nLABEL n={index}\n")
        tasks.append((SourceFile(path.name, str(path), FileKind.DOCKERFILE), False))
    results = parse_all(tasks, 5 * 2**20, jobs=2)
    assert [r.dockerfile.stages[0].instructions[-1].args for r in results] == [("n", str(i)) for i in range(240)]
    for source, _ in tasks:
        source.abs_path = str(tmp_path / "gone")  # reading again now would fail
        assert source.read() == ((tmp_path / source.path).read_text(), None)


@pytest.mark.parametrize("jobs", [1, 2])
def test_files_parsed_kind_by_kind_come_back_in_the_order_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    monkeypatch.setattr("relcheck.scan.parsepool.MIN_FILES_PER_WORKER", 50)  # two workers for 150 files
    contents = {
        FileKind.DOCKERFILE: ("Dockerfile", "FROM node:20-alpine\nLABEL n={i}\n"),
        FileKind.KUBERNETES: ("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\n"),
        FileKind.APP_SETTINGS: ("package.json", '{{"name": "app-{i}"}}\n'),
    }
    tasks = []
    for index in range(150):  # a folder per service, so kinds alternate file by file
        kind = list(contents)[index % 3]
        name, text = contents[kind]
        folder = tmp_path / f"svc-{index}"
        folder.mkdir()
        (folder / name).write_text(text.format(i=index))
        tasks.append((SourceFile(f"svc-{index}/{name}", str(folder / name), kind), False))
    results = parse_all(tasks, 5 * 2**20, jobs=jobs)
    assert [r.path for r in results] == [task[0].path for task in tasks]
    names = [
        r.dockerfile.stages[0].instructions[-1].args[1]
        if r.dockerfile
        else r.objects[0].name
        if r.objects
        else r.settings["name"]
        for r in results
    ]
    assert names == [f"{('', 'cm-', 'app-')[i % 3]}{i}" for i in range(150)]
