"""The scan cache: reports are byte-identical whether a scan is cold, warm or incremental, and
whatever `--jobs`; the cache's entries are signed, bounded, and never trusted blindly."""

from __future__ import annotations

import dataclasses
import io
import json
import random
import shutil
import sys
from pathlib import Path

import pytest

from relcheck.config.loader import Config
from relcheck.scan.cache import Cache, open_cache
from relcheck.scan.engine import scan
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))


def _copy_example(name: str, to: Path) -> None:
    """An example, without the cache a scan of it may have left there."""
    shutil.copytree(ROOT / "examples" / name, to, ignore=shutil.ignore_patterns(".relcheck_cache"))


def _reports(tree: Path, cache: Cache | None, jobs: int = 1) -> dict[str, str]:
    from relcheck.checklist import render as checklist
    from relcheck.checklist import score
    from relcheck.reporters.json import render as render_json
    from relcheck.reporters.sarif import render as render_sarif
    from relcheck.reporters.text import render as render_text

    result = scan([tree], Config(), jobs=jobs, root=tree, fixes=True, cache=cache)
    text = io.StringIO()
    render_text(result, text, color=False)
    return {
        "json": render_json(result),
        "sarif": render_sarif(result, None, True),
        "text": text.getvalue(),
        "checklist": checklist.render_json(score.build(result)),
    }


def _same(left: dict[str, str], right: dict[str, str], when: str) -> None:
    for name in left:
        assert left[name] == right[name], f"{name} report differs {when}"


@pytest.mark.parametrize("example", ["legacy-service", "enterprise-service"])
def test_examples_report_the_same_cold_warm_and_without_cache(example: str, tmp_path: Path) -> None:
    tree = tmp_path / example
    _copy_example(example, tree)
    plain = _reports(tree, None)
    cache = open_cache(tree, tmp_path / "cache", True)
    assert cache is not None
    _same(plain, _reports(tree, cache), "on a cold cache")
    assert cache.written > 0
    warm = open_cache(tree, tmp_path / "cache", True)
    _same(plain, _reports(tree, warm), "from a warm cache")
    assert warm.written == 0  # nothing changed: nothing parsed, nothing checked, nothing written


def _workspace(tree: Path, handled: str) -> None:
    """atproto's shape: `services/pds` runs `PDS.run()` from the workspace library `packages/pds`."""
    (tree / "packages/pds/src").mkdir(parents=True)
    (tree / "packages/pds/package.json").write_text(
        '{"name": "@atproto/pds", "main": "dist/index.js", "types": "dist/index.d.ts"}\n'
    )
    (tree / "packages/pds/src/index.ts").write_text(
        "export async function run() {\n"
        f"  for (const sig of {handled}) process.on(sig, () => process.exit(0));\n"
        "  require('node:http').createServer().listen(3000);\n}\n"
    )
    (tree / "services/pds").mkdir(parents=True)
    (tree / "services/pds/package.json").write_text('{"name": "pds-service", "dependencies": {"@atproto/pds": "*"}}\n')
    (tree / "services/pds/index.ts").write_text("import { run } from '@atproto/pds';\nvoid run();\n")
    (tree / "services/pds/Dockerfile").write_text('FROM node:22-slim\nUSER node\nCMD ["node", "index.ts"]\n')
    (tree / "pnpm-workspace.yaml").write_text("packages: ['packages/*', 'services/*']\n")


def test_a_services_signal_handling_in_a_workspace_library_counts_and_is_rechecked(tmp_path: Path) -> None:
    """The library the service runs handles SIGTERM and SIGINT: no S001. When the library stops
    handling SIGTERM, a warm scan checks the service again, as a cold one does."""
    tree = tmp_path / "repo"
    _workspace(tree, "['SIGINT', 'SIGTERM']")
    cache = open_cache(tree, tmp_path / "cache", True)
    first = scan([tree], Config(), root=tree, select=["S001"], cache=cache)
    assert [f.code for f in first.findings] == []
    library = tree / "packages/pds/src/index.ts"
    library.write_text(library.read_text().replace("['SIGINT', 'SIGTERM']", "['SIGINT']"))
    warm = scan([tree], Config(), root=tree, select=["S001"], cache=open_cache(tree, tmp_path / "cache", True))
    cold = scan([tree], Config(), root=tree, select=["S001"])
    assert [(f.code, f.location.path) for f in warm.findings] == [("S001", "services/pds/index.ts")]
    assert [(f.code, f.location.path, f.message) for f in warm.findings] == [
        (f.code, f.location.path, f.message) for f in cold.findings
    ]


@pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None, reason="no kustomize")
def test_an_overlays_committed_output_is_rechecked_when_the_overlay_changes(tmp_path: Path) -> None:
    """A file that is an overlay's build output is not checked while the overlay makes its
    workloads as written; once the overlay's base changes, a warm scan checks it, as a cold one does."""
    import subprocess

    from relcheck.render.engines import kustomize_command

    tree = tmp_path / "repo"
    shutil.copytree(ROOT / "tests" / "fixtures" / "render" / "kustomize", tree)
    built = subprocess.run(
        [*kustomize_command(), str(tree / "overlays" / "prod")], capture_output=True, text=True, check=True
    ).stdout
    (tree / "install.yaml").write_text(built + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api}\n")
    cache = open_cache(tree, tmp_path / "cache", True)
    first = scan([tree], Config(), root=tree, select=["E002", "K002"], cache=cache)
    # The overlay removes the readiness probe: its K002 is at its patch, and once only.
    assert sorted((f.code, f.location.path) for f in first.findings) == [
        ("E002", "install.yaml"),
        ("K002", "overlays/prod/no-readiness.yaml"),
    ]
    base = tree / "base" / "deployment.yaml"
    base.write_text(base.read_text().replace("livenessProbe:", "startupProbe:"))
    warm = scan([tree], Config(), root=tree, select=["E002", "K002"], cache=open_cache(tree, tmp_path / "cache", True))
    cold = scan([tree], Config(), root=tree, select=["E002", "K002"])
    placed = sorted((f.code, f.location.path) for f in warm.findings)
    assert placed == [("K002", "install.yaml"), ("K002", "overlays/prod/no-readiness.yaml")]
    assert placed == sorted((f.code, f.location.path) for f in cold.findings)


def _edit(tree: Path, rng: random.Random) -> str:
    """One random change a developer might make between two scans."""
    services = sorted(p for p in (tree / "services").iterdir() if p.is_dir())
    service = rng.choice(services)
    deployment = service / "k8s" / "deployment.yaml"
    choice = rng.randrange(9)
    if choice == 0 and deployment.exists():
        text = deployment.read_text()
        deployment.write_text(text.replace("replicas: 3", "replicas: 1") if "replicas: 3" in text else text + "\n")
    elif choice == 1 and deployment.exists():
        lines = deployment.read_text().splitlines(keepends=True)
        deployment.write_text("".join(line for line in lines if "readinessProbe" not in line))
    elif choice == 2:
        (service / "k8s" / "pdb.yaml").write_text(
            f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {service.name}\n  namespace: shop\n"
            f"spec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {{app: {service.name}}}\n"
        )
    elif choice == 3:
        shutil.rmtree(service)
    elif choice == 4:
        (service / "Dockerfile").write_text("FROM node:latest\nCMD npm start\n")
    elif choice == 5:
        (tree / "RUNBOOK.md").write_text(f"# Runbook\n\n{rng.random()}\n")
    elif choice == 6:
        manifest = service / "package.json"
        if manifest.exists():
            data = json.loads(manifest.read_text())
            data["name"] = rng.choice(["svc-00001", "renamed", data["name"]])
            manifest.write_text(json.dumps(data))
    elif choice == 7:
        shared = tree / "deploy"
        shared.mkdir(exist_ok=True)
        target = rng.choice(services).name
        (shared / f"hpa-{target}.yaml").write_text(
            f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {target}\n"
            f"  namespace: shop\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}\n"
            "  minReplicas: 1\n  maxReplicas: 2\n"
        )
    else:
        alerts = service / "alerts.yaml"
        if alerts.exists():
            alerts.write_text(alerts.read_text().replace("for: 5m", "for: 30s"))
    return f"edit {choice} in {service.name}"


def test_a_monorepo_edited_at_random_reports_as_a_fresh_scan_would(tmp_path: Path) -> None:
    from generate import generate

    tree = generate(24, tmp_path / "mono")
    rng = random.Random(20261203)
    folder = tmp_path / "cache"
    previous = None
    for step in range(8):
        done = [_edit(tree, rng) for _ in range(rng.randrange(1, 3))] if step else ["cold"]
        expected = _reports(tree, None)
        cache = open_cache(tree, folder, True)
        assert cache is not None
        found = _reports(tree, cache)
        _same(expected, found, f"after {done}")
        if previous is not None and expected == previous:
            assert cache.written == 0
        previous = expected


def test_workers_and_the_cache_give_the_same_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generate import generate

    monkeypatch.setattr("relcheck.scan.parsepool.MIN_FILES_PER_WORKER", 40)  # two workers for 90 files
    tree = generate(10, tmp_path / "mono")
    expected = _reports(tree, None, jobs=1)
    _same(expected, _reports(tree, None, jobs=2), "with two workers")
    _same(expected, _reports(tree, open_cache(tree, tmp_path / "cache", True), jobs=2), "with workers, cold cache")
    (tree / "services" / "svc-00003" / "Dockerfile").write_text("FROM node:latest\nCMD npm start\n")
    expected = _reports(tree, None, jobs=1)
    _same(expected, _reports(tree, open_cache(tree, tmp_path / "cache", True), jobs=2), "with workers, one change")


def test_entries_that_do_not_verify_are_ignored_and_rewritten(tmp_path: Path) -> None:
    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    folder = tmp_path / "cache"
    expected = _reports(tree, open_cache(tree, folder, True))
    entries = [p for p in (folder / "v1").rglob("*") if p.is_file()]
    assert entries
    for number, entry in enumerate(entries):
        data = entry.read_bytes()
        # Truncated, flipped, or replaced by a pickle that would run code when loaded.
        if number % 3 == 0:
            entry.write_bytes(data[: len(data) // 2])
        elif number % 3 == 1:
            entry.write_bytes(data[:40] + bytes([data[40] ^ 1]) + data[41:])
        else:
            entry.write_bytes(b"\0" * 32 + b"cos\nsystem\n(S'touch pwned'\ntR.")
    cache = open_cache(tree, folder, True)
    _same(expected, _reports(tree, cache), "after the entries were spoiled")
    assert cache.written >= len(entries) and not (tree / "pwned").exists()
    again = open_cache(tree, folder, True)
    _same(expected, _reports(tree, again), "from the rewritten entries")
    assert again.written == 0


def test_another_users_key_makes_the_cache_foreign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    _reports(tree, open_cache(tree, tmp_path / "cache", True))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-user"))
    cache = open_cache(tree, tmp_path / "cache", True)
    _reports(tree, cache)
    assert cache.written > 0  # nothing the first key signed was used


def test_the_cache_folder_ignores_itself_and_is_not_scanned(tmp_path: Path, run_cli, monkeypatch) -> None:
    monkeypatch.delenv("RELCHECK_CACHE_DIR")
    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    code, first, _ = run_cli("scan", str(tree), "-f", "json")
    folder = tree / ".relcheck_cache"
    assert folder.is_dir() and (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").is_file()
    code_again, second, _ = run_cli("scan", str(tree), "-f", "json")
    assert (code, first) == (code_again, second)
    assert ".relcheck_cache" not in second
    shutil.rmtree(folder)
    run_cli("scan", str(tree), "--no-cache")
    assert not folder.exists()
    run_cli("scan", str(tree), "--cache-dir", str(tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere" / "v1").is_dir() and not folder.exists()
    monkeypatch.setenv("RELCHECK_NO_CACHE", "1")
    run_cli("scan", str(tree))
    assert not folder.exists()


def test_the_cache_is_pruned_to_its_bound(tmp_path: Path) -> None:
    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    cache = open_cache(tree, tmp_path / "cache", True)
    assert cache is not None
    for number in range(40):
        cache.store_object(f"findings/zz{number}", b"x" * 10_000)
    cache.max_bytes = 100_000
    cache.prune()
    total = sum(p.stat().st_size for p in (tmp_path / "cache" / "v1").rglob("*") if p.is_file())
    assert total <= 75_000


def _git(tree: Path, *args: str) -> None:
    import subprocess

    identity = ["-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run(["git", *identity, *args], cwd=tree, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")
def test_diff_base_reports_the_findings_of_the_changed_files(tmp_path: Path, run_cli) -> None:
    tree = tmp_path / "repo"
    _copy_example("legacy-service", tree / "svc")
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-qm", "start")
    _, whole, _ = run_cli("scan", str(tree), "-f", "json", "--fail-on", "never")
    everything = json.loads(whole)["findings"]
    deployment = tree / "svc" / "k8s" / "deployment.yaml"
    deployment.write_text(deployment.read_text() + "\n")
    (tree / "svc" / "Dockerfile.new").write_text("FROM node:latest\nCMD npm start\n")  # new, not yet added
    code, out, err = run_cli("scan", str(tree), "-f", "json", "--diff-base", "HEAD")
    found = json.loads(out)["findings"]
    changed = {"svc/k8s/deployment.yaml", "svc/Dockerfile.new"}
    assert found and len(found) < len(everything) + 10
    assert {f["path"] for f in found} >= changed
    for finding in found:
        assert finding["path"] in changed or any(r["path"] in changed for r in finding["related"])
    # A finding elsewhere that points at the changed manifest (the heap rule) is kept.
    assert any(f["path"] not in changed for f in found)
    assert code == 1 and "2 files changed" in err
    code, out, err = run_cli("scan", str(tree), "--diff-base", "no-such-ref")
    assert code == 2 and err.count("\n") == 1 and "not a commit" in err
    code, _, err = run_cli("scan", str(tree), "--diff-base", "--upload-pack=x")
    assert code == 2 and "not a git revision" in err


def test_an_unchanged_tree_replays_the_stored_report(tmp_path: Path, run_cli, monkeypatch) -> None:
    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    monkeypatch.setattr("relcheck.scan.reportcache.RACY_SECONDS", 0)  # the files were written just now
    reports = tmp_path / "scan-cache" / "v1" / "reports"
    monkeypatch.setenv("RELCHECK_CACHE_DIR", str(tmp_path / "scan-cache"))
    first = run_cli("scan", str(tree), "--fail-on", "warning")
    assert first[0] == 1 and len(list(reports.rglob("*"))) == 2  # a shard folder and the report
    with monkeypatch.context() as patched:
        patched.setattr("relcheck.scan.engine.scan", lambda *a, **k: pytest.fail("scanned again"))
        assert run_cli("scan", str(tree), "--fail-on", "warning") == first
    # Another option, another report.
    quiet = run_cli("scan", str(tree), "--fail-on", "warning", "-q")
    assert quiet != first and len(list(reports.rglob("*"))) >= 3
    # A change of the same size with the old modification time still counts (its change time moved).
    dockerfile = tree / "Dockerfile"
    stat = dockerfile.stat()
    text = dockerfile.read_text()
    dockerfile.write_text(text.replace("FROM node:", "FROM nodf:", 1))
    import os

    os.utime(dockerfile, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert dockerfile.stat().st_size == stat.st_size
    changed = run_cli("scan", str(tree), "--fail-on", "warning")
    assert changed != first and "nodf" in changed[1]


def test_reports_of_a_tree_just_written_are_not_stored(tmp_path: Path, run_cli, monkeypatch) -> None:
    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    monkeypatch.setenv("RELCHECK_CACHE_DIR", str(tmp_path / "scan-cache"))
    run_cli("scan", str(tree))
    assert not (tmp_path / "scan-cache" / "v1" / "reports").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")
def test_the_hook_checks_the_units_of_the_staged_files_as_a_whole_scan_would(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generate import generate

    tree = generate(12, tmp_path / "mono")
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-qm", "start")
    # The hook's first run is a whole scan: it leaves its snapshot of the units in the cache.
    run_cli("hook", "services/svc-00004/k8s/deployment.yaml", cwd=tree)
    focused = []
    import relcheck.scan.incremental as incremental

    original = incremental.plan_holds
    monkeypatch.setattr(incremental, "plan_holds", lambda *a: focused.append(original(*a)) or focused[-1])
    deployment = "services/svc-00004/k8s/deployment.yaml"
    edits = [
        # Inside one unit: the focused run holds.
        (deployment, lambda t: t.replace("memory: 1Gi", "memory: 3Gi"), True),
        ("services/svc-00004/Dockerfile", lambda t: t.replace("USER node", "USER root"), True),
        # Names and labels decide units and services: only the whole scan can tell.
        (deployment, lambda t: t.replace("name: svc-00004", "name: renamed", 1), False),
        # What no service owns is every service's evidence.
        ("RUNBOOK.md", lambda t: t + "\nMore.\n", None),
        ("services/svc-00005/k8s/service.yaml", lambda t: t.replace("app: svc-00005", "app: svc-00006"), False),
    ]
    for path, change, holds in edits:
        target = tree / path
        target.write_text(change(target.read_text()))
        _git(tree, "add", "-A")
        found = run_cli("hook", path, cwd=tree)
        with monkeypatch.context() as whole:
            whole.setenv("RELCHECK_NO_CACHE", "1")
            expected = run_cli("hook", path, cwd=tree)
        assert found == expected, path
        assert (focused.pop() if focused else None) is holds, path
        assert not focused


def test_links_planted_in_the_cache_folder_are_never_written_through(tmp_path: Path) -> None:
    """The cache folder is the repository's: a clone may bring links in it."""
    import os

    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, tree / ".relcheck_cache")
    assert open_cache(tree, tree / ".relcheck_cache", True) is None
    os.unlink(tree / ".relcheck_cache")
    (tree / ".relcheck_cache" / "v1").mkdir(parents=True)
    os.symlink(elsewhere, tree / ".relcheck_cache" / "v1" / "findings")
    os.symlink(elsewhere, tree / ".relcheck_cache" / "v1" / "parse")
    expected = _reports(tree, None)
    cache = open_cache(tree, tree / ".relcheck_cache", True)
    assert cache is not None
    _same(expected, _reports(tree, cache), "with links in the cache")
    assert list(elsewhere.iterdir()) == []


def test_only_the_last_reports_are_kept(tmp_path: Path, run_cli, monkeypatch) -> None:
    from relcheck.scan.reportcache import MAX_REPORTS

    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    monkeypatch.setenv("RELCHECK_CACHE_DIR", str(tmp_path / "scan-cache"))
    monkeypatch.setattr("relcheck.scan.reportcache.RACY_SECONDS", 0)
    for number in range(MAX_REPORTS + 3):
        assert run_cli("scan", str(tree), "--fail-on", "never", "--category", str(number))[0] == 0
    stored = list((tmp_path / "scan-cache" / "v1" / "reports").glob("*/*"))
    assert len(stored) == MAX_REPORTS


def test_concurrent_scans_share_a_cache_without_spoiling_it(tmp_path: Path) -> None:
    import os
    import subprocess

    from generate import generate

    from tests.conftest import relcheck_command

    tree = generate(20, tmp_path / "mono")
    env = {**os.environ, "RELCHECK_CACHE_DIR": str(tmp_path / "cache")}
    command = [*relcheck_command(), "scan", str(tree), "-f", "json", "--fail-on", "never"]
    expected = subprocess.run([*command, "--no-cache"], capture_output=True, text=True, env=env, check=True).stdout
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(4)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in running]
    assert all(output == expected for output in outputs)
    assert not list((tmp_path / "cache").rglob(".tmp-*"))  # every write finished or was undone
    again = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    assert again == expected


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_a_signing_key_others_may_read_signs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    assert open_cache(tmp_path, tmp_path / "cache", True) is not None
    os.chmod(tmp_path / "user" / "relcheck" / "cache-key", 0o644)
    assert open_cache(tmp_path, tmp_path / "cache", True) is None


def test_a_rule_that_fails_is_reported_alike_and_its_run_not_cached(tmp_path: Path) -> None:
    """A check that raises costs its rule an E001 (placed at the first service), never the scan:
    such a run is used as it is and no unit keeps it."""
    import dataclasses

    from relcheck.ruleset.load import builtin

    def broken(ctx):
        raise RuntimeError("boom")

    ruleset = builtin()
    ruleset.checks["K004"] = broken
    ruleset.rules = [dataclasses.replace(r, scope="object") if r.code == "K004" else r for r in ruleset.rules]
    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)

    def codes(cache):
        result = scan([tree], Config(), root=tree, ruleset=ruleset, cache=cache)
        return [(f.code, f.location.path, f.message) for f in result.findings]

    expected = codes(None)
    assert any("internal error in rule K004" in message for _, _, message in expected)
    for _ in range(2):
        cache = open_cache(tree, tmp_path / "cache", True)
        assert codes(cache) == expected


def test_clean_removes_the_cache_and_nothing_else(tmp_path: Path, run_cli, monkeypatch) -> None:
    monkeypatch.delenv("RELCHECK_CACHE_DIR")
    tree = tmp_path / "svc"
    _copy_example("legacy-service", tree)
    run_cli("scan", str(tree))
    assert (tree / ".relcheck_cache").is_dir()
    assert run_cli("clean", str(tree))[0] == 0
    assert not (tree / ".relcheck_cache").exists() and (tree / "Dockerfile").is_file()
    code, out, _ = run_cli("clean", str(tree))
    assert code == 0 and "no cache" in out
    other = tmp_path / "precious"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    code, _, err = run_cli("clean", str(tree), "--cache-dir", str(other))
    assert code == 2 and "not a relcheck cache folder" in err and (other / "keep.txt").is_file()


def test_a_rendered_tree_replays_only_for_the_same_engines(tmp_path: Path, run_cli, monkeypatch) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(ROOT / "tests" / "fixtures" / "render" / "kustomize", tree)
    monkeypatch.setenv("RELCHECK_CACHE_DIR", str(tmp_path / "scan-cache"))
    monkeypatch.setattr("relcheck.scan.reportcache.RACY_SECONDS", 0)
    first = run_cli("scan", str(tree), "--fail-on", "never")
    with monkeypatch.context() as patched:
        patched.setattr("relcheck.scan.engine.scan", lambda *a, **k: pytest.fail("scanned again"))
        assert run_cli("scan", str(tree), "--fail-on", "never") == first
    scans = []
    real = __import__("relcheck.scan.engine", fromlist=["scan"]).scan
    monkeypatch.setattr("relcheck.scan.engine.scan", lambda *a, **k: scans.append(1) or real(*a, **k))
    monkeypatch.setattr("relcheck.render.engines.engines_fingerprint", lambda: "another kubectl")
    assert run_cli("scan", str(tree), "--fail-on", "never") == first
    assert scans == [1]


SHARED_ALERTS = """groups:
  - name: shared
    rules:
      - alert: BothErrors
        expr: sum(rate(svc_00001_http_requests_total[5m])) + sum(rate(svc_00002_http_requests_total[5m])) > 1
        labels: {severity: warning}
      - alert: NobodysMetric
        expr: rate(made_up_total[5m]) > 1
        for: 5m
        labels: {severity: critical}
        annotations: {summary: s, description: d}
"""
SHARED_MANIFEST = """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: svc-00002
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: svc-00002}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data: {LOG_LEVEL: info}
"""


@pytest.mark.parametrize("named", [[""], ["deploy", "monitoring", "services"]])
def test_a_report_patched_for_edited_manifests_is_the_one_a_whole_scan_prints(
    named: list[str], tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Manifest edits that keep names, labels and selectors patch the kept report (relcheck.reporters.patch);
    other edits scan the whole tree. Either way the report, the notes and the exit code are a whole
    scan's (a folder of manifests alone is one relcheck reads)."""
    from generate import generate

    import relcheck.reporters.patch as patch

    tree = generate(9, tmp_path / "mono")
    (tree / "monitoring").mkdir()
    (tree / "monitoring" / "alerts.yaml").write_text(SHARED_ALERTS)
    (tree / "deploy").mkdir()
    (tree / "deploy" / "shared.yaml").write_text(SHARED_MANIFEST)
    patched: list[bool] = []
    original = patch.patch
    monkeypatch.setattr(patch, "patch", lambda *a: patched.append(True) or original(*a))
    command = ["scan", *(str(tree / name) for name in named), "--fail-on", "warning"]
    assert run_cli(*command)[0] == 1  # a whole scan: the report is kept
    assert not patched

    def deployment(index: int) -> Path:
        return tree / "services" / f"svc-0000{index}" / "k8s" / "deployment.yaml"

    def edit(path: Path, old: str, new: str) -> None:
        text = path.read_text()
        assert old in text, (path, old)
        path.write_text(text.replace(old, new, 1))

    steps = [
        # A manifest's body: patched.
        (lambda: edit(deployment(3), "memory: 1Gi}", "memory: 2Gi}"), True),
        (lambda: edit(deployment(3), "10, timeoutSeconds: 3}", "10, timeoutSeconds: 9}"), True),
        (lambda: edit(deployment(3), "          readinessProbe:", "          # readinessProbe:"), True),
        # Another service too (both changed since the kept report), and a suppression comment.
        (lambda: edit(deployment(4), "  strategy:", "  # relcheck: ignore K015 -- rolled by hand\n  strategy:"), True),
        # Names and labels decide units and services; alert rules feed the repository rules; what no
        # service owns (a shared manifest, even one about a single service) is every service's
        # evidence: a whole scan each.
        (lambda: edit(deployment(5), "name: svc-00005", "name: renamed"), False),
        (lambda: edit(tree / "services" / "svc-00006" / "alerts.yaml", "for: 2m", "for: 30s"), False),
        (lambda: edit(tree / "deploy" / "shared.yaml", "minAvailable: 1", "minAvailable: 2"), False),
        # After the whole scan, patched again; then a manifest made unreadable.
        (lambda: edit(deployment(7), "memory: 1Gi}", "memory: 3Gi}"), True),
        (lambda: edit(deployment(8), "  strategy:", "  strategy: [\n"), None),
    ]
    for number, (change, expected_patch) in enumerate(steps):
        change()
        found = run_cli(*command)
        with monkeypatch.context() as whole:
            whole.setenv("RELCHECK_NO_CACHE", "1")
            expected = run_cli(*command)
        assert found == expected, f"step {number}"
        if expected_patch is not None:
            assert bool(patched) is expected_patch, f"step {number}"
        patched.clear()


def test_only_repository_rules_that_never_read_a_manifest_body_allow_patching() -> None:
    from relcheck.reporters.patch import MANIFEST_BLIND, patchable
    from relcheck.ruleset.load import builtin

    ruleset = builtin()
    by_code = {rule.code: rule for rule in ruleset.rules}
    assert all(by_code[code].scope == "repository" for code in MANIFEST_BLIND)
    assert patchable(ruleset)
    plugin = dataclasses.replace(by_code["A002"], code="ACME1", slug="acme-repository-rule")
    assert not patchable(dataclasses.replace(ruleset, rules=[*ruleset.rules, plugin]))


def test_a_monorepo_edited_at_random_prints_a_whole_scans_report(tmp_path: Path, run_cli, monkeypatch) -> None:
    """Random edits, and a manifest body edited at every step: the printed report (patched, replayed
    or made again) is the one a scan without cache prints."""
    from generate import generate

    import relcheck.reporters.patch as patch

    tree = generate(16, tmp_path / "mono")
    rng = random.Random(3122026)
    command = ["scan", str(tree), "--fail-on", "info", "--show-suppressed"]
    patched: list[bool] = []
    original = patch.patch
    monkeypatch.setattr(patch, "patch", lambda *a: patched.append(True) or original(*a))
    for step in range(10):
        if step:
            if rng.random() < 0.4:
                _edit(tree, rng)
            deployments = sorted(tree.glob("services/*/k8s/deployment.yaml"))
            target = rng.choice(deployments)
            text = target.read_text()
            target.write_text(text.replace("cpu: 500m", f"cpu: {rng.randrange(100, 900)}m", 1))
        found = run_cli(*command)
        with monkeypatch.context() as whole:
            whole.setenv("RELCHECK_NO_CACHE", "1")
            assert found == run_cli(*command), f"step {step}"
    assert 3 <= len(patched) < 9  # some steps patched the kept report, others scanned the whole tree
