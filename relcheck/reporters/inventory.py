"""What a scan read and what it left out, in one line: so that a report is never "No problems found"
about a tree relcheck did not check (a repository of HelmReleases, of templates, of vendored code)."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relcheck.scan.result import ScanResult

KIND_NAMES = {
    "dockerfile": "Dockerfile",
    "kubernetes": "Kubernetes manifest",
    "prometheus-rules": "rule file",
    "pm2": "PM2 file",
    "app-settings": "settings file",
    "app-source": "source file",
    "makefile": "Makefile",
    "image-references": "release image list",
    "tiltfile": "Tiltfile",
}
_CHART = re.compile(r"^Helm chart (\S+) \((\d+) templates?\)")
_TEMPLATES = re.compile(r"^(\d+) templates? in ")
_UNVENDORED = re.compile(r"^Helm chart \S+ rendered without (\d+) dependenc")
_WITHOUT_REMOTE = re.compile(
    r"^kustomize overlay .+? rendered without .+?(?: and (\d+) more remote resources?)?: relcheck downloads nothing"
)
_DEPLOYER = re.compile(r"^(\w+) '.*' deploys ")
# Descriptions of deployments in languages relcheck does not read: counted, so that a repository of
# them is not reported as checked.
_UNREAD_DEPLOYMENTS = (
    (re.compile(r"(?:^|/)(?:docker-)?compose(?:\.[\w-]+)*\.ya?ml$", re.I), "Compose file (not read)"),
    (re.compile(r"\.(?:jsonnet|libsonnet)$", re.I), "Jsonnet file (not read)"),
    (re.compile(r"\.tf$", re.I), "Terraform file (not read)"),
    (re.compile(r"\.nomad(?:\.hcl)?$", re.I), "Nomad job (not read)"),
    # A .NET Aspire app host (dotnet/eShop's `src/eShop.AppHost`): it describes the services, and
    # `azd` or Aspire's publishers deploy them.
    (re.compile(r"(?:^|/|\.)AppHost\.csproj$"), ".NET Aspire app host (not read)"),
)


def inventory(result: ScanResult) -> dict[str, Any]:
    """Counts of what was read (files by kind, objects, services) and of what was not checked, by reason."""
    read = Counter(f.kind for f in result.files if f.kind in KIND_NAMES)
    skipped: Counter[str] = Counter()
    for finding in result.findings:
        if finding.code != "E002":
            continue
        message = finding.message
        if chart := _CHART.match(message):
            skipped["Helm chart (not rendered)"] += 1
            skipped["Helm template"] += int(chart.group(2))
        elif unvendored := _UNVENDORED.match(message):
            skipped["Helm dependency (not vendored)"] += int(unvendored.group(1))
        elif message.startswith("Helm chart ") and " but renders nothing with " in message:
            skipped["workload template (renders nothing)"] += 1
        elif message.startswith("Helm chart ") and " not rendered" in message:
            skipped["Helm chart (not rendered)"] += 1
        elif message.startswith("kustomize overlay ") and " not rendered" in message:
            skipped["kustomize overlay (not rendered)"] += 1
        elif remote := _WITHOUT_REMOTE.match(message):
            skipped["kustomize remote resource (not downloaded)"] += 1 + int(remote.group(1) or 0)
        elif templates := _TEMPLATES.match(message):
            skipped["template (not Helm)"] += int(templates.group(1))
        elif deployer := _DEPLOYER.match(message):
            skipped[f"{deployer.group(1)} (not rendered)"] += 1
        elif "not a Prometheus rule file" in message or "holds LogQL expressions" in message:
            skipped["rule file look-alike (Grafana, Loki)"] += 1
        elif " holds the workloads kustomize overlay " in message:
            skipped["overlay build output (the overlay was checked)"] += 1
        elif "own rendered output" in message:
            skipped["chart's rendered output (the chart was checked)"] += int(message.split(" ", 1)[0])
        elif message.startswith("no FROM instruction"):
            skipped["Dockerfile fragment (no FROM)"] += 1
        elif message.startswith("parsed in part"):
            skipped["source file (read in part)"] += 1
        else:
            skipped["skipped file (size, binary, special)"] += 1
    for source in result.files:
        if source.kind == "other":
            reason = next((r for pattern, r in _UNREAD_DEPLOYMENTS if pattern.search(source.path)), None)
            if reason is not None:
                skipped[reason] += 1
    for kind, count in result.unmodeled_workloads.items():
        skipped[f"{kind} (workload kind not modeled)"] += count
    if result.kustomize_patches:
        skipped["patch (not a whole object)"] += result.kustomize_patches
    if result.helm_tests:
        skipped["Helm test (runs only under `helm test`)"] += result.helm_tests
    releases = _older_releases(result)
    if len(result.excluded_by_default) > len(releases):
        skipped["folder excluded by default"] += len(result.excluded_by_default) - len(releases)
    if releases:
        skipped["older release manifest (the newest is read)"] += len(releases)
    return {
        "read": {kind: read[kind] for kind in KIND_NAMES if read[kind]},
        "objects": result.objects,
        "renders": len(result.renders),
        "services": len(result.services),
        "not_checked": dict(sorted(skipped.items())),
    }


def _older_releases(result: ScanResult) -> list[str]:
    """The release manifests the default excludes left out: files, where the rest are folders."""
    from relcheck.scan.discovery import RELEASE_FOLDERS

    return [
        path for path in result.excluded_by_default
        if path.lower().endswith((".yaml", ".yml", ".json")) and path.rpartition("/")[0].rpartition("/")[2].lower()
        in RELEASE_FOLDERS
    ]


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    head, _, tail = noun.partition(" (")
    if head.endswith("y") and head[-2:-1] not in "aeiou":
        plural = head[:-1] + "ies"  # "Helm dependencies"
    else:
        plural = head + ("es" if head.endswith(("h", "s", "x")) else "s")
    return f"{count} {plural}" + (f" ({tail}" if tail else "")


def inventory_line(result: ScanResult) -> str:
    """`Read: 3 Dockerfiles, 12 Kubernetes manifests; 40 objects, 3 services. Not checked: …`"""
    from relcheck.reporters.escape import visible

    counts = inventory(result)
    read = ", ".join(_plural(n, KIND_NAMES[kind]) for kind, n in counts["read"].items()) or "no file relcheck reads"
    objects = _plural(counts["objects"], "object")
    if counts["renders"]:
        objects += f" (with {_plural(counts['renders'], 'render')} of charts and overlays)"
    line = f"Read: {read}; {objects}, {_plural(counts['services'], 'service')}."
    if counts["not_checked"]:
        parts = []
        for reason, n in counts["not_checked"].items():
            part = _plural(n, reason)
            if reason == "folder excluded by default":
                part = f"{n} folder{'s' if n != 1 else ''} excluded by default"
                releases = set(_older_releases(result))
                folders = [path for path in result.excluded_by_default if path not in releases]
                part += f" ({', '.join(folders[:3])}{', …' if len(folders) > 3 else ''})"
            parts.append(part)
        line += f" Not checked: {', '.join(parts)}."
    return visible(line)
