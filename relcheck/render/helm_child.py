"""The Helm SDK in a process of its own: one JSON request a line in, one JSON answer a line out.

The parent bounds each render in time by killing this process; Go code cannot be interrupted from
Python in the same process. Nothing here touches the network: the SDK renders offline, `lookup`
returns nothing, and a chart whose values.schema.json names a schema to download is rendered from a
copy without it (Helm would fetch it to validate the values; the parent's environment refuses any
connection besides)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from typing import Any


def merge_values(base: dict, override: dict) -> dict:
    """`-f a.yaml -f b.yaml` as Helm merges them: maps deep, everything else replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged


def answer(request: dict[str, Any], helm: Any) -> dict[str, Any]:
    chart_dir = request["chart"]
    # `helm template` checks only that each dependency is there by name (action.CheckDependencies):
    # one of another version than Chart.yaml asks for renders as it is.
    missing = [d for d in helm.dependency_list(chart_dir) if d.get("status") in ("missing", "misnamed")]
    values: dict = {}
    refused = None
    for index, path in enumerate(request["values_files"]):
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        try:
            values = merge_values(values, helm.values_from_yaml(text) or {})
        except helm.HelmError as exc:  # named by its place in the list: no machine path in a message
            refused = {"error": str(exc), "kind": "values", "file_index": index}
            break
    values = merge_values(values, request.get("inline") or {})
    if request.get("skip_schema"):
        # The schema names one to download (Helm validates while it renders, too): a copy without it.
        with tempfile.TemporaryDirectory(prefix="relcheck-chart-") as copy:
            target = os.path.join(copy, os.path.basename(os.path.normpath(chart_dir)) or "chart")
            shutil.copytree(chart_dir, target, ignore=shutil.ignore_patterns("values.schema.json"), symlinks=True)
            _repoint_links(chart_dir, target)
            return _render(helm, target, request, values, refused, missing)
    return _render(helm, chart_dir, request, values, refused, missing)


def _repoint_links(chart_dir: str, copy: str) -> None:
    """Point the copy's links where the chart's lead: a relative link (nginx's `crds ->
    ../../config/crd/bases/`) would lead nowhere from the copy. The parent has refused charts whose
    links lead out of the repository."""
    for folder, dirs, files in os.walk(copy):
        for name in [*dirs, *files]:
            link = os.path.join(folder, name)
            if os.path.islink(link):
                original = os.path.join(chart_dir, os.path.relpath(link, copy))
                os.remove(link)
                os.symlink(os.path.realpath(original), link)


def _render(
    helm: Any, chart_dir: str, request: dict[str, Any], values: dict, refused: dict | None, missing: list
) -> dict[str, Any]:
    with helm.Chart.load(chart_dir) as chart:
        if missing:
            # What a condition turns off renders nothing once vendored either (Helm's
            # ProcessDependencyConditions): it need not be there to render the rest as Helm would.
            defaults = chart.merge_values(values if refused is None else {})
            entries = chart.metadata.get("dependencies") or []
            missing = [d for d in missing if not all(disabled(e, defaults) for e in _entries(entries, d))]
        if missing:
            names = ", ".join(f"{d.get('name')} ({d.get('status')})" for d in missing)
            return {"error": f"dependencies not in charts/: {names}", "kind": "dependencies"}
        if refused is not None:
            return refused
        try:  # as `helm template` does: the values, with the chart's defaults, against values.schema.json
            chart.validate_schema(chart.merge_values(values))
        except helm.HelmValuesError as exc:
            return {"error": str(exc), "kind": "schema"}
        manifests = chart.render(
            values=values, name=request["release"], namespace=request["namespace"], is_install=True
        )
    size = sum(len(text) for text in manifests.values())
    if size > request["max_bytes"]:
        return {"error": f"rendered output of {size} bytes is over the limit of {request['max_bytes']}", "kind": "size"}
    return {"manifests": manifests}


def _entries(entries: list, missing: dict) -> list[dict]:
    """The Chart.yaml entries of a missing dependency (one per alias); an entry without a condition
    when Chart.yaml does not name it."""
    found = [e for e in entries if isinstance(e, dict) and e.get("name") == missing.get("name")]
    return found or [{}]


def disabled(entry: dict, values: dict) -> bool:
    """Whether the dependency's `condition` is off in the values: the first of its comma-separated
    value paths that holds a boolean decides, as in Helm. No condition, none that resolves, or
    `tags` (left to Helm) leave it on."""
    condition = entry.get("condition")
    if not isinstance(condition, str) or entry.get("tags"):
        return False
    for path in condition.split(","):
        value: Any = values
        for key in path.strip().split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, bool):
            return not value
    return False


def main() -> None:
    try:
        import helm_python as helm
    except Exception as exc:  # reported once, for every request
        helm = None
        failure = f"{type(exc).__name__}: {exc}"
    for line in sys.stdin:
        request = json.loads(line)
        if helm is None:
            reply: dict[str, Any] = {"error": f"the Helm SDK cannot be loaded ({failure})", "kind": "engine"}
        else:
            try:
                reply = answer(request, helm)
            except helm.HelmError as exc:
                reply = {"error": str(exc), "kind": type(exc).__name__}
            except Exception as exc:  # a bad chart must cost its own render only
                reply = {"error": f"{type(exc).__name__}: {exc}", "kind": "internal"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
