"""P rules: PM2 ecosystem files. Unknown (non-literal) values never produce a finding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from relcheck.artifacts.pm2 import DEFAULT_KILL_TIMEOUT_MS, Pm2App, memory_bytes
from relcheck.model import Finding, Location
from relcheck.ruleset.registry import check
from relcheck.scan import targets
from relcheck.syntax.jsvalues import UNKNOWN
from relcheck.units.numbers import ascii_int

if TYPE_CHECKING:
    from relcheck.scan.context import CheckContext
    from relcheck.scan.services import Service


def _apps(ctx: CheckContext) -> Iterator[Pm2App]:
    """The apps PM2 runs in production: not the development variant of an app of the same file
    (`--only dev` beside `--only prod`: NODE_ENV development and no env_production, while another
    app of the file runs with NODE_ENV production), which no deployment starts."""
    apps = list(targets.pm2_apps(ctx.project))
    with_production = {app.path for app in apps if "production" in _node_envs(app)}
    return (app for app in apps if not (app.path in with_production and _development_variant(app)))


def _node_envs(app: Pm2App) -> list:
    return [app.node_env(block) for block in ("env", "env_production")]


def _development_variant(app: Pm2App) -> bool:
    mode = app.node_env("env")
    return (
        isinstance(mode, str)
        and mode.lower() in ("development", "dev")
        and "env_production" not in app.data
        and not app.open
    )


def _serving_apps(ctx: CheckContext) -> Iterator[Pm2App]:
    """The apps that run until stopped: not a scheduled job (`cron_restart` with `autorestart:
    false`), which takes no traffic, drains no requests and is meant to stay down between runs."""
    return (app for app in _apps(ctx) if not app.scheduled_job)


def _runs_node(ctx: CheckContext, app: Pm2App) -> bool:
    """Whether PM2 runs the app with Node.js (or Bun): cluster mode, `wait_ready` and NODE_ENV are
    theirs. A script without an extension is Node's when the repository holds it (PM2 runs a text
    file with node: Express's `bin/www`); one it does not hold may be a compiled program."""
    node = app.runs_node()
    if node is UNKNOWN:
        path = app.script_path()
        return path is not None and ctx.project.exists(path)
    return bool(node)


def _finding(ctx: CheckContext, app: Pm2App, location: Location, message: str, what: str, value: str = "") -> Finding:
    return ctx.report(app, f"{app.display}: {message}", what=what, at=location, value=value)


def _misspelt(app: Pm2App, *options: str) -> tuple[str, Location | None]:
    """A note for a missing option that the app sets under a name PM2 does not read, and where."""
    for option in options:
        key = app.misspelling_of(option)
        if key is not None:
            return f" (`{key}` is set, but PM2 reads no such key: {option} misspelt?)", app.key_loc(key)
        flag = app.ignored_options.get(option)
        if flag is not None:
            return (
                f" (the command passes `{flag}`, an option of `pm2 start` that pm2-runtime does not have and "
                "ignores)",
                None,
            )
    return "", None


def _serves_nothing(ctx: CheckContext, service: Service | None) -> bool:
    """Whether the code PM2 runs for an app of `service` was read and serves nothing: no route, no
    server module, no `listen()` or `createServer()` call of any object (WallStreetSim's market
    engine, a queue worker, a scheduler). Express's `bin/www` calls `app.listen(...)` on an app it
    requires: a server."""
    from relcheck.checks.app import serves

    if service is None:
        return False
    facts = service.app
    if not facts.has_source or facts.server_calls or facts.listen_ports:
        return False
    return not serves(facts, ctx.project.package_json(service.root))


@check("P001")
def cluster_mode(ctx: CheckContext) -> Iterator[Finding]:
    owners = {id(app): service for service in ctx.project.services for app in service.pm2_apps}
    for app in _serving_apps(ctx):
        if not _runs_node(ctx, app):
            continue  # cluster mode is Node.js's: PM2 runs any other program in fork mode
        if _serves_nothing(ctx, owners.get(id(app))):
            # Cluster mode shares a server's port among workers; more instances of a program that
            # serves nothing each do all of its work (a singleton engine would run twice).
            continue
        mode, instances = app.exec_mode(node=True), app.instances()
        if mode == "fork":
            why = "exec_mode is fork" if "exec_mode" in app.data else "no exec_mode or instances, so PM2 uses fork mode"
            yield _finding(
                ctx,
                app,
                app.key_loc("exec_mode"),
                f"{why}: one process, so a reload or crash leaves the app (in Kubernetes, its pod) serving nothing "
                "until PM2 has restarted it",
                "exec_mode",
                "fork",
            )
        elif mode == "cluster" and instances == 1:
            yield _finding(
                ctx,
                app,
                app.key_loc("instances"),
                "runs a single cluster instance: a reload or crash leaves the app (in Kubernetes, its pod) serving "
                "nothing until PM2 has restarted it",
                "instances",
                "1",
            )


@check("P002")
def max_memory_restart(ctx: CheckContext) -> Iterator[Finding]:
    for app in _serving_apps(ctx):
        if app.absent("max_memory_restart"):
            note, at = _misspelt(app, "max_memory_restart")
            yield _finding(
                ctx,
                app,
                at or app.key_loc(),
                "no max_memory_restart, so a leaking worker is never recycled" + note,
                "max_memory_restart",
            )


def _serves_static_files(app: Pm2App) -> bool:
    """PM2 runs a static file server (`script: 'serve', args: '-s dist'`, `npx http-server`): it has
    no requests to drain or connections to close, and exits on PM2's signal at once."""
    from relcheck.scan.runtime import static_file_server

    script, args = app.data.get("script"), app.data.get("args")
    words = script.split() if isinstance(script, str) else []
    if isinstance(args, str):
        words += args.split()
    elif isinstance(args, list):
        words += [str(arg) for arg in args]
    return static_file_server(words)


def _daemon_default(ctx: CheckContext, variable: str) -> dict[int, object]:
    """A default PM2 reads from its environment for the apps that set no value of their own
    (PM2_KILL_TIMEOUT, PM2_GRACEFUL_LISTEN_TIMEOUT), as the image's ENV or the pod's env gives it to
    the PM2 daemon of each app's service (UNKNOWN_VALUE where not written out), by app."""
    from relcheck.scan.runtime import pm2_daemon_env

    found: dict[int, object] = {}
    for service in ctx.project.services:
        if service.pm2_apps:
            value = pm2_daemon_env(service).get(variable)
            if value is not None:
                found.update(dict.fromkeys((id(app) for app in service.pm2_apps), value))
    return found


@check("P003")
def kill_timeout(ctx: CheckContext) -> Iterator[Finding]:
    from relcheck.scan.runtime import PM2_KILL_TIMEOUT, UNKNOWN_VALUE

    needed = ctx.params["shutdown_timeout_ms"]
    daemon = _daemon_default(ctx, PM2_KILL_TIMEOUT)
    for app in _serving_apps(ctx):
        if _serves_static_files(app):
            continue
        if "kill_timeout" not in app.data and not app.open and id(app) in daemon:
            # The PM2 daemon's own default, from its environment (constants.js KILL_TIMEOUT).
            value = daemon[id(app)]
            number = ascii_int(value) if isinstance(value, str) else None
            if value is UNKNOWN_VALUE or number is None or number >= needed:
                continue
            yield _finding(
                ctx,
                app,
                app.key_loc("kill_timeout"),
                f"no kill_timeout, so the PM2_KILL_TIMEOUT its container gives PM2 applies: {number} ms, shorter "
                f"than the {needed / 1000:g} s a graceful shutdown may take (shutdown_timeout_ms): PM2 sends "
                "SIGKILL to an app still draining requests or closing connections",
                "kill_timeout",
                str(number),
            )
            continue
        value = app.get("kill_timeout", None if app.open else DEFAULT_KILL_TIMEOUT_MS)
        if ascii_int(value) is not None:
            value = ascii_int(value)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value >= needed:
            continue
        where = app.key_loc("kill_timeout")
        if "kill_timeout" in app.data:
            message = (
                f"kill_timeout {value} ms is shorter than the {needed / 1000:g} s a graceful shutdown may take "
                "(shutdown_timeout_ms): PM2 sends SIGKILL to an app still draining requests or closing connections"
            )
        else:
            note, at = _misspelt(app, "kill_timeout")
            message = (
                f"no kill_timeout, so PM2's default of {DEFAULT_KILL_TIMEOUT_MS} ms applies: every stop or "
                f"reload kills the app {DEFAULT_KILL_TIMEOUT_MS / 1000:g} s after SIGINT, long before a "
                f"{needed / 1000:g} s graceful shutdown finishes{note}"
            )
            where = at or where
        yield _finding(ctx, app, where, message, "kill_timeout", str(value))


@check("P004")
def wait_ready(ctx: CheckContext) -> Iterator[Finding]:
    from relcheck.scan.runtime import PM2_GRACEFUL_LISTEN_TIMEOUT

    daemon = _daemon_default(ctx, PM2_GRACEFUL_LISTEN_TIMEOUT)
    for app in _serving_apps(ctx):
        if not _runs_node(ctx, app):
            continue  # the ready signal is a Node.js IPC message (`process.send('ready')`)
        if app.exec_mode(node=True) != "cluster":
            continue  # in fork mode a reload is a restart (lib/God/Reload.js): nothing waits; P001 says so
        ready = app.get("wait_ready", None if app.open else False)
        if ready is UNKNOWN or ready is None:
            continue
        if ready is not True:
            note, at = _misspelt(app, "wait_ready") if "wait_ready" not in app.data else ("", None)
            yield _finding(
                ctx,
                app,
                at or app.key_loc("wait_ready"),
                "no wait_ready: true, so a reload replaces each worker as soon as its successor listens, "
                "before it is ready (connected to what it needs)" + note,
                "wait_ready",
            )
        elif app.absent("listen_timeout") and id(app) not in daemon:
            # (PM2_GRACEFUL_LISTEN_TIMEOUT in PM2's environment is the default it waits instead.)
            note, at = _misspelt(app, "listen_timeout")
            yield _finding(
                ctx,
                app,
                at or app.key_loc("wait_ready"),
                "wait_ready without listen_timeout: a reload waits only PM2's 3 s default for the ready "
                "signal, then stops the old worker anyway" + note,
                "listen_timeout",
            )


# Any of these shapes PM2's restarts (lib/God.js handleExit): without them PM2 restarts a crashed app
# at once, and after 16 restarts that each lived under 1 s leaves it stopped (errored).
RESTART_LIMITS = ("max_restarts", "min_uptime", "restart_delay", "exp_backoff_restart_delay")


@check("P005")
def restart_policy(ctx: CheckContext) -> Iterator[Finding]:
    for app in _serving_apps(ctx):
        if app.get("autorestart") is False:
            yield _finding(
                ctx,
                app,
                app.loc("autorestart"),
                "autorestart: false leaves a crashed worker dead",
                "autorestart",
                "false",
            )
        elif not app.open and not any(key in app.data for key in RESTART_LIMITS):
            note, at = _misspelt(app, *RESTART_LIMITS)
            yield _finding(
                ctx,
                app,
                at or app.key_loc(),
                "none of max_restarts, min_uptime, restart_delay or exp_backoff_restart_delay is set: PM2 "
                "restarts a crashed worker at once, so one that crashes on start loops, or is left stopped "
                "(errored) after 16 quick restarts" + note,
                "restart-limits",
            )


@check("P006")
def heap_below_restart(ctx: CheckContext) -> Iterator[Finding]:
    for app in _apps(ctx):
        heap = app.heap_mib()
        restart = memory_bytes(app.get("max_memory_restart"))
        if heap is None or restart is None:
            continue
        heap_mib, keys = heap
        restart_mib = restart / 2**20
        if heap_mib >= restart_mib:
            yield _finding(
                ctx,
                app,
                app.loc(*keys),
                f"--max-old-space-size={heap_mib} (MiB) is not below max_memory_restart "
                f"{app.get('max_memory_restart')} ({restart_mib:g} MiB): PM2 restarts workers before "
                "V8 collects garbage",
                "heap",
                f"{heap_mib}/{restart_mib:g}",
            )


@check("P007")
def production_env(ctx: CheckContext) -> Iterator[Finding]:
    for app in _apps(ctx):
        values = _node_envs(app)
        if "production" in values or UNKNOWN in values or app.open or not _runs_node(ctx, app):
            continue
        yield _finding(
            ctx,
            app,
            app.key_loc("env_production"),
            "neither env nor env_production sets NODE_ENV: 'production'",
            "NODE_ENV",
        )
