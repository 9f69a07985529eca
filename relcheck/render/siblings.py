"""Chart dependencies the repository holds itself, given to Helm as `helm dependency build` would.

A chart repository's charts depend on one another by their published address (VictoriaMetrics'
charts on `victoria-metrics-common` from `oci://ghcr.io/victoriametrics/helm-charts`,
kube-prometheus-stack on `prometheus-node-exporter`), or by `file://../other`; the chart's CI
downloads them into `charts/` before it renders. relcheck downloads nothing: a dependency missing
from `charts/` whose chart is a folder of the repository (same name; a `file://` path must lead
there) is copied into a temporary copy of the chart instead, whatever its version: `helm template`
checks a dependency by name only, and the dependency's own objects are checked in its own render
(here it lends its templates, such as a `common` library's, to the chart). Nothing is
written into the repository.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relcheck.syntax.positions import Positions

# A chart's dependencies nest (kube-prometheus-stack → its exporters → a common library): at most
# this deep, and each chart once on a path (a cycle is left to Helm's own error).
MAX_DEPTH = 4


@dataclass
class Vendored:
    """A temporary copy of a chart with its sibling dependencies in `charts/`."""

    folder: str  # the copy, to hand to Helm
    temporary: str  # the folder that holds it, removed by close()
    # Where each vendored subchart's files are in the repository: "charts/common" (a prefix of the
    # paths in Helm's output, below the chart's own name) -> the dependency's folder. What Helm
    # renders from them is left to the dependency's own render.
    sources: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        shutil.rmtree(self.temporary, ignore_errors=True)


def chart_names(charts: list[str], read: Any) -> dict[str, str]:
    """The repository's charts by the name their Chart.yaml gives (the first folder of a name wins)."""
    from relcheck.syntax.yaml import YamlError, load_one

    names: dict[str, str] = {}
    for folder in charts:
        try:
            meta, _ = load_one(read(posixpath.join(folder, "Chart.yaml") if folder else "Chart.yaml") or "")
        except YamlError:
            continue
        name = meta.get("name") if isinstance(meta, dict) else None
        if isinstance(name, str) and name and name not in names:
            names[name] = folder
    return names


def vendor_siblings(root: Path, chart_dir: str, siblings: dict[str, str], read: Any) -> Vendored | None:
    """A temporary copy of the chart with the missing dependencies the repository holds, or None
    when none is missing or none of the missing ones is here (Helm then says what is missing).
    `siblings`: the repository's charts by name. Charts that hold a symbolic link are not copied."""
    if not chart_dir:
        return None  # a chart at the root: a copy of it would be a copy of the whole repository
    wanted = _missing(root, chart_dir, siblings, read, (chart_dir,))
    if not wanted or _holds_links(root, [chart_dir, *wanted.values()]):
        return None
    temporary = tempfile.mkdtemp(prefix="relcheck-chart-")
    copy = Path(temporary) / "chart"
    vendored = Vendored(str(copy), temporary)
    try:
        shutil.copytree(root / chart_dir, copy, ignore=_ignored)
        _place(root, copy, "", wanted, siblings, read, vendored, (chart_dir,))
    except OSError:
        vendored.close()
        return None
    return vendored


def _holds_links(root: Path, folders: list[str]) -> bool:
    """Whether any of the charts holds a symbolic link: a relative link means something else from
    a copy in another folder (it could lead out of the copy, and out of the repository)."""
    for folder in folders:
        for current, dirs, files in os.walk(root / folder):
            if any(os.path.islink(os.path.join(current, name)) for name in [*dirs, *files]):
                return True
    return False


def _ignored(folder: str, names: list[str]) -> set[str]:
    return {".git"} & set(names)


def _place(
    root: Path,
    copy: Path,
    prefix: str,
    wanted: dict[str, str],
    siblings: dict[str, str],
    read: Any,
    vendored: Vendored,
    path: tuple[str, ...],
) -> None:
    """Copy each wanted dependency into `copy/charts/<name>`, then its own missing ones into it."""
    aliases = chart_aliases(path[-1], read)
    for name, source in sorted(wanted.items()):
        target = copy / "charts" / name
        shutil.copytree(root / source, target, ignore=_ignored)
        inside = posixpath.join(prefix, "charts", name)
        vendored.sources[inside] = source
        for alias in aliases.get(name, ()):  # Helm names an aliased subchart's files by the alias
            vendored.sources[posixpath.join(prefix, "charts", alias)] = source
        if len(path) < MAX_DEPTH:
            nested = _missing(root, source, siblings, read, (*path, source))
            nested = {n: folder for n, folder in nested.items() if not _holds_links(root, [folder])}
            _place(root, target, inside, nested, siblings, read, vendored, (*path, source))


def _missing(root: Path, chart_dir: str, siblings: dict[str, str], read: Any, path: tuple[str, ...]) -> dict[str, str]:
    """The chart's dependencies that `charts/` lacks and the repository holds: name -> folder."""
    found: dict[str, str] = {}
    for dependency in _dependencies(chart_dir, read):
        name, repository = dependency.get("name"), dependency.get("repository")
        if not isinstance(name, str) or not name or vendored_already(root, chart_dir, name):
            continue
        source = None
        if isinstance(repository, str) and repository.startswith("file://"):
            relative = repository.removeprefix("file://")
            if not relative.startswith("/"):
                candidate = posixpath.normpath(posixpath.join(chart_dir, relative))
                source = candidate if candidate in siblings.values() else None
        else:
            source = siblings.get(name)
        if source and source != chart_dir and source not in path:
            found[name] = source
    return found


def chart_aliases(chart_dir: str, read: Any) -> dict[str, list[str]]:
    """The aliases a chart gives its dependencies: name -> aliases."""
    found: dict[str, list[str]] = {}
    for dependency in _dependencies(chart_dir, read):
        name, alias = dependency.get("name"), dependency.get("alias")
        if isinstance(name, str) and isinstance(alias, str) and alias:
            found.setdefault(name, []).append(alias)
    return found


def _dependencies(chart_dir: str, read: Any) -> list[dict]:
    return [entry for entry, _, _, _ in _listed(chart_dir, read)]


def dependency_lines(chart_dir: str, read: Any) -> dict[str, tuple[str, int]]:
    """Where the chart names each dependency: its name (and alias, which Helm names its files by)
    -> (Chart.yaml or requirements.yaml, the line of that key)."""
    found: dict[str, tuple[str, int]] = {}
    for entry, listing, positions, index in _listed(chart_dir, read):
        for key in ("name", "alias"):
            if isinstance(entry.get(key), str) and entry[key]:
                found[entry[key]] = (listing, positions.of(("dependencies", index, key), key=True)[0])
    return found


def _listed(chart_dir: str, read: Any) -> Iterator[tuple[dict, str, Positions, int]]:
    """Each dependency entry, with its file, that file's positions and its index there."""
    from relcheck.syntax.yaml import YamlError, load_one

    for name in ("Chart.yaml", "requirements.yaml"):  # apiVersion v1 kept them in requirements.yaml
        listing = posixpath.join(chart_dir, name) if chart_dir else name
        try:
            data, positions = load_one(read(listing) or "")
        except YamlError:
            continue
        entries = data.get("dependencies") if isinstance(data, dict) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict):
                yield entry, listing, positions, index


def vendored_already(root: Path, chart_dir: str, name: str) -> bool:
    """A folder or an archive of the dependency in `charts/` (Helm then judges it as it is)."""
    charts = root / chart_dir / "charts"
    if (charts / name).is_dir():
        return True
    try:
        return any(entry.startswith(f"{name}-") and entry.endswith(".tgz") for entry in os.listdir(charts))
    except OSError:
        return False
