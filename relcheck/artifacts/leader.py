"""Which workloads run a controller that elects a leader: only one replica works at a time, the
others stand by to take over its Lease.

Told by the RBAC the scan holds (the pod's ServiceAccount is bound to a Role or ClusterRole that may
create or update `leases` in `coordination.k8s.io`, the lock client-go's leader election takes) or by
a leader-election flag on the container's command line (`--leader-elect`, `--enable-leader-election`).
A flag set to false (`--leader-elect=false`) overrides what the RBAC allows.

A pod whose account may watch resources of the API, and which elects no leader, runs a controller
whose replicas would each act on the same objects (WatchGrant)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relcheck.artifacts.kubernetes import K8sObject, Workload

_RBAC_GROUP = "rbac.authorization.k8s.io/"
# What a role names that no controller acts on: an election's Lease, Events, and the reviews an API
# server answers without storing anything (a webhook server checks a caller's rights with a
# SubjectAccessReview: cert-manager's webhook).
_NOT_ACTED_ON = frozenset(
    {"leases", "events", "subjectaccessreviews", "selfsubjectaccessreviews", "localsubjectaccessreviews"}
    | {"tokenreviews", "selfsubjectreviews"}
)
_WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection", "*"})
AccountKey = tuple[str, str, str]
# client-go's leaderelection takes a Lease: it creates it, then renews it by update.
_LEASE_VERBS = frozenset({"create", "update", "patch", "*"})
# The flag names controller frameworks give leader election (controller-runtime's scaffold, client-go
# components, Argo, Knative): with no value, or `=true`, it is on.
_FLAG = re.compile(
    r"^--?(leader-elect|leader-election|enable-leader-election|leader-elect-enabled|leader-election-enabled"
    r"|enableLeaderElection|leaderElect)(?:=(\S+))?$"
)


@dataclass(frozen=True)
class LeaseGrant:
    """A ServiceAccount's right to take a Lease: the role that grants it and the binding that gives it."""

    role: K8sObject
    binding: K8sObject
    lock: str = "Leases"  # what it may take: Leases, or an older lock's ConfigMap or Endpoints by name

    def describe(self, account: str) -> str:
        return f"its ServiceAccount '{account}' may take {self.lock} through {self.role.kind} '{self.role.name}'"


@dataclass(frozen=True)
class WatchGrant:
    """A ServiceAccount's right to watch resources of the API and to change some: the mark of a
    controller, which acts on what it watches (a Prometheus that only reads, for its service
    discovery, is not one)."""

    role: K8sObject
    binding: K8sObject
    watched: tuple[str, ...]
    changed: tuple[str, ...]
    more_roles: tuple[K8sObject, ...] = ()  # the role that lets it change, where not `role`

    def describe(self, account: str) -> str:
        roles = (self.role, *self.more_roles)
        through = " and ".join(f"{role.kind} '{role.name}'" for role in roles)
        return (
            f"its ServiceAccount '{account}' may watch {_first(self.watched)} and change {_first(self.changed)} "
            f"through {through}"
        )


def _first(names: tuple[str, ...]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def _acted_on(role: K8sObject) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The resources a role lets its holder watch, and those it lets it change, by name (`*` says
    nothing of the program; the Lease of an election and Events are not what a controller acts on;
    a subresource, `widgets/status`, is part of the resource named beside it); None unless either.
    The roles bound to one account add up (RBAC is a union): the Vertical Pod Autoscaler's updater
    watches pods through one ClusterRole and evicts them through another."""
    watched: list[str] = []
    changed: list[str] = []
    rules = role.data.get("rules")
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        resources, verbs = rule.get("resources"), rule.get("verbs")
        if not (isinstance(resources, list) and isinstance(verbs, list)):
            continue
        for resource in resources:
            if not isinstance(resource, str) or "*" in resource:
                continue
            resource = resource.split("/", 1)[0]
            if resource in _NOT_ACTED_ON:
                continue
            if ("watch" in verbs or "*" in verbs) and resource not in watched:
                watched.append(resource)
            if _WRITE_VERBS.intersection(v for v in verbs if isinstance(v, str)) and resource not in changed:
                changed.append(resource)
    return (tuple(watched), tuple(changed)) if watched or changed else None


def _grants_leases(role: K8sObject) -> str | None:
    """What lock of a leader election a rule lets its holder take: `leases` of `coordination.k8s.io`
    with a verb that takes one ("Leases"), or a ConfigMap or Endpoints of the core group named as a
    leader lock, which client-go's older resource locks take (aws-load-balancer-controller 2.0's
    `aws-load-balancer-controller-leader`). Wildcards do not count: a role of `*` on everything
    says nothing about what the program does."""
    rules = role.data.get("rules")
    older = None  # an older lock, named only when the role grants no Lease
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        groups, resources, verbs = (rule.get(key) for key in ("apiGroups", "resources", "verbs"))
        if not (isinstance(groups, list) and isinstance(resources, list) and isinstance(verbs, list)):
            continue
        if not _LEASE_VERBS.intersection(v for v in verbs if isinstance(v, str)):
            continue
        if "coordination.k8s.io" in groups and "leases" in resources:
            return "Leases"
        kind = next((r for r in ("configmaps", "endpoints") if r in resources), None)
        if "" not in groups or kind is None or older is not None:
            continue
        names = rule.get("resourceNames")
        kind_name = "ConfigMap" if kind == "configmaps" else "Endpoints"
        if isinstance(names, list) and names and all(isinstance(n, str) and _LOCK_NAME.search(n) for n in names):
            older = f"the leader lock in {kind_name} '{names[0]}'"
        elif not names and _LOCK_NAME.search(role.name):
            # kubebuilder's scaffold before Leases: `leader-election-role`, on every ConfigMap.
            older = f"a {kind_name} as its leader lock"
    return older


# How a leader lock's ConfigMap or Endpoints is named (`ingress-controller-leader`, `kube-scheduler`'s
# `...-leader-election`, `...-lock`).
_LOCK_NAME = re.compile(r"leader|election|-lock$", re.IGNORECASE)


def _bound_roles(objects: Iterable[K8sObject], grants: Callable[[K8sObject], Any]) -> dict[AccountKey, tuple]:
    """(render, namespace, ServiceAccount name) → (role, binding, what `grants` found in the role)
    for every account bound to a role of the scan in which `grants` finds something: the first
    binding's (see _all_bound_roles)."""
    return {key: found[0] for key, found in _all_bound_roles(objects, grants).items()}


def _all_bound_roles(
    objects: Iterable[K8sObject], grants: Callable[[K8sObject], Any]
) -> dict[AccountKey, list[tuple]]:
    """(render, namespace, ServiceAccount name) → every (role, binding, what `grants` found in the
    role) bound to the account, in the order of the scan, one per role."""
    roles: dict[tuple[str, str, str, str], tuple[K8sObject, Any]] = {}
    bindings: list[K8sObject] = []
    for obj in objects:
        if not obj.api_version.startswith(_RBAC_GROUP):
            continue
        if obj.kind in ("Role", "ClusterRole") and (granted := grants(obj)):
            namespace = obj.namespace if obj.kind == "Role" else ""
            roles[(obj.render, obj.kind, namespace, obj.name)] = (obj, granted)
        elif obj.kind in ("RoleBinding", "ClusterRoleBinding"):
            bindings.append(obj)
    bound: dict[AccountKey, list[tuple]] = {}
    if not roles:
        return bound
    for binding in bindings:
        ref = binding.data.get("roleRef")
        if not isinstance(ref, dict):
            continue
        kind = ref.get("kind")
        namespace = binding.namespace if kind == "Role" else ""
        found = roles.get((binding.render, str(kind), namespace, str(ref.get("name"))))
        subjects = binding.data.get("subjects")
        if found is None or not isinstance(subjects, list):
            continue
        role, granted = found
        for subject in subjects:
            if isinstance(subject, dict) and subject.get("kind") == "ServiceAccount" and subject.get("name"):
                # A RoleBinding's subject without a namespace is in the binding's.
                account_namespace = str(subject.get("namespace") or binding.namespace)
                key = (binding.render, account_namespace, str(subject["name"]))
                entries = bound.setdefault(key, [])
                if all(entry[0] is not role for entry in entries):
                    entries.append((role, binding, granted))
    return bound


def lease_grants(objects: Iterable[K8sObject]) -> dict[AccountKey, LeaseGrant]:
    """(render, namespace, ServiceAccount name) → the grant of a Lease, for every account bound to a
    role of the scan that grants one."""
    return {
        key: LeaseGrant(role, binding, lock)
        for key, (role, binding, lock) in _bound_roles(objects, _grants_leases).items()
    }


def watch_grants(objects: Iterable[K8sObject]) -> dict[AccountKey, WatchGrant]:
    """(render, namespace, ServiceAccount name) → the grant to watch named resources and change
    some, for every account whose roles in the scan grant both, together."""
    found: dict[AccountKey, WatchGrant] = {}
    for key, entries in _all_bound_roles(objects, _acted_on).items():
        watched = tuple(dict.fromkeys(name for _, _, (names, _) in entries for name in names))
        changed = tuple(dict.fromkeys(name for _, _, (_, names) in entries for name in names))
        if not (watched and changed):
            continue
        # Named by the first role that lets it watch and, where another, the first that lets it change.
        role, binding, _ = next(entry for entry in entries if entry[2][0])
        changer = next(entry[0] for entry in entries if entry[2][1])
        found[key] = WatchGrant(role, binding, watched, changed, () if changer is role else (changer,))
    return found


def service_account(workload: Workload) -> str:
    """The ServiceAccount the pod runs as (`default` when the spec names none)."""
    spec = workload.pod_spec
    name = spec.get("serviceAccountName") or spec.get("serviceAccount")
    return name if isinstance(name, str) and name else "default"


def leader_flag(words: Iterable[str]) -> bool | None:
    """True when a leader-election flag turns it on, False when one turns it off, else None."""
    found = None
    for word in words:
        match = _FLAG.match(word)
        if match:
            value = (match.group(2) or "true").strip("'\"").lower()
            found = value in ("true", "1", "yes")
    return found
