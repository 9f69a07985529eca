"""K rules: Kubernetes manifests. Checks read the KubeIndex (workloads, HPAs, PDBs, Services)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from relcheck.artifacts.kubernetes import PROBES, Container, K8sObject, Workload, is_zero, scaled_value
from relcheck.images import unpinned_reason
from relcheck.model import Finding, Location
from relcheck.quantities import MI, format_bytes, parse_quantity
from relcheck.registry import check

if TYPE_CHECKING:
    from relcheck.engine import CheckContext

PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")
# Kubernetes' defaults for probe fields that are absent.
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "failureThreshold": 3, "initialDelaySeconds": 0}
ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
HOSTNAME_KEY = "kubernetes.io/hostname"
REPLICA_KINDS = ("Deployment", "StatefulSet")  # K014, K020, K022, K023 name these two


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _about(
    ctx: CheckContext,
    obj: K8sObject,
    location: Location,
    message: str,
    identity: str,
    value: str = "",
    workload: Workload | None = None,
) -> Finding:
    """A finding about an object: its lines scope suppression comments, its annotation can ignore rules."""
    ignores = workload.ignore_names() if workload is not None else obj.ignore_names()
    return ctx.finding(
        location, message, identity=identity, value=value, scope=obj.span, ignores=ignores, ignore_source=obj.display
    )


def _container_finding(
    ctx: CheckContext, container: Container, location: Location, message: str, what: str, value: str = ""
) -> Finding:
    workload = container.workload
    kind = "init container" if container.init else "container"
    return _about(
        ctx,
        workload.obj,
        location,
        f"{kind} '{container.name}' of {workload.obj.display}: {message}",
        f"{container.identity}/{what}",
        value,
        workload,
    )


def _workloads(ctx: CheckContext, long_running: bool = False) -> Iterator[Workload]:
    for workload in ctx.project.kube.workloads:
        if not long_running or workload.long_running:
            yield workload


def _serving_containers(ctx: CheckContext) -> Iterator[Container]:
    """Containers of long-running workloads; init containers (sidecars included) have no probe rules."""
    for workload in _workloads(ctx, long_running=True):
        yield from workload.containers(include_init=False)


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
    for container in _serving_containers(ctx):
        if _probe(container, "livenessProbe") is None:
            yield _container_finding(
                ctx,
                container,
                container.key_loc(),
                "no livenessProbe, so a wedged process is never restarted",
                "livenessProbe",
            )


@check("K002")
def readiness_probe(ctx: CheckContext) -> Iterator[Finding]:
    for container in _serving_containers(ctx):
        if _probe(container, "readinessProbe") is None:
            yield _container_finding(
                ctx,
                container,
                container.key_loc(),
                "no readinessProbe, so it gets traffic before it is ready and while it fails",
                "readinessProbe",
            )


@check("K003")
def startup_probe(ctx: CheckContext) -> Iterator[Finding]:
    min_delay = ctx.params["min_initial_delay_seconds"]
    max_startup = ctx.params["max_startup_seconds"]
    for container in _serving_containers(ctx):
        startup = _probe(container, "startupProbe")
        liveness = _probe(container, "livenessProbe")
        if startup is not None:
            threshold, period = _setting(startup, "failureThreshold"), _setting(startup, "periodSeconds")
            if _int(threshold) and _int(period) and threshold * period > max_startup:
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
            delay = _setting(liveness, "initialDelaySeconds")
            if _int(delay) and delay < min_delay:
                yield _container_finding(
                    ctx,
                    container,
                    container.key_loc("livenessProbe", "initialDelaySeconds"),
                    f"no startupProbe and the livenessProbe starts after {delay} s (under {min_delay} s): a slow "
                    "start is killed before it is ready",
                    "startupProbe",
                    str(delay),
                )


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
        if handler is not None and handler == _handler(readiness):
            shown = handler[1].get("path", "") if isinstance(handler[1], dict) else ""
            target = f" ({handler[0]} {shown})".replace(" )", ")") if shown else f" ({handler[0]})"
            yield _container_finding(
                ctx,
                container,
                container.key_loc("livenessProbe"),
                f"livenessProbe and readinessProbe check the same thing{target}: a failing dependency restarts "
                "every pod",
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
                    f"{name} timeoutSeconds {timeout} is not below periodSeconds {period}",
                    f"{name}/timeout",
                    f"{timeout}/{period}",
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
        value = _resource(container, section, name)
        # Kubernetes sets a missing request to the limit.
        if value is None and section == "requests":
            value = _resource(container, "limits", name)
        if value is None:
            yield _container_finding(
                ctx,
                container,
                container.key_loc("resources", section),
                f"no resources.{section}.{name}{why}",
                f"resources.{section}.{name}",
            )


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
                    f"{name} limit {limit_raw} is below its request {request_raw}",
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


def _security_flag(ctx: CheckContext, key: str, wanted: bool) -> Iterator[Finding]:
    """Containers whose own securityContext does not set `key` to `wanted` (pods cannot set these)."""
    for container in _all_containers(ctx):
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
    for workload in ctx.project.kube.workloads:
        if workload.kind in REPLICA_KINDS:
            yield workload


@check("K014")
def min_replicas(ctx: CheckContext) -> Iterator[Finding]:
    minimum = ctx.params["min_replicas"]
    for workload in _replica_workloads(ctx):
        if workload.hpa is not None:
            continue  # the HPA owns the scale (K021 judges its bounds)
        replicas = workload.replicas
        count = 1 if replicas is None else replicas
        if _int(count) and count < minimum:
            why = "spec.replicas is absent, which means 1" if replicas is None else f"replicas: {count}"
            obj = workload.obj
            yield _about(
                ctx,
                obj,
                obj.key_loc("spec", "replicas"),
                f"{obj.display} runs {count} replica{'s' if count != 1 else ''} ({why}); a drain, a rollout "
                f"or a crash can take it down. Run at least {minimum} or scale it with an HPA",
                f"{obj.identity}/replicas",
                str(count),
                workload,
            )


@check("K015")
def zero_unavailable_rollout(ctx: CheckContext) -> Iterator[Finding]:
    for workload in ctx.project.kube.workloads:
        if workload.kind != "Deployment":
            continue
        obj = workload.obj
        strategy = obj.get("spec", "strategy")
        strategy = strategy if isinstance(strategy, dict) else {}
        if strategy.get("type") == "Recreate":
            yield _about(
                ctx,
                obj,
                obj.loc("spec", "strategy", "type"),
                f"{obj.display} uses the Recreate strategy: every pod stops before new ones start",
                f"{obj.identity}/strategy",
                "Recreate",
                workload,
            )
            continue
        rolling = strategy.get("rollingUpdate")
        rolling = rolling if isinstance(rolling, dict) else {}
        unavailable = rolling.get("maxUnavailable", "25%")
        surge = rolling.get("maxSurge", "25%")
        if not is_zero(unavailable):
            default = "" if "maxUnavailable" in rolling else " (the default)"
            yield _about(
                ctx,
                obj,
                obj.key_loc("spec", "strategy", "rollingUpdate", "maxUnavailable"),
                f"{obj.display} rolls out with maxUnavailable {unavailable}{default}: serving pods go "
                "before their replacements are ready; set it to 0",
                f"{obj.identity}/maxUnavailable",
                str(unavailable),
                workload,
            )
        if is_zero(surge):
            yield _about(
                ctx,
                obj,
                obj.key_loc("spec", "strategy", "rollingUpdate", "maxSurge"),
                f"{obj.display} rolls out with maxSurge {surge}: with maxUnavailable 0 no pod can be "
                "replaced; set maxSurge to 1",
                f"{obj.identity}/maxSurge",
                str(surge),
                workload,
            )


@check("K016")
def termination_grace_period(ctx: CheckContext) -> Iterator[Finding]:
    minimum = ctx.params["min_seconds"]
    for workload in _workloads(ctx, long_running=True):
        obj = workload.obj
        value = workload.pod_spec.get("terminationGracePeriodSeconds")
        seconds = 30 if value is None else value
        if _int(seconds) and seconds < minimum:
            why = " (the default)" if value is None else ""
            yield _about(
                ctx,
                obj,
                obj.key_loc(*workload.pod_spec_keys, "terminationGracePeriodSeconds"),
                f"{obj.display} has terminationGracePeriodSeconds {seconds}{why}, under {minimum}: the "
                "kubelet kills pods in the middle of their graceful shutdown",
                f"{obj.identity}/terminationGracePeriodSeconds",
                str(seconds),
                workload,
            )


@check("K017")
def prestop_hook(ctx: CheckContext) -> Iterator[Finding]:
    sleep = ctx.params["sleep_seconds"]
    for container in _serving_containers(ctx):
        if container.ports() and container.get("lifecycle", "preStop") is None:
            yield _container_finding(
                ctx,
                container,
                container.key_loc("lifecycle"),
                f"serves ports but has no lifecycle.preStop; a {sleep} s sleep lets load balancers stop sending "
                "traffic before it exits",
                "preStop",
            )


def _multi_replica(workload: Workload) -> bool:
    if workload.hpa is not None:
        maximum = workload.hpa.get("spec", "maxReplicas")
        return not _int(maximum) or maximum >= 2
    expected = workload.expected_pods()
    return expected is not None and expected >= 2


@check("K018")
def topology_spread(ctx: CheckContext) -> Iterator[Finding]:
    for workload in ctx.project.kube.workloads:
        if not workload.scalable or not _multi_replica(workload):
            continue
        obj = workload.obj
        spec = workload.pod_spec
        if isinstance(spec.get("affinity"), dict) and spec["affinity"].get("podAntiAffinity"):
            continue
        constraints = spec.get("topologySpreadConstraints")
        keys = (
            {c.get("topologyKey") for c in constraints if isinstance(c, dict)}
            if isinstance(constraints, list)
            else set()
        )
        missing = []
        if not keys & set(ZONE_KEYS):
            missing.append("zones")
        if HOSTNAME_KEY not in keys:
            missing.append("nodes")
        if not missing:
            continue
        if keys:
            message = f"{obj.display} spreads its replicas but not across {' and '.join(missing)}"
            where = obj.key_loc(*workload.pod_spec_keys, "topologySpreadConstraints")
        else:
            message = (
                f"{obj.display} has neither topologySpreadConstraints nor pod anti-affinity: its replicas "
                "may share one node or zone and fail together"
            )
            where = obj.key_loc(*workload.pod_spec_keys)
        yield _about(ctx, obj, where, message, f"{obj.identity}/spread", ",".join(missing), workload)


@check("K019")
def image_tag_pinned(ctx: CheckContext) -> Iterator[Finding]:
    for container in _all_containers(ctx):
        image = container.get("image")
        if not isinstance(image, str) or not image:
            continue
        reason = unpinned_reason(image)
        if reason is not None:
            yield _container_finding(
                ctx,
                container,
                container.loc("image"),
                f"image '{image}' has {reason}; pin a version tag or a digest",
                "image",
                image,
            )


@check("K020")
def hpa_present(ctx: CheckContext) -> Iterator[Finding]:
    for workload in _replica_workloads(ctx):
        if workload.hpa is None:
            obj = workload.obj
            yield _about(
                ctx,
                obj,
                obj.key_loc("metadata", "name"),
                f"{obj.display} is not scaled by any HorizontalPodAutoscaler",
                f"{obj.identity}/hpa",
                workload=workload,
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
        minimum = hpa.get("spec", "minReplicas")
        minimum = 1 if minimum is None else minimum
        maximum = hpa.get("spec", "maxReplicas")
        if _int(minimum) and minimum < min_floor:
            yield _about(
                ctx,
                hpa,
                hpa.key_loc("spec", "minReplicas"),
                f"{hpa.display} may scale down to {minimum} replica{'s' if minimum != 1 else ''} "
                f"(minReplicas under {min_floor})",
                f"{hpa.identity}/minReplicas",
                str(minimum),
            )
        if _int(maximum) and (maximum < max_floor or (_int(minimum) and maximum <= minimum)):
            why = f"not above minReplicas {minimum}" if _int(minimum) and maximum <= minimum else f"under {max_floor}"
            yield _about(
                ctx,
                hpa,
                hpa.key_loc("spec", "maxReplicas"),
                f"{hpa.display} has maxReplicas {maximum} ({why}), too little room for a peak",
                f"{hpa.identity}/maxReplicas",
                str(maximum),
            )
        target = _cpu_target(hpa)
        if target is not None and _int(target[0]) and target[0] > max_cpu:
            yield _about(
                ctx,
                hpa,
                hpa.key_loc(*target[1]),
                f"{hpa.display} targets {target[0]} % CPU (above {max_cpu} %): no headroom while new pods start",
                f"{hpa.identity}/cpu",
                str(target[0]),
            )


@check("K022")
def hpa_replicas_conflict(ctx: CheckContext) -> Iterator[Finding]:
    for workload in _replica_workloads(ctx):
        obj = workload.obj
        if workload.hpa is not None and obj.has("spec", "replicas"):
            yield _about(
                ctx,
                obj,
                obj.key_loc("spec", "replicas"),
                f"{obj.display} sets replicas although {workload.hpa.display} scales it: every apply resets the scale",
                f"{obj.identity}/replicas-with-hpa",
                str(workload.replicas),
                workload,
            )


@check("K023")
def pdb_present(ctx: CheckContext) -> Iterator[Finding]:
    for workload in _replica_workloads(ctx):
        if workload.pdbs or not _multi_replica(workload):
            continue
        obj = workload.obj
        yield _about(
            ctx,
            obj,
            obj.key_loc("metadata", "name"),
            f"{obj.display} runs several replicas but no PodDisruptionBudget selects its pods: a drain may "
            "evict them all at once",
            f"{obj.identity}/pdb",
            workload=workload,
        )


def _protected_pods(ctx: CheckContext, pdb: K8sObject) -> int | None:
    targets = ctx.project.kube.pdb_targets.get(id(pdb), [])
    counts = [w.expected_pods() for w in targets]
    if not counts or any(count is None for count in counts):
        return None
    return sum(c for c in counts if c is not None)


@check("K024")
def pdb_min_available(ctx: CheckContext) -> Iterator[Finding]:
    floor = ctx.params["min_available"]
    for pdb in ctx.project.kube.pdbs:
        spec = pdb.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        pods = _protected_pods(ctx, pdb)
        of_pods = f" of {pods}" if pods is not None else ""
        if "minAvailable" in spec:
            raw = spec["minAvailable"]
            value = scaled_value(raw, pods) if pods is not None else (raw if _int(raw) else None)
            where = pdb.loc("spec", "minAvailable")
            shown = f"{raw}" if value == raw else f"{raw} (= {value}{of_pods} pods)"
            if value is not None and pods is not None and value >= pods:
                yield _about(
                    ctx,
                    pdb,
                    where,
                    f"{pdb.display} requires minAvailable {shown}, all of the {pods} replicas it protects: "
                    "no pod can ever be evicted, so node drains hang",
                    f"{pdb.identity}/minAvailable",
                    str(raw),
                )
            elif value is not None and value < floor:
                yield _about(
                    ctx,
                    pdb,
                    where,
                    f"{pdb.display} keeps only minAvailable {shown} during disruptions (under {floor})",
                    f"{pdb.identity}/minAvailable",
                    str(raw),
                )
        if "maxUnavailable" in spec:
            raw = spec["maxUnavailable"]
            value = scaled_value(raw, pods) if pods is not None else (0 if is_zero(raw) else None)
            if value == 0 or is_zero(raw):
                yield _about(
                    ctx,
                    pdb,
                    pdb.loc("spec", "maxUnavailable"),
                    f"{pdb.display} allows maxUnavailable {raw}: no pod can ever be evicted, so node drains hang",
                    f"{pdb.identity}/maxUnavailable",
                    str(raw),
                )


@check("K025")
def pdb_selector_matches(ctx: CheckContext) -> Iterator[Finding]:
    for pdb in ctx.project.kube.pdbs:
        if not ctx.project.kube.pdb_targets.get(id(pdb)) and id(pdb) not in ctx.project.kube.operator_managed:
            yield _about(
                ctx,
                pdb,
                pdb.key_loc("spec", "selector"),
                f"{pdb.display} selects no workload's pods in namespace '{pdb.namespace}' in this scan",
                f"{pdb.identity}/selector",
            )


@check("K026")
def hpa_target_exists(ctx: CheckContext) -> Iterator[Finding]:
    for hpa in ctx.project.kube.hpas:
        if ctx.project.kube.hpa_targets.get(id(hpa)) is None:
            ref = hpa.get("spec", "scaleTargetRef")
            ref = ref if isinstance(ref, dict) else {}
            yield _about(
                ctx,
                hpa,
                hpa.key_loc("spec", "scaleTargetRef"),
                f"{hpa.display} scales {ref.get('kind', '?')} '{ref.get('name', '?')}', which is not in "
                f"namespace '{hpa.namespace}' in this scan",
                f"{hpa.identity}/scaleTargetRef",
            )


@check("K027")
def service_selector_matches(ctx: CheckContext) -> Iterator[Finding]:
    for service in ctx.project.kube.services:
        selector = service.get("spec", "selector")
        if not isinstance(selector, dict) or not selector or service.get("spec", "type") == "ExternalName":
            continue  # a Service without a selector has hand-made endpoints
        targets = ctx.project.kube.service_targets.get(id(service), [])
        if not targets and id(service) in ctx.project.kube.operator_managed:
            continue
        if not targets:
            yield _about(
                ctx,
                service,
                service.key_loc("spec", "selector"),
                f"{service.display} selects no pod template in namespace '{service.namespace}' in this "
                "scan: it has no endpoints",
                f"{service.identity}/selector",
            )
            continue
        ports = service.get("spec", "ports")
        for index, port in enumerate(ports if isinstance(ports, list) else []):
            if not isinstance(port, dict):
                continue
            target = port.get("targetPort", port.get("port"))
            if target is None:
                continue
            if not any(c.declares_port(target) for w in targets for c in w.containers(include_init=False)):
                key = "targetPort" if "targetPort" in port else "port"
                yield _about(
                    ctx,
                    service,
                    service.loc("spec", "ports", index, key),
                    f"{service.display} sends port {port.get('port')} to targetPort {target!r}, which no "
                    "container it selects declares",
                    f"{service.identity}/targetPort",
                    str(target),
                )


@check("K028")
def probe_port_declared(ctx: CheckContext) -> Iterator[Finding]:
    for container in _serving_containers(ctx):
        for name in PROBES:
            probe = _probe(container, name)
            handler = _handler(probe) if probe is not None else None
            if handler is None or handler[0] == "exec" or not isinstance(handler[1], dict):
                continue
            port = handler[1].get("port")
            if port is None or container.declares_port(port):
                continue
            kind = "named port" if isinstance(port, str) and not port.isdigit() else "port"
            yield _container_finding(
                ctx,
                container,
                container.loc(name, handler[0], "port"),
                f"{name} checks {kind} {port!r}, which the container does not declare",
                f"{name}/port",
                str(port),
            )


@check("K029")
def resource_quantity_valid(ctx: CheckContext) -> Iterator[Finding]:
    min_memory = parse_quantity(ctx.params["min_memory"]) or 32 * MI
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
                elif name == "memory" and value < min_memory:
                    if str(raw).endswith("m"):
                        detail = f"{format_bytes(value)}: `m` means thousandths; did you mean {str(raw)[:-1]}Mi?"
                    else:
                        detail = f"{format_bytes(value)}, below the {ctx.params['min_memory']} floor (min_memory)"
                    where = container.loc("resources", section, name)
                    yield _container_finding(ctx, container, where, f"{what} {raw} is {detail}", what, str(raw))
                elif name == "cpu" and value > max_cores:
                    yield _container_finding(
                        ctx,
                        container,
                        container.loc("resources", section, name),
                        f"{what} {raw} asks for {value.normalize():f} cores, more than {max_cores:f} "
                        f"(max_cpu_cores); did you mean {raw}m?",
                        what,
                        str(raw),
                    )
