"""PM2 apps an image's command starts without an ecosystem file (relcheck.parsers.pm2_command)."""

from __future__ import annotations

import pytest

from relcheck.parsers.dockerfile import parse_dockerfile
from relcheck.parsers.pm2_command import apps_from_command
from relcheck.syntax.jsvalues import UNKNOWN


def _apps(body: str, path: str = "api/Dockerfile") -> list:
    dockerfile, problems = parse_dockerfile(path, "FROM node:22.12-alpine\nWORKDIR /app\nCOPY . .\n" + body)
    assert dockerfile is not None and problems == []
    return apps_from_command(dockerfile)


@pytest.mark.parametrize(
    ("command", "data"),
    [
        ('CMD ["pm2-runtime", "server.js"]', {"script": "server.js", "name": "server"}),
        ('CMD ["pm2-runtime", "start", "dist/main.js", "--name=api", "-i", "4"]',
         {"script": "dist/main.js", "name": "api", "instances": 4}),
        ("CMD pm2-runtime app.js --max-memory-restart 300M --no-autorestart",
         {"script": "app.js", "name": "app", "max_memory_restart": "300M", "autorestart": False}),
        ('CMD ["sh", "-c", "exec pm2-runtime bin/www --node-args=\'--max-old-space-size=512\'"]',
         {"script": "bin/www", "name": "www", "node_args": "--max-old-space-size=512"}),
        ('CMD ["pm2", "start", "server.js", "--no-daemon", "-i", "max"]',
         {"script": "server.js", "name": "server", "instances": "max"}),
        ('ENTRYPOINT ["tini", "--"]\nCMD ["npx", "pm2-runtime", "index.js"]', {"script": "index.js", "name": "index"}),
    ],
)
def test_the_app_a_command_line_starts(command: str, data: dict):
    (app,) = _apps(command + "\n")
    assert app.data == data and app.from_command and app.path == "api/Dockerfile"
    assert app.loc().line == 4 + command.count("\n")


@pytest.mark.parametrize(
    "command",
    [
        'CMD ["pm2-runtime", "ecosystem.config.js"]',  # an ecosystem file: its own apps
        'CMD ["pm2-runtime", "start", "process.yml", "--env", "production"]',
        'CMD ["pm2-runtime", "pm2.json"]',
        'CMD ["pm2", "start", "server.js"]',  # the daemon: the container would exit at once
        'CMD ["pm2-runtime", "$APP"]',  # not known
        'CMD ["node", "server.js"]',
        'ENTRYPOINT node server.js\nCMD ["pm2-runtime", "server.js"]',  # the shell form ignores CMD
    ],
)
def test_no_app_where_the_command_starts_none_from_a_script(command: str):
    assert _apps(command + "\n") == []


def test_the_environment_the_image_sets_is_the_apps():
    (app,) = _apps('ENV NODE_ENV=production PM2_KILL_TIMEOUT=30000\nCMD ["pm2-runtime", "server.js"]\n')
    assert app.data["env"] == {"NODE_ENV": "production"} and app.data["kill_timeout"] == 30000
    (app,) = _apps('ARG ENVIRONMENT\nENV NODE_ENV=$ENVIRONMENT\nCMD ["pm2-runtime", "server.js"]\n')
    assert app.data["env"] == {"NODE_ENV": UNKNOWN}


def test_a_development_image_starts_no_app():
    assert _apps('CMD ["pm2-runtime", "server.js"]\n', path="api/Dockerfile.dev") == []


def test_pm2_runtime_as_pid_1_is_an_info() -> None:
    """pm2-runtime handles SIGTERM and SIGINT as PID 1 (it stops its apps with PM2_KILL_SIGNAL and their
    kill_timeout): not the warning for a program signals may not reach; only that Node.js does not
    reap orphans. The fixture's three Dockerfiles (one runs PM2's runtime by its path through node)
    are reported at that severity."""
    from pathlib import Path

    from relcheck.config.loader import Config
    from relcheck.scan.engine import scan

    case = Path(__file__).parent / "fixtures" / "rules" / "D002" / "fail" / "pm2-runtime-as-pid1"
    result = scan([case], Config(), select=["D002"])
    assert [(f.location.path, f.severity.label) for f in result.findings] == [
        ("Dockerfile", "info"),
        ("distroless/Dockerfile", "info"),
        ("worker/Dockerfile", "info"),
    ]


def test_an_ecosystem_file_the_command_names_is_read_whatever_its_name(tmp_path) -> None:
    """`pm2-runtime start pm2.ecosystem.json` leaves the apps to that file, so it must be read: its
    app gets the P rules, and the app's SIGTERM-only handler is the error for PM2's SIGINT."""
    from relcheck.config.loader import Config
    from relcheck.scan.engine import scan

    (tmp_path / "Dockerfile").write_text(
        "FROM node:22.12-alpine\nWORKDIR /web\nCOPY . .\nUSER node\n"
        'CMD ["pm2-runtime", "start", "pm2.ecosystem.json"]\n'
    )
    (tmp_path / "pm2.ecosystem.json").write_text('{"apps": [{"name": "web", "script": "index.js", "instances": 2}]}\n')
    (tmp_path / "package.json").write_text('{"name": "web", "main": "index.js", "dependencies": {"express": "^4"}}\n')
    (tmp_path / "index.js").write_text(
        "const server = require('express')().listen(3000);\n"
        "process.on('SIGTERM', () => server.close(() => process.exit(0)));\n"
    )
    result = scan([tmp_path], Config(), select=["P003", "S001"])
    assert [(f.code, f.location.path, f.location.line, f.severity.label) for f in result.findings] == [
        ("S001", "index.js", 2, "error"),
        ("P003", "pm2.ecosystem.json", 1, "error"),
    ]
