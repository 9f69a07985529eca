"""S rules: application settings and source. Quiet when the scan holds no service source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from relcheck.artifacts.app import AppFacts, Connection
from relcheck.model import Finding, Severity
from relcheck.registry import check

if TYPE_CHECKING:
    from relcheck.engine import CheckContext

MONGO_OPTIONS = ("maxPoolSize", "minPoolSize", "serverSelectionTimeoutMS", "socketTimeoutMS")
REDIS_OPTIONS = ("maxRetriesPerRequest", "retryStrategy")
METRIC_LIBRARIES = ("prom-client", "@willsoto/nestjs-prometheus", "express-prom-bundle", "prometheus-api-metrics")
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


def _facts(ctx: CheckContext) -> AppFacts | None:
    facts = ctx.project.app
    return facts if facts.has_source else None


@check("S001")
def shutdown_signal_handlers(ctx: CheckContext) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    if not facts.handles("SIGTERM"):
        yield ctx.finding(
            facts.anchor(),
            "no SIGTERM handler (process.on('SIGTERM', …) or "
            "app.enableShutdownHooks()): the service exits without draining requests",
            identity="signals/SIGTERM",
            value="SIGTERM",
        )
    elif not facts.handles("SIGINT"):
        where = (facts.signals.get("SIGTERM") or facts.shutdown_hooks)[0].location
        yield ctx.finding(
            where,
            "SIGTERM is handled but SIGINT is not (Ctrl+C and some process managers send it)",
            identity="signals/SIGINT",
            value="SIGINT",
            severity=Severity.WARNING,
        )


@check("S002")
def crash_handlers(ctx: CheckContext) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    missing = [event for event in ("uncaughtException", "unhandledRejection") if not facts.signals.get(event)]
    if missing:
        yield ctx.finding(
            facts.anchor(),
            f"no {' and no '.join(missing)} handler: a crash skips logging and graceful shutdown",
            identity="crash-handlers",
            value=",".join(missing),
        )


@check("S003")
def health_endpoints(ctx: CheckContext) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    served = {route.path.rstrip("/") or "/" for route in facts.routes}
    missing = [
        path for path in (ctx.params["liveness_path"], ctx.params["readiness_path"]) if path.rstrip("/") not in served
    ]
    if missing:
        defined = ", ".join(sorted(served)) or "none"
        yield ctx.finding(
            facts.anchor(),
            f"no route for {' or '.join(missing)} (routes found: {defined})",
            identity="health-routes",
            value=",".join(missing),
        )


@check("S004")
def metrics_endpoint(ctx: CheckContext) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    if facts.uses_module(*METRIC_LIBRARIES) or any(r.path == "/metrics" for r in facts.routes):
        return
    yield ctx.finding(
        facts.anchor(),
        "no Prometheus metrics: neither prom-client nor @willsoto/nestjs-prometheus "
        "is used and no /metrics route is defined",
        identity="metrics",
    )


def _missing_options(connection: Connection, wanted: tuple[str, ...], facts: AppFacts) -> list[str] | None:
    """Options the connection does not set, or None when we cannot see them all."""
    if connection.options_unknown:
        return None
    seen = set(connection.option_keys)
    from_uri = connection.uri_options(facts.env)
    if from_uri is not None:
        seen |= from_uri
    return [key for key in wanted if key not in seen]


def _connection_findings(ctx: CheckContext, kind: str, wanted: tuple[str, ...], what: str) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    for connection in facts.connections:
        if connection.kind != kind:
            continue
        missing = _missing_options(connection, wanted, facts)
        if not missing:
            continue
        note = ""
        if kind == "mongodb" and connection.uri_source and connection.uri_options(facts.env) is None:
            note = f" (the URI comes from {connection.uri_source}; options in it are not visible here)"
        yield ctx.finding(
            connection.location,
            f"{connection.call} sets no {', '.join(missing)}: {what}{note}",
            identity=f"{kind}/{connection.call}",
            value=",".join(missing),
        )


@check("S005")
def db_pool_settings(ctx: CheckContext) -> Iterator[Finding]:
    yield from _connection_findings(
        ctx, "mongodb", MONGO_OPTIONS, "the driver's defaults allow 100 connections per process and 30 s waits"
    )


@check("S006")
def redis_retry_settings(ctx: CheckContext) -> Iterator[Finding]:
    yield from _connection_findings(
        ctx, "redis", REDIS_OPTIONS, "during a Redis outage commands queue up and requests hang"
    )


@check("S007")
def retry_logic(ctx: CheckContext) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None or facts.retry_helpers or facts.uses_module(*RETRY_LIBRARIES):
        return
    yield ctx.finding(
        facts.anchor(),
        "no retry with backoff for outbound calls (no retry helper or decorator, "
        "no p-retry, async-retry, axios-retry or cockatiel)",
        identity="retry",
    )


@check("S008")
def circuit_breaker(ctx: CheckContext) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None or facts.circuit_breakers or facts.uses_module(*BREAKER_LIBRARIES):
        return
    yield ctx.finding(
        facts.anchor(),
        "no circuit breaker (no opossum or cockatiel, no CircuitBreaker class)",
        identity="circuit-breaker",
    )
