"""X rules: facts from two or more files of one service. A finding points at the value to change and
names the other file and line; JSON carries that place in `related`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relcheck.artifacts.app import defines_metric
from relcheck.artifacts.dockerfile import command_argv, env_pairs
from relcheck.artifacts.kubernetes import PROBES, Container
from relcheck.artifacts.pm2 import ALL_CPUS, DEFAULT_KILL_TIMEOUT_MS, memory_bytes
from relcheck.checks.app import unread_routes_note
from relcheck.model import Finding, Location, Related, Severity
from relcheck.ruleset.registry import check
from relcheck.scan.runtime import NODE, npm_script, runs_under_pm2, speaks_node
from relcheck.units.images import image_reference, is_official_image
from relcheck.units.numbers import ascii_int
from relcheck.units.quantities import MI, parse_quantity

if TYPE_CHECKING:
    from relcheck.scan.context import CheckContext
    from relcheck.scan.services import Service

HEAP_FLAG = re.compile(r"--max[-_]old[-_]space[-_]size(?:=|\s+)([0-9]{1,9})(?![0-9])")
SLEEP = re.compile(r"\bsleep\s+([0-9]{1,9}(?:\.[0-9]{1,9})?)(?![0-9])")
LOCAL_PORT = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0):([0-9]{2,5})(?![0-9])")
# Metrics of standard exporters and of Prometheus itself, which no service defines (X007).
EXPORTER_PREFIXES = (
    "kube_",
    "container_",
    "node_",
    "process_",
    "nodejs_",
    "kubelet_",
    "apiserver_",
    "go_",
    "prometheus_",
    "alertmanager_",
    "scrape_",
    "machine_",
    "coredns_",
    "etcd_",
)
EXPORTER_NAMES = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE", "time", "absent"})


def _at(location: Location) -> str:
    return f"{location.path}:{location.line}"


@dataclass
class Heap:
    mib: int
    location: Location
    source: str


def _derived(service: Service, name: str, compute: Callable[[Service], Any]) -> Any:
    """A fact about the service that several X rules need, computed once per scan."""
    if name not in service.derived:
        service.derived[name] = compute(service)
    return service.derived[name]


def _main_containers(service: Service) -> tuple[Container, ...]:
    """The containers that run the service's own image, which the rules comparing them with its
    Dockerfile, PM2 file and source may judge: per long-running workload, the container whose image
    is named after the service; where none is, the first container of the service's only workload,
    unless it runs one of Docker's official images, which the service does not build (prometheus's
    `documentation/examples/` deploys `rabbitmq:3.5.4-management`). A folder that deploys its app
    beside a database (three workloads, images `guestbook`, `redis`, `redis-slave`) gets no guess:
    which of them runs the app is not known."""
    return _derived(service, "main_containers", _find_main_containers)


def _find_main_containers(service: Service) -> tuple[Container, ...]:
    chosen: list[Container] = []
    running = [w for w in service.workloads if w.long_running]
    for workload in running:
        containers = workload.containers(include_init=False)
        named = [
            c
            for c in containers
            if isinstance(c.get("image"), str) and image_reference(c.get("image"))[0].rsplit("/", 1)[-1] == service.name
        ]
        if named:
            chosen.append(named[0])
        elif len(running) == 1 and containers:
            image = containers[0].get("image")
            if not (isinstance(image, str) and is_official_image(image)):
                chosen.append(containers[0])
    return tuple(chosen)


def _memory_limit(container: Container) -> tuple[Any, Location] | None:
    raw = container.get("resources", "limits", "memory")
    value = parse_quantity(raw)
    if value is None or value <= 0:
        return None
    return raw, container.loc("resources", "limits", "memory")


def _pm2_runs(service: Service) -> bool:
    """Whether PM2 starts the service: it has PM2 apps and its image runs pm2 (or it has no image)."""
    return _derived(service, "pm2_runs", runs_under_pm2)


def _npm_script(service: Service) -> str | None:
    """The package.json script the image starts (`npm start`, `npm run start:prod`), if any."""
    for dockerfile in service.running_images:
        for instruction in reversed(dockerfile.final_instructions()):
            if instruction.keyword in ("CMD", "ENTRYPOINT"):
                return npm_script(command_argv(instruction))
    return None


def _heaps(ctx: CheckContext, service: Service, container: Container | None) -> list[Heap]:
    """Places that set --max-old-space-size for the service, most decisive first."""
    found: list[Heap] = []
    if _pm2_runs(service):
        for app in service.pm2_apps:
            heap = app.heap_mib()
            if heap is not None:
                found.append(Heap(heap[0], app.loc(*heap[1]), f"PM2 app '{app.name}'"))
    script = _npm_script(service)
    for path in service.files:
        if path.rsplit("/", 1)[-1] != "package.json" or script is None:
            continue
        scripts = ctx.project.settings.get(path, {}) or {}
        command = scripts.get("scripts", {}).get(script) if isinstance(scripts, dict) else None
        match = HEAP_FLAG.search(command) if isinstance(command, str) else None
        if match:
            line, column = ctx.project.settings_positions[path].of(("scripts", script))
            found.append(Heap(int(match.group(1)), Location(path, line, column), f"npm script '{script}'"))
    if container is not None:
        env = container.get("env")
        for index, item in enumerate(env if isinstance(env, list) else []):
            if isinstance(item, dict) and item.get("name") == "NODE_OPTIONS" and isinstance(item.get("value"), str):
                match = HEAP_FLAG.search(item["value"])
                if match:
                    found.append(Heap(int(match.group(1)), container.loc("env", index, "value"), "NODE_OPTIONS"))
    for dockerfile in service.running_images:
        for instruction in dockerfile.final_instructions():
            for key, value in env_pairs(instruction):
                match = HEAP_FLAG.search(value) if key == "NODE_OPTIONS" and instruction.keyword == "ENV" else None
                if match:
                    found.append(
                        Heap(
                            int(match.group(1)),
                            Location(dockerfile.path, instruction.line, 1),
                            "Dockerfile NODE_OPTIONS",
                        )
                    )
    return found


def _instances(service: Service) -> Any:
    """Workers that each get a heap: the PM2 apps' instances added up (1 without PM2)."""
    if not _pm2_runs(service):
        return 1
    counts = [app.instances() for app in service.pm2_apps]
    if any(not isinstance(count, int) for count in counts):
        return ALL_CPUS if ALL_CPUS in counts else None
    return sum(counts) or 1


@check("X001")
def heap_fits_memory_limit(ctx: CheckContext) -> Iterator[Finding]:
    share = ctx.params["max_percent"]
    for service in ctx.project.services:
        if service.runtime not in (NODE, None):
            continue  # a V8 heap flag means nothing to a Go or Java process
        for container in _main_containers(service):
            limit = _memory_limit(container)
            heaps = _heaps(ctx, service, container)
            instances = _instances(service)
            if limit is None or not heaps or not isinstance(instances, int):
                continue
            heap = heaps[0]
            limit_mib = parse_quantity(limit[0]) / MI
            total = heap.mib * instances
            if total <= limit_mib * share / 100:
                continue
            workers = f" × {instances} PM2 instances = {total} MiB" if instances > 1 else ""
            yield ctx.finding(
                heap.location,
                f"{heap.mib} MiB heap ({heap.source}){workers} exceeds {share} % of the {limit[0]} memory limit "
                f"of container '{container.name}' in {_at(limit[1])}: the OOM killer fires before V8 collects "
                "garbage",
                identity=f"{service.name}/{container.identity}/heap",
                value=f"{heap.mib}x{instances}/{limit[0]}",
                related=[Related(limit[1], f"memory limit {limit[0]}")],
            )


def _pm2_containers(ctx: CheckContext) -> Iterator[tuple[Service, Container]]:
    """The main containers of the services that PM2 runs in."""
    for service in ctx.project.services:
        if _pm2_runs(service):
            for container in _main_containers(service):
                yield service, container


@check("X002")
def pm2_instances_vs_cpu_limit(ctx: CheckContext) -> Iterator[Finding]:
    for service, container in _pm2_containers(ctx):
        cpu = container.get("resources", "limits", "cpu")
        if cpu is None:
            continue
        where = container.loc("resources", "limits", "cpu")
        for app in service.pm2_apps:
            if app.instances() == ALL_CPUS:
                yield ctx.finding(
                    app.loc("instances"),
                    f"PM2 app '{app.name}' runs instances: {app.get('instances')!r}, one per CPU of the node, but "
                    f"container '{container.name}' is limited to {cpu} CPU in {_at(where)}",
                    identity=f"{service.name}/{app.identity}/instances",
                    value=f"{app.get('instances')}/{cpu}",
                    related=[Related(where, f"CPU limit {cpu}")],
                )


@check("X003")
def pm2_restart_below_limit(ctx: CheckContext) -> Iterator[Finding]:
    for service, container in _pm2_containers(ctx):
        limit = _memory_limit(container)
        if limit is None:
            continue
        limit_bytes = parse_quantity(limit[0])
        for app in service.pm2_apps:
            restart = memory_bytes(app.get("max_memory_restart"))
            instances = app.instances()
            if restart is None or not isinstance(instances, int):
                continue
            if restart * instances >= limit_bytes:
                times = f" × {instances} instances" if instances > 1 else ""
                yield ctx.finding(
                    app.loc("max_memory_restart"),
                    f"PM2 app '{app.name}' restarts at {app.get('max_memory_restart')}{times}, not below the "
                    f"{limit[0]} memory limit of container '{container.name}' in {_at(limit[1])}: the OOM "
                    "killer ends the container before PM2 restarts the worker",
                    identity=f"{service.name}/{app.identity}/max_memory_restart",
                    value=f"{app.get('max_memory_restart')}x{instances}/{limit[0]}",
                    related=[Related(limit[1], f"memory limit {limit[0]}")],
                )


def _prestop_seconds(container: Container) -> float:
    hook = container.get("lifecycle", "preStop")
    if not isinstance(hook, dict):
        return 0.0
    sleep = hook.get("sleep")
    if isinstance(sleep, dict) and isinstance(sleep.get("seconds"), (int, float)):
        return float(sleep["seconds"])
    command = hook.get("exec", {}).get("command") if isinstance(hook.get("exec"), dict) else None
    if isinstance(command, list):
        match = SLEEP.search(" ".join(str(part) for part in command))
        if match:
            return float(match.group(1))
    return 0.0


def _shutdown_budget(service: Service) -> tuple[float, Location, str] | None:
    """The longest shutdown the app may take (seconds), and where that is set."""
    candidates: list[tuple[float, Location, str]] = []
    for timeout in service.app.shutdown_timeouts:
        candidates.append((timeout.milliseconds / 1000, timeout.evidence.location, timeout.evidence.detail))
    if _pm2_runs(service):
        for app in service.pm2_apps:
            value = app.get("kill_timeout", DEFAULT_KILL_TIMEOUT_MS)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and "kill_timeout" in app.data:
                candidates.append((value / 1000, app.loc("kill_timeout"), f"PM2 kill_timeout {value}"))
    return max(candidates, key=lambda c: c[0]) if candidates else None


@check("X004")
def grace_covers_shutdown(ctx: CheckContext) -> Iterator[Finding]:
    for service in ctx.project.services:
        budget = _shutdown_budget(service)
        if budget is None:
            continue
        for container in _main_containers(service):
            workload = container.workload
            grace = workload.pod_spec.get("terminationGracePeriodSeconds", 30)
            if not isinstance(grace, (int, float)) or isinstance(grace, bool):
                continue
            prestop = _prestop_seconds(container)
            needed = prestop + budget[0]
            if grace >= needed:
                continue
            where = workload.obj.key_loc(*workload.pod_spec_keys, "terminationGracePeriodSeconds")
            set_here = "" if "terminationGracePeriodSeconds" in workload.pod_spec else " (the default)"
            yield ctx.finding(
                where,
                f"{workload.obj.display} allows {grace:g} s{set_here} to terminate, less than the {prestop:g} s "
                f"preStop sleep plus the {budget[0]:g} s shutdown ({budget[2]} in {_at(budget[1])})",
                identity=f"{service.name}/{workload.obj.identity}/grace",
                value=f"{grace}<{needed}",
                related=[Related(budget[1], budget[2])],
            )


def _app_ports(ctx: CheckContext, service: Service, container: Container) -> tuple[dict[int, Location], bool]:
    """Where the app says which port it listens on, and whether only EXPOSE says so (Docker's
    documentation of a port, which the app's own settings may contradict unseen: a .NET app's
    Kestrel endpoint in appsettings.json)."""
    ports: dict[int, Location] = {}
    stated: set[int] = set()  # by more than EXPOSE

    def add(value: Any, location: Location, expose: bool = False) -> None:
        number = ascii_int(str(value).split("/", 1)[0])
        if number is None:
            return
        if expose or number in stated:
            ports.setdefault(number, location)
        else:  # the first word that is more than EXPOSE is the one to cite
            ports[number] = location
            stated.add(number)

    env = container.get("env")
    for index, item in enumerate(env if isinstance(env, list) else []):
        if isinstance(item, dict) and item.get("name") == "PORT" and item.get("value") is not None:
            add(item["value"], container.loc("env", index, "value"))
    for app in service.pm2_apps if _pm2_runs(service) else []:
        for block in ("env_production", "env"):
            values = app.get(block)
            if isinstance(values, dict) and values.get("PORT") is not None:
                add(values["PORT"], app.loc(block, "PORT"))
    if "PORT" in service.app.env:
        add(service.app.env["PORT"], service.app.env_locations["PORT"])
    for dockerfile in service.running_images:
        for instruction in dockerfile.final_instructions():
            keyword = instruction.keyword
            if keyword not in ("ENV", "EXPOSE", "HEALTHCHECK"):
                continue
            where = Location(dockerfile.path, instruction.line, 1)
            if keyword == "ENV":
                for key, value in env_pairs(instruction):
                    if key == "PORT":
                        add(value, where)
            elif keyword == "EXPOSE":
                for arg in instruction.args:
                    add(arg, where, expose=True)
            else:
                for match in LOCAL_PORT.finditer(instruction.original):
                    add(match.group(1), where)
    if not stated:
        # No PORT is set anywhere: the server listens where its code falls back to.
        for port, evidence in service.app.listen_ports:
            add(port, evidence.location)
    # The app's own word first: it is what a finding cites.
    ordered = dict(sorted(ports.items(), key=lambda item: item[0] not in stated))
    return ordered, bool(ports) and not stated


def _side_port(service: Any, container: Container, port: int) -> bool:
    """Whether a library's own server may listen on the port beside the app: lightship's (on its
    `port` option, else LIGHTSHIP_PORT from the container's env or the image's ENV, else 9000)."""
    for side, _ in service.app.side_ports:
        if side == 0 or port == side:
            return True
    if not service.app.side_ports:
        return False
    env = container.get("env")
    set_ports = [
        item.get("value")
        for item in (env if isinstance(env, list) else [])
        if isinstance(item, dict) and item.get("name") == "LIGHTSHIP_PORT"
    ]
    for dockerfile in service.running_images:
        for instruction in dockerfile.final_instructions():
            if instruction.keyword == "ENV":
                set_ports += [value for key, value in env_pairs(instruction) if key == "LIGHTSHIP_PORT"]
    return any(ascii_int(str(value)) == port for value in set_ports if value is not None)


def _resolve_port(container: Container, port: Any) -> int | None:
    if isinstance(port, int) and not isinstance(port, bool):
        return port
    if isinstance(port, str):
        if ascii_int(port) is not None:
            return ascii_int(port)
        for declared in container.ports():
            if declared.get("name") == port and isinstance(declared.get("containerPort"), int):
                return declared["containerPort"]
    return None


@check("X005")
def ports_agree(ctx: CheckContext) -> Iterator[Finding]:
    for service in ctx.project.services:
        for container in _main_containers(service):
            app_ports, exposed_only = _app_ports(ctx, service, container)
            if not app_ports:
                continue
            first_port, first_where = next(iter(app_ports.items()))
            ports = ", ".join(str(p) for p in app_ports)
            # EXPOSE alone documents a port: a mismatch is worth a look, not a claim about the app.
            listens = f"the app listens on {ports}"
            if exposed_only:
                listens = f"its image EXPOSEs {ports}, which only documents a port"
            severity = Severity.INFO if exposed_only else None
            declared = [(i, p.get("containerPort")) for i, p in enumerate(container.ports())]
            numbers = [n for _, n in declared if isinstance(n, int)]
            if numbers and not set(numbers) & set(app_ports):
                yield ctx.finding(
                    container.loc("ports", declared[0][0], "containerPort"),
                    f"container '{container.name}' declares port {', '.join(map(str, numbers))} but {listens} "
                    f"({_at(first_where)})",
                    identity=f"{service.name}/{container.identity}/containerPort",
                    value=f"{numbers}/{ports}",
                    related=[Related(first_where, f"the app's port {first_port}")],
                    severity=severity,
                )
            for name in PROBES:
                probe = container.get(name)
                handler = next(
                    (h for h in ("httpGet", "tcpSocket", "grpc") if isinstance(probe, dict) and h in probe), None
                )
                if handler is None or not isinstance(probe[handler], dict):
                    continue
                port = _resolve_port(container, probe[handler].get("port"))
                if port is not None and port not in app_ports and not _side_port(service, container, port):
                    yield ctx.finding(
                        container.loc(name, handler, "port"),
                        f"{name} of container '{container.name}' checks port {port} but {listens} "
                        f"({_at(first_where)})",
                        identity=f"{service.name}/{container.identity}/{name}/port",
                        value=f"{port}/{ports}",
                        related=[Related(first_where, f"the app's port {first_port}")],
                        severity=severity,
                    )


def _route_matches(route: str, path: str) -> bool:
    """Whether a route the source declares may serve the path. A router's routes are read without
    the prefix it is mounted at (Express's `app.use('/api', router)`, Nest's `setGlobalPrefix`,
    the folders of Fastify's autoload), so a route matches the end of the path: `/health` serves
    `/api/health`, and a router's `/` whatever it is mounted at."""
    route_parts = [part for part in route.split("/") if part]
    path_parts = [part for part in path.split("/") if part]
    if len(route_parts) > len(path_parts):
        return False
    tail = path_parts[len(path_parts) - len(route_parts) :]
    return all(r == p or r.startswith(":") or r == "*" for r, p in zip(route_parts, tail, strict=True))


@check("X006")
def probe_paths_served(ctx: CheckContext) -> Iterator[Finding]:
    for service in ctx.project.services:
        routes = [route.path for route in service.app.routes]
        if not routes:
            continue  # no routes seen: nothing to compare with (S003 reports missing health routes)
        for container in _main_containers(service):
            for name in PROBES:
                path = container.get(name, "httpGet", "path")
                if not isinstance(path, str):
                    continue
                bare = path.split("?", 1)[0]
                if any(_route_matches(route, bare) for route in routes):
                    continue
                unread, severity = unread_routes_note(service.app, set(routes))
                yield ctx.finding(
                    container.loc(name, "httpGet", "path"),
                    f"{name} of container '{container.name}' requests {path}, which the service does not serve "
                    f"(routes: {', '.join(sorted(set(routes)))}){unread}",
                    identity=f"{service.name}/{container.identity}/{name}/path",
                    value=path,
                    severity=severity,
                )


@check("X007")
def alert_metrics_exposed(ctx: CheckContext) -> Iterator[Finding]:
    with_source = [s for s in ctx.project.services if s.app.has_source and speaks_node(s)]
    if not with_source:
        return
    # A service in another language defines its metrics in source these rules do not read.
    elsewhere = any(not speaks_node(s) for s in ctx.project.services)
    everything = {name for s in with_source for name in s.app.metric_names}
    recorded = {rule.name for source in ctx.project.prom_rule_files for rule in source.rules if not rule.is_alert}
    owner_of = {id(source): service for service in ctx.project.services for source in service.prom_rule_files}
    for rule_source in ctx.project.prom_rule_files:
        owner = owner_of.get(id(rule_source))
        if owner is not None and not (owner.app.has_source and speaks_node(owner)):
            continue  # the rules of a service without (Node) source: nothing to compare with
        if owner is None and elsewhere:
            continue
        defined = set(owner.app.metric_names) if owner is not None else everything
        for rule in rule_source.rules:
            if not rule.is_alert:
                continue
            for name in rule.expression.metric_names if rule.expression is not None else ():
                if name in EXPORTER_NAMES or name.startswith(EXPORTER_PREFIXES) or ":" in name or name in recorded:
                    continue
                if not defines_metric(defined, name):
                    yield ctx.finding(
                        rule.loc("expr"),
                        f"alert '{rule.name}' uses metric '{name}', which the service's source never defines",
                        identity=f"{rule.identity}/metric/{name}",
                        value=name,
                        scope=rule.scope,
                    )
