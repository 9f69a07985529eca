"""The repository's evidence for the repository rules (R001-R005): runbooks, dashboards, alert
files, load tests and chaos experiments, found by name and by content."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relcheck.scan.discovery import FileKind

if TYPE_CHECKING:
    from relcheck.artifacts.kubernetes import K8sObject
    from relcheck.scan.discovery import SourceFile

_ALERT_KEY = re.compile(r"^\s*(?:-\s*)?[\"']?alert[\"']?\s*:", re.MULTILINE)
# A Jsonnet mixin's alerting rule (`alert: 'KubePodCrashLooping',` beside its `expr:`): a Grafana
# panel's legacy `alert: {...}` is an object, not a name.
_JSONNET_ALERT = re.compile(r"^\s*[\"']?alert[\"']?\s*:\s*['\"|]", re.MULTILINE)
_JSONNET_SUFFIXES = (".jsonnet", ".libsonnet")
_CHAOS_GROUPS = ("chaos-mesh.org", "litmuschaos.io")
_CHAOS_API = re.compile(r"^apiVersion:\s*[\"']?(?:[\w.-]+\.)?(?:chaos-mesh\.org|litmuschaos\.io)/", re.MULTILINE)
K6_IMPORT = re.compile(r"""(?:from\s+|require\(\s*)["']k6(?:/[\w/-]*)?["']""")
_ARTILLERY = re.compile(r"^scenarios\s*:", re.MULTILINE)
_ARTILLERY_TARGET = re.compile(r"^config\s*:\s*\n(?:[ \t]+.*\n)*?[ \t]+target\s*:", re.MULTILINE)
_RUNBOOK_SUFFIXES = ("", ".md", ".markdown", ".rst", ".adoc", ".txt")


@dataclass
class RepoFacts:
    """Evidence for the repository rules (R001–R005): the files that satisfy each."""

    runbooks: list[str] = field(default_factory=list)
    dashboards: list[str] = field(default_factory=list)
    alert_files: list[str] = field(default_factory=list)
    # Jsonnet (a monitoring mixin's `prometheusAlerts`) that generates alerting rules: evidence that
    # the service has alerts, though relcheck does not evaluate Jsonnet to check them.
    alert_sources: list[str] = field(default_factory=list)
    load_tests: list[str] = field(default_factory=list)
    chaos_experiments: list[str] = field(default_factory=list)


def _has_alerts(obj: K8sObject) -> bool:
    groups = obj.get("spec", "groups")
    return isinstance(groups, list) and any(
        isinstance(group, dict)
        and isinstance(group.get("rules"), list)
        and any(isinstance(rule, dict) and "alert" in rule for rule in group["rules"])
        for group in groups
    )


def collect_repo_facts(facts: RepoFacts, objects: list[K8sObject], files: list[SourceFile], max_file_size: int) -> None:
    """Adds the evidence the objects and files hold (the files the rules could not read are read here,
    in the build stage: no check reads a file)."""
    for obj in objects:
        if obj.kind == "PrometheusRule" and _has_alerts(obj):
            facts.alert_files.append(obj.path)
        if obj.api_version.split("/", 1)[0].endswith(_CHAOS_GROUPS):
            facts.chaos_experiments.append(obj.path)
    for source in files:
        lower = source.path.lower()
        name = source.name.lower()
        if _is_runbook(name, lower):
            facts.runbooks.append(source.path)
        if source.kind == FileKind.KUBERNETES or not _needs_text(lower):
            continue
        text, _ = source.read(max_file_size)
        if text is None:
            continue
        if source.kind == FileKind.PROMETHEUS_RULES:
            if _ALERT_KEY.search(text):
                facts.alert_files.append(source.path)
        elif lower.endswith(_JSONNET_SUFFIXES):
            if "expr" in text and _JSONNET_ALERT.search(text):
                facts.alert_sources.append(source.path)
            if "grafanaDashboards" in text:  # a mixin's dashboards, generated as JSON by `mixtool`
                facts.dashboards.append(source.path)
        elif lower.endswith(".json"):
            if name != "package.json" and _is_dashboard(text):
                facts.dashboards.append(source.path)
        elif source.kind in (FileKind.APP_SOURCE, FileKind.EVIDENCE) and not lower.endswith((".yaml", ".yml")):
            if K6_IMPORT.search(text):
                facts.load_tests.append(source.path)
        elif lower.endswith((".yaml", ".yml")) and _ARTILLERY.search(text) and _ARTILLERY_TARGET.search(text):
            facts.load_tests.append(source.path)
        elif source.kind == FileKind.EVIDENCE and _CHAOS_API.search(text):
            facts.chaos_experiments.append(source.path)  # not parsed: a test folder's files are evidence only
    for evidence in (facts.alert_files, facts.chaos_experiments):
        evidence[:] = sorted(set(evidence))


def _needs_text(lower: str) -> bool:
    return lower.endswith((".yaml", ".yml", ".json", ".js", ".ts", ".mjs", ".cjs", *_JSONNET_SUFFIXES))


def _is_runbook(name: str, lower_path: str) -> bool:
    if "runbook" not in lower_path:  # most files: no need to split the path
        return False
    parts = lower_path.split("/")
    if any(part in ("runbook", "runbooks") for part in parts[:-1]):
        return True
    stem, dot, suffix = name.partition(".")
    return stem.startswith("runbook") and (f".{suffix}" if dot else "") in _RUNBOOK_SUFFIXES


def _is_dashboard(text: str) -> bool:
    if '"panels"' not in text:
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    return isinstance(data, dict) and isinstance(data.get("panels"), list)
