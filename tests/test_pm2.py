"""PM2 ecosystem files are parsed as syntax trees, never executed."""

from __future__ import annotations

import time
from pathlib import Path

from relcheck.artifacts.pm2 import ALL_CPUS, memory_bytes
from relcheck.config.loader import Config
from relcheck.parsers.pm2 import parse_pm2
from relcheck.scan.engine import scan
from relcheck.syntax.jsvalues import UNKNOWN


def test_a_config_that_would_run_code_is_only_parsed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    (tmp_path / "ecosystem.config.js").write_text(
        f"require('child_process').execSync('touch {marker}');\n"
        f"require('fs').writeFileSync('{marker}', 'x');\n"
        "module.exports = { apps: [{ name: 'api', script: 'api.js', kill_timeout: 1000 }] };\n"
    )
    result = scan([tmp_path], Config(), select=["P003"])
    assert not marker.exists()
    assert [(f.code, f.location.line) for f in result.findings] == [("P003", 3)]


def test_export_forms_and_values() -> None:
    apps, problems = parse_pm2(
        "ecosystem.config.js",
        (
            "const shared = { script: 'dist/main.js', instances: 'max' };\n"
            "const apps = [{ name: 'a', script: 'a.js', instances: -1, max_memory_restart: '1G',\n"
            "                node_args: ['--max-old-space-size=512'] },\n"
            "              { ...shared, name: 'b', instances: process.env.N || 2, kill_timeout: `30000` }];\n"
            "module.exports = { apps };\n"
        ),
    )
    assert problems == []
    a, b = apps
    assert (a.name, a.instances(), a.exec_mode(), a.heap_mib()) == ("a", ALL_CPUS, "cluster", (512, ("node_args",)))
    assert b.instances() is UNKNOWN and b.get("kill_timeout") == "30000"
    assert a.loc("node_args").line == 3
    apps, _ = parse_pm2("ecosystem.config.js", "exports.apps = [{ name: 'x', script: 'x.js' }, 42];\n")
    assert [app.name for app in apps] == ["x"]
    apps, _ = parse_pm2("process.json", '[{"name": "json-array", "script": "a.js", "exec_mode": "cluster"}]')
    assert [(app.name, app.exec_mode()) for app in apps] == [("json-array", "cluster")]
    apps, _ = parse_pm2("ecosystem.config.ts", "export default { apps: [{ name: 'ts', script: 'ts.js' } as const] };\n")
    assert [app.name for app in apps] == ["ts"]


def test_an_unnamed_app_takes_its_script_name_as_pm2_does() -> None:
    """PM2's Common.renderApplicationName: the script's file name up to its last dot. Identities stay
    by place, so two unnamed apps of one script keep apart."""
    apps, _ = parse_pm2(
        "ecosystem.config.js",
        "module.exports = { apps: [{ script: 'lib/process-metrics.js' }, { script: 'lib/process-metrics.js' },\n"
        "  { script: './bashscript' }, { script: '.hidden' }, { script: 'bin/', name: 7 }] };\n",
    )
    assert [app.name for app in apps] == ["process-metrics", "process-metrics", "bashscript", ".hidden", "bin"]
    assert [app.identity for app in apps] == ["pm2:#1", "pm2:#2", "pm2:#3", "pm2:#4", "pm2:#5"]


def test_an_app_without_a_script_is_no_app() -> None:
    """PM2 skips an app with no script ("No script path - aborting") and starts the others; `cmd`
    and `command` stand for it, and a spread may hold it."""
    apps, problems = parse_pm2(
        "ecosystem.config.js",
        "const base = { script: 'a.js' };\n"
        "module.exports = { apps: [{ name: 'api', script: 'a.js' }, {}, { cmd: 'w.js' }, { ...base, name: 'b' }] };\n",
    )
    assert [app.name for app in apps] == ["api", "#3", "b"]
    assert [(p.code, p.line, p.column, p.message) for p in problems] == [
        ("E002", 2, 60, "PM2 app '#2' has no script (nor exec, cmd or command): PM2 does not start it; not checked")
    ]


def test_syntax_error_is_e001_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "ecosystem.config.js").write_text(
        "module.exports = {\n  apps: [\n    { name: 'a' }\n    { name: 'b' },\n  ],\n};\n"
    )
    (tmp_path / "Dockerfile").write_text("FROM node:latest\n")
    result = scan([tmp_path], Config(), select=["E", "D009"])
    found = [(f.code, f.location.path, f.location.line) for f in result.findings]
    assert ("D009", "Dockerfile", 1) in found  # the rest of the scan goes on
    errors = [f for f in result.findings if f.code == "E001"]
    assert len(errors) == 1 and errors[0].location.path == "ecosystem.config.js"
    assert errors[0].location.line == 3  # the object before the missing comma
    unclosed = parse_pm2("ecosystem.config.js", "const x = 1;\nmodule.exports = {\n  apps: [\n")[1]
    assert [(p.line, p.column, p.message) for p in unclosed] == [
        (2, 18, "JavaScript/TypeScript syntax error: unclosed '{'")
    ]


def test_minified_bundle_is_skipped_quickly(tmp_path: Path) -> None:
    bundle = "module.exports={apps:[" + ",".join(f"{{name:'a{i}'}}" for i in range(200_000)) + "]};"
    (tmp_path / "ecosystem.config.js").write_text(bundle)
    started = time.perf_counter()
    result = scan([tmp_path], Config(), select=["E", "P"])
    assert time.perf_counter() - started < 2
    assert [(f.code, f.message.split(";")[0]) for f in result.findings] == [
        ("E002", "minified or generated code (a line over 5,000 characters)")
    ]


def test_config_js_exporting_apps_is_a_pm2_file(tmp_path: Path) -> None:
    (tmp_path / "pm2.config.js").write_text("module.exports = { apps: [{ name: 'api', script: 'api.js' }] };\n")
    (tmp_path / "jest.config.js").write_text("module.exports = { testEnvironment: 'node' };\n")
    result = scan([tmp_path], Config(), select=["P002"])
    assert [(f.location.path, f.code) for f in result.findings] == [("pm2.config.js", "P002")]


def test_memory_units() -> None:
    assert memory_bytes("1G") == 2**30 and memory_bytes("512M") == 512 * 2**20 and memory_bytes("300K") == 300 * 1024
    assert memory_bytes(1073741824) == 2**30 and memory_bytes("1024") == 1024 and memory_bytes("lots") is None


def test_paths_built_on_dirname_and_strings_joined_are_read() -> None:
    """dex-bot-services: `script: path.resolve(__dirname, 'src', 'uni-v2.js')`, a `--require` in a
    template string; paths relative to the file's folder, as PM2 resolves them. What depends on the
    process (`path.resolve('rel')`, `process.env.HOME`) stays unknown."""
    source = (
        "const path = require('path');\nconst dist = path.join(__dirname, 'dist');\n"
        "module.exports = { apps: [\n"
        "  { name: 'a', script: path.resolve(__dirname, 'src', 'a.js'), cwd: path.resolve(__dirname),\n"
        "    node_args: `--require ${path.resolve(__dirname, 'pre.js')} --max-old-space-size=${512}` },\n"
        "  { name: 'b', script: __dirname + '/server/index.js', args: '--port=' + 3000 },\n"
        "  { name: 'c', script: `${__dirname}/../c.js`, cwd: path.resolve('rel') },\n"
        "  { name: 'd', script: dist + '/main.js', out_file: `${process.env.HOME}/d.log`, instances: 2 + 2 },\n"
        "]};\n"
    )
    apps, problems = parse_pm2("ecosystem.config.js", source)
    assert problems == []
    assert [app.data["script"] for app in apps] == ["src/a.js", "server/index.js", "../c.js", "dist/main.js"]
    assert apps[0].data["cwd"] == "." and apps[0].data["node_args"] == "--require pre.js --max-old-space-size=512"
    assert apps[1].data["args"] == "--port=3000"
    assert apps[2].data["cwd"] is UNKNOWN and apps[3].data["out_file"] is UNKNOWN
    assert apps[3].data["instances"] is UNKNOWN  # arithmetic is not evaluated


def test_a_service_whose_pm2_scripts_are_built_on_dirname_is_judged_at_its_script(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "bots", "dependencies": {"ethers": "6"}}\n')
    (tmp_path / "ecosystem.config.js").write_text(
        "const path = require('path');\nmodule.exports = { apps: [\n"
        "  { name: 'uni', script: path.resolve(__dirname, 'src', 'uni.js'), kill_timeout: 30000,\n"
        "    node_args: `--require ${path.resolve(__dirname, 'compat.js')}` },\n]};\n"
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "uni.js").write_text("setInterval(() => fetch('https://rpc'), 1000);\n")
    (tmp_path / "compat.js").write_text("globalThis.x = 1;\n")
    result = scan([tmp_path], Config(), select=["S001"])
    assert [(f.code, f.location.path) for f in result.findings] == [("S001", "src/uni.js")]
