"""What rules look at, walked one way for built-in checks and custom rules alike: Kubernetes objects,
workloads and their containers, Dockerfile stages and instructions, PM2 apps, Prometheus rules."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relcheck.artifacts.alerts import PromRule
    from relcheck.artifacts.dockerfile import Dockerfile, Instruction, Stage
    from relcheck.artifacts.kubernetes import Container, K8sObject, Workload
    from relcheck.artifacts.pm2 import Pm2App
    from relcheck.scan.project import Project


def objects(project: Project, kinds: Collection[str] = ()) -> Iterator[K8sObject]:
    """Kubernetes objects, of the given kinds (all when none is given)."""
    for obj in project.kube.objects:
        if not kinds or obj.kind in kinds:
            yield obj


def workloads(project: Project, kinds: Collection[str] = (), long_running: bool = False) -> Iterator[Workload]:
    """Objects that run pods; `long_running`: not Jobs, CronJobs or bare Pods."""
    for workload in project.kube.workloads:
        if (not kinds or workload.kind in kinds) and (not long_running or workload.long_running):
            yield workload


def containers(project: Project, kinds: Collection[str] = (), long_running: bool = False) -> Iterator[Container]:
    """Every container of those workloads, init containers included."""
    for workload in workloads(project, kinds, long_running):
        yield from workload.containers()


def stages(project: Project, final_only: bool = False) -> Iterator[tuple[Dockerfile, Stage]]:
    for dockerfile in project.dockerfiles:
        for stage in dockerfile.stages:
            if not final_only or stage is dockerfile.final:
                yield dockerfile, stage


def instructions(
    project: Project, keywords: Collection[str] = (), final_only: bool = False
) -> Iterator[tuple[Dockerfile, Stage, Instruction]]:
    """Each stage's FROM and instructions, of the given keywords (upper-case; all when none)."""
    for dockerfile, stage in stages(project, final_only):
        for instruction in (stage.from_instruction, *stage.instructions):
            if not keywords or instruction.keyword in keywords:
                yield dockerfile, stage, instruction


def pm2_apps(project: Project) -> Iterator[Pm2App]:
    yield from project.pm2_apps


def prom_rules(project: Project, alerts_only: bool = False) -> Iterator[PromRule]:
    """Prometheus rules of rule files and PrometheusRule objects; `alerts_only`: alerting rules."""
    for rule_file in project.prom_rule_files:
        for rule in rule_file.rules:
            if not alerts_only or rule.is_alert:
                yield rule
