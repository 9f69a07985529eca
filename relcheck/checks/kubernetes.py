"""K rules: Kubernetes manifests. Checks read the KubeIndex (workloads, HPAs, PDBs, Services)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from relcheck.artifacts.dockerfile import SHELL_PROGRAMS, SHELLLESS_IMAGE, SHELLLESS_LACKS, shellless_base
from relcheck.artifacts.kubernetes import (
    PROBES,
    Container,
    IntOrPercent,
    K8sObject,
    Workload,
    applied_together,
    control_plane_component,
    dig,
    empty_beta_selector,
    int_or_percent,
    is_keda_scaler,
    one_pod_per_node,
    runs_exporter,
    runs_pause,
    scaler_bounds,
    selector_matches,
    single_attach_claim,
    utilization_targets,
)
from relcheck.artifacts.skaffold import built_images, placeholder
from relcheck.model import Finding, Location, Related, Severity
from relcheck.ruleset.registry import check
from relcheck.scan import targets
from relcheck.scan.services import running_containers
from relcheck.units.images import (
    CACHE_STORES,
    PROMETHEUS_IMAGES,
    data_store,
    hub_repository,
    image_reference,
    unpinned_reason,
)
from relcheck.units.quantities import GI, MI, format_bytes, parse_quantity

if TYPE_CHECKING:
    from relcheck.scan.context import CheckContext

PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")
# Kubernetes' defaults for probe fields that are absent.
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "failureThreshold": 3, "initialDelaySeconds": 0}
ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
HOSTNAME_KEY = "kubernetes.io/hostname"
LIVENESS_BUDGET_KEYS = ("initialDelaySeconds", "failureThreshold", "periodSeconds")
REPLICA_KINDS = ("Deployment", "StatefulSet", "Rollout")  # K014, K020, K022, K023 name these


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _container_finding(
    ctx: CheckContext,
    container: Container,
    location: Location,
    message: str,
    what: str,
    value: str = "",
    related: tuple[Related, ...] = (),
) -> Finding:
    return ctx.report(
        container, f"{container.display}: {message}", what=what, at=location, value=value, related=related
    )


def _workloads(ctx: CheckContext, long_running: bool = False) -> Iterator[Workload]:
    return targets.workloads(ctx.project, long_running=long_running)


def _serving_containers(ctx: CheckContext) -> Iterator[Container]:
    """Containers of long-running workloads; init containers (sidecars included) have no probe
    rules, nor has a pause container, which only sleeps."""
    for workload in _workloads(ctx, long_running=True):
        yield from (c for c in workload.containers(include_init=False) if not runs_pause(c))


def _all_containers(ctx: CheckContext) -> Iterator[Container]:
    for workload in _workloads(ctx):
        yield from workload.containers()


def _probe(container: Container, name: str) -> dict | None:
    probe = container.get(name)
    return probe if isinstance(probe, dict) else None


def _setting(probe: dict, key: str) -> Any:
    return probe.get(key, PROBE_DEFAULTS[key])


@check("K001")
def liveness_probe(ctx: CheckContext) -> Iterator[Finding]:
    shellless = _shellless_images(ctx)
    for container in _serving_containers(ctx):
        if _probe(container, "livenessProbe") is None:
            yield _container_finding(
                ctx,
                container,
                container.missing_loc("livenessProbe"),
                "no livenessProbe, so a wedged process is never restarted",
                "livenessProbe",
            )
        else:
            yield from _probe_without_program(
                ctx, container, "livenessProbe", shellless, "so the kubelet restarts the container again and again"
            )


@check("K002")
def readiness_probe(ctx: CheckContext) -> Iterator[Finding]:
    shellless = _shellless_images(ctx)
    for container in _serving_containers(ctx):
        if _probe(container, "readinessProbe") is None and _gates_traffic(container):
            yield _container_finding(
                ctx,
                container,
                container.missing_loc("readinessProbe"),
                "no readinessProbe, so it gets traffic before it is ready and while it fails",
                "readinessProbe",
            )
        elif _probe(container, "readinessProbe") is not None:
            yield from _probe_without_program(
                ctx, container, "readinessProbe", shellless, "so the pod is never ready and gets no traffic"
            )


def _probe_without_program(
    ctx: CheckContext, container: Container, name: str, shellless: dict[int, tuple[str, Location | None]], outcome: str
) -> Iterator[Finding]:
    """An exec probe whose program the container's image does not have: every check fails."""
    command = container.get(name, "exec", "command")
    first = command[0] if isinstance(command, list) and command else None
    program = posixpath.basename(first) if isinstance(first, str) else None
    image, built_at = shellless.get(id(container), (None, None))
    if program not in SHELLLESS_LACKS or image is None:
        return
    yield _container_finding(
        ctx,
        container,
        container.loc(name, "exec", "command", 0),
        f"{name} runs '{program}', which its image does not have ({image}: no shell, no system programs): "
        f"every check fails, {outcome}",
        f"{name}/exec",
        program,
        related=(Related(built_at, f"the image's base: {image.rsplit(' ', 1)[-1]}"),) if built_at else (),
    )


def _takes_traffic(workload: Workload) -> bool:
    """Whether readiness decides anything for the pods: a Service of the scan selects them, or a
    container listens (it declares a port, or a probe calls one: a Service elsewhere may reach it).
    A pod with neither (a load generator, a queue consumer) is sent no traffic readiness could hold
    back, nor is one whose ports, and the ports of the Services that select it, are all for metrics
    and health checks (cert-manager's cainjector: `http-metrics`, behind a Service for its
    ServiceMonitor; Prometheus scrapes endpoints whether they are ready or not). Nor is a pod that
    only Services with `publishNotReadyAddresses: true` select (Temporal's worker, behind the
    headless Service its peers find it by): their endpoints list it ready or not. Nor is a pod of a
    chart whose Services all select others (lago's Sidekiq workers)."""
    return _client_traffic(workload, gated_only=True)


def _client_traffic(workload: Workload, gated_only: bool, probed: bool = True) -> bool:
    """Whether clients send the pods requests: a Service for clients selects them (with
    `gated_only`, only one whose endpoints readiness decides), or a container serves a port for
    clients (without `probed`, only a port it declares, not one its probes call)."""
    services = workload.exposed_by
    if gated_only:
        services = [s for s in services if s.get("spec", "publishNotReadyAddresses") is not True]
        if workload.exposed_by and not services:
            return False  # the pod's Services send to it whether it is ready or not
    if any(not _metrics_service(service, workload) for service in services):
        return True  # a Service for clients
    if not workload.exposed_by and workload.chart_writes_services:
        # A chart that writes its Services and none for these pods (lago's workers, whose liveness
        # probe calls a health port): no Service elsewhere sends them clients.
        return False
    # Otherwise no Service, or only Services for metrics, whose scrapes readiness does not gate
    # (ceph-csi's node plugin: `http-metrics` to a port a sidecar's flag sets, none declared).
    # A port a Service elsewhere may send clients to.
    return any(_serves_clients(c) for c in workload.containers() if probed or c.ports())


def _metrics_service(service: K8sObject, workload: Workload) -> bool:
    """A Service whose every port is named for metrics (or health) or sends to such a port, or to
    one a container's flag binds them to (kubebuilder's `controller-manager-metrics-service`,
    `https` to 8443, where `--metrics-bind-address=:8443` serves), inside the cluster: a NodePort
    or LoadBalancer Service is for clients outside it, whatever its ports say (microservices-demo's
    Prometheus, `prometheus` on a NodePort for people to query). A port named for clients that
    sends to a container port only *named* for metrics is for clients: Tempo's query frontend
    serves its API and its metrics on one port, `prom-metrics`, behind a Service port `http`.
    A Service named for metrics is one whatever its ports (jaeger-operator's `jaeger-operator-metrics`,
    `https` to a kube-rbac-proxy in front of the metrics its manager serves on a loopback port
    that no flag names)."""
    if service.get("spec", "type") in ("NodePort", "LoadBalancer"):
        return False
    if _named_for_metrics(service):
        return True
    ports = service.get("spec", "ports")
    if not isinstance(ports, list) or not ports:
        return False
    admin: set[object] | None = None
    for port in ports:
        names = [port.get("name"), port.get("targetPort")] if isinstance(port, dict) else []
        if any(_admin_name(name) for name in names):
            continue
        if admin is None:
            admin = _flagged_ports(workload)
        target = port.get("targetPort", port.get("port")) if isinstance(port, dict) else None
        if not (_hashable(target) and target in admin):
            return False
    return True


# `<app>-metrics` and kubebuilder's `<app>-metrics-service`; not a metrics API clients call
# (`metrics-server`, `custom-metrics-apiserver`).
_METRICS_SERVICE_NAME = re.compile(r"(?:^|[-_.])metrics(?:[-_]service)?$")


def _named_for_metrics(service: K8sObject) -> bool:
    return isinstance(service.name, str) and bool(_METRICS_SERVICE_NAME.search(service.name))


def _admin_name(name: object) -> bool:
    return isinstance(name, str) and bool(_ADMIN_PORT.search(name))


def _tooling_port_name(name: object) -> bool:
    """A container port's name for metrics, health checks or an admin server: besides the Service
    port names above, one that ends in `-admin` (Linkerd's `svcmi-admin`, `linkerd-admin`). Only
    for a container's own ports: a Service that sends clients to such a port (aks-store-demo's
    `store-admin` UI, behind a LoadBalancer) still makes the pod take traffic."""
    return _admin_name(name) or (isinstance(name, str) and bool(_ADMIN_SUFFIX.search(name)))


# Port names that serve the cluster's tooling, not the service's clients.
# `admin` alone (Envoy's admin port), not a name that ends in it (see `_tooling_port_name`); a
# readiness or liveness endpoint's own port (external-secrets' cert-controller: `ready`);
# `metrics` but not a metrics *service* or API that clients call (KEDA's operator serves its metrics
# adapter on `metricsservice`).
_ADMIN_PORT = re.compile(
    r"metrics(?![-_]?(?:service|server|api))|prometheus|prom\b|health|probe|pprof|profil|debug"
    r"|^(?:https?-|grpc-)?admin$|^(?:ready|readyz|readiness|livez|liveness)$",
    re.IGNORECASE,
)
_ADMIN_SUFFIX = re.compile(r"[-_]admin$", re.IGNORECASE)
# Exporters that clients send metrics to: their pods take traffic that readiness gates.
_RECEIVES_PUSHES = re.compile(r"statsd|graphite|collectd|influxdb")


def _gates_traffic(container: Container) -> bool:
    """Whether this container's readiness decides whether its pod gets traffic: the pod takes traffic,
    and the container listens, or no container of the pod shows that it does (a Service may target
    an undeclared port). A sidecar that declares no port beside one that does (a config reloader)
    receives nothing itself: a readiness probe there would only hold the pod back for it. Nor does
    an exporter beside the pod's program (memcached's `exporter`): it answers scrapes, and a
    readiness probe on it would take the pod out of its Service whenever the metrics fail. Nor does
    a pod that runs only an exporter (deliveryhero's cloudflare exporter, on an unnamed port), unless
    it is one that clients push to (statsd, graphite, collectd, InfluxDB line protocol)."""
    workload = container.workload
    if not _takes_traffic(workload):
        return False
    if runs_exporter(container) and workload.exporter is None:  # the pod runs more than the exporter
        return False
    if workload.exporter is not None and not _RECEIVES_PUSHES.search(workload.exporter):
        return False  # it runs only an exporter, which Prometheus scrapes whether it is ready or not
    others = [other for other in workload.containers() if other is not container]
    if _answers_only_tooling(container) and any(_serves_clients(other) for other in others):
        return False  # a metrics sidecar, or a daemon probed on one (metallb's frr beside frr-metrics)
    return _listens(container) or not any(_listens(other) for other in workload.containers())


def _pod_admin_ports(workload: Workload) -> set[object]:
    """Names and numbers of the pod's ports named for metrics or health checks, or that a
    container's flag sets for them (containers of a pod share its network: a probe may call a port
    another container declares, or one a sidecar serves: the CSI livenessprobe's `--http-endpoint`)."""
    found = _flagged_ports(workload)
    for container in workload.containers(include_init=False):
        for port in container.ports():
            if _tooling_port_name(port.get("name")):
                found.update(v for v in (port.get("name"), port.get("containerPort")) if isinstance(v, (int, str)))
    return found


def _flagged_ports(workload: Workload) -> set[object]:
    """Numbers of the pod's ports that a container's flag binds metrics or health checks to, and
    the names its containers declare for them."""
    found: set[object] = set()
    for container in workload.containers(include_init=False):
        diagnostics = _diagnostics_ports(container)
        found.update(diagnostics)
        named = (p.get("name") for p in container.ports() if _is_port_in(p.get("containerPort"), diagnostics))
        found.update(name for name in named if isinstance(name, str))
    return found


def _answers_only_tooling(container: Container) -> bool:
    """Whether the container answers on something (a port, a probe's port), all of it for metrics
    or health checks."""
    return _listens(container) and not _serves_clients(container)


def _serves_clients(container: Container) -> bool:
    """Whether the container may serve clients: it declares a port not named for metrics or health
    checks (a port without a name counts), or, declaring none, its probes call a port that is not
    one of those the pod names for them (the program's own port, undeclared). A container that
    declares its ports shows where it listens: a probe on another port is a health endpoint."""
    ports = container.ports()
    if ports:
        diagnostics = _diagnostics_ports(container)
        scraped = _scraped_ports(container.workload)
        return not all(
            _tooling_port_name(p.get("name"))
            or _is_port_in(p.get("containerPort"), diagnostics)
            or any(_hashable(v) and v in scraped for v in (p.get("name"), p.get("containerPort")))
            for p in ports
        )
    admin = _pod_admin_ports(container.workload)
    return any(port not in admin for port in _probed_ports(container, loopback=False))


def _hashable(value: object) -> bool:
    return isinstance(value, (int, str))


def _scraped_ports(workload: Workload) -> set[object]:
    """Names and numbers of the pod's ports that a Service for metrics sends to (cert-manager's
    unnamed 9402, behind `tcp-prometheus-servicemonitor`; every port of a Service named for
    metrics): where Prometheus scrapes, not clients."""
    found: set[object] = set()
    for service in workload.exposed_by:
        if not _metrics_service(service, workload):
            continue
        named = _named_for_metrics(service)
        for port in service.get("spec", "ports") or ():
            if not isinstance(port, dict) or not (named or _SCRAPE_NAME.search(str(port.get("name") or ""))):
                continue  # `prometheus` names a Prometheus server's own API as often as its metrics
            target = port.get("targetPort", port.get("port"))
            if _hashable(target):
                found.add(target)
    return found


_SCRAPE_NAME = re.compile(r"metrics|servicemonitor|scrape|exporter", re.IGNORECASE)


def _is_port_in(port: object, ports: set[int]) -> bool:
    return isinstance(port, int) and port in ports


# Flags that set where a program serves its metrics and health checks: the Kubernetes CSI
# sidecars' `--http-endpoint=$(POD_IP):8090` (metrics, pprof, leader-election health), controller-
# runtime's `--metrics-bind-address` (kubebuilder v2's `--metrics-addr`) and
# `--health-probe-bind-address`, ceph-csi's `--metricsport`.
_DIAGNOSTICS_FLAG = re.compile(
    r"^--?(?:http-endpoint|metrics-(?:bind-)?addr(?:ess)?|metrics-?port|health-probe-bind-address|health-?port"
    # APISIX's ADC server, beside its ingress controller: its status (health) server.
    r"|listen-status)"
    r"=(?:\S*:)?(\d+)$",
    re.IGNORECASE,
)


def _diagnostics_ports(container: Container) -> set[int]:
    """The port numbers the container's flags name for metrics and health checks, and where a proxy
    listens whose upstream is one of those of its pod (a kubebuilder v3 scaffold's kube-rbac-proxy:
    `--secure-listen-address=0.0.0.0:8443` in front of the manager's
    `--metrics-bind-address=127.0.0.1:8080`)."""
    found = _flag_ports(container, _DIAGNOSTICS_FLAG)
    upstreams = _flag_ports(container, _LOOPBACK_UPSTREAM)
    if upstreams:
        containers = container.workload.containers(include_init=False)
        if upstreams <= set().union(*(_flag_ports(c, _DIAGNOSTICS_FLAG) for c in containers)):
            found |= _flag_ports(container, _PROXY_LISTEN)
    return found


# An authorizing proxy's flags (kube-rbac-proxy's; oauth2-proxy's `--upstream` too): the port it
# passes requests to on the pod's loopback, and where it listens.
_LOOPBACK_UPSTREAM = re.compile(r"^--upstream=https?://(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)(?:/\S*)?$", re.I)
_PROXY_LISTEN = re.compile(r"^--(?:secure-|insecure-)?listen-address=(?:\S*:)?(\d+)$", re.I)


def _flag_ports(container: Container, flag: re.Pattern[str]) -> set[int]:
    """The ports flags of this kind set, written `--flag=value` or as two words (`--listen-status
    3001`)."""
    words = [arg.strip() for arg in container.argv]
    joined = [f"{word}={value}" for word, value in pairwise(words) if word.startswith("-") and "=" not in word]
    found = (flag.match(word) for word in (*words, *joined))
    return {int(match.group(1)) for match in found if match}


def _probed_ports(container: Container, loopback: bool = True) -> list[object]:
    """The ports the container's probes call; without `loopback`, not those called on the node's
    loopback (`host: localhost`, in a pod on the host's network), where no client reaches."""
    found = []
    for name in PROBES:
        probe = _probe(container, name)
        for way in ("httpGet", "tcpSocket", "grpc"):
            action = probe.get(way) if probe is not None else None
            port = action.get("port") if isinstance(action, dict) else None
            host = action.get("host") if isinstance(action, dict) else None
            if not loopback and isinstance(host, str) and host in _LOOPBACK:
                continue
            if isinstance(port, (int, str)):  # a number or a name; anything else calls no port
                found.append(port)
    return found


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
# A URL on the pod's loopback in an exec probe's command (Flagger's `wget --spider
# http://localhost:8080/healthz`).
_LOOPBACK_URL = re.compile(r"\bhttps?://(?:localhost|127\.0\.0\.1|\[::1\]):(\d+)")


def _exec_probe_ports(container: Container) -> set[int]:
    """The port numbers the container's exec probes call on the pod's loopback."""
    found: set[int] = set()
    for name in PROBES:
        probe = _probe(container, name)
        action = probe.get("exec") if probe is not None else None
        command = action.get("command") if isinstance(action, dict) else None
        words = [word for word in command if isinstance(word, str)] if isinstance(command, list) else []
        found.update(int(match.group(1)) for word in words for match in _LOOPBACK_URL.finditer(word))
    return found


def _listens(container: Container) -> bool:
    """Whether the container declares a port or a probe calls one."""
    return bool(container.ports() or _probed_ports(container))


@check("K003")
def startup_probe(ctx: CheckContext) -> Iterator[Finding]:
    min_budget = ctx.params["min_first_kill_seconds"]
    max_startup = ctx.params["max_startup_seconds"]
    for container in _serving_containers(ctx):
        startup = _probe(container, "startupProbe")
        liveness = _probe(container, "livenessProbe")
        if startup is not None:
            threshold, period = _setting(startup, "failureThreshold"), _setting(startup, "periodSeconds")
            too_long = _int(threshold) and _int(period) and threshold * period > max_startup
            if too_long and not _recovers_at_start(container):
                yield _container_finding(
                    ctx,
                    container,
                    container.key_loc("startupProbe"),
                    f"startupProbe allows {threshold * period} s to start (failureThreshold {threshold} × "
                    f"periodSeconds {period}), more than {max_startup} s, so a hung start-up goes unnoticed",
                    "startupProbe",
                    str(threshold * period),
                )
        elif liveness is not None:
            # The kubelet kills after failureThreshold failed checks, the first one
            # initialDelaySeconds in: a default probe (0 + 3 × 10 s) first kills at 30 s.
            delay, threshold, period = (_setting(liveness, key) for key in LIVENESS_BUDGET_KEYS)
            if not (_int(delay) and _int(threshold) and _int(period)):
                continue
            budget = delay + threshold * period
            if budget < min_budget:
                shown = [key for key in LIVENESS_BUDGET_KEYS if key in liveness]
                yield _container_finding(
                    ctx,
                    container,
                    container.key_loc("livenessProbe", *shown[:1]),
                    f"no startupProbe, and the livenessProbe first kills a container that has not answered after "
                    f"{budget} s (initialDelaySeconds {delay} + failureThreshold {threshold} × periodSeconds "
                    f"{period}), under {min_budget} s: a slow start is killed before it is ready",
                    "startupProbe",
                    str(budget),
                )


def _recovers_at_start(container: Container) -> bool:
    """Whether the container runs a data store or Prometheus, whose start-up lasts as long as the
    data it recovers (Prometheus replays its write-ahead log first, minutes on a large one): K003
    does not cap its startupProbe."""
    image = container.get("image")
    if not isinstance(image, str) or not image or "$" in image or "{" in image:
        return False
    return data_store(image) is not None or hub_repository(image) in PROMETHEUS_IMAGES


def _handler(probe: dict) -> tuple[str, Any] | None:
    for name in PROBE_HANDLERS:
        if name in probe:
            return name, probe[name]
    return None


@check("K004")
def distinct_probes(ctx: CheckContext) -> Iterator[Finding]:
    for container in _serving_containers(ctx):
        liveness, readiness = _probe(container, "livenessProbe"), _probe(container, "readinessProbe")
        if liveness is None or readiness is None:
            continue
        handler = _handler(liveness)
        # A TCP connect only asks whether the process accepts connections: it reaches no dependency,
        # and Kubernetes' own TCP probe example uses the same one for both.
        if handler is not None and handler[0] != "tcpSocket" and handler == _handler(readiness):
            shown = handler[1].get("path", "") if isinstance(handler[1], dict) else ""
            target = f" ({handler[0]} {shown})".replace(" )", ")") if shown else f" ({handler[0]})"
            yield _container_finding(
                ctx,
                container,
                container.key_loc("livenessProbe"),
                f"livenessProbe and readinessProbe check the same thing{target}: if it checks a dependency, "
                "that dependency failing restarts every pod",
                "distinct-probes",
                handler[0],
            )


@check("K005")
def probe_timing(ctx: CheckContext) -> Iterator[Finding]:
    min_threshold = ctx.params["min_failure_threshold"]
    min_period = ctx.params["min_period_seconds"]
    for container in _serving_containers(ctx):
        for name in PROBES:
            probe = _probe(container, name)
            if probe is None:
                continue
            timeout, period = _setting(probe, "timeoutSeconds"), _setting(probe, "periodSeconds")
            if _int(timeout) and _int(period) and timeout >= period:
                offending = (
                    "timeoutSeconds" if "timeoutSeconds" in probe or "periodSeconds" not in probe else "periodSeconds"
                )
                yield _container_finding(
                    ctx,
                    container,
                    container.key_loc(name, offending),
                    f"{name} timeoutSeconds {timeout} is not below periodSeconds {period}: the kubelet runs one "
                    "probe at a time, so an endpoint that hangs is probed back to back"
                    + (f", and its failures come {timeout} s apart, not {period} s" if timeout > period else ""),
                    f"{name}/timeout",
                    f"{timeout}/{period}",
                )
            successes = probe.get("successThreshold")
            if name != "readinessProbe" and _int(successes) and successes > 1:
                # ValidateProbe: a liveness or startup probe's successThreshold "must be 1".
                yield _container_finding(
                    ctx,
                    container,
                    container.key_loc(name, "successThreshold"),
                    f"{name} successThreshold {successes}: the API server refuses it (only a readinessProbe "
                    "may ask for more than one success), so the workload is not created; remove it",
                    f"{name}/successThreshold",
                    str(successes),
                )
            if name != "livenessProbe":
                continue
            threshold = _setting(probe, "failureThreshold")
            if _int(threshold) and threshold < min_threshold:
                yield _container_finding(
                    ctx,
                    container,
                    container.key_loc(name, "failureThreshold"),
                    f"livenessProbe failureThreshold {threshold} restarts the container after "
                    f"{threshold} failed check(s); use at least {min_threshold}",
                    "livenessProbe/failureThreshold",
                    str(threshold),
                )
            if _int(period) and period < min_period:
                yield _container_finding(
                    ctx,
                    container,
                    container.key_loc(name, "periodSeconds"),
                    f"livenessProbe periodSeconds {period} probes more often than every {min_period} s",
                    "livenessProbe/periodSeconds",
                    str(period),
                )


def _resource(container: Container, section: str, name: str) -> Any:
    return container.get("resources", section, name)


def _missing_resource(ctx: CheckContext, section: str, name: str, why: str) -> Iterator[Finding]:
    for container in _all_containers(ctx):
        if runs_pause(container):
            continue  # it sleeps in a few hundred KiB; an overprovisioning pod's requests are its own choice
        value = _resource(container, section, name)
        # Kubernetes sets a missing request to the limit.
        if value is None and section == "requests":
            value = _resource(container, "limits", name)
        if value is None and container.workload.resource_default(section, name) is not None:
            continue  # the namespace's LimitRange fills it in when the pod is created
        if value is None:
            unscaled = _unscaled_by_share(container, name) if section == "requests" else None
            note, related = unscaled if unscaled is not None else ("", ())
            yield _container_finding(
                ctx,
                container,
                container.key_loc("resources", section),
                f"no resources.{section}.{name}{why}{note}",
                f"resources.{section}.{name}",
                related=related,
            )
        elif section == "requests" and parse_quantity(value) == 0:
            # `"0"` asks for nothing, as a missing request without a limit does.
            yield _container_finding(
                ctx,
                container,
                container.loc("resources", section, name),
                f"resources.{section}.{name} is 0{why}",
                f"resources.{section}.{name}",
                str(value),
            )


def _unscaled_by_share(container: Container, name: str) -> tuple[str, tuple[Related, ...]] | None:
    """Where an autoscaler of the container's workload scales on `name` utilization, a share of
    the requests: the HPA controller cannot compute it while a container it counts (the pod's
    containers and sidecars, or the one a ContainerResource metric names) requests none, and
    answers "missing request for cpu". With other metrics it still scales up, never down."""
    if container.init and container.spec.get("restartPolicy") != "Always":
        return None  # an init container that runs to completion is not counted
    pod_requests = container.workload.pod_spec.get("resources")
    if isinstance(pod_requests, dict) and dig(pod_requests, ("requests", name)) is not None:
        return None  # pod-level resources: the HPA divides by the pod's request
    for scaler in container.workload.hpas:
        for resource, only, keys in utilization_targets(scaler):
            if resource != name or only not in (None, container.name):
                continue
            shown = "CPU" if name == "cpu" else name
            counted, lacking = (
                ("usage as a share of this container's request", "it requests")
                if only
                else ("usage as a share of the pods' requests", "a container requests")
            )
            outcome = (
                "so it never scales"
                if len(_scaler_metrics(scaler)) <= 1
                else "so it never scales down (its other metrics can still scale it up)"
            )
            note = (
                f"; {scaler.display} scales on {shown} utilization ({counted}), which it cannot compute while "
                f"{lacking} no {shown} ('missing request for {name}'), {outcome}"
            )
            said = f"scales on {shown} utilization"
            if keys == ("spec",):
                said = "sets no metrics, so it scales on 80% CPU utilization"
            return note, (Related(scaler.key_loc(*keys), f"{scaler.display} {said}"),)
    return None


def _scaler_metrics(scaler: K8sObject) -> list[Any]:
    """The metrics (an HPA's) or triggers (a ScaledObject's) an autoscaler scales on; none
    written means the default CPU metric alone."""
    items = scaler.get("spec", "triggers" if is_keda_scaler(scaler) else "metrics")
    return items if isinstance(items, list) else []


@check("K006")
def memory_limit(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing_resource(ctx, "limits", "memory", ": a leak can take the node's memory")


@check("K007")
def memory_request(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing_resource(ctx, "requests", "memory", ": the scheduler assumes it needs none")


@check("K008")
def cpu_request(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing_resource(ctx, "requests", "cpu", ": it gets almost no CPU under contention")


@check("K009")
def cpu_limit(ctx: CheckContext) -> Iterator[Finding]:
    yield from _missing_resource(ctx, "limits", "cpu", "")


@check("K010")
def limit_request_ratio(ctx: CheckContext) -> Iterator[Finding]:
    max_ratio = Decimal(str(ctx.params["max_ratio"]))
    for container in _all_containers(ctx):
        for name in ("cpu", "memory"):
            limit_raw, request_raw = _resource(container, "limits", name), _resource(container, "requests", name)
            limit, request = parse_quantity(limit_raw), parse_quantity(request_raw)
            if limit is None or request is None or request <= 0:
                continue
            if name == "memory" and min(limit, request) < MI:
                continue  # a unit mistake such as `512m`: K029 reports it, a ratio would only add noise
            where = container.key_loc("resources", "limits", name)
            if limit < request:
                yield _container_finding(
                    ctx,
                    container,
                    where,
                    f"{name} limit {limit_raw} is below its request {request_raw}: the API server refuses the "
                    "container (a request may not exceed its limit)",
                    f"ratio/{name}",
                    f"{limit_raw}<{request_raw}",
                )
            elif limit > request * max_ratio:
                ratio = (limit / request).quantize(Decimal("0.01"))
                yield _container_finding(
                    ctx,
                    container,
                    where,
                    f"{name} limit {limit_raw} is {ratio:f}× its request {request_raw} (at most {max_ratio:f}×): "
                    "pods that burst together overcommit the node",
                    f"ratio/{name}",
                    f"{limit_raw}/{request_raw}",
                )


def _security(container: Container) -> tuple[dict, dict]:
    pod = container.workload.pod_spec.get("securityContext")
    own = container.get("securityContext")
    return (pod if isinstance(pod, dict) else {}), (own if isinstance(own, dict) else {})


@check("K011")
def run_as_non_root(ctx: CheckContext) -> Iterator[Finding]:
    for container in _all_containers(ctx):
        pod, own = _security(container)
        if container.workload.windows:
            yield from _windows_user(ctx, container, pod, own)
            continue
        non_root = own.get("runAsNonRoot", pod.get("runAsNonRoot"))
        user = own.get("runAsUser", pod.get("runAsUser"))
        if user == 0 and not isinstance(user, bool):
            where = (
                container.key_loc("securityContext", "runAsUser")
                if "runAsUser" in own
                else container.workload.obj.key_loc(*container.workload.pod_spec_keys, "securityContext", "runAsUser")
            )
            yield _container_finding(ctx, container, where, "runs as root (runAsUser: 0)", "runAsNonRoot", "0")
        elif non_root is not True and not (_int(user) and user > 0):
            yield _container_finding(
                ctx,
                container,
                container.key_loc("securityContext"),
                "neither the pod nor the container securityContext sets runAsNonRoot: true or a runAsUser above 0",
                "runAsNonRoot",
            )


# Windows's counterpart of root, as the kubelet's runAsNonRoot check names it; and the host's own
# administrator accounts, which a HostProcess container may run as.
_WINDOWS_ROOT = "containeradministrator"
_WINDOWS_HOST_ADMINS = frozenset({"nt authority\\system", "system", "administrator"})


def _windows_user(ctx: CheckContext, container: Container, pod: dict, own: dict) -> Iterator[Finding]:
    """K011 for a Windows pod: `runAsUser` means nothing there; `runAsNonRoot: true` (the kubelet then
    refuses ContainerAdministrator) or a `windowsOptions.runAsUserName` other than an administrator
    is what keeps it off the administrator account. A HostProcess container runs on the host itself:
    as SYSTEM it is the host's most privileged account, whatever runAsNonRoot says."""
    options = [context.get("windowsOptions") for context in (own, pod)]
    options = [o if isinstance(o, dict) else {} for o in options]
    user = next((o["runAsUserName"] for o in options if isinstance(o.get("runAsUserName"), str)), None)
    host = next((o["hostProcess"] for o in options if isinstance(o.get("hostProcess"), bool)), False)
    workload = container.workload
    where = (
        container.key_loc("securityContext", "windowsOptions", "runAsUserName")
        if user is None or isinstance(options[0].get("runAsUserName"), str)
        else workload.obj.key_loc(*workload.pod_spec_keys, "securityContext", "windowsOptions", "runAsUserName")
    )
    if host and user is not None and user.lower() in _WINDOWS_HOST_ADMINS:
        message = (
            f"runs on the Windows host as {user} (a HostProcess container), the host's most privileged account"
        )
        fix = (
            "Set `securityContext.windowsOptions.runAsUserName` to `NT AUTHORITY\\Local service` or a local "
            "user group, unless the container needs SYSTEM's rights on the host."
        )
    elif own.get("runAsNonRoot", pod.get("runAsNonRoot")) is True:
        return
    elif user is None:
        message = (
            "a Windows pod whose securityContext sets neither runAsNonRoot: true nor a windowsOptions.runAsUserName, "
            "so the image's user runs it (ContainerAdministrator in Windows Server Core images)"
        )
        fix = _WINDOWS_FIX
    elif user.lower() == _WINDOWS_ROOT:
        message = f"runs as {user} (windowsOptions.runAsUserName), Windows's counterpart of root"
        fix = _WINDOWS_FIX
    else:
        return
    finding = _container_finding(ctx, container, where, message, "runAsNonRoot", user or "")
    finding.fix = fix
    yield finding


_WINDOWS_FIX = (
    "Set `securityContext.runAsNonRoot: true` or `securityContext.windowsOptions.runAsUserName: ContainerUser` "
    "on the pod or container (`runAsUser` does not apply to Windows)."
)


def _security_flag(ctx: CheckContext, key: str, wanted: bool) -> Iterator[Finding]:
    """Containers whose own securityContext does not set `key` to `wanted` (pods cannot set these).
    Not on Windows pods, where these Linux fields do nothing and the API server refuses them with
    `spec.os.name: windows`."""
    for container in _all_containers(ctx):
        if container.workload.windows:
            continue
        _, own = _security(container)
        if own.get(key) is not wanted:
            yield _container_finding(
                ctx, container, container.key_loc("securityContext", key), f"{key} is not {str(wanted).lower()}", key
            )


@check("K012")
def no_privilege_escalation(ctx: CheckContext) -> Iterator[Finding]:
    yield from _security_flag(ctx, "allowPrivilegeEscalation", False)


@check("K013")
def read_only_root_filesystem(ctx: CheckContext) -> Iterator[Finding]:
    yield from _security_flag(ctx, "readOnlyRootFilesystem", True)


def _replica_workloads(ctx: CheckContext) -> Iterator[Workload]:
    """Deployments, StatefulSets and Rollouts, less the Deployments a Rollout runs through
    `workloadRef` (the Rollout owns their scale and scales them down) and those scaled to zero on
    purpose (`replicas: 0`: argo-cd's HA overlay runs its controller as a Deployment and keeps the
    StatefulSet at 0), which run no pod a drain, a rollout or a PDB could concern; nor do pods of
    pause containers, which hold capacity for others to take."""
    scaled_elsewhere = ctx.project.kube.scaled_by_rollout
    return (
        w
        for w in targets.workloads(ctx.project, REPLICA_KINDS)
        if id(w) not in scaled_elsewhere and not _scaled_to_zero(w) and not w.serves_nothing
    )


def _scaled_to_zero(workload: Workload) -> bool:
    replicas = workload.replicas
    return isinstance(replicas, int) and not isinstance(replicas, bool) and replicas == 0


def _scalable_workloads(ctx: CheckContext) -> Iterator[Workload]:
    """The replica workloads whose program may run more than once (not a Thanos compactor, not
    external-dns) and gains from it (not a Prometheus exporter, which every replica would only
    duplicate)."""
    return (w for w in _replica_workloads(ctx) if w.singleton_role is None and w.exporter is None)


def standby_controller(workload: Workload) -> str | None:
    """How the scan shows that the workload is a controller that elects a leader and serves no
    clients, else None: its replicas beyond the leader only stand by, so two are as available as
    three, and CPU never scales it. A pod that elects a leader and serves clients too (an admission
    webhook) needs its replicas for the traffic, unless its program serves from the leader alone
    (Workload.leader_only_server: KEDA's operator). A port only its probes call is its health server
    (controller-runtime's `:8081`, `/healthz` and `/readyz`): the election shows what it is."""
    evidence = workload.elects_leader
    if evidence is None or (_controller_traffic(workload) and workload.leader_only_server is None):
        return None
    return evidence


def _controller_traffic(workload: Workload) -> bool:
    """Whether clients send a controller's pods requests (see _client_traffic). Where no Service of
    the scan selects the pod, a declared port that its own probes call (an exec probe's URL on the
    pod's loopback too: Flagger's) is its health and metrics server, whatever its name (Strimzi's
    Cluster Operator: `http`, 8080, for `/healthy`, `/ready` and `/metrics`)."""
    if not _client_traffic(workload, gated_only=True, probed=False):
        return False
    if workload.exposed_by:
        return True
    containers = workload.containers(include_init=False)
    probed = {port for c in containers for port in (*_probed_ports(c), *_exec_probe_ports(c))}
    return any(
        not _tooling_port_name(port.get("name"))
        and not any(_hashable(v) and v in probed for v in (port.get("name"), port.get("containerPort")))
        for c in containers
        for port in c.ports()
    )


def unelected_controller(workload: Workload) -> str | None:
    """How the scan shows that the workload is a controller that elects no leader and serves no
    clients, else None: the API it watches is its only input, so more replicas would each act on
    the same objects, unless leader election is turned on first (where the program has it). Its
    own admission webhooks (MetalLB's controller) are no clients: the API server calls them."""
    evidence = workload.watches_unelected
    if evidence is None or not _controller_traffic(workload):
        return evidence
    if _webhooks_only(workload) and _acts_on_more_than_certificates(workload):
        return evidence
    return None


def _webhooks_only(workload: Workload) -> bool:
    """Whether the API server's calls to the pod's webhooks are its only traffic: each Service of it
    is one a webhook configuration names or one for metrics, and at least one is a webhook's."""
    hooks = {id(service) for service in workload.webhook_services}
    return bool(hooks) and all(id(s) in hooks or _metrics_service(s, workload) for s in workload.exposed_by)


# What a webhook server changes to keep its own serving certificate: its Secret, the caBundle of
# its webhook configurations or CRDs (cert-manager's webhook, Vault's agent injector).
_CERTIFICATE_UPKEEP = frozenset(
    {"secrets", "configmaps", "mutatingwebhookconfigurations", "validatingwebhookconfigurations"}
    | {"customresourcedefinitions", "apiservices", "certificatesigningrequests"}
)


def _acts_on_more_than_certificates(workload: Workload) -> bool:
    """Whether the pod's RBAC lets it change more than a webhook server's certificate upkeep: a
    controller that serves its webhooks too (MetalLB's: it writes Services' status), not a webhook
    server whose replicas only keep their certificate (those are judged like any server)."""
    grant = workload.watch_grant
    return grant is not None and bool(set(grant.changed) - _CERTIFICATE_UPKEEP)


@check("K014")
def min_replicas(ctx: CheckContext) -> Iterator[Finding]:
    minimum = ctx.params["min_replicas"]
    for workload in _scalable_workloads(ctx):
        if workload.hpa is not None:
            continue  # the HPA owns the scale (K021 judges its bounds)
        replicas = workload.replicas
        count = 1 if replicas is None else replicas
        standby = standby_controller(workload)
        unelected = None if standby else unelected_controller(workload)
        needed = min(minimum, 2) if standby or unelected else minimum
        severity = None
        if _int(count) and count < needed:
            why = "spec.replicas is absent, which means 1" if replicas is None else f"replicas: {count}"
            obj = workload.obj
            runs = f"{obj.display} runs {count} replica{'s' if count != 1 else ''} ({why})"
            claim, modes = (None, None) if obj.kind != "Deployment" else _single_attach_claim(ctx, workload)
            if standby:
                # One replica works, the others wait for its Lease: one standby is the availability.
                message = (
                    f"{runs} of a controller that elects a leader ({standby}): while its pod is drained, "
                    "rescheduled or restarting, nothing reconciles. Run 2 replicas: the standby takes the "
                    "Lease over within seconds (more replicas, or an HPA, only add idle standbys)"
                )
            elif unelected:
                # Whether a second replica is safe depends on an election the program may not have.
                message = (
                    f"{runs} of a controller that shows no leader election ({unelected}): while its pod is "
                    "drained, rescheduled or restarting, nothing acts on what it watches, and more replicas "
                    "would each act on the same objects. Turn its leader election on if it has one "
                    "(controller-runtime's --leader-elect) and run 2; if it has none, one replica is all it supports"
                )
                severity = Severity.WARNING if ctx.severity == Severity.ERROR else ctx.severity
            elif workload.data_store in CACHE_STORES:
                # Each server holds its own share of the keys: a pod lost is that share missed.
                message = (
                    f"{runs} of a cache ({workload.data_store}): its servers do not replicate, its clients "
                    "spread keys over them, so each pod a drain, a rollout or a crash takes down empties its "
                    f"share of the cache and sends those reads to the backend. Run at least {minimum}, so that "
                    "one pod's loss is a small share"
                )
            elif workload.data_store is None and modes is not None:
                # Replicas on other nodes could not attach the volume (Multi-Attach): a count is no fix.
                message = (
                    f"{runs}; a drain, a rollout or a crash can take it down, and its {'/'.join(modes)} volume "
                    f"(PersistentVolumeClaim '{claim}') attaches to one node, so more replicas elsewhere could "
                    "not start. Run it as a StatefulSet with a volume per pod, or on a ReadWriteMany volume"
                )
            elif workload.data_store is not None:
                # More replicas of a store are separate servers: the fix is replication, not a count.
                # Whether more replicas replicate depends on how the store is set up (a Consul or etcd
                # chart clusters its replicas; a plain redis or postgres image does not).
                message = (
                    f"{runs} of a data store ({workload.data_store}): a drain or a crash takes it down, and more "
                    f"replicas of this {obj.kind} are copies only where {workload.data_store} is set up to "
                    "replicate, else separate servers. Run it replicated (its clustering, an operator, or a "
                    "chart's replication mode) or use a managed service"
                )
            else:
                message = (
                    f"{runs}; a drain, a rollout or a crash can take it down. Run at least {minimum} or "
                    "scale it with an HPA"
                )
            finding = ctx.report(
                workload,
                message,
                what="replicas",
                at=obj.key_loc("spec", "replicas"),
                value=str(count),
                severity=severity,
            )
            if _serves_only_webhooks(workload):
                finding.fix = _WEBHOOK_REPLICAS_FIX
            yield finding


def _serves_only_webhooks(workload: Workload) -> bool:
    """Whether a controller that elects a leader still needs replicas for traffic because every
    replica answers the API server's calls to its webhooks (jaeger-operator's, ECK's), and only
    those: not where a Service for clients selects the pods too (ingress-nginx's controller). Said
    in the fix, not the message: overlays that leave the webhook out say the rest alike, and one
    problem at one line stays one finding."""
    return workload.elects_leader is not None and _webhooks_only(workload)


_WEBHOOK_REPLICAS_FIX = (
    "Set `spec.replicas: 3` or scale the workload with an HPA whose minReplicas is 3: it elects a leader, but "
    "every replica answers the API server's webhook calls, so its replicas are capacity, not standbys."
)


ROLLOUT_TYPES = ("RollingUpdate", "Recreate")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _pods_taken_down(workload: Workload, unavailable: IntOrPercent) -> str | None:
    """How a rollout takes serving pods down, with the arithmetic, or None when it never does.
    The Deployment controller rounds a percentage maxUnavailable down (25% of 3 replicas is 0);
    the first replica count in the workload's range where it reaches one pod is the one shown."""
    counts = workload.replica_range()
    if unavailable.number == 0 or (counts is not None and counts[1] < 1):
        return None
    if not unavailable.percent:
        of = f" of {counts[1]}" if counts is not None and counts[0] == counts[1] else ""
        return f"{_plural(unavailable.number, 'pod')}{of} may be down at once"
    if counts is None:
        return None  # a percentage of an unknown count: no guess
    low, high = counts
    first = max(-(-100 // unavailable.number), low, 1)  # where the percentage reaches one pod
    if first > high:
        return None
    pods = unavailable.of(first, round_up=False)
    text = f"{unavailable} of {_plural(first, 'replica')} rounds down to {_plural(pods, 'pod')}"
    if workload.hpa is not None:
        text += f" once {workload.hpa.display} scales it to {first} (it scales from {low} to {high})"
    return text




def _attach_note(claim: str, modes: list[str] | None, recreate: bool) -> str:
    """Why taking the pod down first is what its volume needs: known modes, or a claim not in the scan."""
    needs = "Recreate" if recreate else "taking the old pod down first"
    if modes is not None:
        shape = "a rolling update" if recreate else "a replacement started first"
        return (
            f", as its {'/'.join(modes)} volume (PersistentVolumeClaim '{claim}') requires: {shape} "
            "would wait on a volume the old pod holds. For zero downtime, run it as a "
            "StatefulSet or on a ReadWriteMany volume"
        )
    return (
        f"; if its PersistentVolumeClaim '{claim}' (not in this scan) is ReadWriteOnce, {needs} is "
        "what it needs, and zero downtime needs a StatefulSet or a ReadWriteMany volume"
    )


def _single_attach_claim(ctx: CheckContext, workload: Workload) -> tuple[str | None, list[str] | None]:
    return single_attach_claim(ctx.project.kube.objects, workload)


# A pod no client reaches (a controller, a queue consumer): a rollout that takes it down pauses its
# work, and drops no request.
_NO_TRAFFIC = (
    ", but no traffic reaches its pods (no Service for clients selects them, and no container serves a "
    "port for clients): the rollout pauses their work for a while, and drops no request"
)


# For a program that must run alone, or whose versions must not run side by side: the rule's own
# fix (a rolling update) is what must not happen.
_KEEP_RECREATE_FIX = (
    "Keep `strategy.type: Recreate`: a rollout is down from the old pod's stop to the new pod's readiness, "
    "so keep its start-up short."
)


def _single_store(workload: Workload) -> str | None:
    """The data store a workload of one replica runs (K014 names it), else None."""
    replicas = workload.replicas
    store = workload.data_store
    # A second cache server beside the first for a while loses nothing: each holds only copies.
    return store if (replicas is None or replicas == 1) and store not in CACHE_STORES else None


@check("K015")
def zero_unavailable_rollout(ctx: CheckContext) -> Iterator[Finding]:
    """Recreate, or a RollingUpdate that takes serving pods down: maxUnavailable resolves to at
    least one pod at some count the workload runs (rounded down), or maxSurge is 0 (rounded up)."""
    for workload in ctx.project.kube.workloads:
        if workload.kind != "Deployment" or id(workload) in ctx.project.kube.scaled_by_rollout:
            continue  # a Rollout's canary or blue-green steps are its own: not a Deployment's strategy
        if _scaled_to_zero(workload) or workload.serves_nothing:
            continue  # no pod to roll, or none that serves
        obj = workload.obj
        strategy = obj.get("spec", "strategy")
        strategy = strategy if isinstance(strategy, dict) else {}
        kind = strategy.get("type", "RollingUpdate")
        if kind == "Recreate":
            claim, modes = _single_attach_claim(ctx, workload)
            message = f"{obj.display} uses the Recreate strategy: every pod stops before new ones start"
            severity = None
            needed = False  # Recreate is what the program or store needs: the fix is to keep it
            if workload.singleton_role is not None:
                # Two must never run at once, which a rolling update would do for a while (whatever
                # volume it mounts: a StatefulSet would not make a second one safe either).
                message += (
                    f", which a program that must run alone needs ({workload.singleton_role}); a rolling update "
                    "would run two at once"
                )
                severity, needed = Severity.INFO, True
            elif workload.one_version_role is not None:
                # Its upgrade must stop every old pod before a new one starts: what Recreate does.
                message += f", which its upgrades need ({workload.one_version_role})"
                severity, needed = Severity.INFO, True
            elif claim is not None:
                # The new pod could not mount the volume while the old one holds it (Multi-Attach):
                # Recreate is what the volume needs, and zero downtime needs another shape.
                message += _attach_note(claim, modes, recreate=True)
                severity = Severity.INFO if modes is not None else Severity.WARNING
            elif (unelected := unelected_controller(workload)) is not None:
                # No election: two pods at once would each act on the same objects, which Recreate
                # prevents (Strimzi's Access Operator). Turning an election on is K014's advice.
                message += (
                    f", which a controller that shows no leader election needs ({unelected}): a rolling update "
                    "would run two at once, each acting on the same objects"
                )
                severity, needed = Severity.INFO, True
            elif (store := _single_store(workload)) is not None:
                # A store that does not replicate: a rolling update would run a second, separate
                # server behind the same Service for a while (velero's example MinIO).
                message += (
                    f", which one {store} server that does not replicate needs: a rolling update would run a "
                    f"second, separate {store} server beside it for a while, each taking writes the other misses"
                )
                severity, needed = Severity.INFO, True
            elif not _takes_traffic(workload):
                message += _NO_TRAFFIC
                severity = Severity.WARNING if ctx.severity == Severity.ERROR else ctx.severity
            finding = ctx.report(
                workload,
                message,
                what="strategy",
                at=obj.loc("spec", "strategy", "type"),
                value="Recreate",
                severity=severity,
            )
            if needed:
                finding.fix = _KEEP_RECREATE_FIX
            yield finding
            continue
        if kind not in ROLLOUT_TYPES:
            yield ctx.report(
                workload,
                f"{obj.display} has strategy.type {kind!r}, which the API server rejects (it accepts "
                "RollingUpdate or Recreate): the Deployment cannot be applied",
                what="strategy",
                at=obj.loc("spec", "strategy", "type"),
                value=str(kind),
            )
            continue
        rolling = strategy.get("rollingUpdate")
        rolling = rolling if isinstance(rolling, dict) else {}
        unavailable = int_or_percent(rolling.get("maxUnavailable", "25%"))
        surge = int_or_percent(rolling.get("maxSurge", "25%"))
        taken_down = _pods_taken_down(workload, unavailable) if unavailable is not None else None
        alone = workload.singleton_role is not None and surge is not None and surge.number == 0
        if taken_down is not None and not alone:  # a singleton's surge 0 says it below
            default = "" if "maxUnavailable" in rolling else " (the default)"
            rolls = f"{obj.display} rolls out with maxUnavailable {unavailable}{default}: {taken_down}"
            message = (
                f"{rolls}, so a serving pod stops before its replacement is ready; set maxUnavailable: 0 "
                "with maxSurge: 1"
            )
            severity = None
            claim, modes = _single_attach_claim(ctx, workload) if workload.replica_range() == (1, 1) else (None, None)
            if claim is not None:
                # One pod, as with Recreate: a replacement started first would wait on the volume it holds.
                message = rolls + _attach_note(claim, modes, recreate=False)
                severity = Severity.INFO if modes is not None else Severity.WARNING
            elif one_pod_per_node(workload.pod_spec):
                # The surge pod then needs a node that runs none of them: on a cluster with no more
                # nodes than replicas, maxUnavailable: 0 stalls the rollout. Which one this is, is not known here.
                message += (
                    ", with a node to spare: its required pod anti-affinity allows one pod per node, so the "
                    "surge pod waits for a node without one"
                )
                severity = Severity.WARNING
            elif not _takes_traffic(workload):
                message = rolls + _NO_TRAFFIC
                severity = Severity.WARNING if ctx.severity == Severity.ERROR else ctx.severity
            yield ctx.report(
                workload,
                message,
                what="maxUnavailable",
                at=obj.key_loc("spec", "strategy", "rollingUpdate", "maxUnavailable"),
                value=str(unavailable),
                severity=severity,
            )
            continue  # its advice sets maxSurge too (or, with one volume, keeps its 0): one finding, not two
        if surge is not None and surge.number == 0:
            message = (
                f"{obj.display} rolls out with maxSurge {surge}: no pod is added before an old one goes (when "
                "maxUnavailable also rounds to 0, the controller takes 1 pod down anyway); set maxSurge to 1"
            )
            # ValidateRollingUpdateDeployment: maxUnavailable "may not be 0 when `maxSurge` is 0".
            refused = unavailable is not None and unavailable.number == 0
            if refused:
                message = (
                    f"{obj.display} sets maxSurge {surge} and maxUnavailable {unavailable}: the API server refuses "
                    "a Deployment that may neither add nor take down a pod; set maxSurge to 1"
                )
            elif alone:
                # As Recreate: the old pod stops before the new one starts, so two never run at once.
                message = (
                    f"{obj.display} rolls out with maxSurge {surge}: the old pod stops before its replacement "
                    f"starts, which a program that must run alone needs ({workload.singleton_role})"
                )
            yield ctx.report(
                workload,
                message,
                what="maxSurge",
                at=obj.key_loc("spec", "strategy", "rollingUpdate", "maxSurge"),
                value=str(surge),
                severity=Severity.INFO if alone and not refused else None,
            )


_KILLED_WHILE_DRAINING = (
    ": the kubelet kills a pod whose shutdown (preStop sleep, then draining requests) takes longer"
)


def _receives_traffic(workload: Workload) -> bool:
    """Whether clients send the pods requests at all, also through a Service that publishes
    not-ready addresses (memcached's, whose clients keep sending while it stops)."""
    return _client_traffic(workload, gated_only=False)


@check("K016")
def termination_grace_period(ctx: CheckContext) -> Iterator[Finding]:
    minimum = ctx.params["min_seconds"]
    for workload in _workloads(ctx, long_running=True):
        if workload.serves_nothing:
            continue  # nothing to drain
        obj = workload.obj
        value = workload.pod_spec.get("terminationGracePeriodSeconds")
        seconds = 30 if value is None else value
        if _int(seconds) and seconds < minimum:
            why = " (the default)" if value is None else ""
            message = f"{obj.display} has terminationGracePeriodSeconds {seconds}{why}, under {minimum}"
            severity = None
            if _receives_traffic(workload):
                message += _KILLED_WHILE_DRAINING
            else:
                # The standard's budget is a server's: a pod no client reaches has no preStop sleep
                # and no requests to drain, only the work in hand (a job, a reconcile) to finish.
                message += (
                    ", but no traffic reaches its pods (no Service for clients selects them, and no container "
                    "serves a port for clients): there is no preStop sleep or request draining to cover. Raise "
                    "it if the work it has in hand when stopped (a job, a batch) can take longer"
                )
                severity = Severity.INFO if ctx.severity == Severity.WARNING else ctx.severity
            yield ctx.report(
                workload,
                message,
                what="terminationGracePeriodSeconds",
                at=obj.key_loc(*workload.pod_spec_keys, "terminationGracePeriodSeconds"),
                value=str(seconds),
                severity=severity,
            )


@check("K017")
def prestop_hook(ctx: CheckContext) -> Iterator[Finding]:
    sleep = ctx.params["sleep_seconds"]
    shellless = _shellless_images(ctx)
    for container in _serving_containers(ctx):
        # Only where readiness gates traffic do load balancers send any: not to a pod whose ports,
        # and its Services' ports, are all for metrics, nor to a metrics sidecar (relcheck's K002).
        if not container.ports() or not _gates_traffic(container):
            continue
        if container.get("lifecycle", "preStop") is None:
            yield _container_finding(
                ctx,
                container,
                container.key_loc("lifecycle"),
                f"serves ports but has no lifecycle.preStop; a {sleep} s sleep lets load balancers stop sending "
                "traffic before it exits",
                "preStop",
            )
            continue
        command = container.get("lifecycle", "preStop", "exec", "command")
        first = command[0] if isinstance(command, list) and command else None
        program = posixpath.basename(first) if isinstance(first, str) else None
        image, built_at = shellless.get(id(container), (None, None))
        if program in _PRESTOP_PROGRAMS and image is not None:
            finding = _container_finding(
                ctx,
                container,
                container.loc("lifecycle", "preStop", "exec", "command", 0),
                f"lifecycle.preStop runs '{program}', which its image does not have ({image}: no shell, no "
                "sleep): the hook fails (FailedPreStopHook) and the container is sent SIGTERM at once, without "
                "the sleep",
                "preStop/exec",
                program,
                related=(Related(built_at, f"the image's base: {image.rsplit(' ', 1)[-1]}"),) if built_at else (),
            )
            finding.fix = _SLEEP_ACTION_FIX
            yield finding


# What a preStop hook runs to wait (`sleep 5`, `sh -c "sleep 5"`): programs a shell-less image lacks.
_PRESTOP_PROGRAMS = SHELL_PROGRAMS | {"sleep"}
_SLEEP_ACTION_FIX = (
    "Use the kubelet's own sleep, which needs no program in the image: `lifecycle.preStop.sleep.seconds: 5` "
    "(Kubernetes 1.30 and later)."
)


def _named_for(container: Container, service: str, dockerfile: Any, workload: Workload) -> bool:
    """Whether the container's image is named as the image a Dockerfile builds would be: after the
    service, the Dockerfile's folder or the workload (a workload's only container may run another
    image, `redis:7`, which says nothing of what the Dockerfile builds)."""
    image = container.get("image")
    if not isinstance(image, str):
        return False
    name = image_reference(image)[0].rsplit("/", 1)[-1]
    folder = posixpath.basename(posixpath.dirname(dockerfile.path))
    return name in {service, folder, workload.obj.name} - {""}


def _shellless_images(ctx: CheckContext) -> dict[int, tuple[str, Location | None]]:
    """The containers (by id) that run an image with no shell nor `sleep`, what it is, and the
    FROM line that says so: one a Dockerfile of the scan builds FROM scratch, distroless or
    Chainguard's static image (and copies no shell, BusyBox or sleep into), or one named so itself."""
    found: dict[int, tuple[str, Location | None]] = {}
    for service in ctx.project.services:
        for dockerfile in service.running_images:
            base = shellless_base(dockerfile, ("/sh", "busybox", "sleep"))
            final = dockerfile.final
            if base is None or final is None:
                continue
            where = dockerfile.spot(final, final.from_instruction).loc()
            for workload, container in running_containers([service], dockerfile) or []:
                if _named_for(container, service.name, dockerfile, workload):
                    found[id(container)] = (f"{dockerfile.path} builds it FROM {base}", where)
    for workload in _workloads(ctx, long_running=True):
        for container in workload.containers(include_init=False):
            image = container.get("image")
            if isinstance(image, str) and SHELLLESS_IMAGE.match(image.lower()):
                found.setdefault(id(container), (image, None))
    return found


def _multi_replica(workload: Workload) -> bool:
    if workload.hpa is not None:
        maximum = scaler_bounds(workload.hpa)[1]
        return not _int(maximum) or maximum >= 2
    expected = workload.expected_pods()
    return expected is not None and expected >= 2


def _selects_own_pods(selector: Any, workload: Workload, namespaces: Any = None) -> bool:
    """Whether a term's labelSelector (and its `namespaces`, when listed) takes in the workload's
    own pods: a term about other pods keeps this workload's replicas no further apart."""
    if isinstance(namespaces, list) and namespaces and workload.obj.namespace not in [str(n) for n in namespaces]:
        return False
    return bool(workload.template_labels) and selector_matches(selector, workload.template_labels)


def _anti_affinity_spreads(workload: Workload) -> bool:
    affinity = workload.pod_spec.get("affinity")
    anti = affinity.get("podAntiAffinity") if isinstance(affinity, dict) else None
    if not isinstance(anti, dict):
        return False
    terms = []
    required = anti.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, list):
        terms += required
    preferred = anti.get("preferredDuringSchedulingIgnoredDuringExecution")
    if isinstance(preferred, list):
        terms += [item.get("podAffinityTerm") for item in preferred if isinstance(item, dict)]
    return any(
        isinstance(term, dict) and _selects_own_pods(term.get("labelSelector"), workload, term.get("namespaces"))
        for term in terms
    )


@check("K018")
def topology_spread(ctx: CheckContext) -> Iterator[Finding]:
    """Replicas kept apart by a spread constraint or an anti-affinity term that selects the
    workload's own pods (a constraint without a matching labelSelector counts no pods)."""
    for workload in ctx.project.kube.workloads:
        if not workload.scalable or not _multi_replica(workload) or _anti_affinity_spreads(workload):
            continue
        if workload.serves_nothing:
            continue  # reserved capacity or a load test: spreading it is no availability question
        obj = workload.obj
        constraints = workload.pod_spec.get("topologySpreadConstraints")
        constraints = [c for c in constraints if isinstance(c, dict)] if isinstance(constraints, list) else []
        keys = {c.get("topologyKey") for c in constraints if _selects_own_pods(c.get("labelSelector"), workload)}
        missing = []
        if not keys & set(ZONE_KEYS):
            missing.append("zones")
        if HOSTNAME_KEY not in keys:
            missing.append("nodes")
        if not missing:
            continue
        where = obj.key_loc(*workload.pod_spec_keys, "topologySpreadConstraints")
        if keys:
            message = f"{obj.display} spreads its replicas but not across {' and '.join(missing)}"
        elif constraints:
            message = (
                f"{obj.display} has topologySpreadConstraints, but none has a labelSelector that matches its "
                f"own pod labels, so they spread nothing; select {_labels_text(workload)}"
            )
        elif isinstance(dig(workload.pod_spec, ("affinity", "podAntiAffinity")), dict):
            message = (
                f"{obj.display} has pod anti-affinity, but no term's labelSelector (and namespaces) takes in its "
                f"own pods, so it keeps its replicas no further apart; select {_labels_text(workload)}"
            )
            where = obj.key_loc(*workload.pod_spec_keys, "affinity")
        else:
            message = (
                f"{obj.display} has neither topologySpreadConstraints nor pod anti-affinity that selects its "
                "own pods: its replicas may share one node or zone and fail together"
            )
            where = obj.key_loc(*workload.pod_spec_keys)
        yield ctx.report(
            workload,
            message,
            what="spread",
            at=where,
            value=",".join(missing),
        )


def _labels_text(workload: Workload) -> str:
    labels = ", ".join(f"{key}: {value}" for key, value in list(workload.template_labels.items())[:3])
    return f"{{{labels}}}" if labels else "the pod template's labels"


@check("K019")
def image_tag_pinned(ctx: CheckContext) -> Iterator[Finding]:
    built = built_images(ctx.project.kube.objects)
    for container in _all_containers(ctx):
        image = container.get("image")
        if not isinstance(image, str) or not image:
            continue
        reason = unpinned_reason(image)
        # Skaffold deploys the images it builds by tag and digest, whatever the manifest says; a
        # Makefile's `kustomize edit set image` replaces the reference before it is applied.
        written = _image_as_written(container)
        replaced = any(image_reference(i)[0] in ctx.project.images_set for i in (image, written) if i)
        if reason is not None and not replaced and placeholder(image, built) is None:
            yield _container_finding(
                ctx,
                container,
                container.loc("image"),
                f"image '{image}' has {reason}; pin a version tag or a digest",
                "image",
                image,
            )


def _image_as_written(container: Container) -> str | None:
    """The image a container of a kustomize build has in the file it came from (an overlay's
    `images:` may rename it: VictoriaMetrics' operator writes `manager`, its overlay makes it
    `docker.io/victoriametrics/operator`), or None."""
    original = getattr(getattr(container.workload.obj, "origin", None), "original", None)
    spec = original.get(*container.keys) if original is not None else None
    if isinstance(spec, dict) and spec.get("name") == container.spec.get("name"):
        image = spec.get("image")
        return image if isinstance(image, str) else None
    return None


@check("K020")
def hpa_present(ctx: CheckContext) -> Iterator[Finding]:
    for workload in _scalable_workloads(ctx):
        # A data store gains no capacity from more pods of itself: it is scaled by its own clustering.
        # Nor does a controller that elects a leader: the pods beyond the leader stand by, idle.
        # Nor a controller without one, whose added pods would each act on the same objects.
        if (
            workload.hpa is None
            and workload.data_store is None
            and standby_controller(workload) is None
            and unelected_controller(workload) is None
        ):
            obj = workload.obj
            yield ctx.report(
                workload,
                f"{obj.display} is not scaled by any HorizontalPodAutoscaler (or KEDA ScaledObject)",
                what="hpa",
                at=obj.key_loc("metadata", "name"),
            )


def _cpu_target(hpa: K8sObject) -> tuple[Any, tuple] | None:
    """The CPU utilization target and its key path (autoscaling/v2, v2beta*, v1)."""
    metrics = hpa.get("spec", "metrics")
    if isinstance(metrics, list):
        for index, metric in enumerate(metrics):
            resource = metric.get("resource") if isinstance(metric, dict) else None
            if not isinstance(resource, dict) or resource.get("name") != "cpu":
                continue
            target = resource.get("target")
            if isinstance(target, dict) and "averageUtilization" in target:
                return target["averageUtilization"], (
                    "spec",
                    "metrics",
                    index,
                    "resource",
                    "target",
                    "averageUtilization",
                )
            if "targetAverageUtilization" in resource:
                return resource["targetAverageUtilization"], (
                    "spec",
                    "metrics",
                    index,
                    "resource",
                    "targetAverageUtilization",
                )
    if hpa.has("spec", "targetCPUUtilizationPercentage"):
        return hpa.get("spec", "targetCPUUtilizationPercentage"), ("spec", "targetCPUUtilizationPercentage")
    return None


@check("K021")
def hpa_bounds(ctx: CheckContext) -> Iterator[Finding]:
    min_floor, max_floor = ctx.params["min_replicas"], ctx.params["max_replicas"]
    max_cpu = ctx.params["max_cpu_utilization"]
    for hpa in ctx.project.kube.hpas:
        if is_keda_scaler(hpa):
            continue  # KEDA's bounds go with its triggers (scale to zero on an empty queue): not judged here
        minimum = hpa.get("spec", "minReplicas")
        if minimum == 0:
            # Scaled to zero on an object or external metric (the HPAScaleToZero gate), as KEDA scales
            # a queue worker: a switch on a signal (home-ops' `zeroscaler`, off while its NFS is down).
            continue
        minimum = 1 if minimum is None else minimum
        maximum = hpa.get("spec", "maxReplicas")
        if _int(minimum) and minimum < min_floor:
            yield ctx.report(
                hpa,
                f"{hpa.display} may scale down to {minimum} replica{'s' if minimum != 1 else ''} "
                f"(minReplicas under {min_floor})",
                what="minReplicas",
                at=hpa.key_loc("spec", "minReplicas"),
                value=str(minimum),
            )
        if _int(maximum) and (maximum < max_floor or (_int(minimum) and maximum <= minimum)):
            why = f"not above minReplicas {minimum}" if _int(minimum) and maximum <= minimum else f"under {max_floor}"
            outcome = "too little room for a peak"
            if _int(minimum) and maximum < minimum:
                # ValidateHorizontalPodAutoscalerSpec: maxReplicas "must be greater than or equal to `minReplicas`".
                why = f"below minReplicas {minimum}"
                outcome = "which the API server refuses: the workload is not scaled"
            yield ctx.report(
                hpa,
                f"{hpa.display} has maxReplicas {maximum} ({why}), {outcome}",
                what="maxReplicas",
                at=hpa.key_loc("spec", "maxReplicas"),
                value=str(maximum),
            )
        target = _cpu_target(hpa)
        if target is not None and _int(target[0]) and target[0] > max_cpu:
            yield ctx.report(
                hpa,
                f"{hpa.display} targets {target[0]} % CPU (above {max_cpu} %): no headroom while new pods start",
                what="cpu",
                at=hpa.key_loc(*target[1]),
                value=str(target[0]),
            )


@check("K022")
def hpa_replicas_conflict(ctx: CheckContext) -> Iterator[Finding]:
    for workload in _replica_workloads(ctx):
        obj = workload.obj
        if workload.hpa is not None and obj.has("spec", "replicas"):
            yield ctx.report(
                workload,
                f"{obj.display} sets replicas although {workload.hpa.display} scales it: every apply resets the scale",
                what="replicas-with-hpa",
                at=obj.key_loc("spec", "replicas"),
                value=str(workload.replicas),
            )
        yield from _competing_autoscalers(ctx, workload)


def _competing_autoscalers(ctx: CheckContext, workload: Workload) -> Iterator[Finding]:
    """A second autoscaler of one workload: the HPA controller will not scale pods that more than one
    HPA selects (`AmbiguousSelector`, ScalingActive false), so neither scales it; KEDA scales through
    an HPA of its own, so a ScaledObject counts as one. Only autoscalers applied together count (one
    render, one file or folder, or one namespace both name): a repository's variants of one app keep
    their HPAs in folders applied one at a time."""
    first, seen = workload.hpa, {workload.hpa.name if workload.hpa is not None else ""}
    for other in workload.hpas[1:]:
        if first is None or other.name in seen or not applied_together(first, other):
            continue
        seen.add(other.name)
        finding = ctx.report(
            other,
            f"{workload.obj.display} is scaled by {first.display} and by {other.display}: the HPA controller "
            "scales no pods that two HPAs select (AmbiguousSelector), so neither scales it",
            what="second-autoscaler",
            at=other.key_loc("spec", "scaleTargetRef", "name"),
            value=first.name,
            related=[Related(first.key_loc("spec", "scaleTargetRef", "name"), f"{first.display} targets it too")],
        )
        finding.fix = _ONE_AUTOSCALER_FIX
        yield finding


_ONE_AUTOSCALER_FIX = (
    "Keep one autoscaler per workload: merge the metrics into one HPA, or point each at its own workload."
)


@check("K023")
def pdb_present(ctx: CheckContext) -> Iterator[Finding]:
    for workload in _replica_workloads(ctx):
        if workload.pdbs or not _multi_replica(workload) or _pdb_left_to_values(workload.obj):
            continue
        obj = workload.obj
        pods = workload.expected_pods()
        runs = f"runs {pods} replicas" if workload.hpa is None and pods is not None else "runs several replicas"
        if workload.hpa is not None and _int(scaler_bounds(workload.hpa)[1]):
            runs = f"may run up to {scaler_bounds(workload.hpa)[1]} replicas ({workload.hpa.display} scales it)"
        yield ctx.report(
            workload,
            f"{obj.display} {runs} but no PodDisruptionBudget selects its pods: a drain may evict them all at once",
            what="pdb",
            at=obj.key_loc("metadata", "name"),
        )


def _pdb_left_to_values(obj: K8sObject) -> bool:
    """A chart's test install (its `ci/` values) that runs several replicas without the
    PodDisruptionBudget the chart offers behind a value: the test's choice, not the chart's gap."""
    return obj.test_install and "PodDisruptionBudget" in getattr(obj, "chart_kinds", ())


def _protected_pods(ctx: CheckContext, pdb: K8sObject) -> int | None:
    targets = ctx.project.kube.pdb_targets.get(id(pdb), [])
    counts = [w.expected_pods() for w in targets]
    if not counts or any(count is None for count in counts):
        return None
    return sum(c for c in counts if c is not None)


def _pdb_counts(pdb: K8sObject) -> tuple[Any, Any]:
    """minAvailable and maxUnavailable as the API server stores them: policy/v1beta1 defaults a PDB
    that sets neither to minAvailable 1; policy/v1 leaves both unset (it then protects nothing)."""
    spec = pdb.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    minimum, maximum = spec.get("minAvailable"), spec.get("maxUnavailable")
    if minimum is None and maximum is None and pdb.api_version.endswith("/v1beta1"):
        return 1, None
    return minimum, maximum


def _pdb_problems(pdb: K8sObject, pods: int | None, floor: int) -> Iterator[tuple[str, str, Any]]:
    """(key, message, value) for each way the PDB blocks drains or protects too little."""
    replicas = f"the {_plural(pods, 'replica')} it protects" if pods is not None else ""
    raw_min, raw_max = _pdb_counts(pdb)

    if raw_min is None and raw_max is None:
        yield (
            "spec",
            "sets neither minAvailable nor maxUnavailable: it protects nothing (policy/v1 allows "
            "every eviction); set minAvailable",
            "",
        )
        return
    if raw_min is not None and raw_max is not None:
        # ValidatePodDisruptionBudgetSpec: "minAvailable and maxUnavailable cannot be both set".
        yield (
            "maxUnavailable",
            "sets both minAvailable and maxUnavailable: the API server refuses the object, so the "
            "workload has no budget at all; keep one",
            raw_max,
        )
        return
    for key, raw in (("minAvailable", raw_min), ("maxUnavailable", raw_max)):
        refused = _refused_value(raw)
        if refused is not None:
            why, advice = refused
            message = f"sets {key} {raw!r}, {why}: the API server refuses it, so the pods have no budget{advice}"
            yield (key, message, raw)
            return
    if raw_min is not None:
        minimum = int_or_percent(raw_min)
        if minimum is None:
            return
        if minimum.percent and minimum.number >= 100:
            yield (
                "minAvailable",
                f"requires minAvailable {minimum}: no pod can ever be evicted, so node drains hang",
                raw_min,
            )
            return
        if pods is None:
            if not minimum.percent and minimum.number < floor:
                yield ("minAvailable", f"keeps only minAvailable {minimum} during disruptions (under {floor})", raw_min)
            return
        value = minimum.of(pods, round_up=True)
        shown = str(minimum) if not minimum.percent else f"{minimum} (= {value} of {pods} pods, rounded up)"
        if value >= pods:
            yield (
                "minAvailable",
                f"requires minAvailable {shown}, all of {replicas}: no pod can ever be evicted, so node drains hang",
                raw_min,
            )
        elif value < floor:
            yield (
                "minAvailable",
                f"keeps only minAvailable {shown} of {replicas} during disruptions "
                f"(under {floor}, the most that still lets a drain through)",
                raw_min,
            )
    if raw_max is not None:
        maximum = int_or_percent(raw_max)
        if maximum is None:
            return
        if maximum.number == 0:
            yield (
                "maxUnavailable",
                f"allows maxUnavailable {maximum}: no pod can ever be evicted, so node drains hang",
                raw_max,
            )
            return
        if maximum.percent and maximum.number >= 100:
            yield (
                "maxUnavailable",
                f"allows maxUnavailable {maximum}: every pod may be evicted at once, so it protects nothing",
                raw_max,
            )
            return
        if pods is None:
            return
        value = maximum.of(pods, round_up=True)
        shown = str(maximum) if not maximum.percent else f"{maximum} (= {value} of {pods} pods, rounded up)"
        if value >= pods and pods == 1:
            return  # a single pod: letting its eviction through is all a PDB can do without blocking drains (K014)
        if value >= pods:
            yield ("maxUnavailable", f"allows maxUnavailable {shown}, all of {replicas}: it protects nothing", raw_max)
        elif pods - value < floor:
            yield (
                "maxUnavailable",
                f"allows maxUnavailable {shown} of {replicas}, leaving "
                f"{pods - value} during disruptions (under {floor})",
                raw_max,
            )


def _refused_budget(pdb: K8sObject) -> bool:
    """Whether the API server refuses the PodDisruptionBudget's values: both set, or one of them
    refused (_refused_value)."""
    raw_min, raw_max = _pdb_counts(pdb)
    if raw_min is not None and raw_max is not None:
        return True
    return any(_refused_value(raw) is not None for raw in (raw_min, raw_max))


def _refused_value(raw: Any) -> tuple[str, str] | None:
    """Why the API server refuses a budget's minAvailable or maxUnavailable, and the advice, else None
    (ValidatePodDisruptionBudgetSpec): a percentage over 100, or what is neither a count nor a
    percentage (a string without `%`, a negative or fractional number). A placeholder a pipeline
    fills in (`${MAX_UNAVAILABLE}`) is not judged."""
    if raw is None:
        return None
    parsed = int_or_percent(raw)
    if parsed is not None:
        return ("over 100%", "") if parsed.percent and parsed.number > 100 else None
    if isinstance(raw, str) and _placeholder(raw):
        return None
    return "neither a count (0 or more) nor a percentage", "; write 2 or '50%'"


@check("K024")
def pdb_min_available(ctx: CheckContext) -> Iterator[Finding]:
    """A PDB that blocks every drain, or protects too little. The disruption controller rounds
    percentages up; with N replicas the most a PDB can demand and still let a drain through is
    N − 1, so the floor is min(min_available, N − 1), and 1 when N is not known."""
    floor = ctx.params["min_available"]
    for pdb in ctx.project.kube.pdbs:
        pods = _protected_pods(ctx, pdb)
        if pods == 0:
            continue  # scaled to zero: nothing to evict
        # Without the replica count (the target is not in the scan, or an operator runs it)
        # minAvailable 1 may be exactly right (2 replicas): only protecting no pod is reported.
        for key, message, raw in _pdb_problems(pdb, pods, min(floor, 1) if pods is None else min(floor, pods - 1)):
            where = pdb.loc("spec", key) if pdb.has("spec", key) else pdb.key_loc("spec")
            yield ctx.report(
                pdb,
                f"{pdb.display} {message}",
                what=f"{key}",
                at=where,
                value=str(raw),
            )
    for pdb, first, workload in _overlapping_budgets(ctx.project.kube.workloads):
        finding = ctx.report(
            pdb,
            f"{pdb.display} selects the pods of {workload.obj.display}, as {first.display} does: the eviction "
            "API refuses to evict a pod that more than one budget selects (HTTP 500, 'more than one "
            "PodDisruptionBudget'), whatever either allows, so no drain can move them",
            what="selector",
            at=pdb.key_loc("spec", "selector"),
            value=first.name,
            related=(Related(first.key_loc("spec", "selector"), f"{first.display} selects them too"),),
        )
        finding.fix = _ONE_BUDGET_FIX
        yield finding


_ONE_BUDGET_FIX = "Keep one PodDisruptionBudget per pod: delete one of the two, or narrow its selector to other pods."


def _overlapping_budgets(workloads: list[Workload]) -> Iterator[tuple[K8sObject, K8sObject, Workload]]:
    """(budget, the earlier budget, their workload) for each pair of PodDisruptionBudgets applied
    together that select one workload's pods. Two objects of one name are one budget: the later
    apply replaces the earlier."""
    seen: set[tuple[int, int]] = set()
    for workload in workloads:
        # A budget the API server refuses never exists, and doubles none (K024 reports it on its own).
        admitted = [pdb for pdb in workload.pdbs if not _refused_budget(pdb)]
        budgets = sorted(admitted, key=lambda pdb: (pdb.path, pdb.key_loc("spec").line))
        for index, pdb in enumerate(budgets):
            for first in budgets[:index]:
                pair = (id(first), id(pdb))
                if pair in seen or first.name == pdb.name or not applied_together(first, pdb):
                    continue
                seen.add(pair)
                yield pdb, first, workload
                break  # one finding a budget and workload: the first budget it doubles


@check("K025")
def pdb_selector_matches(ctx: CheckContext) -> Iterator[Finding]:
    for pdb in ctx.project.kube.pdbs:
        if not ctx.project.kube.pdb_targets.get(id(pdb)) and id(pdb) not in ctx.project.kube.targets_elsewhere:
            withheld = ctx.project.kube.targets_withheld.get(id(pdb))
            beta = (
                ": policy/v1beta1 reads an empty selector as selecting no pod (policy/v1 as every pod of the "
                "namespace)"
                if empty_beta_selector(pdb)
                else ""
            )
            yield ctx.report(
                pdb,
                f"{pdb.display} selects no workload's pods in namespace '{pdb.namespace}' in this scan"
                + (beta or _withheld_note(withheld)),
                what="selector",
                at=pdb.key_loc("spec", "selector"),
                severity=Severity.INFO if withheld else None,
            )


def _withheld_note(template: str | None) -> str:
    """Where the chart's render left a workload template empty: its pods may be the ones selected."""
    if not template:
        return ""
    return (
        f": {template} writes a workload but renders nothing with these values (a condition), and may make "
        "them; check with the values you deploy"
    )


def _built_elsewhere(hpa: K8sObject, kind: str, name: str, workloads: list[Workload]) -> K8sObject | None:
    """The workload of that kind, name and namespace that another render builds (one kustomize
    overlay builds the HPA, another the Deployment it names), if any."""
    for workload in workloads:
        obj = workload.obj
        if obj.kind == kind and obj.name == name and obj.namespace == hpa.namespace and obj.render != hpa.render:
            return obj
    return None


def _scaled_in(workload: K8sObject, autoscalers: list[K8sObject]) -> bool:
    """Whether an autoscaler of the workload's own render scales it."""
    for hpa in autoscalers:
        ref = hpa.get("spec", "scaleTargetRef")
        if hpa.render == workload.render and isinstance(ref, dict) and ref.get("name") == workload.name:
            return True
    return False


@check("K026")
def hpa_target_exists(ctx: CheckContext) -> Iterator[Finding]:
    present = {(o.render, o.namespace, o.kind, o.name) for o in ctx.project.kube.objects}
    for hpa in ctx.project.kube.hpas:
        if ctx.project.kube.hpa_targets.get(id(hpa)) is None and id(hpa) not in ctx.project.kube.targets_elsewhere:
            ref = hpa.get("spec", "scaleTargetRef")
            ref = dict(ref) if isinstance(ref, dict) else {}
            if is_keda_scaler(hpa) and not ref.get("kind"):
                ref["kind"] = "Deployment"  # a ScaledObject's default target kind
            if (hpa.render, hpa.namespace, str(ref.get("kind")), str(ref.get("name"))) in present:
                continue  # a kind relcheck does not model (a LeaderWorkerSet, a custom resource): it is there
            withheld = ctx.project.kube.targets_withheld.get(id(hpa))
            where = f"which is not in namespace '{hpa.namespace}' in this scan"
            related: list[Related] = []
            other = _built_elsewhere(hpa, str(ref.get("kind")), str(ref.get("name")), ctx.project.kube.workloads)
            builds = getattr(hpa, "rendered_by", "")
            if other is not None and builds:
                # gitops-istio's `apps/backend/hpa.yaml` names the frontend's Deployment, which
                # another overlay builds: applied together, two autoscalers would share it.
                built = getattr(other, "rendered_by", "") or other.path
                shared = _scaled_in(other, ctx.project.kube.hpas)
                where = f"which {builds} does not build: {built} does (check the name" + (
                    "; applied together, it would have two autoscalers)" if shared else ")"
                )
                related = [Related(other.key_loc("metadata", "name"), f"{other.display}, as {built} builds it")]
            yield ctx.report(
                hpa,
                f"{hpa.display} scales {ref.get('kind', '?')} '{ref.get('name', '?')}', {where}"
                + _withheld_note(withheld),
                what="scaleTargetRef",
                at=hpa.key_loc("spec", "scaleTargetRef"),
                severity=Severity.INFO if withheld else None,
                related=related,
            )


@check("K027")
def service_selector_matches(ctx: CheckContext) -> Iterator[Finding]:
    for service in ctx.project.kube.services:
        selector = service.get("spec", "selector")
        if not isinstance(selector, dict) or not selector or service.get("spec", "type") == "ExternalName":
            continue  # a Service without a selector has hand-made endpoints
        targets = ctx.project.kube.service_targets.get(id(service), [])
        if not targets and id(service) in ctx.project.kube.targets_elsewhere:
            continue
        if not targets:
            static = control_plane_component(selector)
            withheld = ctx.project.kube.targets_withheld.get(id(service))
            cluster_run = service.namespace == "kube-system" or static is not None or bool(withheld)
            if withheld:
                why = "scan" + _withheld_note(withheld)
            elif static is not None and service.namespace != "kube-system":
                why = (
                    f"scan: it selects the control plane's {static}, whose static pods the kubelet runs from "
                    "files on the nodes, without manifests here; check its selector against them"
                )
            elif cluster_run:
                why = (
                    "scan: kube-system's static pods and add-ons run without manifests here; check its "
                    "selector against them"
                )
            else:
                why = "scan: unless pods created elsewhere carry those labels, it has no endpoints"
            yield ctx.report(
                service,
                f"{service.display} selects no pod template in namespace '{service.namespace}' in this " + why,
                what="selector",
                at=service.key_loc("spec", "selector"),
                # The control plane's static pods and the cluster's add-ons live in kube-system.
                severity=Severity.INFO if cluster_run else None,
            )
            continue
        containers = [c for w in targets for c in w.containers(include_init=False)]
        ports = service.get("spec", "ports")
        for index, port in enumerate(ports if isinstance(ports, list) else []):
            if not isinstance(port, dict):
                continue
            target = port.get("targetPort", port.get("port"))
            problem = _target_port_problem(target, containers)
            if problem is None:
                continue
            key = "targetPort" if "targetPort" in port else "port"
            message, severity = problem
            yield ctx.report(
                service,
                f"{service.display} sends port {port.get('port')} to targetPort {target!r}, {message}",
                what="targetPort",
                at=service.loc("spec", "ports", index, key),
                value=str(target),
                severity=severity,
            )


def _placeholder(port: Any) -> bool:
    """`${HEALTH_PORT:-9003}`, `{{ .port }}`: a value envsubst or a pipeline fills in before the
    manifest is applied (no valid port name has `$` or braces), so nothing to compare yet."""
    return isinstance(port, str) and ("$" in port or "{" in port)


def _target_port_problem(target: Any, containers: list[Container]) -> tuple[str, Severity | None] | None:
    """A named targetPort must be a port name of a selected container. A number needs no
    declaration (traffic reaches any port the process listens on), so it is only worth an info
    when the containers declare their ports and none is that number."""
    if not isinstance(target, (int, str)) or isinstance(target, bool) or _placeholder(target):
        return None
    named = isinstance(target, str) and not (target.isascii() and target.isdigit())
    if any(c.declares_port(target) for c in containers):
        return None
    if named:
        return "which no container it selects declares: the Service has no endpoints on it", None
    declared = sorted({p.get("containerPort") for c in containers for p in c.ports()} - {None}, key=str)
    if not declared:
        return None
    shown = ", ".join(str(number) for number in declared)
    return f"but the containers it selects declare only {shown}; check that the process listens there", Severity.INFO


@check("K028")
def probe_port_declared(ctx: CheckContext) -> Iterator[Finding]:
    """A named probe port must be declared by the container (the kubelet resolves the name in its
    ports); a number needs no declaration. A port declared only for UDP cannot answer a TCP,
    HTTP or gRPC probe."""
    for container in _serving_containers(ctx):
        for name in PROBES:
            probe = _probe(container, name)
            handler = _handler(probe) if probe is not None else None
            if handler is None or handler[0] == "exec" or not isinstance(handler[1], dict):
                continue
            port = handler[1].get("port")
            if port is None or isinstance(port, bool):
                continue
            if _placeholder(port):
                continue
            declared = container.declarations(port)
            named = isinstance(port, str) and not (port.isascii() and port.isdigit())
            if isinstance(port, str) and handler[0] == "grpc":
                # GRPCAction.port is an int32: the API server refuses a name (or a quoted number).
                message = (
                    f"{name} gives its grpc check port {port!r}: a grpc probe takes a port number only, so the "
                    "API server refuses the workload"
                )
            elif named and not declared:
                message = f"{name} checks named port {port!r}, which the container does not declare: the probe fails"
            elif declared and all(str(p.get("protocol", "TCP")).upper() == "UDP" for p in declared):
                message = (
                    f"{name} sends a {handler[0]} check to port {port!r}, which the container declares only "
                    "for UDP: the check never connects"
                )
            else:
                continue
            yield _container_finding(
                ctx, container, container.loc(name, handler[0], "port"), message, f"{name}/port", str(port)
            )


def _large_machine(container: Container, section: str, cores: Decimal) -> bool:
    """Whether many cores are what the container is sized for, not `1000` meant as `1000m`: it asks
    for accelerators (`nvidia.com/gpu`, `google.com/tpu`: their nodes have 100 and more vCPUs), or
    for at least 1 GiB of memory per core beside them (a model server's `cpu: 157`, `memory: 2067Gi`)."""
    resources = container.get("resources", section)
    if isinstance(resources, dict) and any("/" in str(key) for key in resources):
        return True
    memory = parse_quantity(_resource(container, section, "memory"))
    return memory is not None and memory >= cores * GI


@check("K029")
def resource_quantity_valid(ctx: CheckContext) -> Iterator[Finding]:
    min_memory = parse_quantity(ctx.params["min_memory"]) or MI
    max_cores = Decimal(str(ctx.params["max_cpu_cores"]))
    for container in _all_containers(ctx):
        for section in ("requests", "limits"):
            for name in ("cpu", "memory"):
                raw = _resource(container, section, name)
                if raw is None:
                    continue
                value = parse_quantity(raw)
                what = f"resources.{section}.{name}"
                if value is None:
                    where = container.loc("resources", section, name)
                    yield _container_finding(
                        ctx, container, where, f"{what} {raw!r} is not a valid quantity", what, str(raw)
                    )
                elif name == "memory" and section == "requests" and value == 0:
                    continue  # none, on purpose (else Kubernetes copies the limit): K007 judges it
                elif name == "memory" and value < min_memory:
                    if str(raw).endswith("m"):
                        detail = f"{format_bytes(value)}: `m` means thousandths; did you mean {str(raw)[:-1]}Mi?"
                    else:
                        detail = f"{format_bytes(value)}, below the {ctx.params['min_memory']} floor (min_memory)"
                    where = container.loc("resources", section, name)
                    yield _container_finding(ctx, container, where, f"{what} {raw} is {detail}", what, str(raw))
                elif name == "cpu" and value > max_cores and not _large_machine(container, section, value):
                    yield _container_finding(
                        ctx,
                        container,
                        container.loc("resources", section, name),
                        f"{what} {raw} asks for {value.normalize():f} cores, more than {max_cores:f} "
                        f"(max_cpu_cores); did you mean {raw}m?",
                        what,
                        str(raw),
                    )
