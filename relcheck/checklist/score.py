"""The standard's production-readiness checklist, per service, from a scan's findings and evidence.

Each item is `pass` (evidence, no findings), `partial` (evidence, but warning or info findings),
`fail` (an error finding, or findings and no evidence), `not-found` (no evidence either way) or
`manual` (chaos and load tests: the files exist, but only running them proves them).
The score is items passed over items applicable (pass, partial and fail).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relcheck.artifacts.app import metric_bases
from relcheck.model import Finding, Location, Severity
from relcheck.ruleset.pack import load_checklist

if TYPE_CHECKING:
    from relcheck.artifacts.alerts import PromRuleFile
    from relcheck.artifacts.kubernetes import K8sObject
    from relcheck.scan.result import ScanResult
    from relcheck.scan.services import Service

# Titles and which items are manual come from the pack's one table of them (rules/checklist.toml).
TITLES = {item.id: item.title for item in load_checklist()}
MANUAL_ITEMS = frozenset(item.id for item in load_checklist() if item.manual)
CHECKLIST_ITEMS = tuple(TITLES)
# Items only Node rules check: for a service in another language they do not apply.
NODE_ITEMS = frozenset({"metrics", "circuit-breakers", "retries", "connection-pooling"})
# Items a Node service's source shows as well as its image, PM2 file and workloads.
SOURCE_ITEMS = frozenset({"graceful-shutdown", "health-checks"})
# Suppressions that are a decision about the finding, so it no longer counts against the item. A
# baseline hides known debt in CI but does not pay it; a bare inline comment gives no reason.
DELIBERATE = frozenset({"annotation", "config"})


@dataclass(frozen=True)
class Evidence:
    location: Location
    detail: str


@dataclass
class ItemResult:
    item: str
    status: str
    evidence: list[Evidence] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0  # findings suppressed with a reason, which no longer count against the item

    @property
    def title(self) -> str:
        return TITLES[self.item]

    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})


@dataclass
class ServiceChecklist:
    service: Service
    items: list[ItemResult]

    @property
    def passed(self) -> int:
        return sum(1 for item in self.items if item.status == "pass")

    @property
    def applicable(self) -> int:
        return sum(1 for item in self.items if item.status in ("pass", "partial", "fail"))

    def with_status(self, status: str) -> list[str]:
        return [item.item for item in self.items if item.status == status]

    def summary(self) -> str:
        parts = [f"{self.passed}/{self.applicable} items pass"]
        for status in ("fail", "partial", "manual", "not-found", "not-checked", "not-applicable"):
            names = self.with_status(status)
            if names:
                parts.append(f"{status}: {', '.join(names)}")
        from relcheck.reporters.escape import visible

        return f"Checklist ({visible(self.service.name)}): " + "; ".join(parts)


UNOWNED = "(unowned)"


def build_once(result: ScanResult) -> list[ServiceChecklist]:
    """build(result), made once per result (the report and what is kept of it share it)."""
    if result.checklist_cards is None:
        result.checklist_cards = build(result)
    return result.checklist_cards


Owners = tuple[dict[str, str], dict[str, list[tuple[int, int, set[str]]]], dict[str, set[str]]]


def owners(result: ScanResult) -> Owners:
    """Which service each file's findings count for (see _owners)."""
    return _owners(result.services, _shared_rule_sources(result.services))


def build(result: ScanResult, known_owners: Owners | None = None) -> list[ServiceChecklist]:
    """Findings and evidence go to the service that owns their file, or, in a shared manifest about
    several services, to the service of the object they are on (see _owners); the others, in files
    no service owns, to the (unowned) group. `known_owners`: those of the whole scan, for a result
    that holds only some of its services (relcheck.reporters.patch)."""
    shared_sources = _shared_rule_sources(result.services)
    owner, objects, several = known_owners or _owners(result.services, shared_sources)
    suppressed = _deliberately_suppressed(result, owner)
    # Per service, then per checklist item, in report order.
    by_service: dict[str, dict[str | None, list[Finding]]] = {service.name: {} for service in result.services}
    shared: dict[str | None, list[Finding]] = {}
    for finding in _counted(result):
        location = finding.location
        name = owner.get(location.path)
        if name is not None:
            about = {name}
        elif location.path in objects:
            # A shared manifest: the services of the object the line is on (one, several, or none
            # for an object no service deploys).
            about = _names_at(objects[location.path], location.line)
        else:
            about = several.get(location.path, set())  # a rule file about several services, or none
        for service_name in sorted(about) or [None]:
            grouped = by_service.get(service_name) if service_name is not None else shared
            if grouped is None:
                continue  # a service of the whole scan that this result does not hold (known_owners)
            grouped.setdefault(finding.checklist, []).append(finding)
    # Evidence in files no service owns is the same for every service: gathered once, not per service
    # (a monorepo's central alert folder would otherwise cost services x alerts).
    # A shared rule file that is about one service (see _owners) is evidence for that one only.
    shared_evidence: dict[tuple[int, int], dict[str, list[Place]]] = {}
    shared_errors = {item: _has_error(findings) for item, findings in shared.items()}
    attributed: dict[str, list[PromRuleFile]] = {}
    for source in shared_sources:
        if source.path in owner:
            attributed.setdefault(owner[source.path], []).append(source)
    cards = []
    for service in result.services:
        key = (id(service.shared_rule_sources), id(service.shared_files))
        if key not in shared_evidence:
            shared_evidence[key] = _first(_gather(_shared_evidence(service, owner)))
        own = _gather(_collect(service, attributed.get(service.name, [])))
        evidence = _top(own, shared_evidence[key])
        items = _items(evidence, by_service[service.name], {}, {})
        cards.append(ServiceChecklist(service, _truthful(items, result, service, suppressed)))
    if any(shared.values()):
        # Findings on what no service owns (a Deployment of a database in a shared deploy/ folder, a
        # rule file about no service's metrics) are their own group, never spread over every service.
        from relcheck.scan.services import Service

        unowned = Service(UNOWNED, "")
        cards.append(ServiceChecklist(unowned, _items({}, shared, {}, shared_errors)))
    return cards


def _owners(
    services: list[Service], shared_sources: list[PromRuleFile]
) -> tuple[dict[str, str], dict[str, list[tuple[int, int, set[str]]]], dict[str, set[str]]]:
    """The service each file's findings count for: the one whose folder holds it, else the one
    service it is about, as when manifests or alert rules live in a shared deploy/ or monitoring/
    folder: the service whose workloads it defines (with their HPAs, PDBs and Services), or whose
    metrics its alerts query. A file about several services, or none, stays shared.

    And per shared manifest about several services (one file deploying a and b): the lines of each
    object some service deploys, with those services (a Service object in front of the pods of two
    services counts for both)."""
    owner = {path: service.name for service in services for path in service.files}
    objects: dict[tuple[str, int, int], set[str]] = {}
    for service in services:
        for obj in _deployed_objects(service):
            if obj.path not in owner:
                objects.setdefault((obj.path, *obj.span), set()).add(service.name)
    claims: dict[str, set[str]] = {}
    for (path, _, _), names in objects.items():
        claims.setdefault(path, set()).update(names)
    for path, names in _alert_file_claims(services, shared_sources, owner).items():
        claims.setdefault(path, set()).update(names)
    for path, names in claims.items():
        if len(names) == 1:
            owner[path] = next(iter(names))
    spans: dict[str, list[tuple[int, int, set[str]]]] = {}
    for (path, first, last), names in sorted(objects.items()):
        if path not in owner:
            spans.setdefault(path, []).append((first, last, names))
    several = {path: names for path, names in claims.items() if len(names) > 1 and path not in owner}
    return owner, spans, several


def _counted(result: ScanResult) -> list[Finding]:
    """The findings that count against the checklist: active ones, baselined ones, and those
    suppressed inline without a reason."""
    return [
        f
        for f in result.findings
        if f.suppression is None
        or f.suppression.kind == "baseline"
        or (f.suppression.kind not in DELIBERATE and not f.suppression.reason)
    ]


def _deliberately_suppressed(result: ScanResult, owner: dict[str, str]) -> dict[tuple[str | None, str], int]:
    """(service, item) → how many findings a suppression with a reason took off it."""
    counted = {id(f) for f in _counted(result)}
    found: dict[tuple[str | None, str], int] = {}
    for finding in result.findings:
        if finding.suppression is not None and id(finding) not in counted and finding.checklist:
            key = (owner.get(finding.location.path), finding.checklist)
            found[key] = found.get(key, 0) + 1
    return found


def _truthful(
    items: list[ItemResult], result: ScanResult, service: Service, suppressed: dict[tuple[str | None, str], int]
) -> list[ItemResult]:
    """An item none of whose rules ran (deselected, ignored) is not-checked; an item only Node rules
    check is not-applicable to a service in another language, and not-checked (not not-found) for a
    Node service whose server code relcheck did not read as its own (flowise's root image runs the
    `packages/server` package's command; an image that runs a package from npm); neither is ever a
    pass."""
    from relcheck.scan.runtime import NODE

    ran: dict[str, bool] = {}
    for code, rule in result.rules.items():
        if rule.checklist:
            ran[rule.checklist] = ran.get(rule.checklist, False) or code in result.selected
    for item in items:
        item.suppressed = suppressed.get((service.name, item.item), 0)
        if item.findings:
            continue
        if not ran.get(item.item, False):
            item.status = "not-checked"
        elif item.item in NODE_ITEMS and service.runtime not in (NODE, None):
            item.status = "not-applicable"
        elif item.item in NODE_ITEMS and item.status == "not-found" and not _reads_own_server(service):
            item.status = "not-checked"
        elif item.item in SOURCE_ITEMS and item.status == "not-found" and not _reads_own_server(service):
            # Nothing else showed either (no Dockerfile, PM2 file or workload): nothing was looked at
            # (node-red, whose server is in `packages/node_modules/`, which no scan walks).
            item.status = "not-checked"
    return items


def _reads_own_server(service: Service) -> bool:
    """Whether the Node rules read the service's own server code."""
    return service.runs_own_code and service.app.has_source


def _names_at(spans: list[tuple[int, int, set[str]]] | None, line: int) -> set[str]:
    return next((names for first, last, names in spans or () if first <= line <= last), set())


def _deployed_objects(service: Service) -> Iterator[K8sObject]:
    """The objects that deploy a service: its workloads, with their HPAs, PDBs and Services."""
    for workload in service.workloads:
        yield from (workload.obj, *workload.hpas, *workload.pdbs, *workload.exposed_by)


def _alert_file_claims(
    services: list[Service], shared_sources: list[PromRuleFile], owner: dict[str, str]
) -> dict[str, set[str]]:
    """Rule files under no service folder: the services whose source defines a metric they alert on."""
    defined_by: dict[str, set[str]] = {}
    for service in services:
        for metric in service.app.metric_names:
            defined_by.setdefault(metric, set()).add(service.name)
    claims: dict[str, set[str]] = {}
    for source in shared_sources:
        if source.path in owner:
            continue
        found = claims.setdefault(source.path, set())
        for rule in source.rules:
            if rule.is_alert and rule.expression is not None:
                for name in rule.expression.metric_names:
                    for base in metric_bases(name):
                        found |= defined_by.get(base, set())
    return claims


def _shared_rule_sources(services: list[Service]) -> list[PromRuleFile]:
    """The rule sources under no service folder, each once (the services hold the same list)."""
    distinct = {id(service.shared_rule_sources): service.shared_rule_sources for service in services}
    return [source for sources in distinct.values() for source in sources]


# Evidence shown per item, at most (the first places, by file and line).
SHOWN_EVIDENCE = 5


def _has_error(findings: list[Finding]) -> bool:
    return any(finding.severity is Severity.ERROR for finding in findings)


def _items(
    evidence: dict[str, list[Evidence]],
    own: dict[str | None, list[Finding]],
    shared: dict[str | None, list[Finding]],
    shared_errors: dict[str | None, bool],
) -> list[ItemResult]:
    results = []
    for item in CHECKLIST_ITEMS:
        own_findings = own.get(item, ())
        item_findings = [*own_findings, *shared.get(item, ())]
        seen = evidence.get(item, [])
        error = shared_errors.get(item, False) or _has_error(own_findings)
        if item in MANUAL_ITEMS and seen and not item_findings:
            status = "manual"
        elif error or (item_findings and not seen):
            status = "fail"
        elif item_findings:
            status = "partial"
        else:
            status = "pass" if seen else "not-found"
        results.append(ItemResult(item, status, seen, item_findings))
    return results


# Evidence before it is chosen to be shown: (where, what). Only the first few per item become Evidence.
Place = tuple[Location, str]


def _gather(places: Iterator[tuple[str, Location, str]]) -> dict[str, list[Place]]:
    found: dict[str, list[Place]] = {item: [] for item in CHECKLIST_ITEMS}
    for item, location, detail in places:
        found[item].append((location, detail))
    return found


def _place_order(place: Place) -> tuple[str, int]:
    return place[0].path, place[0].line


def _first(found: dict[str, list[Place]], more: dict[str, list[Place]] | None = None) -> dict[str, list[Place]]:
    """Per item, the first places by file and line (with `more` merged in)."""
    for item, places in found.items():
        if more:
            places.extend(more.get(item, ()))
        if len(places) > 1:
            places.sort(key=_place_order)
            del places[SHOWN_EVIDENCE:]
    return found


def _top(found: dict[str, list[Place]], more: dict[str, list[Place]] | None = None) -> dict[str, list[Evidence]]:
    """Per item, the evidence shown: the first places by file and line (with `more` merged in)."""
    return {
        item: [Evidence(location, detail) for location, detail in places]
        for item, places in _first(found, more).items()
    }


def _collect(service: Service, attributed: list[PromRuleFile]) -> Iterator[tuple[str, Location, str]]:
    """The service's own evidence (its files and objects, and the shared rule files about it)."""
    app = service.app
    for seen in app.signals.get("SIGTERM", []):
        yield "graceful-shutdown", seen.location, seen.detail
    for seen in app.shutdown_hooks:
        yield "graceful-shutdown", seen.location, "enableShutdownHooks()"
    for route in app.routes:
        if "health" in route.path or route.path in ("/livez", "/readyz", "/healthz"):
            yield "health-checks", route.location, f"{route.method} {route.path}"
        if route.path == "/metrics":
            yield "metrics", route.location, "GET /metrics"
    for name, seen in sorted(app.metric_names.items()):
        yield "metrics", seen.location, f"metric {name}"
    for seen in app.retry_helpers:
        yield "retries", seen.location, seen.detail
    for seen in app.circuit_breakers:
        yield "circuit-breakers", seen.location, seen.detail
    for connection in app.connections:
        if connection.option_keys:
            yield "connection-pooling", connection.location, f"{connection.call} options"
    yield from _dockerfile_evidence(service)
    yield from _kubernetes_evidence(service)
    for pm2 in service.pm2_apps:
        if "kill_timeout" in pm2.data:
            yield "graceful-shutdown", pm2.loc("kill_timeout"), f"PM2 kill_timeout {pm2.get('kill_timeout')}"
        if "max_memory_restart" in pm2.data:
            yield "resource-limits", pm2.loc("max_memory_restart"), "PM2 max_memory_restart"
        if pm2.exec_mode() == "cluster":
            yield "zero-downtime-deploys", pm2.key_loc("exec_mode"), "PM2 cluster mode"
    yield from _alert_evidence(service.prom_rule_files)
    yield from _alert_evidence(attributed)
    yield from _file_evidence(service, service.own_files)


def _shared_evidence(service: Service, owner: dict[str, str]) -> Iterator[tuple[str, Location, str]]:
    """Evidence in the files no service owns and no single service is the subject of (every service counts it)."""
    yield from _alert_evidence([source for source in service.shared_rule_sources if source.path not in owner])
    yield from _file_evidence(service, service.shared_files)


def _alert_evidence(sources: list[PromRuleFile]) -> Iterator[tuple[str, Location, str]]:
    for source in sources:
        for rule in source.rules:
            if rule.is_alert:
                yield "alerts", rule.loc("alert"), f"alert {rule.name}"


def _dockerfile_evidence(service: Service) -> Iterator[tuple[str, Location, str]]:
    for dockerfile in service.dockerfiles:
        for instruction in dockerfile.final_instructions():
            keyword = instruction.keyword
            if keyword == "USER":
                yield "container-hardening", Location(dockerfile.path, instruction.line, 1), f"USER {instruction.text}"
            elif keyword == "HEALTHCHECK" and instruction.text.upper() != "NONE":
                yield "health-checks", Location(dockerfile.path, instruction.line, 1), "HEALTHCHECK"
            elif keyword == "ENTRYPOINT" and any(
                init in instruction.text for init in ("dumb-init", "tini", "docker-init")
            ):
                yield "graceful-shutdown", Location(dockerfile.path, instruction.line, 1), "init process"


def _kubernetes_evidence(service: Service) -> Iterator[tuple[str, Location, str]]:
    for workload in service.workloads:
        obj = workload.obj
        spec = workload.pod_spec
        if "terminationGracePeriodSeconds" in spec:
            where = obj.loc(*workload.pod_spec_keys, "terminationGracePeriodSeconds")
            yield "graceful-shutdown", where, f"terminationGracePeriodSeconds {spec['terminationGracePeriodSeconds']}"
        for container in workload.containers(include_init=False):
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if isinstance(container.get(probe), dict):
                    yield "health-checks", container.key_loc(probe), f"{probe} of {container.name}"
            if container.get("resources", "limits", "memory") is not None:
                yield "resource-limits", container.loc("resources", "limits", "memory"), "memory limit"
            if container.get("securityContext", "runAsNonRoot") is True:
                yield "container-hardening", container.key_loc("securityContext"), "runAsNonRoot"
        if (
            spec.get("securityContext", {}).get("runAsNonRoot") is True
            if isinstance(spec.get("securityContext"), dict)
            else False
        ):
            yield "container-hardening", obj.key_loc(*workload.pod_spec_keys, "securityContext"), "runAsNonRoot"
        for hpa in workload.hpas:
            yield "hpa", hpa.key_loc("spec", "scaleTargetRef"), hpa.display
        for pdb in workload.pdbs:
            yield "pdb", pdb.key_loc("spec", "selector"), pdb.display
        strategy = obj.get("spec", "strategy", "rollingUpdate", "maxUnavailable")
        if strategy is not None:
            where = obj.loc("spec", "strategy", "rollingUpdate", "maxUnavailable")
            yield "zero-downtime-deploys", where, f"maxUnavailable {strategy}"


def _file_evidence(service: Service, among: frozenset[str]) -> Iterator[tuple[str, Location, str]]:
    repo = service.repo
    if repo is None:
        return
    for item, paths in (
        ("runbook", repo.runbooks),
        ("dashboard", repo.dashboards),
        ("chaos-tests", repo.chaos_experiments),
        ("load-tests", repo.load_tests),
        ("alerts", repo.alert_sources),
    ):
        for path in paths:
            if path in among:
                yield item, Location(path, 1, 1), path.rsplit("/", 1)[-1]
