"""Kubernetes objects as checks see them, and the cross-object index (HPA, PDB, Service <-> workloads)."""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from relcheck.artifacts.dockerfile import shell_commands
from relcheck.artifacts.leader import (
    LeaseGrant,
    WatchGrant,
    leader_flag,
    lease_grants,
    service_account,
    watch_grants,
)
from relcheck.model import Location
from relcheck.syntax.positions import Positioned, Positions
from relcheck.units.images import WHOLE_NAME_STORES, data_store, image_reference, store_tool

IGNORE_ANNOTATION = "relcheck.dev/ignore"

# Where each kind keeps its pod template (Pod is its own template).
POD_TEMPLATE_KEYS: dict[str, tuple] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
    "Rollout": ("spec", "template"),  # Argo Rollouts: a Deployment that rolls out in canary or blue-green steps
}
# Workload kinds of other API groups that relcheck models like the built-in ones.
CUSTOM_WORKLOAD_GROUPS = {"Rollout": "argoproj.io"}
# Long-running workloads get probe, grace-period and preStop rules; Jobs, CronJobs and bare Pods do not.
LONG_RUNNING_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Rollout"}
)
# Replica, PDB and HPA rules: long-running workloads other than DaemonSets.
SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout"})
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
# Workload kinds of other APIs (OpenShift, OpenKruise...) that run pods relcheck does not model:
# counted and named in the summary rather than passed over in silence. Any other object with a pod
# template (`spec.template.spec.containers`) is counted the same way.
UNMODELED_WORKLOAD_KINDS = frozenset(
    {"DeploymentConfig", "CloneSet", "AdvancedCronJob", "BroadcastJob", "UnitedDeployment", "SidecarSet"}
)


def dig(data: Any, keys: tuple) -> Any:
    for key in keys:
        if data.__class__ is dict or isinstance(data, dict):  # the exact type first: rules dig a lot
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def lacks_images(obj: K8sObject) -> bool:
    """A workload, as written, with a container or init container without an image. The API server
    refuses it (`image: Required value`), so it is a fragment another tool completes (a kustomize
    or kubeadm patch), not an object that runs. (One with no containers at all is left as it is:
    rules about replicas, PDBs and services still apply to a workload written only in part.)"""
    keys = POD_TEMPLATE_KEYS.get(obj.kind)
    if keys is None or obj.render:
        return False
    spec = dig(obj.data, (*keys, "spec"))
    containers = spec.get("containers") if isinstance(spec, dict) else None
    if not isinstance(containers, list) or not containers:
        return False
    init = spec.get("initContainers")
    every = [*containers, *(init if isinstance(init, list) else [])]
    return any(not isinstance(item, dict) or item.get("image") in (None, "") for item in every)


# Kinds the API server refuses without `spec.selector` (apps/v1 no longer defaults it from the labels).
_SELECTOR_REQUIRED = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


def is_named_patch(obj: K8sObject) -> bool:
    """A workload without the `spec.selector` the API server requires, in a file or a folder named as
    a patch (christianh814's gitops-examples: `2.argocd-repo-server-patch.yaml`, which a README
    applies with `kubectl patch --patch-file`; kubeflow's `base/patches/add_service_account.yaml`,
    which no kustomization names any more): a fragment merged into a live object, not one that runs."""
    if obj.kind not in _SELECTOR_REQUIRED or obj.render or not str(obj.get("apiVersion") or "").startswith("apps/"):
        return False
    spec = obj.data.get("spec")
    if not isinstance(spec, dict) or "selector" in spec:
        return False
    folders = posixpath.dirname(obj.path).split("/")
    return "patch" in posixpath.basename(obj.path).lower() or any(_PATCH_FOLDER.fullmatch(f) for f in folders)


# A folder named for patches (`patches/`, `kustomize-patches/`), not one whose name holds the letters
# (`dispatcher/`).
_PATCH_FOLDER = re.compile(r"(?:.*[._-])?patch(?:es)?(?:[._-].*)?", re.IGNORECASE)


@dataclass
class K8sObject(Positioned):
    path: str
    data: dict
    positions: Positions
    base: tuple  # where the object sits in its document ((), or ("items", i) inside a List)
    span: tuple[int, int]  # first and last line, for suppression comments anywhere in the object
    # Its place among the objects its file parses into (kustomize patches included), -1 when it was
    # not read from a file as written: what a fix names it by.
    ordinal: int = -1

    # Read once, at creation, so that each object's attributes stay in the order its class shares
    # (attributes added later would give every object a dict of its own): rules ask the kind often.
    kind: str = field(init=False, repr=False, compare=False)
    # Which render the object came from ("" for a file as written): objects of different renders
    # (a chart with two values files, two overlays of one base) never select one another.
    render = ""

    def __post_init__(self) -> None:
        self.kind = str(self.data.get("kind") or "")

    @property
    def test_install(self) -> bool:
        """Rendered with one of a chart's `ci/*-values.yaml`: chart-testing's values for a throwaway
        install, whose choices (autoscaling on, no PDB) are a test's, not a deployment's."""
        return "@ci/" in self.render

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion") or "")

    @property
    def metadata(self) -> dict:
        metadata = self.data.get("metadata")
        return metadata if isinstance(metadata, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or self.metadata.get("generateName") or "")

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "default")

    @property
    def labels(self) -> dict:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def identity(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def display(self) -> str:
        return f"{self.kind} '{self.name}'"

    def get(self, *keys: Any) -> Any:
        return dig(self.data, keys)

    def missing_loc(self, *keys: Any, fallback: Location) -> Location:
        """Where a key that is not there is reported: `fallback` (what should hold it). A rendered
        object answers with the values key or patch that left it out, where one did."""
        return fallback

    def has(self, *keys: Any) -> bool:
        parent = dig(self.data, keys[:-1])
        return isinstance(parent, dict) and keys[-1] in parent

    def ignore_names(self) -> tuple[str, ...]:
        return _ignore_names(self.metadata.get("annotations"))

    # As a finding's subject (relcheck.scan.context.Subject): its lines, its own annotations.
    @property
    def scope(self) -> tuple[int, int]:
        return self.span

    @property
    def ignore_source(self) -> str:
        return self.display


def _ignore_names(annotations: Any) -> tuple[str, ...]:
    if not isinstance(annotations, dict):
        return ()
    value = annotations.get(IGNORE_ANNOTATION)
    if not isinstance(value, str):
        return ()
    return tuple(part for part in re.split(r"[\s,]+", value) if part)


@dataclass
class Container:
    workload: Workload
    keys: tuple  # from the object root to this container's mapping
    spec: dict
    init: bool

    @property
    def argv(self) -> list[str]:
        """The words of the container's `command`, then of its `args` (those that are strings)."""
        return [
            word
            for key in ("command", "args")
            if isinstance(words := self.spec.get(key), list)
            for word in words
            if isinstance(word, str)
        ]

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or f"#{self.keys[-1]}")

    @property
    def identity(self) -> str:
        return f"{self.workload.obj.identity}/container:{self.name}"

    # As a finding's subject: the object's lines, and the annotations of the object and pod template.
    @property
    def display(self) -> str:
        kind = "init container" if self.init else "container"
        return f"{kind} '{self.name}' of {self.workload.obj.display}"

    @property
    def scope(self) -> tuple[int, int]:
        return self.workload.obj.span

    @property
    def ignore_source(self) -> str:
        return self.workload.obj.display

    def ignore_names(self) -> tuple[str, ...]:
        return self.workload.ignore_names()

    def get(self, *keys: Any) -> Any:
        return dig(self.spec, keys)

    def loc(self, *keys: Any) -> Location:
        return self.workload.obj.loc(*self.keys, *keys)

    def key_loc(self, *keys: Any) -> Location:
        if not keys:
            # A container is best shown at its `name:` (or its first key).
            return self.workload.obj.key_loc(*self.keys, "name") if "name" in self.spec else self.loc()
        return self.workload.obj.key_loc(*self.keys, *keys)

    def missing_loc(self, key: str) -> Location:
        """Where a key the container lacks is reported: the container, or in a rendered object the
        values key or patch that left it out."""
        return self.workload.obj.missing_loc(*self.keys, key, fallback=self.key_loc())

    def ports(self) -> list[dict]:
        ports = self.spec.get("ports")
        return [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []

    def declarations(self, port: Any) -> list[dict]:
        """The `ports` entries a probe or Service refers to with `port`: by number, or by name."""
        if isinstance(port, bool):
            return []
        if isinstance(port, str) and _WHOLE.match(port):
            port = int(port)
        if _is_int(port):
            return [p for p in self.ports() if p.get("containerPort") == port]
        if isinstance(port, str):
            return [p for p in self.ports() if p.get("name") == port]
        return []

    def declares_port(self, port: Any) -> bool:
        return bool(self.declarations(port))


@dataclass
class Workload:
    obj: K8sObject
    template_keys: tuple
    hpas: list[K8sObject] = field(default_factory=list)
    pdbs: list[K8sObject] = field(default_factory=list)
    exposed_by: list[K8sObject] = field(default_factory=list)  # Services that select its pods
    lease_grant: LeaseGrant | None = None  # RBAC of the scan that lets its pods take a Lease
    watch_grant: WatchGrant | None = None  # RBAC of the scan that lets its pods watch and change objects
    # Rendered from a chart that writes Services, each of which found its pods: a Service for this
    # workload's pods would be one of them (relcheck.artifacts.kubernetes._mark_charts_services).
    chart_writes_services: bool = False
    # Of exposed_by, the Services an admission or conversion webhook calls (the API server their client).
    webhook_services: list[K8sObject] = field(default_factory=list)
    # LimitRanges of its namespace, applied with it: their defaults fill its containers' resources.
    limit_ranges: list[K8sObject] = field(default_factory=list)

    def resource_default(self, section: str, name: str) -> tuple[Any, K8sObject] | None:
        """The value a LimitRange of the namespace gives a container that sets no
        `resources.<section>.<name>`, and that LimitRange, else None. The API server fills a
        Container item's `default` from its `max`, its `defaultRequest` from `default`, then `min`;
        the LimitRanger admission plugin writes them into every container that lacks them."""
        order = ("default", "max") if section == "limits" else ("defaultRequest", "default", "max", "min")
        for limit_range in self.limit_ranges:
            items = limit_range.get("spec", "limits")
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, dict) or item.get("type") != "Container":
                    continue
                for key in order:
                    values = item.get(key)
                    if isinstance(values, dict) and values.get(name) is not None:
                        return values[name], limit_range
        return None

    @property
    def kind(self) -> str:
        return self.obj.kind

    @property
    def long_running(self) -> bool:
        return self.kind in LONG_RUNNING_KINDS

    @property
    def scalable(self) -> bool:
        return self.kind in SCALABLE_KINDS

    @cached_property
    def template(self) -> dict:
        template = self.obj.get(*self.template_keys) if self.template_keys else self.obj.data
        return template if isinstance(template, dict) else {}

    @property
    def pod_spec_keys(self) -> tuple:
        return (*self.template_keys, "spec")

    @cached_property
    def pod_spec(self) -> dict:
        spec = self.obj.get(*self.pod_spec_keys)
        return spec if isinstance(spec, dict) else {}

    @cached_property
    def windows(self) -> bool:
        """Whether the pod runs on Windows nodes: `spec.os.name: windows`, a `kubernetes.io/os:
        windows` node selector, or Windows options (`windowsOptions`, which a HostProcess container
        needs) in the pod's or a container's securityContext. Linux's user and privilege fields do not
        apply there (the API server refuses them with `os.name: windows`)."""
        spec = self.pod_spec
        if dig(spec, ("os", "name")) == "windows":
            return True
        selector = spec.get("nodeSelector")
        if isinstance(selector, dict) and "windows" in (
            selector.get("kubernetes.io/os"), selector.get("beta.kubernetes.io/os")
        ):
            return True
        contexts = [spec.get("securityContext")] + [c.spec.get("securityContext") for c in self._all_containers]
        return any(isinstance(c, dict) and isinstance(c.get("windowsOptions"), dict) for c in contexts)

    @cached_property
    def template_labels(self) -> dict:
        labels = dig(self.template, ("metadata", "labels"))
        return labels if isinstance(labels, dict) else {}

    def containers(self, include_init: bool = True) -> list[Container]:
        if include_init:
            return list(self._all_containers)
        return [container for container in self._all_containers if not container.init]

    @cached_property
    def _all_containers(self) -> tuple[Container, ...]:
        """Init containers, then containers (many rules ask, so they are found once)."""
        found = []
        for key, init in (("initContainers", True), ("containers", False)):
            items = self.pod_spec.get(key)
            if not isinstance(items, list):
                continue
            for index, spec in enumerate(items):
                if isinstance(spec, dict):
                    found.append(Container(self, (*self.pod_spec_keys, key, index), spec, init))
        return tuple(found)

    @property
    def replicas(self) -> Any:
        return self.obj.get("spec", "replicas")

    @cached_property
    def singleton_role(self) -> str | None:
        """Why the workload's program must run as one instance, else None: a second replica would
        not add availability but break it (two Thanos compactors on one bucket)."""
        for container in self.containers(include_init=False):
            image = container.spec.get("image")
            if not isinstance(image, str):
                continue
            words = container.argv
            program = _program_of(image)
            repository = image_reference(image)[0]
            # A subcommand may be a script's path (`/opt/strimzi/bin/topic_operator_run.sh`).
            subcommands = [posixpath.basename(w) for w in words if not w.startswith("-")][:2]
            # Grafana's databases pick their component with a flag (`-target=backend-scheduler`).
            subcommands += _targets(words)
            for name, subcommand, role in SINGLETONS:
                # A pattern with a `/` names the repository: another project's program may share the
                # name; one with a `:` reads the whole reference, tag included (an edition's tag).
                subject = image.lower() if ":" in name else repository if "/" in name else program
                named = re.search(name, subject)
                if named and (subcommand is None or subcommand in subcommands):
                    return role
            # A framework's runner named in the command, on an image of the team's own (or a bare
            # `python` that installs it first, in a shell string).
            command = " ".join(words)
            for pattern, role in COMMAND_SINGLETONS:
                if pattern.search(command):
                    return role
        return None

    @cached_property
    def leader_only_server(self) -> str | None:
        """Why the pod's program serves its clients from the leader alone, else None: its other
        replicas stand by though they declare the port (LEADER_ONLY_SERVERS)."""
        for container in self.containers(include_init=False):
            image = container.spec.get("image")
            repository = image_reference(image)[0].lower() if isinstance(image, str) else ""
            for name, why in LEADER_ONLY_SERVERS.items():
                if repository == name or repository.endswith(f"/{name}"):
                    return why
        return None

    @cached_property
    def _leader_flag(self) -> bool | None:
        return leader_flag(word for container in self.containers(include_init=False) for word in container.argv)

    @cached_property
    def elects_leader(self) -> str | None:
        """How the scan shows that the pod's program elects a leader (only one replica works, the
        others stand by), else None (relcheck.artifacts.leader)."""
        flag = self._leader_flag
        if flag is False or (flag is None and self._election_flag_needed is not None):
            return None
        if self.lease_grant is not None:
            return self.lease_grant.describe(service_account(self))
        return "its command line turns leader election on" if flag else None

    @cached_property
    def _election_flag_needed(self) -> str | None:
        """The flag without which the pod's program elects no leader, whatever its RBAC grants
        (ELECTION_OFF_BY_DEFAULT), else None."""
        return self._program_entry(ELECTION_OFF_BY_DEFAULT)

    def _program_entry(self, table: dict[str, str]) -> str | None:
        """The entry of a table by program name for the first container whose image's program
        (`_program_of`, in lower case) it names, else None."""
        for container in self.containers(include_init=False):
            image = container.spec.get("image")
            entry = table.get(_program_of(image).lower()) if isinstance(image, str) else None
            if entry is not None:
                return entry
        return None

    @property
    def watches_unelected(self) -> str | None:
        """How the scan shows that the pod's program watches the API (a controller) and elects no
        leader, else None: its replicas would each act on the same objects."""
        if self.elects_leader is not None or self.watch_grant is None:
            return None
        grant = self.watch_grant.describe(service_account(self))
        if self._leader_flag is False:
            return f"{grant}, and its command line turns leader election off"
        if self._election_flag_needed is not None:
            return f"{grant}, and its leader election is off without {self._election_flag_needed}"
        return grant

    @cached_property
    def one_version_role(self) -> str | None:
        """Why two versions of the workload's program must never run at once, else None: its
        upgrade needs every old pod gone first (Recreate), though more replicas of one version are fine."""
        return self._program_entry(ONE_VERSION_PROGRAMS)

    @cached_property
    def only_pauses(self) -> bool:
        """Whether every container of the pod runs the pause image: a capacity reservation
        (cluster-autoscaler overprovisioning, eks-workshop's `pause-pods`) that real pods preempt;
        or idles once set up (runs_idle: Pulsar's toolset, for people to exec into). Its replicas
        serve nothing, so availability rules (replicas, PDB, rollout) do not apply."""
        containers = list(self.containers(include_init=False))
        return bool(containers) and all(runs_idle(c) for c in containers)

    @cached_property
    def generates_load(self) -> str | None:
        """The load generator every container of the pod runs (its image's name, or the tag of a
        demo's one image repository), else None: it sends requests and serves none, so how many
        replicas run is the load test's choice (Locust's master runs alone, its workers connect to
        it), not an availability question."""
        found = None
        for container in self.containers(include_init=False):
            image = container.spec.get("image")
            if not isinstance(image, str):
                return None
            repository, tag, _ = image_reference(image)
            program = repository.rsplit("/", 1)[-1].lower()
            if _LOAD_GENERATOR.match(program):
                found = found or program
            elif tag is not None and _LOAD_GENERATOR_TAG.search(tag.lower()):
                found = found or f"{program}:{tag}"
            else:
                return None
        return found

    @property
    def serves_nothing(self) -> bool:
        """Whether the pod's replicas serve no one (only_pauses, generates_load): the availability
        rules (replicas, PDB, rollout, spread, grace period) have nothing to keep up."""
        return self.only_pauses or self.generates_load is not None

    @cached_property
    def exporter(self) -> str | None:
        """The Prometheus exporter the pod runs (its image's name), else None: one replica is what
        it needs. Only when the pod runs nothing else but a config reloader or an auth proxy: a
        database or a service with an exporter beside it is a database or a service."""
        found = None
        for container in self.containers(include_init=False):
            image = container.spec.get("image")
            if not isinstance(image, str):
                return None
            program = _program_of(image).lower()
            if _EXPORTER.search(program):
                found = found or program
            elif program not in _EXPORTER_HELPERS:
                return None
        return found

    @cached_property
    def data_store(self) -> str | None:
        """The data store the pod's first container runs (`mysql`, `redis`), told by its image's
        name, else None; sidecars after it (an exporter) do not change what the pod is. A store's
        tool listed before the store (openreplay's `clickhouse-backup` ahead of `clickhouse-server`)
        is a sidecar too."""
        containers = list(self.containers(include_init=False))
        while len(containers) > 1 and store_tool(containers[0].spec.get("image")):
            containers = containers[1:]
        image = containers[0].spec.get("image") if containers else None
        if not isinstance(image, str):
            return None
        store = data_store(image)
        if store in WHOLE_NAME_STORES and _names_storage_nodes(containers[0].spec):
            # VictoriaLogs' and VictoriaTraces' cluster front ends run the single-node server's
            # image with `-storageNode` (vlinsert, vlselect): they hold no data, the nodes they name do.
            return None
        return store

    @property
    def hpa(self) -> K8sObject | None:
        return self.hpas[0] if self.hpas else None

    def expected_pods(self) -> int | None:
        """Pods the workload is meant to run: its autoscaler's minimum, else spec.replicas (default 1)."""
        if not self.scalable:
            return None
        if self.hpa is not None:
            minimum = scaler_bounds(self.hpa)[0]
            return minimum if _is_int(minimum) else 1
        replicas = self.replicas
        if replicas is None:
            return 1
        return replicas if _is_int(replicas) else None

    def replica_range(self) -> tuple[int, int] | None:
        """The fewest and most pods the workload can run: its HPA's minReplicas (default 1) to
        maxReplicas, else spec.replicas (default 1) both ways; None when a count is not a number."""
        if not self.scalable:
            return None
        if self.hpa is not None:
            low, high = scaler_bounds(self.hpa)
            return (low, high) if _is_int(low) and _is_int(high) and low <= high else None
        replicas = self.replicas
        replicas = 1 if replicas is None else replicas
        return (replicas, replicas) if _is_int(replicas) else None

    def ignore_names(self) -> tuple[str, ...]:
        return self.obj.ignore_names() + _ignore_names(dig(self.template, ("metadata", "annotations")))

    # As a finding's subject: the object, with its pod template's annotations too.
    @property
    def identity(self) -> str:
        return self.obj.identity

    @property
    def display(self) -> str:
        return self.obj.display

    def loc(self, *keys: Any) -> Location:
        return self.obj.loc(*keys)

    @property
    def scope(self) -> tuple[int, int]:
        return self.obj.span

    @property
    def ignore_source(self) -> str:
        return self.obj.display

    def key_loc(self, *keys: Any) -> Location:
        return self.obj.key_loc(*keys)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def selector_matches(selector: Any, labels: dict) -> bool:
    """A LabelSelector (matchLabels, matchExpressions); an empty selector matches everything, none nothing."""
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return False
    if any(labels.get(key) != str(value) and labels.get(key) != value for key, value in match_labels.items()):
        return False
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return False  # the API server refuses it: no pod is selected
    for expression in expressions:
        if not isinstance(expression, dict) or not isinstance(expression.get("key"), str):
            return False
        key = expression.get("key")
        operator = expression.get("operator")
        values = expression.get("values") or []
        values = [str(v) for v in values] if isinstance(values, list) else []
        present = key in labels
        value = str(labels.get(key)) if present else None
        if operator == "In" and not (present and value in values):
            return False
        if operator == "NotIn" and present and value in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def map_selector_matches(selector: dict, labels: dict) -> bool:
    """A Service's plain selector: every pair must be on the pod."""
    return all(str(labels.get(key)) == str(value) for key, value in selector.items())


_PERCENT = re.compile(r"^([0-9]{1,9})%$")  # ASCII digits only: int() takes "٣" too
_WHOLE = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True)
class IntOrPercent:
    """A Kubernetes IntOrString count: a whole number of pods, or a percentage of some total."""

    number: int
    percent: bool

    def of(self, total: int, round_up: bool) -> int:
        """The count for `total` pods, rounded as the controller that reads the field rounds it."""
        if not self.percent:
            return self.number
        scaled = self.number * total
        return -(-scaled // 100) if round_up else scaled // 100

    def __str__(self) -> str:
        return f"{self.number}%" if self.percent else str(self.number)


def int_or_percent(value: Any) -> IntOrPercent | None:
    """An IntOrString as the API server accepts it: a non-negative int or an "N%" string.
    A digit string without `%` is rejected by the API ("must be an integer or percentage")."""
    if _is_int(value):
        return IntOrPercent(value, False) if 0 <= value < 2**31 else None
    if isinstance(value, str):
        match = _PERCENT.match(value.strip())
        if match:
            return IntOrPercent(int(match.group(1)), True)
    return None


def scaled_value(value: Any, total: int) -> int | None:
    """An int-or-percent resolved against `total`, rounded up as the disruption controller does."""
    parsed = int_or_percent(value)
    return parsed.of(total, round_up=True) if parsed is not None else None


@dataclass
class KubeIndex:
    objects: list[K8sObject] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    hpas: list[K8sObject] = field(default_factory=list)
    pdbs: list[K8sObject] = field(default_factory=list)
    services: list[K8sObject] = field(default_factory=list)
    hpa_targets: dict[int, Workload | None] = field(default_factory=dict)
    pdb_targets: dict[int, list[Workload]] = field(default_factory=dict)
    service_targets: dict[int, list[Workload]] = field(default_factory=dict)
    # PDBs, Services and HPAs whose target is not in the model but may well exist: their selector
    # matches a custom resource's labels (an operator, such as the Prometheus Operator or a database
    # operator, creates those pods from the resource) or the pod labels of a workload fragment an
    # operator or an overlay completes; or they are a chart's rendered without dependencies that
    # may hold the target (relcheck.render.unvendored).
    targets_elsewhere: set[int] = field(default_factory=set)
    # HPAs, PDBs and Services of a chart that selected nothing in a render that left a workload
    # template of the chart empty → that template (relcheck.render.helm: a condition around it).
    targets_withheld: dict[int, str] = field(default_factory=dict)
    # Objects that run pods of a kind no rule checks, by kind.
    unmodeled: dict[str, int] = field(default_factory=dict)
    # Deployments an Argo Rollout runs through `workloadRef`: the Rollout owns their scale (it
    # scales them down), their template still makes the pods.
    scaled_by_rollout: dict[int, K8sObject] = field(default_factory=dict)  # id(workload) -> the Rollout

    @classmethod
    def build(cls, objects: list[K8sObject], fragments: Iterable[K8sObject] = ()) -> KubeIndex:
        """`fragments`: workloads left out of the model as patches or templates another tool
        completes (an operator's asset with `image: ""`, which the operator fills in): their pod
        labels still show that pods carry them, as a custom resource's do."""
        index = cls(objects=objects)
        by_ref: dict[tuple[str, str, str, str], list[Workload]] = {}
        by_namespace: dict[tuple[str, str], list[Workload]] = {}
        custom_labels: dict[tuple[str, str], list[dict]] = {}
        pod_resource_names: dict[tuple[str, str], set[str]] = {}  # custom resources that run pods
        for fragment in fragments:
            keys = POD_TEMPLATE_KEYS.get(fragment.kind)
            labels = fragment.get(*keys, "metadata", "labels") if keys else None
            if isinstance(labels, dict) and labels:
                custom_labels.setdefault((fragment.render, fragment.namespace), []).append(labels)
        rollout_refs: list[K8sObject] = []
        limit_ranges: list[K8sObject] = []
        releases = _helm_releases(objects)
        for obj in objects:
            if _is_custom(obj):
                custom_labels.setdefault((obj.render, obj.namespace), []).extend(_custom_pod_labels(obj))
                if obj.name and _sizes_pods(obj):
                    pod_resource_names.setdefault((obj.render, obj.namespace), set()).add(obj.name)
                if obj.kind == "ClusterServiceVersion":
                    # OLM installs the CSV's Deployments where it installs the bundle's other
                    # objects, whatever namespace the CSV names (`placeholder` by convention).
                    custom_labels.setdefault((obj.render, "default"), []).extend(_olm_deployment_labels(obj))
            kind = obj.kind
            if kind == "Rollout" and _looks_core(obj) and not isinstance(obj.get("spec", "template"), dict):
                rollout_refs.append(obj)  # `workloadRef`: the pods are a Deployment's
                continue
            if kind in POD_TEMPLATE_KEYS and obj.api_version and _looks_core(obj):
                workload = Workload(obj, POD_TEMPLATE_KEYS[kind])
                index.workloads.append(workload)
                by_ref.setdefault((obj.render, obj.namespace, kind, obj.name), []).append(workload)
                by_namespace.setdefault((obj.render, obj.namespace), []).append(workload)
            elif _runs_unmodeled_pods(obj):
                index.unmodeled[kind] = index.unmodeled.get(kind, 0) + 1
            elif kind == "HorizontalPodAutoscaler" or is_keda_scaler(obj):
                index.hpas.append(obj)
            elif kind == "PodDisruptionBudget":
                index.pdbs.append(obj)
            elif kind == "LimitRange" and obj.api_version == "v1":
                limit_ranges.append(obj)
            elif kind == "Service":
                index.services.append(obj)
        for limit_range in limit_ranges:
            for workload in by_namespace.get((limit_range.render, limit_range.namespace), []):
                if applied_together(limit_range, workload.obj):
                    workload.limit_ranges.append(limit_range)
        for rollout in rollout_refs:
            index.unmodeled["Rollout"] = index.unmodeled.get("Rollout", 0) + 1
            ref = rollout.get("spec", "workloadRef")
            if isinstance(ref, dict):
                # Every Deployment of that name: a repository of examples may hold several.
                kind, name = str(ref.get("kind")), str(ref.get("name"))
                for workload in by_namespace.get((rollout.render, rollout.namespace), []):
                    if workload.kind == kind and workload.obj.name == name:
                        index.scaled_by_rollout[id(workload)] = rollout
        # An overlay of Services, PDBs or autoscalers alone (eks-workshop's `exposing/load-balancer/
        # nlb`, `keda/scaledobject`) is applied beside the render that builds the workloads: their
        # pods, in its namespace, are what it selects.
        building = {w.obj.render for w in index.workloads}
        pods_anywhere: dict[str, list[Workload]] = {}
        for workload in index.workloads:
            pods_anywhere.setdefault(workload.obj.namespace, []).append(workload)

        def beside(obj: K8sObject, selects: Callable[[Workload], bool]) -> bool:
            """Whether `obj` is an add-on render's and selects the pods another render builds."""
            if not obj.render or obj.render in building:
                return False
            return any(w.obj.render != obj.render and selects(w) for w in pods_anywhere.get(obj.namespace, []))

        for hpa in index.hpas:
            ref = hpa.get("spec", "scaleTargetRef")
            target = None
            if isinstance(ref, dict):
                # A ScaledObject's scaleTargetRef names a Deployment unless it says another kind.
                kind = ref.get("kind") or ("Deployment" if is_keda_scaler(hpa) else None)
                copies = by_ref.get((hpa.render, hpa.namespace, str(kind), str(ref.get("name"))), [])
                target = next(iter(nearest_copies(hpa, copies)), None)
            index.hpa_targets[id(hpa)] = target
            if target is not None:
                target.hpas.append(hpa)
            elif (
                _partial(hpa)
                or (isinstance(ref, dict) and _substituted([ref.get("kind"), ref.get("name")]))
                or (
                    isinstance(ref, dict)
                    and beside(
                        hpa,
                        lambda w, ref=ref: w.kind == str(ref.get("kind") or "Deployment")
                        and w.obj.name == ref.get("name"),
                    )
                )
            ):
                index.targets_elsewhere.add(id(hpa))
            elif withheld := _withheld(hpa):
                index.targets_withheld[id(hpa)] = withheld
        grants, watches = lease_grants(objects), watch_grants(objects)
        if grants or watches:
            accounts = [(w.obj.render, w.obj.namespace, service_account(w)) for w in index.workloads]
            # Copies of one workload (MetalLB's install manifests, one per variant, each with its
            # controller) are one workload, not several sharing an account.
            named = {(account, w.kind, w.obj.name) for account, w in zip(accounts, index.workloads, strict=True)}
            shared = Counter(account for account, _, _ in named)
            for workload, account in zip(index.workloads, accounts, strict=True):
                # An account several workloads run as (Longhorn's manager, UI and driver deployer
                # share one) shows what one of them does, not which: no evidence for any of them.
                if shared[account] == 1 and account[2] != "default":
                    floating = not workload.obj.metadata.get("namespace")
                    workload.lease_grant = _granted(grants, account, floating)
                    workload.watch_grant = _granted(watches, account, floating)
        by_label = {namespace: _LabelIndex(workloads) for namespace, workloads in by_namespace.items()}
        no_workloads = _LabelIndex([])
        for pdb in index.pdbs:
            selector = pdb_selector(pdb)
            match_labels = selector.get("matchLabels") if isinstance(selector, dict) else None
            candidates = by_label.get((pdb.render, pdb.namespace), no_workloads).candidates(match_labels)
            matched = nearest_copies(pdb, [w for w in candidates if selector_matches(selector, w.template_labels)])
            index.pdb_targets[id(pdb)] = matched
            for workload in matched:
                workload.pdbs.append(pdb)
            if not matched and (
                _partial(pdb)
                or _substituted(_selector_values(selector))
                or _released(match_labels, releases.get((pdb.render, pdb.namespace), set()))
                or any(
                    selector_matches(selector, labels)
                    for labels in custom_labels.get((pdb.render, pdb.namespace), [])
                )
                or _names_pod_resource(_selector_values(selector), pod_resource_names.get((pdb.render, pdb.namespace)))
                or beside(pdb, lambda w, selector=selector: selector_matches(selector, w.template_labels))
            ):
                index.targets_elsewhere.add(id(pdb))
            elif not matched and (withheld := _withheld(pdb)):
                index.targets_withheld[id(pdb)] = withheld
        for service in index.services:
            selector = service.get("spec", "selector")
            matched = []
            if isinstance(selector, dict) and selector:
                labels = by_label.get((service.render, service.namespace), no_workloads)
                matched = [
                    w
                    for w in labels.candidates(selector)
                    if w.template_labels and map_selector_matches(selector, w.template_labels)
                ]
                if not matched and any(key in CONTROLLER_LABELS for key in selector):
                    # A Service for one StatefulSet pod (`statefulset.kubernetes.io/pod-name`): the
                    # controller gives each pod that label, the template does not carry it.
                    plain = {k: v for k, v in selector.items() if k not in CONTROLLER_LABELS}
                    matched = [
                        w
                        for w in (labels.candidates(plain) if plain else labels.workloads)
                        if (w.template_labels or not plain)
                        and _controller_labels_fit(selector, w)
                        and map_selector_matches(plain, w.template_labels)
                    ]
                if not matched and (runtime := {k for k, v in selector.items() if set_at_runtime(k, v)}):
                    # The active Vault server, MinIO's operator leader: the program labels its own pod.
                    plain = {k: v for k, v in selector.items() if k not in runtime}
                    matched = [
                        w
                        for w in (labels.candidates(plain) if plain else [])
                        if w.template_labels
                        and not runtime & w.template_labels.keys()
                        and map_selector_matches(plain, w.template_labels)
                    ]
            matched = nearest_copies(service, matched)
            index.service_targets[id(service)] = matched
            for workload in matched:
                workload.exposed_by.append(service)
            if (
                not matched
                and isinstance(selector, dict)
                and selector
                and (
                    _partial(service)
                    # Only labels a program puts on its own pod (longhorn-manager's `longhorn.io/
                    # admission-webhook` on the manager pod that serves the webhook): no template has them.
                    or all(set_at_runtime(k, v) for k, v in selector.items())
                    or _substituted(list(selector.values()))
                    or _released(selector, releases.get((service.render, service.namespace), set()))
                    or any(
                        # Less the labels the pods' program sets while they run (CloudNativePG's
                        # `role: primary`), which no resource writes.
                        map_selector_matches(_fixed_labels(selector), labels)
                        for labels in custom_labels.get((service.render, service.namespace), [])
                    )
                    or _names_pod_resource(
                        list(selector.values()), pod_resource_names.get((service.render, service.namespace))
                    )
                    or beside(
                        service,
                        lambda w, selector=selector: bool(w.template_labels)
                        and map_selector_matches(selector, w.template_labels),
                    )
                )
            ):
                index.targets_elsewhere.add(id(service))
            elif not matched and isinstance(selector, dict) and selector and (withheld := _withheld(service)):
                index.targets_withheld[id(service)] = withheld
        _mark_charts_services(index)
        _mark_webhook_services(index)
        return index


def _mark_charts_services(index: KubeIndex) -> None:
    """Mark the workloads of a chart's render that writes Services, each of whose selectors finds
    its pods in the render: a Service for any of the chart's pods would be among them."""
    renders: dict[str, bool] = {}
    for service in index.services:
        if not service.render or service.render.startswith("kustomize:"):
            continue  # a file as written, or an overlay, may be one of many that make the release
        selector = service.get("spec", "selector")
        selects = isinstance(selector, dict) and bool(selector)
        found = bool(index.service_targets.get(id(service))) or not selects
        renders[service.render] = renders.get(service.render, True) and found
    for workload in index.workloads:
        workload.chart_writes_services = renders.get(workload.obj.render, False)


_WEBHOOK_CONFIGURATIONS = frozenset({"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"})


def _mark_webhook_services(index: KubeIndex) -> None:
    """Give each workload the Services of it that only admission webhooks or CRDs' conversion
    webhooks call (`clientConfig.service`, each of the Service's ports one they name; 443 unless
    they say): the API server is their only client. A Service with another port serves clients
    too (Kubeflow Pipelines' API server: its webhooks and its API behind one Service)."""
    named: dict[tuple[str, str], set[object]] = {}
    for obj in index.objects:
        if obj.kind in _WEBHOOK_CONFIGURATIONS:
            hooks = obj.get("webhooks")
            hooks = hooks if isinstance(hooks, list) else []
            configs = [hook.get("clientConfig") for hook in hooks if isinstance(hook, dict)]
        elif obj.kind == "CustomResourceDefinition":
            configs = [obj.get("spec", "conversion", "webhook", "clientConfig")]
        else:
            continue
        for config in configs:
            service = config.get("service") if isinstance(config, dict) else None
            if isinstance(service, dict) and isinstance(service.get("name"), str):
                port = service.get("port", 443)
                ports = named.setdefault((obj.render, service["name"]), set())
                ports.add(port if isinstance(port, int) else 443)
    if not named:
        return
    for workload in index.workloads:
        workload.webhook_services = [
            s
            for s in workload.exposed_by
            if (s.render, s.name) in named and _only_ports(s, named[(s.render, s.name)])
        ]


def _only_ports(service: K8sObject, ports: set[object]) -> bool:
    listed = service.get("spec", "ports")
    if not isinstance(listed, list) or not listed:
        return False
    return all(isinstance(p, dict) and isinstance(p.get("port"), int) and p["port"] in ports for p in listed)


# The labels Helm charts give every object of a release (`{{ .Release.Name }}`): the standard one,
# and the one charts used before it.
_RELEASE_LABELS = ("app.kubernetes.io/instance", "release")


def _helm_releases(objects: list[K8sObject]) -> dict[tuple[str, str], set[str]]:
    """The release names of the Flux HelmReleases of the scan, by (render, namespace of their
    objects): `spec.releaseName`, else Flux's default, `[targetNamespace-]name`."""
    found: dict[tuple[str, str], set[str]] = {}
    for obj in objects:
        if obj.kind != "HelmRelease" or not str(obj.api_version).startswith("helm.toolkit.fluxcd.io/"):
            continue
        target = obj.get("spec", "targetNamespace")
        name = obj.get("spec", "releaseName") or (f"{target}-{obj.name}" if isinstance(target, str) else obj.name)
        namespace = target if isinstance(target, str) and target else obj.namespace
        found.setdefault((obj.render, namespace), set()).add(str(name))
    return found


def _released(labels: object, releases: set[str]) -> bool:
    """Whether a selector picks the pods of a Helm release of the scan by the label Helm charts give
    them (`app.kubernetes.io/instance: external-secrets` beside a HelmRelease `external-secrets`): a
    chart relcheck did not render (pulled from a registry) makes them (onedr0p's home-ops: a
    PodDisruptionBudget for external-secrets' webhook beside its HelmRelease)."""
    if not releases or not isinstance(labels, dict):
        return False
    return any(labels.get(key) in releases for key in _RELEASE_LABELS)


# The control plane's static pods: the kubelet runs them from files on the node (kubeadm's
# `/etc/kubernetes/manifests`), never from a repository's manifests, labelled `component: NAME`
# (kubeadm) or `k8s-app: NAME` (Talos).
_CONTROL_PLANE = frozenset({"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"})


def control_plane_component(selector: dict) -> str | None:
    """The control plane's component a Service selects the static pods of (a LoadBalancer in front
    of the API servers: `k8s-app: kube-apiserver`, `tier: control-plane`, as home-ops repositories
    give Cilium to announce), else None."""
    return next(
        (
            str(selector[key])
            for key in ("component", "k8s-app")
            if isinstance(selector.get(key), str) and selector[key] in _CONTROL_PLANE
        ),
        None,
    )


def _substituted(values: list) -> bool:
    """Whether a value names its target through a variable a deploy tool fills in: Flux's
    `postBuild.substitute` (`name: ${APP}`, `kind: ${CONTROLLER:=Deployment}`), in a component each
    app's Flux Kustomization includes with its own values (onedr0p's home-ops `zeroscaler`). The
    target is whatever each app names, so it is not looked for here."""
    return any(isinstance(value, str) and "${" in value for value in values)


def _selector_values(selector: object) -> list:
    if not isinstance(selector, dict):
        return []
    labels = selector.get("matchLabels")
    values = list(labels.values()) if isinstance(labels, dict) else []
    expressions = selector.get("matchExpressions")
    for expression in expressions if isinstance(expressions, list) else []:
        if isinstance(expression, dict) and isinstance(expression.get("values"), list):
            values.extend(expression["values"])
    return values


def _withheld(obj: K8sObject) -> str:
    """A workload template beside the object's own (in its folder) that its chart's render left
    empty, else "": bitnami's Ghost `templates/svc.yaml` beside `templates/deployment.yaml`."""
    folder = posixpath.dirname(obj.path)
    return next((path for path in getattr(obj, "withheld", ()) if posixpath.dirname(path) == folder), "")


def _partial(obj: K8sObject) -> bool:
    """Rendered without dependencies that are not vendored: what it points at may be in one."""
    return bool(getattr(obj, "partial", False))


# Labels a program gives its own pod while it runs (through the API), which no template carries: a
# Service selects the one pod in that role. Vault's Kubernetes service registration (`vault-active`,
# `vault-sealed`...), Patroni's role label (`spilo-role` in Zalando's Spilo, `role` by default), the
# MinIO operator's leader (`operator: leader`). By name, or by name and value for a name of common use.
_RUNTIME_LABELS = frozenset(
    {"vault-active", "vault-sealed", "vault-initialized", "vault-perf-standby", "vault-version", "spilo-role"}
    # longhorn-manager labels its own pod once it serves the admission webhook, the conversion
    # webhook or the recovery backend (`AddLabelToManagerPod`), and its Services select those alone.
    | {"longhorn.io/admission-webhook", "longhorn.io/conversion-webhook", "longhorn.io/recovery-backend"}
    # CloudNativePG's instance manager marks its pod primary or replica (and `role` too, deprecated).
    | {"cnpg.io/instanceRole"}
)
_RUNTIME_LABEL_VALUES = {
    "role": frozenset({"master", "primary", "replica", "standby-leader"}),
    "operator": frozenset({"leader"}),
}


def _fixed_labels(selector: dict) -> dict:
    """A selector less the labels a program sets on its own pod while it runs (all of them, if
    that leaves nothing: then the selector is matched whole)."""
    fixed = {k: v for k, v in selector.items() if not set_at_runtime(k, v)}
    return fixed or selector


def set_at_runtime(key: str, value: object) -> bool:
    """Whether a pod label is one its program sets on its own pod while it runs."""
    return key in _RUNTIME_LABELS or (isinstance(value, str) and value in _RUNTIME_LABEL_VALUES.get(key, ()))


# Labels a controller gives each pod it creates, beside the template's (by the workload kind that adds them).
CONTROLLER_LABELS = {
    "statefulset.kubernetes.io/pod-name": ("StatefulSet",),
    "apps.kubernetes.io/pod-index": ("StatefulSet",),
    "controller-revision-hash": ("StatefulSet", "DaemonSet"),
    "pod-template-hash": ("Deployment",),
    # The Job controller labels its pods with the Job's name.
    "job-name": ("Job",),
    "batch.kubernetes.io/job-name": ("Job",),
    "batch.kubernetes.io/job-completion-index": ("Job",),
}
_JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")


def _controller_labels_fit(selector: dict, workload: Workload) -> bool:
    """Whether the controller-given labels a selector asks for can be those of the workload's pods:
    its kind adds them, and a pod name is the StatefulSet's name and an ordinal."""
    for key, value in selector.items():
        kinds = CONTROLLER_LABELS.get(key)
        if kinds is None:
            continue
        if workload.kind not in kinds:
            return False
        text = str(value)
        if key == "statefulset.kubernetes.io/pod-name":
            prefix = f"{workload.obj.name}-"
            if not (text.startswith(prefix) and text[len(prefix):].isdigit()):
                return False
        if key in ("apps.kubernetes.io/pod-index", "batch.kubernetes.io/job-completion-index") and not text.isdigit():
            return False
        if key in _JOB_NAME_LABELS and text != workload.obj.name:
            return False
    return True


class _LabelIndex:
    """One namespace's workloads by template label, so that a selector is tried on the workloads
    that carry its first label rather than on all of them (a monorepo has thousands)."""

    def __init__(self, workloads: list[Workload]) -> None:
        self.workloads = workloads
        self.positions: dict[tuple[Any, Any], list[int]] = {}
        for position, workload in enumerate(workloads):
            for key, value in workload.template_labels.items():
                for probe in _label_probes(value):
                    self.positions.setdefault((key, probe), []).append(position)

    def candidates(self, wanted: Any) -> list[Workload]:
        """In order, every workload that could match a selector requiring the pairs in `wanted`
        (compared as the selectors compare them: as given or as text); callers still match each."""
        if not isinstance(wanted, dict) or not wanted:
            return self.workloads
        key, value = next(iter(wanted.items()))
        if value is None or str(value) == "None" or not isinstance(key, str):
            return self.workloads  # a missing label compares equal to these
        found = {p for probe in _label_probes(value) for p in self.positions.get((key, probe), ())}
        return [self.workloads[p] for p in sorted(found)]


def _label_probes(value: Any) -> tuple:
    """The keys a label value is filed under: itself (when hashable) and its text."""
    try:
        hash(value)
    except TypeError:
        return (str(value),)
    return (value, str(value))


def _is_custom(obj: K8sObject) -> bool:
    group = obj.api_version.rsplit("/", 1)[0] if "/" in obj.api_version else ""
    return "." in group and not group.endswith(".k8s.io")


def _custom_pod_labels(obj: K8sObject) -> list[dict]:
    found = []
    for keys in (("metadata", "labels"), ("spec", "podMetadata", "labels"), ("spec", "template", "metadata", "labels")):
        labels = obj.get(*keys)
        if isinstance(labels, dict) and labels:
            found.append(labels)
    return (
        found
        + _group_pod_labels(obj)
        + _prometheus_operator_pod_labels(obj)
        + _olm_deployment_labels(obj)
        + _cnpg_pod_labels(obj)
    )


# Fields by which a custom resource says how many pods its operator runs (CloudNativePG's
# `instances`, Zalando's `numberOfInstances`, Redis Enterprise's `nodes`, a RedisFailover's
# `redis.replicas`): a resource that runs pods, not a ServiceMonitor or a Certificate.
# ECK's `nodeSets: [{count}]` counts them in a list.
_POD_COUNT_FIELDS = frozenset(
    {"replicas", "instances", "numberOfInstances", "nodes", "size", "members", "servers", "count"}
)


def _sizes_pods(obj: K8sObject) -> bool:
    """Whether a custom resource's spec counts pods, at its top or one level down (in a mapping,
    or in the mappings of a list)."""
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return False
    if _POD_COUNT_FIELDS.intersection(spec):
        return True
    parts = [p for value in spec.values() for p in (value if isinstance(value, list) else [value])]
    return any(isinstance(part, dict) and _POD_COUNT_FIELDS.intersection(part) for part in parts)


def _names_pod_resource(values: list, names: set[str] | None) -> bool:
    """Whether a selector's value names a custom resource of the namespace that runs pods: operators
    label the pods they make with their resource's name (Zalando's `cluster-name: <name>`, the
    Spotahome redis-operator's `app.kubernetes.io/name: <name>`, Redis Enterprise's `redis.io/cluster`)."""
    return bool(names) and any(isinstance(value, str) and value in names for value in values)


def _cnpg_pod_labels(obj: K8sObject) -> list[dict]:
    """The labels CloudNativePG gives the pods of a Cluster (`cnpg.io/cluster: <name>`,
    `cnpg.io/podRole: instance`) or of a Pooler (`cnpg.io/poolerName: <name>`), with the
    `inheritedMetadata` labels a Cluster passes on: its `-rw`/`-ro` style Services select them."""
    if obj.api_version.rsplit("/", 1)[0] != "postgresql.cnpg.io":
        return []
    if obj.kind == "Cluster":
        inherited = obj.get("spec", "inheritedMetadata", "labels")
        added = {"cnpg.io/cluster": obj.name, "cnpg.io/podRole": "instance"}
        return [{**(inherited if isinstance(inherited, dict) else {}), **added}]
    if obj.kind == "Pooler":
        return [{"cnpg.io/poolerName": obj.name, "cnpg.io/podRole": "pooler"}]
    return []


def _olm_deployment_labels(obj: K8sObject) -> list[dict]:
    """The pod labels of the Deployments an Operator Lifecycle Manager ClusterServiceVersion installs
    (`spec.install.spec.deployments`): an operator bundle's Services and PDBs select those pods
    (loki's and opentelemetry-operator's `bundle/*/manifests`)."""
    if obj.kind != "ClusterServiceVersion" or obj.api_version.rsplit("/", 1)[0] != "operators.coreos.com":
        return []
    deployments = obj.get("spec", "install", "spec", "deployments")
    found = []
    for deployment in deployments if isinstance(deployments, list) else []:
        template = dig(deployment, ("spec", "template")) if isinstance(deployment, dict) else None
        metadata = template.get("metadata") if isinstance(template, dict) else None
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        if isinstance(labels, dict) and labels:
            found.append(labels)
    return found


# The Prometheus Operator's resources: the `app.kubernetes.io/name` it gives their pods, and the
# label it names after the resource (pkg/alertmanager, pkg/prometheus/server, pkg/thanos,
# pkg/prometheus/agent: makeSelectorLabels).
_PROMETHEUS_OPERATOR_KINDS = {
    "Alertmanager": ("alertmanager", "alertmanager"),
    "Prometheus": ("prometheus", "prometheus"),
    "ThanosRuler": ("thanos-ruler", "thanos-ruler"),
    "PrometheusAgent": ("prometheus-agent", None),
}


def _prometheus_operator_pod_labels(obj: K8sObject) -> list[dict]:
    """The labels the Prometheus Operator gives the pods of an Alertmanager, a Prometheus, a
    ThanosRuler or a PrometheusAgent, with its `podMetadata` labels: a Service in front of them
    selects `alertmanager: <name>` (its user guide's `alertmanager-example` Service)."""
    if obj.api_version.rsplit("/", 1)[0] != "monitoring.coreos.com" or obj.kind not in _PROMETHEUS_OPERATOR_KINDS:
        return []
    application, own_label = _PROMETHEUS_OPERATOR_KINDS[obj.kind]
    added = {
        "app.kubernetes.io/name": application,
        "app.kubernetes.io/managed-by": "prometheus-operator",
        "app.kubernetes.io/instance": obj.name,
    }
    if own_label is not None:
        added[own_label] = obj.name
    if obj.kind in ("Prometheus", "PrometheusAgent"):
        added["operator.prometheus.io/name"] = obj.name
    labels = obj.get("spec", "podMetadata", "labels")
    return [{**(labels if isinstance(labels, dict) else {}), **added}]


def _group_pod_labels(obj: K8sObject) -> list[dict]:
    """The pod labels of a LeaderWorkerSet's leader and worker templates, or of a JobSet's
    replicated Jobs, with those its controller adds: the set's name, which a Service for the
    group's leader or a headless Service for the set selects."""
    group = obj.api_version.rsplit("/", 1)[0]
    if obj.kind == "LeaderWorkerSet" and group == "leaderworkerset.x-k8s.io":
        added = {"leaderworkerset.sigs.k8s.io/name": obj.name}
        templates = ("leaderTemplate", "workerTemplate")
        paths = [("spec", "leaderWorkerTemplate", name, "metadata", "labels") for name in templates]
    elif obj.kind == "JobSet" and group == "jobset.x-k8s.io":
        added = {"jobset.sigs.k8s.io/jobset-name": obj.name}
        jobs = obj.get("spec", "replicatedJobs")
        paths = [
            ("spec", "replicatedJobs", index, "template", "spec", "template", "metadata", "labels")
            for index in range(len(jobs) if isinstance(jobs, list) else 0)
        ]
    else:
        return []
    found = []
    for path in paths:
        labels = obj.get(*path)
        found.append({**(labels if isinstance(labels, dict) else {}), **added})
    return found or [added]


def _runs_unmodeled_pods(obj: K8sObject) -> bool:
    if obj.kind in UNMODELED_WORKLOAD_KINDS and obj.api_version:
        return True
    containers = obj.get("spec", "template", "spec", "containers")
    return isinstance(containers, list) and bool(containers) and bool(obj.api_version)


def pdb_selector(pdb: K8sObject) -> Any:
    """The PodDisruptionBudget's selector as the disruption controller applies it: policy/v1 reads an
    empty selector as every pod of the namespace, policy/v1beta1 as no pod (None here)."""
    selector = pdb.get("spec", "selector")
    if empty_beta_selector(pdb):
        return None
    return selector


def empty_beta_selector(pdb: K8sObject) -> bool:
    """Whether a policy/v1beta1 PodDisruptionBudget's selector is empty, and so selects no pod."""
    selector = pdb.get("spec", "selector")
    return pdb.api_version.endswith("/v1beta1") and (
        not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions"))
    )


def applied_together(first: K8sObject, other: K8sObject) -> bool:
    """Whether two objects go to the cluster together: one render (a chart, an overlay), or plain
    manifests in one folder, or both naming their namespace."""
    if first.render or other.render:
        return first.render == other.render
    if posixpath.dirname(first.path) == posixpath.dirname(other.path):
        return True
    return bool(first.metadata.get("namespace")) and bool(other.metadata.get("namespace"))


def is_keda_scaler(obj: K8sObject) -> bool:
    """A KEDA ScaledObject: KEDA scales its target through an HPA of its own (`keda-hpa-<name>`)."""
    return obj.kind == "ScaledObject" and obj.api_version.startswith("keda.sh/")


def scaler_bounds(scaler: K8sObject) -> tuple[Any, Any]:
    """(fewest, most) replicas an autoscaler keeps its target at while it runs: an HPA's
    minReplicas (default 1) and maxReplicas; a KEDA ScaledObject's minReplicaCount (default 0, and
    at least 1 while the workload runs: KEDA activates it from zero) and maxReplicaCount (default 100)."""
    if is_keda_scaler(scaler):
        low, high = scaler.get("spec", "minReplicaCount"), scaler.get("spec", "maxReplicaCount")
        low = 0 if low is None else low
        low = max(low, 1) if _is_int(low) else low
        return low, 100 if high is None else high
    low = scaler.get("spec", "minReplicas")
    return 1 if low is None else low, scaler.get("spec", "maxReplicas")


def utilization_targets(scaler: K8sObject) -> list[tuple[str, str | None, tuple]]:
    """(resource, container or None for the whole pod, key path) for each CPU or memory
    utilization target of an autoscaler: a percentage of the pods' requests. An HPA with no
    `metrics` scales on 80 % CPU utilization (autoscaling/v1 always does, on
    targetCPUUtilizationPercentage); a KEDA `cpu` or `memory` trigger of metricType Utilization
    (or the older `metadata.type`) makes the same metric, for one container with `containerName`."""
    spec = scaler.get("spec")
    if not isinstance(spec, dict):
        return []
    if is_keda_scaler(scaler):
        found = []
        triggers = spec.get("triggers")
        for index, trigger in enumerate(triggers if isinstance(triggers, list) else []):
            if not isinstance(trigger, dict) or trigger.get("type") not in ("cpu", "memory"):
                continue
            metadata = trigger.get("metadata") if isinstance(trigger.get("metadata"), dict) else {}
            if (trigger.get("metricType") or metadata.get("type")) == "Utilization":
                container = metadata.get("containerName")
                only = container if isinstance(container, str) and container else None
                found.append((trigger["type"], only, ("spec", "triggers", index)))
        return found
    if scaler.kind != "HorizontalPodAutoscaler":
        return []
    if scaler.api_version.endswith("/v1"):
        key = "targetCPUUtilizationPercentage"
        return [("cpu", None, ("spec", key) if key in spec else ("spec",))]
    metrics = spec.get("metrics")
    if metrics is None or metrics == []:
        return [("cpu", None, ("spec",))]
    found = []
    for index, metric in enumerate(metrics if isinstance(metrics, list) else []):
        if not isinstance(metric, dict):
            continue
        source_key = "containerResource" if metric.get("type") == "ContainerResource" else "resource"
        source = metric.get(source_key)
        if metric.get("type") not in ("Resource", "ContainerResource") or not isinstance(source, dict):
            continue
        target = source.get("target")
        by_share = (isinstance(target, dict) and target.get("type") == "Utilization") or (
            "targetAverageUtilization" in source  # v2beta1
        )
        if by_share and source.get("name") in ("cpu", "memory"):
            container = source.get("container") if source_key == "containerResource" else None
            only = container if isinstance(container, str) else None
            found.append((source["name"], only, ("spec", "metrics", index)))
    return found


def _granted(grants: dict, account: tuple[str, str, str], floating: bool) -> Any:
    """The grant bound to the pod's account. A workload whose manifest names no namespace goes
    where it is applied (`kubectl apply -n`), so a binding whose subject names the account in one
    other namespace is taken for it: Strimzi's install files bind `strimzi-cluster-operator` in
    `myproject`, which its docs have users replace with their namespace."""
    found = grants.get(account)
    if found is not None or not floating:
        return found
    render, _, name = account
    elsewhere = [grant for (r, _, n), grant in grants.items() if r == render and n == name]
    return elsewhere[0] if len(elsewhere) == 1 else None


def _looks_core(obj: K8sObject) -> bool:
    """Built-in workload kinds (a CRD may reuse the name Deployment in its own group), and the
    custom ones modeled in their own group (Argo Rollouts' Rollout)."""
    group = obj.api_version.rsplit("/", 1)[0] if "/" in obj.api_version else ""
    if obj.kind in CUSTOM_WORKLOAD_GROUPS:
        return group == CUSTOM_WORKLOAD_GROUPS[obj.kind]
    return group in ("", "apps", "batch", "extensions")


# Programs, by their image's name, whose leader election is off unless a flag turns it on: a Lease
# in their RBAC (their charts grant one for when it is on) shows no election. Each flag's default is
# false in the program's source: the descheduler's and the Vertical Pod Autoscaler's `--leader-elect`,
# Flagger's and node-feature-discovery's `-enable-leader-election`, external-secrets'
# `--enable-leader-election` (its chart's `leaderElect: false`).
ELECTION_OFF_BY_DEFAULT: dict[str, str] = {
    "descheduler": "--leader-elect",
    "vpa-recommender": "--leader-elect",
    "vpa-updater": "--leader-elect",
    "flagger": "-enable-leader-election",
    "node-feature-discovery": "-enable-leader-election",
    "external-secrets": "--enable-leader-election",
}


# Controllers that elect a leader and serve a port their other replicas only stand by on, by image
# (KEDA's operator serves the metrics its metrics server asks for; KEDA's docs: "only one operator
# instance will be active. The rest will be standing by").
LEADER_ONLY_SERVERS: dict[str, str] = {
    "kedacore/keda": "KEDA's docs: only one operator instance is active, the rest stand by",
}


# Programs whose documentation says they must run as a single instance: (pattern searched in the
# image's name, subcommand or None, what it is). Thanos: "not semantically concurrency safe and must
# be deployed as a singleton against a bucket"; external-dns has no leader election, and its chart
# allows 0 or 1; nor has the Prometheus Operator (its maintainers: no election code, no Lease rule in
# its ClusterRole). The Jenkins controller has no HA (its chart: "Max 1"; agents are other images).
# Grafana's rollout-operator "is not a highly available application and runs as a single pod" (its
# chart's README), rolled with maxSurge 0 so that "Kubernetes doesn't run 2 operators at the same time".
# Zalando's Postgres Operator has no leader election (no election code; its chart fixes `replicas: 1`,
# its manifest rolls it with Recreate; Crunchy Data's postgres-operator, which elects, is another image).
# Strimzi's Topic Operator: "One namespace should be watched by only one Topic Operator" (its deploying
# guide); its image is Strimzi's `operator`, and the script it runs tells which operator it is.
# JupyterHub "isn't designed to support being run in parallel" (its Kubernetes chart's values, which
# fix one hub replica rolled with Recreate), nor is its proxy, configurable-http-proxy, whose routing
# table the hub writes into one process's memory through its API. Botkube's chart: no HA.
SINGLETONS: tuple[tuple[str, str | None, str], ...] = (
    ("thanos", "compact", "Thanos's compactor must run as one instance per bucket"),
    ("external-dns", None, "external-dns has no leader election: two would write conflicting DNS records"),
    (
        "prometheus-operator",
        None,
        "the Prometheus Operator has no leader election: two replicas would both reconcile the same "
        "Prometheus and Alertmanager objects",
    ),
    (
        "pushgateway",
        None,
        "the Pushgateway is a cache of pushed metrics in its own memory: behind one Service, each replica "
        "would hold a different part of what is pushed",
    ),
    (
        "^jenkins$",
        None,
        "the Jenkins controller has no high availability: two on one JENKINS_HOME would corrupt it",
    ),
    (
        "^rollout-operator$",
        None,
        "Grafana's rollout-operator is not highly available and must not run twice: two would both "
        "delete pods of the StatefulSets it rolls",
    ),
    (
        "(^|/)(zalando|acid)/postgres-operator$",
        None,
        "Zalando's Postgres Operator has no leader election: two would both reconcile the same Postgres clusters",
    ),
    (
        "(^|/)jupyterhub/(k8s-hub|jupyterhub)$",
        None,
        "JupyterHub is not designed to run in parallel: its Kubernetes chart runs one hub",
    ),
    (
        "^configurable-http-proxy$",
        None,
        "configurable-http-proxy keeps the routes JupyterHub sets in its own memory: a second replica "
        "would have none of them",
    ),
    (
        "(^|/)velero/velero$",
        "server",
        "the Velero server has no leader election: two would both run every backup and schedule, as its "
        "maintainers say, and its chart fixes one replica rolled with Recreate",
    ),
    (
        # Not the Data Center Edition's nodes (`sonarqube:2026.4.0-datacenter-app`), which cluster.
        "(^|/)sonarqube(:(?!.*datacenter)|@|$)",
        None,
        "SonarQube runs as one instance per database, as its chart says (replicas 1 or 0); only the Data "
        "Center Edition clusters",
    ),
    (
        "(^|/)sealed-secrets-controller$",
        None,
        "the Sealed Secrets controller can only handle one replica, as its maintainers say: its chart fixes one",
    ),
    (
        # The image runs every Argo CD component; the first argument names which.
        "^argocd$",
        "argocd-notifications",
        "Argo CD's notifications controller does not support more than one replica (no leader election): "
        "each would send every notification, and Argo CD's operator refuses a count above 1",
    ),
    (
        # Argo CD's high-availability guide: to shard, raise the StatefulSet's replicas and set
        # ARGOCD_CONTROLLER_REPLICAS to the same number; each replica then owns its clusters.
        "^argocd$",
        "argocd-application-controller",
        "Argo CD's application controller has no leader election: each replica reconciles the clusters of "
        "its shard (ARGOCD_CONTROLLER_REPLICAS must equal the replica count), so more replicas split the "
        "clusters rather than stand in for each other, and an HPA would break the split",
    ),
    (
        # Tempo's compaction: "The scheduler is a singleton: only one instance should run at a time."
        "^tempo$",
        "backend-scheduler",
        "Tempo's backend scheduler is a singleton that assigns compaction jobs to the workers: only one "
        "instance should run at a time, as Tempo's compaction docs say",
    ),
    (
        # Gatekeeper's audit docs: "If you scale the audit deployment beyond one replica, ensure that
        # only one instance runs the `generate` operation" (and status writes contend).
        "^gatekeeper$",
        "generate",
        "Gatekeeper's `generate` operation (its audit deployment's) must run in one instance, as "
        "Gatekeeper's audit docs say; several audit replicas also contend on constraints' status",
    ),
    (
        # Its chart: "Currently, Botkube doesn't support HA", and Recreate because "RollingUpdate
        # doesn't work with SocketSlack integration as it requires a single connection to Slack API".
        "(^|/)kubeshop/botkube$",
        None,
        "Botkube does not support running more than one instance, as its chart says: its Slack socket "
        "mode holds a single connection, and a second agent would send every notification twice",
    ),
    (
        "^operator$",
        "topic_operator_run.sh",
        "Strimzi's Topic Operator must be the only one watching its namespace: two would both reconcile "
        "the same KafkaTopics",
    ),
)


def _targets(words: list[str]) -> list[str]:
    """The components a `-target` flag names (`-target=backend-scheduler`, `--target compactor`), and
    the operations Gatekeeper's `--operation` flags turn on (`--operation=generate`)."""
    found = []
    for index, word in enumerate(words):
        flag, equals, value = word.partition("=")
        if flag not in ("-target", "--target", "--operation"):
            continue
        if not equals:
            value = words[index + 1] if index + 1 < len(words) else ""
        found += [part for part in value.split(",") if part]
    return found


# Programs, by their image's name, whose upgrade needs every instance of the old version stopped
# first: several replicas of one version are fine, a rolling upgrade is not.
ONE_VERSION_PROGRAMS: dict[str, str] = {
    "kibana": (
        "Kibana does not support rolling upgrades: an old instance still running writes saved objects "
        "in the format the new ones are migrating away from, which can lose data, as Elastic's upgrade guide says"
    ),
    # The official image upgrades the instance when it starts on a newer version (`occ upgrade`).
    "nextcloud": (
        "Nextcloud is upgraded with the whole instance in maintenance mode: every server runs one version, "
        "and its Kubernetes chart rolls it with Recreate 'for upgrade purposes', as its maintainers advise"
    ),
    # The Data Center Edition's application nodes (the other editions run alone: SINGLETONS).
    "sonarqube": (
        "SonarQube's Data Center Edition is upgraded with the cluster stopped: every node gets the new "
        "version before the cluster starts again, as SonarSource's update guide says"
    ),
}

# Frameworks whose runner, named in the container's command, makes the program one that must run
# alone. Kopf's deployment guide: "there is only one replica. Keep it that way. If two or more
# operators run in the cluster for the same objects, they will collide", and roll it with Recreate.
COMMAND_SINGLETONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?:^|[\s/;&|(])kopf\s+run\b"),
        "Kopf's deployment guide keeps an operator at one replica: two for the same objects collide",
    ),
    # Milvus' coordinators (`milvus run rootcoord`, through its chart's `run-helm.sh`): "you can set
    # the number of replicas greater than 1 only if you also" turn on active-standby (a config file
    # setting the manifest does not show); its chart rolls them with Recreate.
    (
        re.compile(r"(?:^|[\s/;&|(])milvus\s+run\s+(?:root|query|data|index|mix)coord\b"),
        "Milvus runs one coordinator of each kind unless its active-standby mode is on, as its coordinator "
        "HA guide says",
    ),
)


def _names_storage_nodes(spec: dict) -> bool:
    words = [w for key in ("command", "args") if isinstance(spec.get(key), list) for w in spec[key]]
    return any(isinstance(w, str) and re.match(r"--?storageNode(?:=|$)", w) for w in words)


# Prometheus exporters, told by the first container's image (`mysqld-exporter`, `redis_exporter`,
# kube-state-metrics): Prometheus scrapes every replica, so each replica adds a copy of every series
# and of the queries the exporter makes (a cloud API's calls, a database's connections), and an
# exporter that restarts is a gap in its metrics that `up` shows, not an outage of a service.
_EXPORTER = re.compile(r"(^|[-_])exporter($|[-_])|^kube-state-metrics$|^prometheus-to-sd$|^kminion$")
_PAUSE_PROGRAMS = frozenset({"pause", "pause-amd64", "pause-arm64", "mirrored-pause"})
# Helpers that run beside an exporter in its pod: they make it no more than an exporter.
_EXPORTER_HELPERS = frozenset({"configmap-reload", "config-reloader", "prometheus-config-reloader", "kube-rbac-proxy"})


def runs_exporter(container: Container) -> bool:
    """Whether a container runs a Prometheus exporter (`memcached-exporter`, `redis_exporter`)."""
    image = container.spec.get("image")
    return isinstance(image, str) and bool(_EXPORTER.search(_program_of(image).lower()))


def runs_pause(container: Container) -> bool:
    """Whether a container runs the Kubernetes pause image (`registry.k8s.io/pause`), or a command
    that only sleeps (`echo pulled && sleep infinity`, `tail -f /dev/null`): a placeholder beside an
    injected proxy (Linkerd's gateway), a capacity reservation (cluster-autoscaler overprovisioning)
    or an image pre-puller (longhorn-manager's `pre-pull-share-manager-image`). It serves nothing
    and cannot wedge or leak."""
    image = container.spec.get("image")
    if isinstance(image, str) and _program_of(image).lower() in _PAUSE_PROGRAMS:
        return True
    words = [*_words(container.spec.get("command")), *_words(container.spec.get("args"))]
    return bool(words) and bool(_SLEEPS_FOREVER.match(" ".join(words)))


def runs_idle(container: Container) -> bool:
    """Whether a container sleeps (runs_pause), or runs setup commands to their end and then sleeps
    for good with nothing left in the background: a toolbox people exec into (Pulsar's `toolset`:
    `bin/apply-config-from-env.py conf/client.conf; ...; sleep 10000000000`). Nothing in it
    serves, so no replica count, disruption budget or rollout strategy means anything; its setup
    may still wedge (the probe rules judge it) and what people run in it still takes memory."""
    if runs_pause(container):
        return True
    words = container.argv
    if len(words) != 3 or posixpath.basename(words[0]) not in ("sh", "bash") or words[1] != "-c":
        return False
    script = _REDIRECTION.sub(" ", words[2])
    if _BACKGROUND.search(script):
        return False  # a program left running (`nohup ... &`)
    commands = shell_commands(script)
    return len(commands) > 1 and bool(_SLEEPS_FOREVER.match(" ".join(commands[-1])))


_REDIRECTION = re.compile(r"\d*>&\d*|&>")
_BACKGROUND = re.compile(r"(?<!&)&(?!&)")


# A command that prints at most a line and then sleeps for good (also in a loop that only sleeps:
# GKE's `prepare-three-zone-ha`, `while true; do sleep 3600; done`, which holds a node in each zone).
_SLEEPS_FOREVER = re.compile(
    r"^(?:(?:/usr)?(?:/bin/)?(?:ba)?sh\s+-c\s+)?(?:echo\b[^;&|]*(?:&&|;)\s*)*(?:exec\s+)?"
    r"(?:sleep\s+(?:infinity|inf|\d{7,})|tail\s+-f\s+/dev/null"
    r"|while\s+(?:true|:)\s*;\s*do\s+sleep\s+\d+[smhd]?\s*;\s*done)\s*;?$"
)


def _words(value: Any) -> list[str]:
    return [str(word) for word in value] if isinstance(value, list) else []


# Load generators, by their image's name: Locust, k6 (and its extensions' builds: Tempo's example
# `xk6-client-tracing`), Vegeta, and demos' own (microservices-demo's `loadgenerator`, robot-shop's
# `rs-load`); a tag for a demo that keeps every image in one repository (the OpenTelemetry demo's
# `demo:2.0.2-load-generator`). Not Flagger's `loadtester`: Flagger's webhooks call it.
_LOAD_GENERATOR = re.compile(r"^(?:locust|k6|xk6-[\w.-]+|vegeta|(?:[\w.]+[-_])?load(?:[-_]?gen(?:erator)?)?)$")
_LOAD_GENERATOR_TAG = re.compile(r"(?:^|[-_.])load[-_]?gen(?:erator)?$")


def _program_of(image: str) -> str:
    """The last segment of an image's repository, without tag or digest (`mysqld-exporter`)."""
    return image_reference(image)[0].rsplit("/", 1)[-1]


def one_pod_per_node(pod_spec: dict) -> bool:
    """Whether a required pod anti-affinity term spreads the pods one per node."""
    affinity = pod_spec.get("affinity")
    anti = affinity.get("podAntiAffinity") if isinstance(affinity, dict) else None
    terms = anti.get("requiredDuringSchedulingIgnoredDuringExecution") if isinstance(anti, dict) else None
    return isinstance(terms, list) and any(
        isinstance(term, dict) and term.get("topologyKey") == "kubernetes.io/hostname" for term in terms
    )


def nearest_copies(owner: K8sObject, workloads: list[Workload]) -> list[Workload]:
    """`workloads` less the copies of one kind and name that sit farther from `owner` (a Service, a
    PodDisruptionBudget, an HPA) than another: a repository's variants of one app (bank-of-anthos's
    `extras/postgres-hpa/` beside `kubernetes-manifests/`) are applied one at a time, and each
    variant's Service, PDB or HPA is for the copy in its own folder."""
    groups: dict[tuple[str, str], list[Workload]] = {}
    for workload in workloads:
        groups.setdefault((workload.kind, workload.obj.name), []).append(workload)
    if all(len(group) == 1 for group in groups.values()):
        return workloads
    folder = PurePosixPath(owner.path).parent.parts
    kept: set[int] = set()
    for group in groups.values():
        shared = [_shared_prefix(folder, PurePosixPath(w.obj.path).parent.parts) for w in group]
        kept.update(id(w) for w, n in zip(group, shared, strict=True) if n == max(shared))
    return [w for w in workloads if id(w) in kept]


def _shared_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    count = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        count += 1
    return count


_SINGLE_ATTACH_MODES = ("ReadWriteOnce", "ReadWriteOncePod")


def single_attach_claim(objects: list[K8sObject], workload: Workload) -> tuple[str | None, list[str] | None]:
    """The first PersistentVolumeClaim the pod mounts, and its single-node access modes: a list when
    the claim is in the scan and every mode it asks for attaches to one node only, None when unknown
    (not in the scan). (None, None) when the pod mounts no claim, or a claim shared across nodes."""
    volumes = workload.pod_spec.get("volumes")
    claims = [
        str(v["persistentVolumeClaim"].get("claimName"))
        for v in (volumes if isinstance(volumes, list) else [])
        if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict)
    ]
    if not claims:
        return None, None
    known = {
        o.name: o
        for o in objects
        if o.kind == "PersistentVolumeClaim" and o.namespace == workload.obj.namespace
    }
    for claim in claims:
        pvc = known.get(claim)
        if pvc is None:
            return claim, None
        modes = pvc.get("spec", "accessModes")
        modes = [str(m) for m in modes] if isinstance(modes, list) else []
        if modes and all(m in _SINGLE_ATTACH_MODES for m in modes):
            return claim, modes
    return None, None
