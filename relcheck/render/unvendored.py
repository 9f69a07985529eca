"""A chart rendered without the dependencies neither `charts/` nor the repository holds.

A chart repository commits its charts without their downloaded dependencies (`charts/*.tgz` is
ignored; CI runs `helm dependency build` first), and relcheck downloads nothing. Helm refuses to
render a chart whose enabled dependency is missing, so such a chart would go unchecked, often the
repository's main one (Argo CD's, kube-prometheus-stack, Sentry's). Instead it is rendered from a
temporary copy whose Chart.yaml (or requirements.yaml, apiVersion v1) no longer lists them: the
chart's own objects are checked, the dependencies' are not, and the render is marked partial, so
that what the chart's objects point at in a dependency (a Service of its pods, a PDB) is not called
missing. A chart whose templates use a dependency's named templates (a `common` library) still
fails to render, and says so. Nothing is written into the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# A copy of a chart at the repository's root is a copy of the repository: only a small one.
MAX_COPY_FILES = 2_000
MAX_COPY_BYTES = 20_000_000
_LISTINGS = ("Chart.yaml", "requirements.yaml")  # where apiVersion v2 and v1 charts list dependencies


@dataclass
class Unvendored:
    """A temporary copy of a chart without its missing dependencies."""

    folder: str  # the copy, to hand to Helm
    temporary: str  # the folder that holds it, removed by close()
    names: list[str] = field(default_factory=list)  # the dependencies left out, as Chart.yaml names them

    def close(self) -> None:
        shutil.rmtree(self.temporary, ignore_errors=True)


def without_missing(chart: Path) -> Unvendored | None:
    """A copy of the chart folder (the repository's, or a copy with its sibling dependencies
    vendored) whose dependency lists leave out every dependency `charts/` does not hold; None when
    none is missing, when a listing is not YAML, or when the chart is too large to copy or holds a
    symbolic link (a relative link would lead elsewhere from the copy)."""
    listings: dict[str, tuple[dict, list]] = {}
    for name in _LISTINGS:
        listing = _listing(chart / name)
        if listing is None:
            return None
        listings[name] = listing
    kept: dict[str, list[dict]] = {name: [] for name in _LISTINGS}
    missing: set[str] = set()
    for name, (_, entries) in listings.items():
        for entry in (e for e in entries if isinstance(e, dict)):
            if _held(chart, entry.get("name")):
                kept[name].append(entry)
            else:
                missing.add(str(entry.get("name")))
    if not missing or not copyable(chart):
        return None
    temporary = tempfile.mkdtemp(prefix="relcheck-chart-")
    copy = Path(temporary) / "chart"
    unvendored = Unvendored(str(copy), temporary, sorted(missing))
    try:
        shutil.copytree(chart, copy, ignore=shutil.ignore_patterns(".git"))
        _drop_test_hooks(copy)
        for name, (data, entries) in listings.items():
            if entries:
                # JSON, which YAML reads as it is: every other field as the YAML said it, numbers as
                # numbers, as Helm reads them. Not ASCII-escaped: YAML refuses the `\ud83d` halves
                # JSON writes for an emoji (open-webui's description, "… 👋").
                written = json.dumps(dict(data, dependencies=kept[name]), default=str, ensure_ascii=False)
                (copy / name).write_text(written, encoding="utf-8")
    except OSError:
        unvendored.close()
        return None
    return unvendored


# A template of a `helm test` hook: its objects run only under `helm test`, and are not checked.
_TEST_HOOK = re.compile(r"""helm\.sh/hook["']?\s*:\s*["']?test""")


def _drop_test_hooks(copy: Path) -> None:
    """Leave the chart's `helm test` templates out of the copy: they often read a dependency's
    values (trigger.dev's `tests/test-redis.yaml`, `.Values.redis.master.service.ports.redis`),
    which fail to render without it, and what they render is never checked."""
    for folder, _, names in os.walk(copy / "templates"):
        for name in names:
            if not name.endswith((".yaml", ".yml")):
                continue
            path = Path(folder, name)
            try:
                if _TEST_HOOK.search(path.read_text(encoding="utf-8", errors="replace")):
                    path.unlink()
            except OSError:
                continue


def _listing(path: Path) -> tuple[dict, list] | None:
    """A Chart.yaml or requirements.yaml and its dependency entries (({}, []) when it is absent or
    lists none), or None when it cannot be read as YAML (Helm says why when it renders)."""
    from relcheck.syntax.yaml import YamlError, load_one

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}, []
    try:
        data, _ = load_one(text)
    except YamlError:
        return None
    if not isinstance(data, dict):
        return {}, []
    entries = data.get("dependencies")
    return data, entries if isinstance(entries, list) else []


def _held(chart: Path, name: object) -> bool:
    """A folder or an archive of the dependency in the chart's `charts/` (Helm then judges it); an
    entry without a name is left to Helm."""
    from relcheck.render.siblings import vendored_already

    return not isinstance(name, str) or not name or vendored_already(chart, "", name)


def copyable(chart: Path) -> bool:
    """Whether a chart folder is small enough to copy and holds no symbolic link (a relative link
    would lead elsewhere from the copy)."""
    files = size = 0
    for folder, dirs, names in os.walk(chart):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in [*dirs, *names]:
            if os.path.islink(os.path.join(folder, name)):
                return False
        files += len(names)
        size += sum(os.path.getsize(os.path.join(folder, name)) for name in names)
        if files > MAX_COPY_FILES or size > MAX_COPY_BYTES:
            return False
    return True
