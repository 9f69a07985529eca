"""Fixes to Kubernetes manifests, as text edits at the parser's positions.

Safe (the result is certain): allowPrivilegeEscalation: false, a zero-unavailable rolling update,
the grace period, the preStop sleep. Unsafe (values a reviewer must confirm): a read-only root
filesystem, replicas, probes (their paths are the standard's, not necessarily the app's), and a
PodDisruptionBudget written as a new document beside the workload. Objects rendered from Helm
charts or kustomize overlays are not edited (their values files and patches are where to change
them)."""

from __future__ import annotations

import re
from typing import Any

from relcheck.artifacts.kubernetes import Container, K8sObject, Workload, one_pod_per_node, single_attach_claim
from relcheck.checks.kubernetes import standby_controller, unelected_controller
from relcheck.fixes.model import SAFE, UNSAFE, Edit, Fix, YamlChange
from relcheck.fixes.registry import FixContext, fixer
from relcheck.fixes.yamledit import YamlText, block
from relcheck.model import Finding
from relcheck.units.images import CACHE_STORES


def _editable(obj: K8sObject) -> bool:
    from relcheck.artifacts.rendered import RenderedObject

    return not isinstance(obj, RenderedObject) and obj.path != "<stdin>"


def _set(ctx: FixContext, obj: K8sObject, message: str, applicability: str, *pairs: tuple[tuple, Any]) -> Fix | None:
    """A fix that sets each (path from the object's root, value) of one object."""
    if not _editable(obj):
        return None
    text = ctx.text(obj.path)
    if text is None:
        return None
    edits = YamlText(text, obj, ctx.starts(obj.path), ctx.lines(obj.path)).set(*pairs)  # Refused: attach_fixes says why
    index = _index(ctx, obj)
    changes = tuple(YamlChange(index, path, value) for path, value in pairs)
    return Fix(message, tuple(edits), applicability, changes)


def _index(ctx: FixContext, obj: K8sObject) -> int:
    """The object's place among the objects its file parses into (patches included): noted when it
    was parsed, else found by parsing the file again."""
    if obj.ordinal >= 0:
        return obj.ordinal
    objects = ctx.objects(obj.path)
    return next((i for i, other in enumerate(objects) if other.span == obj.span and other.base == obj.base), -1)


def _container(finding: Finding) -> Container | None:
    return finding.subject if isinstance(finding.subject, Container) else None


def _workload(finding: Finding) -> Workload | None:
    return finding.subject if isinstance(finding.subject, Workload) else None


@fixer("K012")
def no_privilege_escalation(finding: Finding, ctx: FixContext) -> Fix | None:
    container = _container(finding)
    if container is None:
        return None
    path = (*container.keys, "securityContext", "allowPrivilegeEscalation")
    return _set(ctx, container.workload.obj, "Set allowPrivilegeEscalation: false", SAFE, (path, False))


@fixer("K013")
def read_only_root_filesystem(finding: Finding, ctx: FixContext) -> Fix | None:
    container = _container(finding)
    if container is None:
        return None
    path = (*container.keys, "securityContext", "readOnlyRootFilesystem")
    message = "Set readOnlyRootFilesystem: true (mount an emptyDir where the app writes)"
    return _set(ctx, container.workload.obj, message, UNSAFE, (path, True))


@fixer("K015")
def zero_unavailable_rollout(finding: Finding, ctx: FixContext) -> Fix | None:
    workload = _workload(finding)
    if workload is None or finding.value == "Recreate" or finding.identity.endswith("/strategy"):
        return None  # Recreate may be on purpose (a volume only one pod may mount)
    volumes = workload.pod_spec.get("volumes")
    if isinstance(volumes, list) and any(isinstance(v, dict) and "persistentVolumeClaim" in v for v in volumes):
        return None  # a surge pod may not mount a ReadWriteOnce claim the old pod holds: not a safe edit
    if workload.singleton_role is not None:
        return None  # a surge pod would run a program that must run alone twice
    rolling = workload.obj.get("spec", "strategy", "rollingUpdate")
    rolling = rolling if isinstance(rolling, dict) else {}
    base = ("spec", "strategy", "rollingUpdate")
    pairs: list[tuple[tuple, Any]] = []
    if finding.identity.endswith("/maxUnavailable"):
        pairs.append(((*base, "maxUnavailable"), 0))
    surge = rolling.get("maxSurge")
    if surge in (None, 0, "0%") or finding.identity.endswith("/maxSurge"):
        pairs.append(((*base, "maxSurge"), 1))
    wording = " and ".join(f"{path[-1]}: {value}" for path, value in pairs)
    # With one pod per node, the surge pod needs a spare node: on a small cluster the rollout stalls.
    safety = UNSAFE if one_pod_per_node(workload.pod_spec) else SAFE
    return _set(ctx, workload.obj, f"Set {wording}", safety, *pairs)


@fixer("K016")
def termination_grace_period(finding: Finding, ctx: FixContext) -> Fix | None:
    workload = _workload(finding)
    if workload is None:
        return None
    seconds = ctx.params["K016"]["min_seconds"]
    path = (*workload.pod_spec_keys, "terminationGracePeriodSeconds")
    return _set(ctx, workload.obj, f"Set terminationGracePeriodSeconds: {seconds}", SAFE, (path, seconds))


@fixer("K017")
def prestop_hook(finding: Finding, ctx: FixContext) -> Fix | None:
    container = _container(finding)
    if container is None:
        return None
    seconds = ctx.params["K017"]["sleep_seconds"]
    hook = {"exec": {"command": ["sleep", str(seconds)]}}
    path = (*container.keys, "lifecycle", "preStop")
    return _set(ctx, container.workload.obj, f"Add a preStop hook that sleeps {seconds} s", SAFE, (path, hook))


@fixer("K014")
def min_replicas(finding: Finding, ctx: FixContext) -> Fix | None:
    workload = _workload(finding)
    store = workload.data_store if workload is not None else None
    if workload is None or workload.hpa is not None or (store is not None and store not in CACHE_STORES):
        return None  # a store's replicas would be separate servers: no count fixes it (a cache's are shards)
    if workload.kind == "Deployment" and single_attach_claim(ctx.project.kube.objects, workload)[1] is not None:
        return None  # replicas on other nodes could not attach its ReadWriteOnce volume
    if unelected_controller(workload) is not None:
        return None  # a second replica is safe only once its leader election is on, where it has one
    replicas = ctx.params["K014"]["min_replicas"]
    if standby_controller(workload) is not None:
        replicas = min(replicas, 2)  # a leader and a standby: more would stand by idle
    return _set(ctx, workload.obj, f"Set replicas: {replicas}", UNSAFE, (("spec", "replicas"), replicas))


def _probe_port(container: Container) -> Any:
    for port in container.ports():
        if port.get("name"):
            return port["name"]
    ports = container.ports()
    return ports[0].get("containerPort") if ports else None


def _probe_fix(finding: Finding, ctx: FixContext, key: str, path: str, period: int) -> Fix | None:
    container = _container(finding)
    if container is None or container.get(key) is not None:
        return None
    port = _probe_port(container)
    if port is None:
        return None
    probe = {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": 3,
    }
    message = f"Add a {key} on {path} (the standard's path: check the app serves it)"
    return _set(ctx, container.workload.obj, message, UNSAFE, ((*container.keys, key), probe))


@fixer("K001")
def liveness_probe(finding: Finding, ctx: FixContext) -> Fix | None:
    return _probe_fix(finding, ctx, "livenessProbe", "/health/liveness", 10)


@fixer("K002")
def readiness_probe(finding: Finding, ctx: FixContext) -> Fix | None:
    return _probe_fix(finding, ctx, "readinessProbe", "/health/readiness", 5)


def _new_document(ctx: FixContext, obj: K8sObject, document: dict) -> Edit | None:
    """An edit that writes `document` as the next document after the object's."""
    text = ctx.text(obj.path)
    if text is None:
        return None
    lines = [line for key, value in document.items() for line in block(key, value, 0)]
    written = ctx.lines(obj.path)
    last = obj.span[1]
    while last > obj.span[0] and not written[last - 1].strip():
        last -= 1
    at = ctx.starts(obj.path)[last - 1] + len(written[last - 1])
    return Edit(obj.path, at, at, "\n---\n" + "\n".join(lines))


@fixer("K020")
def hpa_present(finding: Finding, ctx: FixContext) -> Fix | None:
    """A HorizontalPodAutoscaler after the workload, with the standard's bounds and CPU target; the
    workload's own `replicas:` line goes (the HPA sets the count, K022)."""
    workload = _workload(finding)
    if workload is None or not _editable(workload.obj) or workload.obj.base or workload.obj.path.endswith(".json"):
        return None
    obj = workload.obj
    metadata: dict[str, Any] = {"name": obj.name}
    if "namespace" in obj.metadata:
        metadata["namespace"] = obj.namespace
    document = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata,
        "spec": {
            "scaleTargetRef": {"apiVersion": obj.api_version, "kind": obj.kind, "name": obj.name},
            "minReplicas": 3,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    }
    added = _new_document(ctx, obj, document)
    if added is None:
        return None
    edits = [added]
    index = _index(ctx, obj)
    changes = [YamlChange(index, document=document)]
    if obj.has("spec", "replicas"):
        removed = _remove_line(ctx, obj, ("spec", "replicas"))
        if removed is None:
            return None
        edits.append(removed)
        changes.append(YamlChange(index, ("spec", "replicas"), delete=True))
    message = "Add a HorizontalPodAutoscaler (3 to 10 replicas on 70 % CPU) and drop spec.replicas"
    return Fix(message, tuple(edits), UNSAFE, tuple(changes))


def _remove_line(ctx: FixContext, obj: K8sObject, path: tuple) -> Edit | None:
    """The line of a `key: scalar` in block style, removed whole."""
    mark = obj.positions.key_marks.get((*obj.base, *path))
    text = ctx.text(obj.path)
    if mark is None or text is None:
        return None
    starts = ctx.starts(obj.path)
    line = ctx.lines(obj.path)[mark[0] - 1]
    if not re.fullmatch(r"\s*" + re.escape(str(path[-1])) + r":\s*[0-9]+\s*(#.*)?", line):
        return None
    end = starts[mark[0]] if mark[0] < len(starts) else len(text)
    return Edit(obj.path, starts[mark[0] - 1], end, "")


@fixer("K023")
def pdb_present(finding: Finding, ctx: FixContext) -> Fix | None:
    """A PodDisruptionBudget, as a new document after the workload's, selecting its pods."""
    workload = _workload(finding)
    if workload is None or not _editable(workload.obj) or workload.obj.base:
        return None
    selector = workload.obj.get("spec", "selector")
    labels = selector.get("matchLabels") if isinstance(selector, dict) else None
    if not isinstance(labels, dict) or not labels or set(selector) != {"matchLabels"}:
        return None
    pods = workload.expected_pods()
    if pods is None or pods < 2:
        return None
    metadata: dict[str, Any] = {"name": workload.obj.name}
    if "namespace" in workload.obj.metadata:
        metadata["namespace"] = workload.obj.namespace
    document = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata,
        "spec": {"minAvailable": pods - 1, "selector": {"matchLabels": dict(labels)}},
    }
    edit = _new_document(ctx, workload.obj, document)
    if edit is None:
        return None
    message = f"Add a PodDisruptionBudget with minAvailable: {pods - 1} after the {workload.obj.kind}"
    return Fix(message, (edit,), UNSAFE, (YamlChange(_index(ctx, workload.obj), document=document),))


# The standard's container resources (the K006-K009 fix hints). A CPU limit is twice the request
# (the standard's 1000m over a 250m request is more than K010 allows).
STANDARD_RESOURCES = {
    "K006": (("limits", "memory"), "1Gi", ("requests", "memory")),
    "K007": (("requests", "memory"), "512Mi", ("limits", "memory")),
    "K008": (("requests", "cpu"), "250m", ("limits", "cpu")),
    "K009": (("limits", "cpu"), "500m", ("requests", "cpu")),
}


def _resource_fix(finding: Finding, ctx: FixContext) -> Fix | None:
    from relcheck.units.quantities import parse_quantity

    container = _container(finding)
    if container is None:
        return None
    keys, value, other_keys = STANDARD_RESOURCES[finding.code]
    if container.get("resources", *keys) is not None:
        return None  # a value that is there but wrong: only its author knows the right one
    other = parse_quantity(container.get("resources", *other_keys))
    if keys[0] == "limits" and other is not None and other > 0:
        value = _twice(other, keys[-1])  # within K010's ratio of the request that is there
    wanted = parse_quantity(value)
    if other is not None and wanted is not None and (other > wanted if keys[0] == "limits" else other < wanted):
        return None  # the standard's value would put the limit under the request
    message = f"Set resources.{'.'.join(keys)}: {value} (the standard's value: size it for the app)"
    return _set(ctx, container.workload.obj, message, UNSAFE, ((*container.keys, "resources", *keys), value))


def _twice(request: Any, resource: str) -> str:
    """Twice a request, written as Kubernetes writes quantities: millicores, or Mi of memory."""
    doubled = request * 2
    if resource == "cpu":
        return f"{int(doubled * 1000)}m"
    mebibytes = doubled / (1024 * 1024)
    return f"{int(mebibytes)}Mi" if mebibytes == int(mebibytes) else str(int(doubled))


for _code in STANDARD_RESOURCES:
    fixer(_code)(_resource_fix)


_CASE_TYPO = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([kKmMgGtTpPeE][iI])$")


@fixer("K029")
def resource_quantity(finding: Finding, ctx: FixContext) -> Fix | None:
    """`512mi` can only mean 512Mi (safe); `512m` of memory most likely means 512Mi and `250` CPUs
    250m, but a reviewer should confirm (unsafe)."""
    from relcheck.units.quantities import parse_quantity

    container = _container(finding)
    what = finding.identity.rsplit("/", 1)[-1]
    if container is None or not what.startswith("resources."):
        return None
    keys = tuple(what.split(".")[1:])
    raw = container.get("resources", *keys)
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        return None
    text = str(raw)
    typo = _CASE_TYPO.match(text)
    if parse_quantity(raw) is None and typo is not None:
        fixed, applicability = typo.group(1) + typo.group(2)[0].upper() + "i", SAFE
    elif keys[-1] == "memory" and text.endswith("m"):
        fixed, applicability = text[:-1] + "Mi", UNSAFE
    elif keys[-1] == "cpu" and "did you mean" in finding.message:
        fixed, applicability = text + "m", UNSAFE
    else:
        return None
    path = (*container.keys, "resources", *keys)
    return _set(ctx, container.workload.obj, f"Write {text} as {fixed}", applicability, (path, fixed))
