"""S rules: application settings and source, judged per service; quiet for a service without source."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from relcheck.artifacts.app import PM2_SHUTDOWN_MESSAGE, AppFacts, Connection
from relcheck.model import Finding, Location, Severity
from relcheck.ruleset.registry import check
from relcheck.scan.runtime import SERVER_FRAMEWORKS, pm2_stop_signals, speaks_node

# Modules that serve requests: the web frameworks, Node's own servers, gRPC, GraphQL and WebSocket servers.
_SERVING_MODULES = (
    *SERVER_FRAMEWORKS,
    *("http", "https", "http2", "net", "node:http", "node:https", "node:http2", "node:net"),
    *("@grpc/grpc-js", "grpc", "@connectrpc/connect-node", "@apollo/server", "apollo-server", "graphql-yoga"),
    *("ws", "@trpc/server", "@hono/node-server", "uWebSockets.js", "@dapr/dapr"),
)


# Node's own modules, which clients import as much as servers (an agent for `fetch`, a proxy).
_NODE_NETWORK_MODULES = frozenset(
    {"http", "https", "http2", "net", "node:http", "node:https", "node:http2", "node:net"}
)


def serves(facts: AppFacts, manifest: object) -> bool:
    """Whether the package shows a sign of serving: a route, or a server module imported or
    depended on (not a job, a queue consumer or a client script). Node's `http` and `net` count
    with a `listen()` or `createServer()` call only: linkwarden's `packages/lib` imports them for
    the agents of its `safeFetch`."""
    depends = _depends_on(manifest, _SERVING_MODULES)
    frameworks = [name for name in _SERVING_MODULES if name not in _NODE_NETWORK_MODULES]
    if bool(facts.routes) or depends or facts.uses_module(*frameworks):
        return True
    return bool(facts.uses_module(*_NODE_NETWORK_MODULES)) and bool(facts.server_calls or facts.listen_ports)


def _what_is_lost(facts: AppFacts, manifest: object) -> str:
    """What exiting at once costs: a server drops requests; another process the work it is doing."""
    if serves(facts, manifest):
        return "the service exits without draining requests"
    return "the process exits at once, in the middle of the work it is doing"


# What a long-running worker is built on: queue consumers, job runners and schedulers.
WORKER_MODULES = (
    "bullmq",
    "bull",
    "bee-queue",
    "agenda",
    "pg-boss",
    "graphile-worker",
    "amqplib",
    "amqp-connection-manager",
    "kafkajs",
    "node-rdkafka",
    "sqs-consumer",
    "@google-cloud/pubsub",
    "nats",
    "@temporalio/worker",
    "node-cron",
    "cron",
    "node-schedule",
)


def _works_in_background(facts: AppFacts, manifest: object) -> bool:
    """Whether the package imports or depends on a queue consumer, job runner or scheduler."""
    return bool(facts.uses_module(*WORKER_MODULES)) or _depends_on(manifest, WORKER_MODULES)


# Frameworks for command-line programs: a package built on one runs a command and exits.
CLI_FRAMEWORKS = ("nest-commander", "nestjs-command", "@oclif/core", "oclif")


def _runs_as_a_process(service: Service, manifest: object) -> bool:
    """Whether anything shows the package runs as a process something will stop: it serves, or an
    image, a workload or PM2 starts it, or `npm start` starts a worker (a queue consumer, a job
    runner, a scheduler). `npm start` alone says nothing more: a one-off script has one too
    (retail-store-sample-app's `oss/attribution`, which writes the licence notices). A release
    script or a CLI the repository runs by hand (eks-workshop's `releaser/`, `node index.js` behind
    an `exec` script) is stopped by no orchestrator: SIGTERM handling is not its concern. Nor is it the concern of a
    package built on a CLI framework that no image, workload or PM2 runs, even with a `start`
    script (postiz's `apps/commands`: `npm start` runs one command). Nor is a workspace root
    whose command runs a workspace package's code (its own files are scripts and configs; one that
    imports `http` for a client's agent, as overleaf's settings.js does, is no server)."""
    if not service.runs_own_code and not (service.app.routes or service.app.listen_ports):
        return False  # its files are scripts and configs: only a route or a listen() shows a server
    if (
        service.app.uses_module(*CLI_FRAMEWORKS)
        and not (service.pm2_apps or service.dockerfiles or service.workloads)
        and not (service.app.routes or service.app.listen_ports)
    ):
        return False  # a command-line program, run by hand
    if service.pm2_apps:
        return True
    # (Not a developer's live-reload image: grafana's OnCall plugin's `Dockerfile.dev` runs `pnpm start`.)
    if (service.running_images or service.workloads) and not _only_starts_pm2(service):
        return True
    if service.start_script and _works_in_background(service.app, manifest) and not _only_starts_pm2(service):
        return True  # a worker `npm start` runs (a platform such as Railway runs it as it is)
    if service.root.startswith("@"):
        return True  # the config names it a service
    borrowed = set(service.borrowed_files)
    own = [e for seen in service.app.signals.values() for e in seen] + service.app.shutdown_hooks
    if any(evidence.location.path not in borrowed for evidence in own):
        return True  # it expects to be stopped (a library it depends on handling signals says nothing of it)
    return serves(service.app, manifest)


def _only_starts_pm2(service: Service) -> bool:
    """Whether the package's image and `npm start` start PM2 and PM2 runs none of its code (the
    caller has seen it has no PM2 app of its own): the ecosystem file's apps run in other packages
    (growthbook's workspace root: `cwd: './packages/back-end'`), so the root's own files (lint
    rules, generators) run in no process."""
    from relcheck.parsers.pm2_command import script_starts_pm2, starts_pm2

    if not (service.dockerfiles or service.start_script):
        return False
    if service.start_script and not script_starts_pm2(service.start_script):
        return False
    return all(starts_pm2(dockerfile) for dockerfile in service.dockerfiles)


if TYPE_CHECKING:
    from relcheck.scan.context import CheckContext
    from relcheck.scan.services import Service

MONGO_OPTIONS = ("maxPoolSize", "minPoolSize", "serverSelectionTimeoutMS", "socketTimeoutMS")
REDIS_OPTIONS = ("maxRetriesPerRequest", "retryStrategy")
# prom-client, and the middlewares and exporters that serve /metrics with it (or on their own).
METRIC_LIBRARIES = (
    "prom-client",
    "@willsoto/nestjs-prometheus",
    "express-prom-bundle",
    "prometheus-api-metrics",
    "express-prometheus-middleware",
    "fastify-metrics",
    "@promster/express",
    "@promster/fastify",
    "@promster/hapi",
    "@promster/server",
    "@opentelemetry/exporter-prometheus",
)
RETRY_LIBRARIES = (
    "p-retry",
    "async-retry",
    "axios-retry",
    "cockatiel",
    "retry",
    "promise-retry",
    "exponential-backoff",
    "@lifeomic/attempt",
    "ts-retry-promise",
)
BREAKER_LIBRARIES = ("opossum", "cockatiel", "brakes", "@nestjs/circuit-breaker", "mollitia")


def _node_services(ctx: CheckContext) -> Iterator[Service]:
    """Each Node service with source of its own; a scan without service source has nothing to
    judge, and a Go or Java service's handlers are in code these rules do not read."""
    return (s for s in ctx.project.services if s.app.has_source and speaks_node(s))


def _node_processes(ctx: CheckContext) -> Iterator[Service]:
    """The Node services that run as a process something stops and watches (S001-S004): not a
    release script or a CLI the repository runs by hand."""
    return (s for s in _node_services(ctx) if _runs_as_a_process(s, ctx.project.package_json(s.root)))


def _services(ctx: CheckContext) -> Iterator[tuple[str, AppFacts]]:
    return ((service.name, service.app) for service in _node_services(ctx))


def _process_facts(ctx: CheckContext) -> Iterator[tuple[str, AppFacts]]:
    return ((service.name, service.app) for service in _node_processes(ctx))


def _killed_at_once(service: Service) -> Location | None:
    """Where an image that runs the service sets `STOPSIGNAL SIGKILL`: Docker, containerd and CRI-O
    stop its containers with the image's stop signal, which no handler can catch (Wekan's image)."""
    for dockerfile in service.running_images:
        stops = [i for i in dockerfile.final_instructions() if i.keyword == "STOPSIGNAL" and i.args]
        if stops and stops[-1].args[0].upper().removeprefix("SIG") in ("KILL", "9"):
            return Location(dockerfile.path, stops[-1].line, 1)
    return None


# An app that does not listen for PM2's 'shutdown' message is not stopped by it at all.
_UNHEARD_MESSAGE = "nothing stops it until PM2 sends SIGKILL when kill_timeout runs out, in the middle of its work"


def _pm2_stop(stop: str, handler: bool = False) -> str:
    """What PM2 stops an app with, or the handler for it, in words: a signal or its message."""
    if stop == PM2_SHUTDOWN_MESSAGE:
        if handler:
            return "handler for PM2's 'shutdown' message (process.on('message', ...) comparing it to 'shutdown')"
        return "a 'shutdown' message (shutdown_with_message, or PM2_KILL_USE_MESSAGE)"
    return f"{stop} handler" if handler else stop


def _stop_signal_source(service: Service, signal: str) -> str:
    """Where PM2's stop signal comes from, as the S001 message says it: its default, or the
    PM2_KILL_SIGNAL variable; and a `kill_signal` key an app sets, which PM2 does not read."""
    if signal == PM2_SHUTDOWN_MESSAGE:
        return ""
    said = "its default" if signal == "SIGINT" else "PM2_KILL_SIGNAL"
    ignored = [app for app in service.pm2_apps if isinstance(app.get("kill_signal"), str)]
    if ignored:
        said += (
            f"; `kill_signal: '{ignored[0].get('kill_signal')}'` in the ecosystem file is no PM2 option and changes "
            "nothing: set the PM2_KILL_SIGNAL environment variable of the container instead"
        )
    return f" ({said})"


@check("S001")
def shutdown_signal_handlers(ctx: CheckContext) -> Iterator[Finding]:
    for service in _node_processes(ctx):
        name, facts = service.name, service.app
        lost = _what_is_lost(facts, ctx.project.package_json(service.root))
        killed = _killed_at_once(service)
        if killed is not None:
            yield ctx.finding(
                killed,
                "STOPSIGNAL SIGKILL: `docker stop` and Kubernetes' container runtime stop the container with "
                f"the image's stop signal, which no handler can catch, so {lost}; remove it (SIGTERM is the default)",
                identity=f"{name}/signals/SIGTERM",
                value="SIGKILL",
            )
            continue
        pm2 = sorted(pm2_stop_signals(service))
        if pm2 and all(facts.handles(signal) for signal in pm2):
            # PM2 stops its apps with PM2_KILL_SIGNAL (SIGINT unless set), pm2-runtime too when
            # Kubernetes sends it SIGTERM: the handler that matters is there.
            if not facts.handles("SIGTERM"):
                handled = facts.signals.get(pm2[0]) or facts.shutdown_hooks
                yield ctx.finding(
                    handled[0].location if handled else facts.anchor(),
                    f"SIGTERM is not handled: PM2 stops the app with {_pm2_stop(pm2[0])}, which is handled, but "
                    "started without PM2 (node as the container's command) it exits without draining requests",
                    identity=f"{name}/signals/SIGTERM",
                    value="SIGTERM",
                    severity=Severity.WARNING,
                )
            continue
        if pm2 and not facts.handles(pm2[0]):
            others = sorted(s for s in facts.signals if s.startswith("SIG") and s != pm2[0])
            where = facts.signals[others[0]][0].location if others else facts.anchor()
            only = f", but the app handles only {' and '.join(others)}" if others else ""
            yield ctx.finding(
                where,
                f"no {_pm2_stop(pm2[0], handler=True)}: PM2 stops the app with {_pm2_stop(pm2[0])}"
                f"{_stop_signal_source(service, pm2[0])}{only}, so "
                + (_UNHEARD_MESSAGE if pm2[0] == PM2_SHUTDOWN_MESSAGE else lost),
                identity=f"{name}/signals/SIGTERM",
                value=pm2[0],
            )
            continue
        borrowed = set(service.borrowed_files)
        on_sigint = [e for e in facts.signals.get("SIGINT", []) if e.location.path not in borrowed]
        if not facts.handles("SIGTERM") and on_sigint:
            # hoppscotch's all-in-one entry script stops its servers on Ctrl-C only.
            yield ctx.finding(
                on_sigint[0].location,
                f"SIGINT is handled but SIGTERM is not: `docker stop` and Kubernetes send SIGTERM, so {lost}",
                identity=f"{name}/signals/SIGTERM",
                value="SIGTERM",
            )
        elif not facts.handles("SIGTERM"):
            yield ctx.finding(
                facts.anchor(),
                f"no SIGTERM handler (process.on('SIGTERM', …) or app.enableShutdownHooks()): {lost}",
                identity=f"{name}/signals/SIGTERM",
                value="SIGTERM",
            )
        elif not facts.handles("SIGINT"):
            where = (facts.signals.get("SIGTERM") or facts.shutdown_hooks)[0].location
            yield ctx.finding(
                where,
                "SIGTERM is handled but SIGINT is not (Ctrl+C and some process managers send it)",
                identity=f"{name}/signals/SIGINT",
                value="SIGINT",
                severity=Severity.WARNING,
            )


@check("S002")
def crash_handlers(ctx: CheckContext) -> Iterator[Finding]:
    for name, facts in _process_facts(ctx):
        missing = [event for event in ("uncaughtException", "unhandledRejection") if not facts.signals.get(event)]
        if missing:
            yield ctx.finding(
                facts.anchor(),
                f"no {' and no '.join(missing)} handler: a crash skips logging and graceful shutdown",
                identity=f"{name}/crash-handlers",
                value=",".join(missing),
            )


# The gRPC health checking protocol (grpc.health.v1.Health), which Kubernetes' `grpc` probes ask.
GRPC_HEALTH_LIBRARIES = ("grpc-health-check", "grpc-js-health-check", "@grpc/health-check")
# OpenTelemetry's OTLP metric exporters: the metrics reach Prometheus through a Collector or its own
# OTLP receiver. Often loaded by `--require @opentelemetry/auto-instrumentations-node/register`
# from the environment, so a dependency on one counts as much as an import.
OTLP_METRIC_EXPORTERS = (
    "@opentelemetry/exporter-metrics-otlp-grpc",
    "@opentelemetry/exporter-metrics-otlp-http",
    "@opentelemetry/exporter-metrics-otlp-proto",
)


# Paths with a segment that looks like a health check (`/health`, `/api/v1/healthz`, `/ping`,
# `/_health`, `/v1/health-check`; not `/api/shipping`): shown first, as they are what a probe could
# be pointed at instead.
_HEALTH_LIKE = re.compile(r"(?:^|/)_?(?:health|live|ready|ping|status|alive|heartbeat)[\w-]*(?:/|$)", re.IGNORECASE)
_ROUTES_SHOWN = 8


def _routes_shown(served: set[str]) -> str:
    """The routes a message lists: those that look like health checks first, at most eight."""
    if not served:
        return "none"
    ordered = sorted(served, key=lambda path: (_HEALTH_LIKE.search(path) is None, path))
    more = len(ordered) - _ROUTES_SHOWN
    shown = ", ".join(ordered[:_ROUTES_SHOWN])
    return f"{shown} and {more} more" if more > 0 else shown


@check("S003")
def health_endpoints(ctx: CheckContext) -> Iterator[Finding]:
    wanted = (ctx.params["liveness_path"], ctx.params["readiness_path"])
    for name, facts in _process_facts(ctx):
        if facts.uses_module(*GRPC_HEALTH_LIBRARIES) or facts.grpc_health:
            continue  # a gRPC server's health service: probes ask it with `grpc:`, not an HTTP path
        served = {route.path.rstrip("/") or "/" for route in facts.routes}
        missing = [path for path in wanted if path.rstrip("/") not in served]
        if missing:
            defined = _routes_shown(served)
            grpc = ""
            if not served and facts.uses_module("@grpc/grpc-js", "grpc"):  # (a client imports it too)
                grpc = (
                    ", and no gRPC health service (grpc-health-check, grpc-js-health-check, or the health proto's "
                    "`Health.service` added with addService) for a `grpc:` probe"
                )
            unread, severity = unread_routes_note(facts, served)
            yield ctx.finding(
                facts.anchor(),
                f"no route for {' or '.join(missing)} (routes found: {defined}){grpc}{unread}",
                identity=f"{name}/health-routes",
                value=",".join(missing),
                severity=severity,
            )


# A word of a file's name or of a route call that reads like a health check's.
_HEALTH_WORD = re.compile(r"health|live|ready|probe|ping|alive|heartbeat", re.IGNORECASE)


def unread_routes_note(facts: AppFacts, served: set[str]) -> tuple[str, Severity | None]:
    """What S003 and X006 add for routes whose paths the source does not write out (`@Get(routes.me)`),
    and the severity: an info where one of them may be the health check (every route found is one
    of them, or one sits in a file or behind a name that reads like a health check)."""
    unread = facts.unread_routes
    if not unread:
        return "", None
    first = unread[0]
    said = (
        f"; {len(unread)} route{'s' if len(unread) > 1 else ''} whose path is held elsewhere "
        f"(`{first.detail[:80]}` at {first.location.path}:{first.location.line}) could not be read"
    )
    healthy = [e for e in unread if _HEALTH_WORD.search(e.location.path) or _HEALTH_WORD.search(e.detail)]
    if not served or healthy:
        return said + (", and one of them" if len(unread) > 1 else ", and it") + " may serve it", Severity.INFO
    return said, None


@check("S004")
def metrics_endpoint(ctx: CheckContext) -> Iterator[Finding]:
    for service in _node_processes(ctx):
        name, facts = service.name, service.app
        if facts.uses_module(*METRIC_LIBRARIES) or any(r.path == "/metrics" for r in facts.routes):
            continue
        if facts.uses_module(*OTLP_METRIC_EXPORTERS) or _depends_on(
            ctx.project.package_json(service.root), OTLP_METRIC_EXPORTERS
        ):
            continue
        yield ctx.finding(
            facts.anchor(),
            "no Prometheus metrics: no prom-client, no middleware or exporter that serves /metrics "
            "(@willsoto/nestjs-prometheus, express-prom-bundle, fastify-metrics, OpenTelemetry's Prometheus "
            "exporter...) and no /metrics route",
            identity=f"{name}/metrics",
        )


def _depends_on(manifest: object, names: tuple[str, ...]) -> bool:
    dependencies = manifest.get("dependencies") if isinstance(manifest, dict) else None
    return isinstance(dependencies, dict) and any(name in dependencies for name in names)


def _missing_options(connection: Connection, wanted: tuple[str, ...], facts: AppFacts) -> list[str] | None:
    """Options the connection does not set, or None when we cannot see them all."""
    if connection.options_unknown:
        return None
    seen = set(connection.option_keys)
    from_uri = connection.uri_options(facts.env)
    if from_uri is not None:
        seen |= from_uri
    return [key for key in wanted if key not in seen]


def _connection_findings(
    ctx: CheckContext,
    kind: str,
    wanted: tuple[str, ...],
    what: str | Callable[[list[str]], str],
    skip: frozenset[str] = frozenset(),
) -> Iterator[Finding]:
    """A finding for each client of `kind` that sets none of some `wanted` options; `what` says what
    follows (a function of the missing options, where that depends on which)."""
    for name, facts in _services(ctx):
        for connection in facts.connections:
            if connection.kind != kind or connection.call in skip:
                continue
            missing = _missing_options(connection, wanted, facts)
            if not missing:
                continue
            note = ""
            if kind == "mongodb" and connection.uri_source and connection.uri_options(facts.env) is None:
                note = f" (the URI comes from {connection.uri_source}; options in it are not visible here)"
            said = what(missing) if callable(what) else what
            yield ctx.finding(
                connection.location,
                f"{connection.call} sets no {', '.join(missing)}: {said}{note}",
                identity=f"{name}/{kind}/{connection.call}",
                value=",".join(missing),
            )


@check("S005")
def db_pool_settings(ctx: CheckContext) -> Iterator[Finding]:
    yield from _connection_findings(
        ctx, "mongodb", MONGO_OPTIONS, "the driver's defaults allow 100 connections per process and 30 s waits"
    )


# node-redis (`createClient` from 'redis') names them otherwise: its reconnect backoff, and a bound
# on the commands it queues while disconnected (ioredis's maxRetriesPerRequest). Before version 4
# the client took snake_case options: `retry_strategy` (the default retries for an hour) and
# `enable_offline_queue` (on by default); v4's names do nothing there.
NODE_REDIS_CALLS = frozenset({"createClient", "redis.createClient"})
NODE_REDIS_OPTIONS = {
    "socket.reconnectStrategy": ("reconnectStrategy",),
    "disableOfflineQueue (or commandsQueueMaxLength)": ("disableOfflineQueue", "commandsQueueMaxLength"),
}
LEGACY_NODE_REDIS_OPTIONS = {
    "retry_strategy": ("retry_strategy",),
    "enable_offline_queue: false": ("enable_offline_queue",),
}
_MAJOR = re.compile(r"^\s*(?:[~^=v]|>=?)*\s*(\d+)")


def node_redis_major(manifest: object) -> int | None:
    """The major version of `redis` a package.json depends on (`^2.8.0` is 2); None when it does
    not say (no package.json, a tag, a URL, a workspace reference)."""
    dependencies = manifest.get("dependencies") if isinstance(manifest, dict) else None
    version = dependencies.get("redis") if isinstance(dependencies, dict) else None
    match = _MAJOR.match(version) if isinstance(version, str) else None
    return int(match.group(1)) if match else None


# What node-redis does in an outage with its offline queue off but no reconnect strategy of the
# service's own: its default backoff, forever (v4 and later), or for an hour (v2 and 3).
_NODE_REDIS_RECONNECTS = {
    False: "during a Redis outage node-redis reconnects with its default backoff for as long as it lasts, "
    "whatever the service would choose",
    True: "during a Redis outage node-redis retries its connection with its default retry_strategy for up "
    "to an hour, whatever the service would choose",
}


def _ioredis_outage(missing: list[str]) -> str:
    """What ioredis does in an outage without the options missing (its defaults: 20 retries per
    command, reconnecting `Math.min(times * 50, 2000)` ms apart, forever)."""
    if "maxRetriesPerRequest" in missing:
        return (
            "during a Redis outage each command waits through ioredis's default of 20 reconnect attempts "
            "(about 10 s at its default pace) before it fails, and the request waiting on it hangs that long"
        )
    return (
        "during a Redis outage ioredis reconnects at its default pace (50 ms more each attempt, up to 2 s) "
        "for as long as it lasts, whatever the service would choose"
    )


@check("S006")
def redis_retry_settings(ctx: CheckContext) -> Iterator[Finding]:
    queued = "during a Redis outage commands queue up and requests hang"
    yield from _connection_findings(ctx, "redis", REDIS_OPTIONS, _ioredis_outage, skip=NODE_REDIS_CALLS)
    for service in _node_services(ctx):
        major = node_redis_major(ctx.project.package_json(service.root))
        legacy = major is not None and major < 4
        wanted = LEGACY_NODE_REDIS_OPTIONS if legacy else NODE_REDIS_OPTIONS
        client = f"node-redis {major}" if legacy else "node-redis"
        for connection in service.app.connections:
            if connection.kind != "redis" or connection.call not in NODE_REDIS_CALLS or connection.options_unknown:
                continue
            seen = connection.option_keys
            missing = [shown for shown, keys in wanted.items() if not seen & set(keys)]
            if missing:
                # The offline queue's option is the second: without it, commands queue up.
                said = _NODE_REDIS_RECONNECTS[legacy] if missing == [next(iter(wanted))] else queued
                yield ctx.finding(
                    connection.location,
                    f"{connection.call} ({client}) sets no {', '.join(missing)}: {said}",
                    identity=f"{service.name}/redis/{connection.call}",
                    value=",".join(missing),
                )


@check("S007")
def retry_logic(ctx: CheckContext) -> Iterator[Finding]:
    for name, facts in _services(ctx):
        if facts.retry_helpers or facts.uses_module(*RETRY_LIBRARIES):
            continue
        yield ctx.finding(
            facts.anchor(),
            "no retry with backoff for outbound calls (no retry helper or decorator, no p-retry, async-retry, "
            "axios-retry or cockatiel)",
            identity=f"{name}/retry",
        )


@check("S008")
def circuit_breaker(ctx: CheckContext) -> Iterator[Finding]:
    for name, facts in _services(ctx):
        if facts.circuit_breakers or facts.uses_module(*BREAKER_LIBRARIES):
            continue
        yield ctx.finding(
            facts.anchor(),
            "no circuit breaker (no opossum or cockatiel, no CircuitBreaker class)",
            identity=f"{name}/circuit-breaker",
        )
