"""Walking, classifying and reading files: nothing outside the root, no hangs, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from relcheck.config.loader import Config
from relcheck.scan.discovery import FileKind, discover, kind_by_content, kind_by_name, read_text
from relcheck.scan.engine import scan


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("Dockerfile", FileKind.DOCKERFILE),
        ("Containerfile", FileKind.DOCKERFILE),
        ("docker/api.Dockerfile", FileKind.DOCKERFILE),
        ("Dockerfile.prod", FileKind.DOCKERFILE),
        ("Dockerfile.dockerignore", FileKind.OTHER),
        # Code that writes a Dockerfile (kubebuilder's scaffolding), and a Dockerfile's docs.
        ("pkg/scaffolds/templates/dockerfile.go", FileKind.OTHER),
        ("docs/Dockerfile.md", FileKind.OTHER),
        ("Containerfile.ubi", FileKind.DOCKERFILE),
        ("ecosystem.config.js", FileKind.PM2),
        ("process.yml", FileKind.PM2),
        ("package.json", FileKind.APP_SETTINGS),
        (".env.production", FileKind.APP_SETTINGS),
        # REUSE's licence sidecar of `.env` (hedgedoc): SPDX lines, not settings.
        (".env.license", FileKind.OTHER),
        (".env.example", FileKind.APP_SETTINGS),
        # A patch of `.env` (getsentry/self-hosted's optional modifications), a backup, and code.
        ("patches/external-kafka/.env.patch", FileKind.OTHER),
        (".env.bak", FileKind.OTHER),
        ("src/.env.ts", FileKind.APP_SOURCE),
        ("config/.env.json", None),
        ("Dockerfile.license", FileKind.OTHER),
        ("src/main.ts", FileKind.APP_SOURCE),
        ("src/types.d.ts", FileKind.OTHER),
        ("README.md", FileKind.OTHER),
        ("k8s/deployment.yaml", None),
        ("jest.config.js", None),
    ],
)
def test_kind_by_name(path: str, kind: str | None) -> None:
    assert kind_by_name(path) == kind


@pytest.mark.parametrize(
    ("path", "text", "kind"),
    [
        ("k8s/app.yaml", "apiVersion: apps/v1\nkind: Deployment\n", FileKind.KUBERNETES),
        ("alerts.yml", "groups:\n  - name: x\n    rules: []\n", FileKind.PROMETHEUS_RULES),
        ("quoted.yaml", '"groups": []\n', FileKind.PROMETHEUS_RULES),
        ("rule.yaml", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n", FileKind.KUBERNETES),
        ("config/default.yaml", "port: 3000\n", FileKind.APP_SETTINGS),
        (".github/workflows/ci.yml", "on: push\njobs: {}\n", FileKind.OTHER),
        ("manifest.json", '{"apiVersion": "v1", "kind": "Service"}', FileKind.KUBERNETES),
        ("pm2.config.js", "module.exports = { apps: [] }", FileKind.PM2),
        ("jest.config.js", "module.exports = { testEnvironment: 'node' }", FileKind.APP_SOURCE),
        # Named for PM2 or an ecosystem, and listing apps: what `pm2-runtime start NAME` reads.
        ("web/pm2.ecosystem.json", '{"apps": [{"name": "web", "script": "index.js"}]}', FileKind.PM2),
        ("ecosystem.prod.json", '{ "apps" : [] }', FileKind.PM2),
        ("pm2.yml", "apps:\n  - script: index.js\n", FileKind.PM2),
        ("ecosystem.js", "module.exports = {\n  apps: [{ script: 'index.js' }],\n};\n", FileKind.PM2),
        ("ecosystem.js", "export const species = ['fox'];\n", FileKind.APP_SOURCE),
        ("pm2.json", '{"name": "not pm2"}', FileKind.OTHER),
        ("config/ecosystem.json", '{"regions": []}', FileKind.APP_SETTINGS),
    ],
)
def test_kind_by_content(path: str, text: str, kind: str) -> None:
    assert kind_by_content(path, text) == kind


def test_gitignore_nested_and_negated(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("generated/\n*.yaml\n!keep.yaml\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / ".gitignore").write_text("Dockerfile.local\n")
    (tmp_path / "svc" / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "svc" / "Dockerfile.local").write_text("FROM x\n")
    (tmp_path / "drop.yaml").write_text("a: 1\n")
    (tmp_path / "keep.yaml").write_text("a: 1\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("FROM x\n")
    paths = [f.path for f in discover([tmp_path]).files]
    assert paths == [".gitignore", "keep.yaml", "svc/.gitignore", "svc/Dockerfile"]


def test_gitignore_above_the_scan_root_in_a_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("services/api/secret.Dockerfile\n")
    api = tmp_path / "services" / "api"
    api.mkdir(parents=True)
    (api / "Dockerfile").write_text("FROM x\n")
    (api / "secret.Dockerfile").write_text("FROM x\n")
    assert [f.path for f in discover([api]).files] == ["Dockerfile"]


def test_undecodable_bytes_give_a_position() -> None:
    problem = read_text_from(b"FROM node\nRUN echo \xff\n")
    assert (problem.code, problem.line, problem.column) == ("E001", 2, 10)


def read_text_from(data: bytes):
    import tempfile

    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(data)
    try:
        return read_text(Path(handle.name))[1]
    finally:
        os.unlink(handle.name)


def test_bad_files_become_findings_and_the_rest_is_scanned(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM node:latest\n")
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "c").mkdir()
    (root / "d").mkdir()
    (root / "a" / "Dockerfile").write_bytes(b'FROM node:20\nLABEL x="\xe9"\n')
    (root / "b" / "Dockerfile").write_bytes(b"\x00\x01binary")
    (root / "c" / "Dockerfile").symlink_to(outside / "Dockerfile")
    os.mkfifo(root / "d" / "Dockerfile")
    (root / "loop").symlink_to(root / "loop")
    (root / "Dockerfile").write_text("FROM node:latest\n")
    result = scan([root], Config(), select=["D009"])
    got = [(f.location.path, f.location.line, f.code, f.message.split(";")[0].split(":")[0]) for f in result.findings]
    assert got == [
        ("Dockerfile", 1, "D009", "base image 'node"),
        ("a/Dockerfile", 2, "E001", "not valid UTF-8"),
        ("b/Dockerfile", 1, "E002", "binary file (contains NUL bytes)"),
        ("c/Dockerfile", 1, "E002", "symlink points outside the scan root"),
        ("d/Dockerfile", 1, "E002", "not a regular file (FIFO, socket or device)"),
    ]


def test_size_cap_skips_with_e002(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node:20-alpine\n" + "# padding\n" * 200)
    result = scan([tmp_path], Config(max_file_size=100), select=["D"])
    assert [(f.code, f.message.split(",")[0]) for f in result.findings] == [
        ("E002", f"file is {(tmp_path / 'Dockerfile').stat().st_size} bytes")
    ]


def test_scan_of_a_single_file_uses_its_folder_as_root(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node:latest\n")
    result = scan([tmp_path / "Dockerfile"], Config(), select=["D009"])
    assert [(f.location.path, f.code) for f in result.findings] == [("Dockerfile", "D009")]


@pytest.mark.parametrize(("threshold", "calls"), [(3, 1), (5, 1), (6, 0)])
def test_milestone_is_called_once_as_soon_as_the_walk_has_found_that_many_files(
    tmp_path: Path, threshold: int, calls: int
) -> None:
    for name in ("1.yaml", "a/2.yaml", "a/3.yaml", "b/4.yaml", "b/c/5.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "skipped.yaml").write_text("x: 1\n")
    (tmp_path / "zz").mkdir()

    def reached() -> None:
        # Written into a folder the walk has not entered yet: found only if called mid-walk.
        (tmp_path / "zz" / f"late{len(list((tmp_path / 'zz').iterdir()))}.yaml").write_text("x: 1\n")

    result = discover([tmp_path], [], (threshold, reached))
    late = [f.path for f in result.files if f.path.startswith("zz/")]
    assert len(result.files) == 5 + calls and late == [f"zz/late{i}.yaml" for i in range(calls)]


@pytest.mark.parametrize(
    ("layout", "paths", "exclude", "expected"),
    [
        # Scanned: found among the files.
        ({"svc/.dockerignore": "node_modules\n.git\n"}, ["."], [], []),
        # Excluded by .gitignore or by config: the walk listed it, so it still counts.
        (
            {"svc/.dockerignore": "node_modules\n", ".gitignore": ".dockerignore\n"},
            ["."],
            [],
            [("svc/.dockerignore", ".git")],
        ),
        (
            {"svc/Dockerfile.dockerignore": ".git\n", "svc/.dockerignore": "node_modules\n.git\n"},
            ["."],
            ["*.dockerignore"],
            [("svc/Dockerfile.dockerignore", "node_modules")],
        ),
        # Absent from a listed folder: missing, without asking the disk.
        ({}, ["."], [], [("svc/Dockerfile", "missing")]),
        # Only the Dockerfile given: its folder was not walked, so the disk is asked.
        ({"svc/.dockerignore": ".git\n"}, ["svc/Dockerfile"], [], [("svc/.dockerignore", "node_modules")]),
        ({}, ["svc/Dockerfile"], [], [("svc/Dockerfile", "missing")]),
    ],
)
def test_dockerignore_is_found_whether_scanned_excluded_or_outside_the_walk(
    tmp_path: Path, layout: dict[str, str], paths: list[str], exclude: list[str], expected: list[tuple[str, str]]
) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM node:20-alpine\nUSER node\n")
    # A package installed there and a checkout of its own: both node_modules and .git can be in its context.
    (tmp_path / "svc" / "package.json").write_text('{"name": "svc", "dependencies": {"express": "^4"}}\n')
    (tmp_path / "svc" / ".git").mkdir()
    (tmp_path / "svc" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    for name, text in layout.items():
        (tmp_path / name).write_text(text)
    prefix = "" if paths == ["."] else "svc/"
    result = scan([tmp_path / p if p != "." else tmp_path for p in paths], Config(exclude=exclude), select=["D012"])
    assert [
        (prefix + f.location.path, f.value.replace("node_modules,.git", "both")) for f in result.findings
    ] == expected


def test_a_patch_of_a_dotenv_file_is_not_read_as_one(tmp_path: Path) -> None:
    """getsentry/self-hosted keeps `.env.patch` (a unified diff of its `.env`): read as a dotenv
    file, its `--- .env` line was an E001."""
    from relcheck.config.loader import Config
    from relcheck.scan.engine import scan

    (tmp_path / ".env.patch").write_text("--- .env\t2025-02-04\n+++ .env\t2025-02-04\n@@ -1 +1 @@\n-A=1\n+A=2\n")
    (tmp_path / ".env").write_text("A=1\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / ".env.json").write_text('{"A": 1}\n')
    result = scan([tmp_path], Config())
    assert [f.code for f in result.findings if f.code.startswith("E")] == []
