"""R rules: files the standard asks a service to have. Quiet when the scan holds no service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from relcheck.model import Finding, Location
from relcheck.ruleset.registry import check

if TYPE_CHECKING:
    from relcheck.scan.context import CheckContext
    from relcheck.scan.services import Service


README_NAMES = ("README.md", "README", "README.rst", "README.adoc", "readme.md")


def _missing(ctx: CheckContext, evidence: list[str], message: str, what: str) -> Iterator[Finding]:
    """Per service: evidence in its own folder, or shared at the top of the scan, satisfies it.
    Located at the file that best stands for the service: its README, else its Dockerfile."""
    present = set(evidence)
    for service in ctx.project.services:
        anchor = _readme(ctx, service) or service.anchor()
        if anchor is None or service.owns_any(present):
            continue
        yield ctx.finding(
            anchor, f"service '{service.name}': {message}", identity=f"{service.name}/repo:{what}", value="missing"
        )


def _readme(ctx: CheckContext, service: Service) -> Location | None:
    root = service.root if not service.root.startswith("@") else ""
    for name in README_NAMES:
        path = f"{root}/{name}" if root else name
        if path in service.own_files and ctx.project.file(path) is not None:
            return Location(path, 1, 1)
    return None


@check("R001")
def runbook(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing(
        ctx, ctx.project.repo.runbooks, "no runbook (RUNBOOK.md or docs/runbook*) for this service", "runbook"
    )


@check("R002")
def dashboard(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing(
        ctx,
        ctx.project.repo.dashboards,
        "no Grafana dashboard JSON (a JSON file with `panels`) for this service",
        "dashboard",
    )


@check("R003")
def alert_rules_present(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing(
        ctx,
        ctx.project.repo.alert_files + ctx.project.repo.alert_sources,
        "no Prometheus alert rules (a rule file with `alert:` entries, a PrometheusRule or a ConfigMap that holds one)",
        "alerts",
    )


@check("R004")
def load_tests(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing(
        ctx, ctx.project.repo.load_tests, "no load-test scripts (k6 or Artillery) for this service", "load-tests"
    )


@check("R005")
def chaos_experiments(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing(
        ctx,
        ctx.project.repo.chaos_experiments,
        "no chaos experiments (Chaos Mesh or Litmus objects) for this service",
        "chaos",
    )
