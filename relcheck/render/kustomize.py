"""Kustomize overlays rendered by kustomize itself, each object positioned at the resource file and
line it came from (kustomize's origin annotations) or at the patch that set the key.

An entry point is a kustomization that no other kustomization of the scan uses. It is built through
a wrapper kustomization in a temporary folder that only adds `buildMetadata: [originAnnotations]`;
the repository is never written to. Remote resources are not fetched: an overlay that names some is
built from a copy without them. Helm inflation and plugins are not run: such an overlay is reported,
the overlays it builds on are built alone, and its other files are linted one by one."""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relcheck.artifacts.kubernetes import K8sObject, dig
from relcheck.artifacts.kustomize import KUSTOMIZATION_NAMES, PATCH_FIELDS
from relcheck.artifacts.rendered import RenderedObject
from relcheck.model import Location, ParseProblem
from relcheck.render.engines import DEFAULT_MAX_OUTPUT, DEFAULT_TIMEOUT, CommandOutput, run_kustomize
from relcheck.render.helm import Renders
from relcheck.syntax.positions import VALUE, Positions

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
# The largest file copied for an overlay built without its remote resources that its kustomization
# does not name (a field relcheck does not model may read it): a kustomization's folder may hold
# anything else too.
_MAX_BESIDE_BYTES = 4 << 20
# Fields whose entries are other kustomizations or resource files.
_RESOURCE_FIELDS = ("resources", "bases", "components")
# Fields whose entries (or their `path`) are files the build reads.
_FILE_FIELDS = (*PATCH_FIELDS, "crds", "configurations", "openapi", "generators", "transformers", "validators")
# Fields whose entries configure generators, transformers and validators (built-in or plugins).
_PLUGIN_FIELDS = ("generators", "transformers", "validators")
_API_VERSION = re.compile(r"^apiVersion:\s*['\"]?([^\s'\"#]+)", re.MULTILINE)
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|[?&]ref=", re.I)
ENABLE_HINT = "put `kustomize` or `kubectl` on PATH"
# Keys a strategic-merge patch writes to find what it patches (the object, a container by name).
_IDENTITY_KEYS = frozenset({"apiVersion", "kind", "name"})
# Helm template actions in an overlay's patches: it writes a chart's templates for a generator
# (gatekeeper's `cmd/build/helmify/`), its objects are never applied as they are.
_HELM_ACTIONS = re.compile(r"\{\{-?\s*(?:\.Values\.|\.Release\.|\.Chart\.|include\s+\"|template\s+\")")


# Kustomize's refusal of a Kustomization field it does not know.
_UNKNOWN_FIELD = re.compile(r'invalid Kustomization: json: unknown field "([^"]+)"')


@dataclass
class Kustomization:
    folder: str
    path: str
    data: dict
    uses: list[str] = field(default_factory=list)  # folders of other kustomizations it builds on
    files: list[str] = field(default_factory=list)  # resource and patch files it reads
    inputs: list[str] = field(default_factory=list)  # files its generators read (`.env`, `files:`)
    remote: list[str] = field(default_factory=list)
    helm_charts: bool = False
    component: bool = False
    walked: bool = True  # False: in a folder the scan leaves out, read because an overlay builds on it


def _below(path: str, folder: str) -> bool:
    return not folder or path.startswith(folder + "/")


def read_kustomizations(paths: list[str], read: Any) -> dict[str, Kustomization]:
    """Every kustomization file of the scan, by folder."""
    found: dict[str, Kustomization] = {}
    for path in sorted(paths):
        folder, _, name = path.rpartition("/")
        if name not in KUSTOMIZATION_NAMES or folder in found:
            continue
        kustomization = _read_one(folder, path, read(path) or "")
        if kustomization is not None:  # else it is linted (and reported) as YAML anyway
            found[folder] = kustomization
    _add_unwalked_bases(found, read)
    return found


def _read_one(folder: str, path: str, text: str) -> Kustomization | None:
    from relcheck.syntax.yaml import YamlError, load_one

    try:
        data, _ = load_one(text)
    except YamlError:
        return None
    return _describe(folder, path, data) if isinstance(data, dict) else None


def _add_unwalked_bases(found: dict[str, Kustomization], read: Any) -> None:
    """The kustomizations the scan's overlays build on in folders the scan leaves out (kubeflow's
    `third-party/`, excluded as vendored code): kustomize reads them, so what they build on (a remote
    base it would download) decides whether the overlay can be built offline."""
    pending = [folder for k in found.values() for folder in k.uses if folder not in found]
    while pending:
        folder = pending.pop()
        if folder in found:
            continue
        for name in KUSTOMIZATION_NAMES:
            path = f"{folder}/{name}" if folder else name
            text = read(path)
            if text is None:
                continue
            kustomization = _read_one(folder, path, text)
            if kustomization is not None:
                kustomization.walked = False
                found[folder] = kustomization
                pending.extend(f for f in kustomization.uses if f not in found)
            break


def _describe(folder: str, path: str, data: dict) -> Kustomization:
    kustomization = Kustomization(folder, path, data, component=data.get("kind") == "Component")
    kustomization.helm_charts = bool(data.get("helmCharts")) or bool(data.get("helmChartInflationGenerator"))
    for name in (*_RESOURCE_FIELDS, *_FILE_FIELDS):
        entries = data.get(name)
        for entry in entries if isinstance(entries, list) else []:
            target = entry.get("path") if isinstance(entry, dict) else entry
            if not isinstance(target, str) or "\n" in target or not target.strip():
                continue
            if _REMOTE.search(target.strip()):
                kustomization.remote.append(target.strip())
                continue
            joined = _joined(folder, target.strip())
            if name in _RESOURCE_FIELDS:
                kustomization.uses.append(joined)
            kustomization.files.append(joined)
    kustomization.inputs = [_joined(folder, target) for target in _generator_inputs(data)]
    return kustomization


def _without_remote(kustomization: Kustomization, hollow: set[str]) -> Kustomization:
    """A copy of the kustomization without its remote entries, nor the kustomizations in `hollow`
    (folders that held only remote resources) among its resources."""
    data = dict(kustomization.data)
    for name, entries in kustomization.data.items():
        if not isinstance(entries, list):
            continue
        kept = []
        for entry in entries:
            target = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(target, str) and "\n" not in target and target.strip():
                if _REMOTE.search(target.strip()):
                    continue
                if name in _RESOURCE_FIELDS and _joined(kustomization.folder, target.strip()) in hollow:
                    continue
            kept.append(entry)
        data[name] = kept
    copy = _describe(kustomization.folder, kustomization.path, data)
    copy.walked = kustomization.walked
    return copy


def _joined(folder: str, target: str) -> str:
    return posixpath.normpath(posixpath.join(folder, target) if folder else target)


def _generator_inputs(data: dict) -> list[str]:
    """The local files configMapGenerator and secretGenerator entries read: `envs` and the older
    `env`, and `files` (`path` or `key=path`)."""
    found: list[str] = []
    for name in ("configMapGenerator", "secretGenerator"):
        generators = data.get(name)
        for generator in generators if isinstance(generators, list) else []:
            if not isinstance(generator, dict):
                continue
            envs, files = generator.get("envs"), generator.get("files")
            named = [*(envs if isinstance(envs, list) else []), generator.get("env")]
            for entry in files if isinstance(files, list) else []:
                named.append(entry.partition("=")[2] or entry if isinstance(entry, str) else None)
            found += [n.strip() for n in named if isinstance(n, str) and n.strip() and "\n" not in n]
    return [n for n in found if not _REMOTE.search(n)]


def patch_files(kustomizations: dict[str, Kustomization]) -> set[str]:
    """Files the kustomizations name as patches (with or without apiVersion and kind of their own)."""
    return {f for k in kustomizations.values() for name in PATCH_FIELDS for f in _entries(k, name)}


def entry_points(kustomizations: dict[str, Kustomization]) -> list[str]:
    """Kustomizations no other one uses, less components (they are only ever included)."""
    used = {folder for k in kustomizations.values() for folder in k.uses}
    return sorted(f for f, k in kustomizations.items() if f not in used and not k.component and k.walked)


def closure(entry: str, kustomizations: dict[str, Kustomization]) -> list[Kustomization]:
    seen: dict[str, Kustomization] = {}
    pending = [entry]
    while pending:
        folder = pending.pop()
        if folder in seen or folder not in kustomizations:
            continue
        seen[folder] = kustomizations[folder]
        pending.extend(kustomizations[folder].uses)
    return list(seen.values())


@dataclass
class JsonPatch:
    """A JSON 6902 patch file of an overlay (a list of `op`s), with where each key is written."""

    path: str
    ops: list
    positions: Positions

    def adds(self, rendered: dict, item: tuple, path: tuple) -> Location | None:
        """Where an `add`/`replace` op writes the rendered list item at `item` (matched by the list's
        pointer and the item's `name`), at the deepest key of `path` its value writes."""
        found = dig(rendered, item)
        item_name = found.get("name") if isinstance(found, dict) else None
        if not isinstance(item_name, str):
            return None
        parent = item[:-1]
        for index, op in enumerate(self.ops):
            if not isinstance(op, dict) or op.get("op") not in ("add", "replace"):
                continue
            pointer, value = op.get("path"), op.get("value")
            if not isinstance(pointer, str) or not isinstance(value, dict) or value.get("name") != item_name:
                continue
            parts = _pointer_parts(pointer)
            if parts[:-1] != tuple(str(key) for key in parent):
                continue
            rest = path[len(item) :]
            # The deepest key the op's value writes, else the item's `name:` (as a container is shown).
            written = ((index, "value", *rest[:cut]) for cut in range(len(rest), 0, -1))
            keys: tuple = next((k for k in written if k in self.positions.rows), (index, "value", "name"))
            line, column = self.positions.key_of(keys)
            return Location(self.path, line, column)
        return None

    def sets(self, rendered: dict, path: tuple, key: bool) -> Location | None:
        """Where an `add`/`replace` op writes the rendered value at `path`: an op whose pointer leads
        to `path` (or above it) and whose value the rendered object holds there unchanged, at the
        deepest key of `path` the value writes. Only patches whose target selects the object are
        asked; the value check skips an op whose value a later patch changed."""
        for index, op, depth in self._ops_above(path, ("add", "replace")):
            value = op.get("value")
            if value is None or dig(rendered, path[:depth]) != value:
                continue  # another object's op, or one a later patch changed
            rest = path[depth:]
            # The deepest key of `path` the value writes; else the value's `name:` (a container the op
            # adds is shown there), else the op's `value:`.
            written = [(index, "value", *rest[:cut]) for cut in range(len(rest), 0, -1)]
            written += [(index, "value", "name"), (index, "value")]
            keys = next((k for k in written if k in self.positions.rows), None)
            if keys is None:
                continue
            line, column = self.positions.key_of(keys) if key or not rest else self.positions.of(keys)
            return Location(self.path, line, column)
        return None

    def removes(self, rendered: dict, path: tuple) -> Location | None:
        """Where a `remove` op took away what holds `path` (sourcegraph's `remove/resources`
        component drops every container's `resources`): an op whose pointer leads to `path` or
        above it, where the rendered object has nothing, at the op's `op:` key."""
        for index, _, depth in self._ops_above(path, ("remove",)):
            if dig(rendered, path[:depth]) is not None or (index, "op") not in self.positions.rows:
                continue  # still there: a later patch put it back
            line, column = self.positions.key_of((index, "op"))
            return Location(self.path, line, column)
        return None

    def _ops_above(self, path: tuple, kinds: tuple[str, ...]) -> Iterator[tuple[int, dict, int]]:
        """(index, op, how many keys of `path` its pointer names) for each op of these kinds whose
        pointer leads to `path` or above it, the last op first."""
        for index in range(len(self.ops) - 1, -1, -1):
            op = self.ops[index]
            if not isinstance(op, dict) or op.get("op") not in kinds:
                continue
            pointer = op.get("path")
            if not isinstance(pointer, str) or not pointer.startswith("/"):
                continue
            parts = _pointer_parts(pointer)
            if len(parts) <= len(path) and tuple(str(k) for k in path[: len(parts)]) == parts:
                yield index, op, len(parts)


def _pointer_parts(pointer: str) -> tuple[str, ...]:
    """A JSON pointer's keys (RFC 6901: `~1` is `/`, `~0` is `~`)."""
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:])


@dataclass(frozen=True)
class InlinePatch:
    """A JSON 6902 patch written in a kustomization (`patches: [{patch: |-, target: …}]`): the
    kustomization's path, and the entry's list and index there."""

    path: str
    field: str
    index: int


def read_inline_json_patch(root: Path, inline: InlinePatch) -> JsonPatch | None:
    """The ops of a patch a kustomization writes as a literal block (`patch: |-`), with positions in
    the kustomization file; None for any other style (its lines are not the file's) or other patch."""
    from relcheck.syntax.yaml import YamlError, load_one

    full = root / inline.path
    try:
        if full.is_symlink() or not full.is_file() or full.stat().st_size > _MAX_PATCH_BYTES:
            return None
        whole = full.read_text(encoding="utf-8")
        data, positions = load_one(whole)
        lines = whole.splitlines()
        written = positions.get((inline.field, inline.index, "patch"), VALUE)
        text = dig(data, (inline.field, inline.index, "patch"))
        if written is None or not isinstance(text, str):
            return None
        line, column = written
        if not lines[line - 1][column - 1 :].startswith("|"):
            return None
        content = next((row for row in lines[line:] if row.strip()), "")
        indent = len(content) - len(content.lstrip(" "))
        ops, own = load_one(text)
    except (OSError, UnicodeDecodeError, YamlError, ValueError, IndexError):
        return None
    return JsonPatch(inline.path, ops, own.shifted(line, indent)) if _is_op_list(ops) else None


def read_json_patch(root: Path, path: str) -> JsonPatch | None:
    """The patch file at `path` if it is a JSON 6902 patch (a list of `op`s), read with its
    positions; None for a file that is too large, not YAML, or something else (findings then stay
    at the resource as written)."""
    from relcheck.syntax.yaml import YamlError, load_one

    full = root / path
    try:
        if full.is_symlink() or not full.is_file() or full.stat().st_size > _MAX_PATCH_BYTES:
            return None
        ops, positions = load_one(full.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlError, ValueError):
        return None
    return JsonPatch(path, ops, positions) if _is_op_list(ops) else None


def _is_op_list(data: Any) -> bool:
    """Whether a patch's data is a JSON 6902 patch: a list of `op`s."""
    return isinstance(data, list) and bool(data) and all(isinstance(op, dict) and "op" in op for op in data)


_MAX_PATCH_BYTES = 1 << 20


# kustomize nests its errors as quoted strings (each level escapes the quotes again), says first
# that a folder "must resolve to a file" before it reads it as a folder, and prints Go values.
_ESCAPED_QUOTE = re.compile(r'\\+"')
_TRIED_AS_FILE = re.compile(r"accumulation err='accumulating resources from '[^']*': '[^']*' must resolve to a file': ")
_RESOURCE_ID = re.compile(
    r'resid\.ResId\{Gvk:resid\.Gvk\{Group:"[^"]*", Version:"[^"]*", Kind:"([^"]*)"[^}]*\}, '
    r'Name:"([^"]*)", Namespace:"([^"]*)"\}'
)
_GO_POINTERS = re.compile(r" ?&\{0x[0-9a-f]+(?: (?:0x[0-9a-f]+|<nil>))*\}")


def readable(error: str) -> str:
    """kustomize's error as a reader wants it: quotes unescaped, Go values as `Kind "name"`, and
    without the attempt to read a folder as a file that precedes every nested error."""
    error = _TRIED_AS_FILE.sub("", _ESCAPED_QUOTE.sub('"', error))
    error = _RESOURCE_ID.sub(lambda m: f'{m[1]} "{m[2]}"' + (f' in namespace "{m[3]}"' if m[3] else ""), error)
    return _GO_POINTERS.sub("", error)


class KustomizeOrigin:
    """A rendered object's keys at the patch that set them, where a patch of the build sets them."""

    note = "the resource as written, before the overlay's patches"

    def __init__(
        self,
        data: dict,
        patches: list[K8sObject],
        original: K8sObject | None = None,
        json_patches: list[JsonPatch] | None = None,
    ) -> None:
        self.data = data
        self.patches = patches
        self.original = original
        self.json_patches = json_patches or []

    def place(self, path: tuple, key: bool) -> tuple[Location | None, Location | None]:
        patched, written = self._patch_at(path, key), self._as_written(path, key)
        if patched is not None and written is not None and patched.path == written.path:
            return None, patched  # the patch that added the item writes the value too: one place
        return patched, written

    def _as_written(self, path: tuple, key: bool) -> Location | None:
        """Where the resource as written (or the patch that added it) holds a list item the rendered
        object has at another index: a patch that adds a container before the others moves them,
        and the rendered index would point at another container. None where indexes agree."""
        original = self.original
        if original is None:
            return None
        keys = path[len(original.base) :]
        if not any(isinstance(part, int) for part in keys):
            return None
        rendered: Any = self.data
        written: Any = original.data
        out: list = []
        for depth, part in enumerate(keys):
            if not isinstance(part, int):
                rendered = rendered.get(part) if isinstance(rendered, dict) else None
                written = written.get(part) if isinstance(written, dict) else None
                out.append(part)
                continue
            item = rendered[part] if isinstance(rendered, list) and 0 <= part < len(rendered) else None
            name = item.get("name") if isinstance(item, dict) else None
            if name is None or not isinstance(written, list):
                out.extend(keys[depth:])  # items without names: their index is all there is
                break
            index = next((i for i, w in enumerate(written) if isinstance(w, dict) and w.get("name") == name), None)
            if index is None:  # not in the resource as written: a patch added it
                added = self._added_by_patch(path[: len(original.base) + depth + 1], path)
                return added or original.key_loc(*out)
            rendered, written = item, written[index]
            out.append(index)
        if tuple(out) == keys:
            return None
        return original.key_loc(*out) if key else original.loc(*out)

    def _added_by_patch(self, item: tuple, path: tuple) -> Location | None:
        """Where a patch of the build writes the list item at `item` (a component that adds a
        sidecar), at the deepest key of `path` it writes; None when no patch has it."""
        for patch in reversed(self.patches):
            translated = _translate(self.data, patch.data, item)
            if translated is None:
                continue
            deeper = _translate(self.data, patch.data, path)
            found = patch.key_loc(*(deeper or translated))
            return Location(found.path, found.line, found.column)
        for json_patch in reversed(self.json_patches):
            found = json_patch.adds(self.data, item, path)
            if found is not None:
                return found
        return None

    def _patch_at(self, path: tuple, key: bool) -> Location | None:
        if not path or isinstance(path[-1], int) or path[-1] in _IDENTITY_KEYS or path == ("metadata",):
            return None  # what a patch names to find its target, not what it changes
        for patch in reversed(self.patches):
            translated = _translate(self.data, patch.data, path)
            if translated is not None and _sets_values(patch.get(*translated)):
                found = patch.key_loc(*translated) if key else patch.loc(*translated)
                return Location(found.path, found.line, found.column)
        for json_patch in reversed(self.json_patches):
            found = json_patch.sets(self.data, path, key)
            if found is not None:
                return found
        if key:  # a key the rendered object lacks (relcheck.artifacts.rendered.missing_loc)
            for json_patch in reversed(self.json_patches):
                found = json_patch.removes(self.data, path)
                if found is not None:
                    return found
        return None


def _sets_values(value: Any) -> bool:
    """A patch sets a scalar, or a mapping of scalars (`limits: {memory: 512Mi}`); a mapping that
    only leads deeper (`spec: {template: ...}`) merely passes through."""
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list)) for v in value.values())
    return not isinstance(value, list)


def _translate(rendered: Any, patch: Any, path: tuple) -> tuple | None:
    """The rendered key path as the patch writes it (list items matched by `name`, as a strategic
    merge matches containers), or None when the patch does not set it."""
    out: list = []
    for part in path:
        if isinstance(part, int):
            if not isinstance(rendered, list) or not isinstance(patch, list) or part >= len(rendered):
                return None
            item = rendered[part]
            name = item.get("name") if isinstance(item, dict) else None
            index = next(
                (i for i, p in enumerate(patch) if isinstance(p, dict) and name is not None and p.get("name") == name),
                None,
            )
            if index is None:
                return None
            rendered, patch = item, patch[index]
            out.append(index)
        else:
            if not isinstance(patch, dict) or part not in patch:
                return None
            rendered = rendered.get(part) if isinstance(rendered, dict) else None
            patch = patch[part]
            out.append(part)
    return tuple(out)


Plan = tuple[str, list[Kustomization] | None]  # an overlay, and what it builds on (None: not built)


class KustomizeRenderer:
    def __init__(
        self,
        root: Path,
        command: list[str],
        objects: list[K8sObject],
        inside: Any,
        timeout: float = DEFAULT_TIMEOUT,
        max_output: int = DEFAULT_MAX_OUTPUT,
    ) -> None:
        self.root = root
        self.command = command
        self.inside = inside  # repository path -> whether it resolves inside the repository
        self.timeout = timeout
        self.max_output = max_output
        self.by_path: dict[str, list[K8sObject]] = {}
        for obj in objects:
            self.by_path.setdefault(obj.path, []).append(obj)
        # A component's patches serve several overlays.
        self._json_patches: dict[str | InlinePatch, JsonPatch | None] = {}
        self._helm_actions: dict[str, bool] = {}
        self._plugin_versions: dict[str, str | None] = {}  # a configuration file → its plugin's apiVersion
        # Overlay folders the repository's own build runs without the load restrictor → its Makefiles.
        self.unrestricted: dict[str, list[str]] = {}
        # Whether a repository file is one the scan reads (not excluded, by default or by the config).
        self.scanned: Callable[[str], bool] = lambda path: True

    def _says_unrestricted(self, path: str) -> list[str]:
        """[path] when the kustomization's own comment gives the command that builds it without the
        load restrictor (contour's `examples/optional-features`: "Run with: kubectl kustomize
        --load-restrictor=LoadRestrictionsNone examples/optional-features/"): its authors build it so."""
        from relcheck.parsers.makefile import says_unrestricted

        try:
            text = (self.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [path] if says_unrestricted(text) else []

    def _json_patch(self, source: str | InlinePatch) -> JsonPatch | None:
        if source not in self._json_patches:
            read = read_inline_json_patch if isinstance(source, InlinePatch) else read_json_patch
            self._json_patches[source] = read(self.root, source)  # type: ignore[arg-type]
        return self._json_patches[source]

    def render_all(self, entries: list[str], kustomizations: dict[str, Kustomization], out: Renders) -> set[str]:
        """Build every overlay that can be built, several at once (each build is a kustomize process,
        which spends most of its time on its own: a second one runs on another core), then read the
        results in the entries' order. An overlay that builds on remote resources is built from a
        copy without them; where that fails too, the overlays it builds on are built alone. Returns
        the overlays built."""
        plans = [(entry, self._plan(entry, kustomizations, out)) for entry in entries]
        local = {entry: members for entry, _ in plans if (members := self._local_plan(entry, kustomizations, out))}
        built = self._run(
            [(e, m, False) for e, m in plans if m is not None] + [(e, m, True) for e, m in local.items()],
            kustomizations,
            out,
        )
        # An overlay built without its remote resources covers what it builds on, as a built one does.
        settled = [(e, m if m is not None or e not in built else local[e]) for e, m in plans]
        fallback = self._fallback_plans(settled, kustomizations, out)
        return built | self._run([(e, m, False) for e, m in fallback if m is not None], kustomizations, out)

    def _run(
        self, plans: list[tuple[str, list[Kustomization], bool]], kustomizations: dict[str, Kustomization], out: Renders
    ) -> set[str]:
        """Build the planned overlays and read their objects. An overlay planned `without_remote`
        is built from a copy of its kustomizations with the remote resources left out; a failure
        there is passed over in silence (its E002 says why it is not rendered)."""
        from concurrent.futures import ThreadPoolExecutor

        if not plans:
            return set()
        workers = max(1, min(len(plans), os.cpu_count() or 1, 8))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            builds = list(pool.map(lambda plan: self._build(plan[0], plan[1] if plan[2] else None), plans))
        built = set()
        for (entry, members, without_remote), (output, wrapper, target, seconds) in zip(plans, builds, strict=True):
            try:
                shown = entry or "."
                if output.error is not None and without_remote:
                    continue
                if output.error is None:
                    out.seconds[f"kustomize {shown}"] = seconds  # the renders made, as the inventory counts them
                if output.error is not None:
                    # Paths as the repository knows them: not the wrapper's view, nor this machine's.
                    error = output.error.replace(target, entry or ".").replace(wrapper, "<wrapper>")
                    error = error.replace(os.path.realpath(self.root) + os.sep, "").replace(str(self.root) + os.sep, "")
                    error = readable(error)
                    unknown = _UNKNOWN_FIELD.search(error)
                    if unknown is not None:
                        # Kustomize learns fields release by release (replacements' `sourceValue`
                        # came after v5.5): the overlay may be valid for the one its authors use.
                        message = (
                            f"kustomize overlay {shown} not rendered: the kustomize on this machine does not know "
                            f"the field `{unknown.group(1)}` of its Kustomization, which a newer kustomize may "
                            f"know (or it is misspelled): {error}; its files are linted one by one"
                        )
                        out.problems.append((kustomizations[entry].path, ParseProblem("E002", message)))
                        continue
                    message = f"kustomize cannot build overlay {shown}: {error}; its files are linted one by one"
                    out.problems.append((kustomizations[entry].path, ParseProblem("E001", message)))
                    continue
                tree = os.path.join(wrapper, "tree") if without_remote else None
                out.objects.extend(self._objects(output.text, wrapper, entry, members, tree))
                if without_remote:
                    self._note_built_without_remote(entry, kustomizations, out)
            finally:
                shutil.rmtree(wrapper, ignore_errors=True)
            built.add(entry)
            for member in closure(entry, kustomizations) if without_remote else members:
                out.consumed.add(member.path)
                out.consumed.update(member.files)
        return built

    def _local_plan(
        self, entry: str, kustomizations: dict[str, Kustomization], out: Renders
    ) -> list[Kustomization] | None:
        """For an overlay not built because it builds on remote resources (kubeflow's trainer on
        jobset's release), its kustomizations without them, when nothing else keeps it from being
        built: the tags, patches and probes it sets on its own resources are then checked. A
        kustomization that holds nothing but remote resources is left out with them."""
        members = closure(entry, kustomizations)
        if not any(k.remote for k in members) or not kustomizations[entry].walked:
            return None
        hollow = {k.folder for k in members if k.remote and not k.uses}
        if entry in hollow:  # nothing of its own to build
            return None
        local = [_without_remote(k, hollow) for k in members if k.folder not in hollow]
        return self._plan(entry, {k.folder: k for k in local}, out, fallback=True)

    def _note_built_without_remote(self, entry: str, kustomizations: dict[str, Kustomization], out: Renders) -> None:
        """Its E002 says it was built, and what was left out."""
        path = kustomizations[entry].path
        remote = [r for k in closure(entry, kustomizations) for r in k.remote]
        more = f" and {len(remote) - 1} more remote resource{'s' * (len(remote) > 2)}" if len(remote) > 1 else ""
        message = (
            f"kustomize overlay {entry or '.'} rendered without {remote[0]}{more}: relcheck downloads nothing, "
            "so what that adds or changes is not checked, and what the overlay's objects point at there is "
            "not called missing"
        )
        for index, (where, problem) in enumerate(out.problems):
            if where == path and problem.code == "E002" and f"kustomize overlay {entry or '.'} not rendered:" in (
                problem.message
            ):
                out.problems[index] = (where, ParseProblem("E002", message))
                return
        out.problems.append((path, ParseProblem("E002", message)))

    def _fallback_plans(
        self, plans: list[Plan], kustomizations: dict[str, Kustomization], out: Renders
    ) -> list[Plan]:
        """For an overlay that cannot be built here (it builds on a remote base: kubeflow's `example`
        on jobset's release), the overlays it builds on, each built alone where it can be, rather
        than all their files linted one by one (which misses the tags, patches and probes an
        overlay sets). Not those another built overlay already includes."""
        planned = {entry for entry, _ in plans}
        covered = {k.folder for _, members in plans if members is not None for k in members}
        added: list[Plan] = []
        pending = [entry for entry, members in plans if members is None]
        while pending:
            for folder in kustomizations[pending.pop()].uses:
                used = kustomizations.get(folder)
                if used is None or not used.walked or used.component or folder in planned or folder in covered:
                    continue
                planned.add(folder)
                members = self._plan(folder, kustomizations, out, fallback=True)
                added.append((folder, members))
                if members is None:
                    pending.append(folder)
                else:
                    covered.update(k.folder for k in members)
        return added

    def _plan(
        self, entry: str, kustomizations: dict[str, Kustomization], out: Renders, fallback: bool = False
    ) -> list[Kustomization] | None:
        """The kustomizations the overlay builds on, or None (and why, as an E002) when it is not built.
        A `fallback` (an overlay tried because the one built on it cannot be) gives no E002: that
        one's says why already."""
        members = closure(entry, kustomizations)
        where = kustomizations[entry].path
        shown = entry or "."
        remote = [r for k in members for r in k.remote]
        read = [f for k in members for f in (*k.files, *k.inputs)]
        outside = [f for f in read if not self.inside(f)]
        if remote:
            why = f"it builds on {remote[0]}, and relcheck downloads nothing"
        elif outside:
            why = f"it reads {outside[0]}, which is outside the repository"
        elif missing := [f for f in read if not os.path.lexists(self.root / f)]:
            # A file a build step or a GitOps plugin writes first (`helm template > all.yaml`, a
            # generator's `.env` that the deploy tool fills in).
            why = f"it names {missing[0]}, which is not in the repository (written by a build step?)"
        elif escaping := [
            (k, f) for k in members for f in (*k.files, *k.inputs)
            if not _below(f, k.folder) and not os.path.isdir(self.root / f)  # a folder may be anywhere
        ]:
            # kustomize's default load restrictor refuses these: `kubectl apply -k` fails as the
            # build would, so this is an error, said plainly rather than in kustomize's words. Unless
            # the repository builds it without the restrictor: relcheck does not (that lets a build
            # read any file of the machine), and says so.
            owner, file = escaping[0]
            builders = self.unrestricted.get(entry) or self._says_unrestricted(where)
            if not builders:
                message = (
                    f"kustomize cannot build overlay {shown}: {owner.path} reads {file}, a file outside its folder, "
                    "which kustomize refuses unless built with `--load-restrictor LoadRestrictionsNone` (`kubectl "
                    "apply -k` fails); make that file part of a base folder with its own kustomization.yaml. Its "
                    "local files are linted one by one"
                )
                out.problems.append((where, ParseProblem("E001", message)))
                return None
            if builders[0] != where:
                how = f"{builders[0]} builds it"
            else:
                how = f"a comment {'there' if owner.path == where else f'in {where}'} says to build it"
            why = (
                f"{owner.path} reads {file}, a file outside its folder, and {how}"
                " with `--load-restrictor LoadRestrictionsNone`, which relcheck does not use (it lets a build read "
                "any file of the machine)"
            )
        elif any(k.helm_charts for k in members):
            why = "it inflates Helm charts (helmCharts), which needs `--enable-helm` and downloads charts"
        elif plugin := self._plugin_config(members):
            config_path, version = plugin
            why = (
                f"{config_path} configures a kustomize plugin (apiVersion {version}: a KRM function or an exec "
                "plugin), which kustomize runs only with `--enable-alpha-plugins`, as a container or a program, "
                "and relcheck runs nothing"
            )
        elif helm := next((f for f in _patch_sources(members) if self._holds_helm_actions(f)), None):
            why = (
                f"{helm} holds Helm template actions (`{{{{ .Values… }}}}`): the overlay writes a chart's "
                "templates for a generator such as helmify, not objects to apply"
            )
        else:
            return members
        message = f"kustomize overlay {shown} not rendered: {why}; its local files are linted one by one"
        if not fallback:
            out.problems.append((where, ParseProblem("E002", message)))
        return None

    def _plugin_config(self, members: list[Kustomization]) -> tuple[str, str] | None:
        """(where, apiVersion) of the first generator, transformer or validator an overlay
        configures that is not one of kustomize's built-ins (`apiVersion: builtin`): kustomize's own
        KRM function examples run `gcr.io/kustomize-functions/example-tshirt` to transform."""
        for kustomization in members:
            for name in _PLUGIN_FIELDS:
                entries = kustomization.data.get(name)
                for entry in entries if isinstance(entries, list) else []:
                    if isinstance(entry, str) and "\n" in entry:
                        where, version = kustomization.path, _plugin_version(entry)  # written inline
                    elif isinstance(entry, str) and entry.strip() and not _REMOTE.search(entry):
                        where = _joined(kustomization.folder, entry.strip())
                        if where not in self._plugin_versions:
                            self._plugin_versions[where] = _plugin_version(self._head(where))
                        version = self._plugin_versions[where]
                    else:
                        continue
                    if version is not None:
                        return where, version
        return None

    def _holds_helm_actions(self, path: str) -> bool:
        """Read once per scan: overlays share their bases' kustomizations and patches."""
        if path not in self._helm_actions:
            self._helm_actions[path] = bool(_HELM_ACTIONS.search(self._head(path)))
        return self._helm_actions[path]

    def _head(self, path: str) -> str:
        """The first MiB of a file of the repository; "" for a folder (a kustomization of
        transformers) or nothing."""
        try:
            with open(self.root / path, encoding="utf-8", errors="replace") as handle:
                return handle.read(1 << 20)
        except OSError:
            return ""

    def _build(self, entry: str, local: list[Kustomization] | None = None) -> tuple[CommandOutput, str, str, float]:
        """One `kustomize build` through a wrapper folder (removed by the caller once read). With
        `local`, of a copy of those kustomizations and the files they read, in the wrapper's `tree`."""
        import time

        wrapper = tempfile.mkdtemp(prefix="relcheck-kustomize-")
        if local is None:
            target = os.path.relpath(self.root / entry, wrapper)
        else:
            target = posixpath.join("tree", entry) if entry else "tree"
            try:
                self._copy(local, Path(wrapper, "tree"))
            except (OSError, ValueError) as error:  # an unreadable file: built alone instead
                return CommandOutput(error=str(error)), wrapper, target, 0.0
        Path(wrapper, "kustomization.yaml").write_text(
            f"resources:\n  - {_quoted(target)}\nbuildMetadata: [originAnnotations]\n", encoding="utf-8"
        )
        started = time.perf_counter()
        output = run_kustomize(self.command, wrapper, self.timeout, self.max_output)
        return output, wrapper, target, time.perf_counter() - started

    def _copy(self, local: list[Kustomization], tree: Path) -> None:
        """The kustomizations as `local` has them (remote resources left out), and the files they
        read (those each names, and the others in its folder: a field relcheck does not model may
        name them), at their repository paths below `tree`."""
        import json

        copied: set[str] = set()
        for kustomization in local:
            folder = self.root / kustomization.folder
            try:
                beside = [
                    f"{kustomization.folder}/{name}" if kustomization.folder else name
                    for name in sorted(os.listdir(folder))
                    if (folder / name).is_file() and (folder / name).stat().st_size <= _MAX_BESIDE_BYTES
                ]
            except OSError:
                beside = []
            for path in [*kustomization.files, *kustomization.inputs, *beside]:
                source = self.root / path
                if path in copied or path == kustomization.path or not source.is_file() or not self.inside(path):
                    continue
                copied.add(path)
                (tree / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, tree / path)
            (tree / kustomization.path).parent.mkdir(parents=True, exist_ok=True)
            # JSON is YAML, and says the data exactly as read.
            (tree / kustomization.path).write_text(json.dumps(kustomization.data, default=str), encoding="utf-8")

    def _objects(
        self, text: str, wrapper: str, entry: str, members: list[Kustomization], tree: str | None = None
    ) -> list[K8sObject]:
        """The build's objects, each placed at its resource as written. `tree`: the build read a copy
        of the repository's files there (remote resources left out), so its objects are partial."""
        from relcheck.parsers.kubernetes import parse_manifests
        from relcheck.syntax.yaml import YamlError, load_one

        named = patch_files({k.folder: k for k in members})
        patches = [p for f in sorted(named) for p in self.by_path.get(f, [])]
        targeted = [
            (p, target)
            for f, target in _json_patch_targets(members)
            if (isinstance(f, InlinePatch) or not self.by_path.get(f)) and (p := self._json_patch(f)) is not None
        ]
        objects, _ = parse_manifests("<kustomize>", _without_crds(text))
        found: list[K8sObject] = []
        root = os.path.realpath(tree if tree is not None else self.root)
        for obj in objects:
            annotations = obj.metadata.get("annotations")
            origin_text = annotations.pop(ORIGIN_ANNOTATION, None) if isinstance(annotations, dict) else None
            if isinstance(annotations, dict) and not annotations:
                obj.metadata.pop("annotations", None)
            try:
                origin, _ = load_one(origin_text) if isinstance(origin_text, str) else (None, None)
            except YamlError:
                origin = None
            source = origin.get("path") or origin.get("configuredIn") if isinstance(origin, dict) else None
            repo_path = None
            if isinstance(source, str) and not _REMOTE.search(source):
                full = os.path.realpath(os.path.join(wrapper, source))
                if Path(full).is_relative_to(root):
                    repo_path = Path(os.path.relpath(full, root)).as_posix()
            if repo_path is not None and not self.scanned(repo_path):
                # A file the scan leaves out that the build reads (kserve's `test-modelcache` overlay
                # builds `config/overlays/test`, a test folder): what it writes is not checked there,
                # as the file is not checked where it is written.
                continue
            original = self._original(repo_path, obj) if repo_path is not None else None
            own_patches = [
                p for p in patches if p.kind == obj.kind and original is not None and p.name == original.name
            ]
            if original is None:  # generated, or from a file the scan did not parse: at the kustomization
                path = repo_path or next(k.path for k in members if k.folder == entry)
                found.append(
                    RenderedObject(
                        path=path,
                        data=obj.data,
                        positions=_first_line(),
                        base=(),
                        span=(1, 1),
                        render=f"kustomize:{entry}",
                        origin=KustomizeOrigin(obj.data, own_patches),
                        rendered_by=f"kustomize overlay {entry or '.'}",
                        partial=tree is not None,
                    )
                )
                continue
            overlay = next(k.path for k in members if k.folder == entry)
            in_overlay = entry == "" or original.path.startswith(f"{entry}/")
            found.append(
                RenderedObject(
                    path=original.path,
                    data=obj.data,
                    positions=original.positions,
                    base=original.base,
                    span=original.span,
                    render=f"kustomize:{entry}",
                    origin=KustomizeOrigin(
                        obj.data, own_patches, original, [p for p, t in targeted if _selects(t, original, obj)]
                    ),
                    rendered_by=f"kustomize overlay {entry or '.'}",
                    built_by="" if in_overlay else overlay,
                    kind_replaced=original.kind != obj.kind,
                    partial=tree is not None,
                )
            )
        return found

    def _original(self, path: str, rendered: K8sObject) -> K8sObject | None:
        """The object of `path` that kustomize turned into `rendered` (prefixes and suffixes added)."""
        candidates = [o for o in self.by_path.get(path, []) if o.kind == rendered.kind]
        for obj in candidates:
            if obj.name == rendered.name:
                return obj
        for obj in candidates:
            if obj.name and obj.name in rendered.name:
                return obj
        if len(candidates) == 1:
            return candidates[0]
        # A patch can change the kind (emojivoto's overlays turn each Deployment into a DaemonSet,
        # a Job or a StatefulSet with `op: replace, path: /kind`): the one object of that name.
        named = [
            o for o in self.by_path.get(path, []) if o.name == rendered.name and _spec_keys(o) & _spec_keys(rendered)
        ]
        return named[0] if len(named) == 1 else None


def _spec_keys(obj: K8sObject) -> set[str]:
    spec = obj.data.get("spec")
    return set(spec) if isinstance(spec, dict) else set()


_CRD = re.compile(r"^kind:\s*CustomResourceDefinition\s*$", re.MULTILINE)


def _without_crds(text: str) -> str:
    """The build's output less CustomResourceDefinitions: schemas, often most of an install's bytes,
    that no rule reads (the custom resources themselves are kept)."""
    if not _CRD.search(text):
        return text
    documents = re.split(r"^---[ \t]*$", text, flags=re.MULTILINE)
    return "---".join(d for d in documents if not _CRD.search(d))


def _plugin_version(text: str) -> str | None:
    """The apiVersion of the first plugin a generator or transformer configuration names (any but
    kustomize's `builtin`), or None."""
    return next((v for v in _API_VERSION.findall(text) if v != "builtin"), None)


def _patch_sources(members: list[Kustomization]) -> list[str]:
    """The kustomization files and the patch files of an overlay: where a chart generator's
    placeholders go (helmify's `{{ .Values… }}` patches). Not its resources, where a rendered chart
    may hold templates as data (istio's injection templates in a ConfigMap)."""
    return [path for k in members for path in (k.path, *(f for name in PATCH_FIELDS for f in _entries(k, name)))]


def _json_patch_targets(members: list[Kustomization]) -> list[tuple[str | InlinePatch, dict]]:
    """(file, or the entry that writes it, target) of each patch entry with a `target:` (how JSON
    6902 patches are named, in `patches` and the older `patchesJson6902`), in the order the
    kustomizations list them."""
    found: list[tuple[str | InlinePatch, dict]] = []
    for kustomization in members:
        for name in ("patches", "patchesJson6902"):
            entries = kustomization.data.get(name)
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, dict) or not isinstance(entry.get("target"), dict):
                    continue
                path, patch = entry.get("path"), entry.get("patch")
                if isinstance(path, str) and "\n" not in path and path.strip() and not _REMOTE.search(path):
                    found.append((_joined(kustomization.folder, path.strip()), entry["target"]))
                elif isinstance(patch, str) and patch.strip():
                    found.append((InlinePatch(kustomization.path, name, index), entry["target"]))
    return found


def _selects(target: dict, original: K8sObject, rendered: K8sObject) -> bool:
    """Whether a patch's target selects the object, as kustomize matches one (api/types/selector.go):
    kind, name, namespace, group and version as anchored regular expressions, name and kind as the
    resource was written or as rendered. A label or annotation selector is not evaluated: no match,
    so its findings stay at the resource as written."""
    if target.get("labelSelector") or target.get("annotationSelector"):
        return False
    group, _, version = rendered.api_version.rpartition("/")  # "v1": no group
    wanted = {
        "kind": (original.kind, rendered.kind),
        "name": (original.name, rendered.name),
        "namespace": (original.metadata.get("namespace"), rendered.metadata.get("namespace")),
        "group": (group,),
        "version": (version,),
    }
    for field_name, values in wanted.items():
        pattern = target.get(field_name)
        if pattern is None or pattern == "":
            continue
        if not isinstance(pattern, str):
            return False
        try:
            compiled = re.compile(f"(?:{pattern})")
        except re.error:
            return False
        if not any(isinstance(value, str) and compiled.fullmatch(value) for value in values):
            return False
    return True


def _entries(kustomization: Kustomization, name: str) -> list[str]:
    entries = kustomization.data.get(name)
    found = []
    for entry in entries if isinstance(entries, list) else []:
        target = entry.get("path") if isinstance(entry, dict) else entry
        if isinstance(target, str) and "\n" not in target and target.strip() and not _REMOTE.search(target):
            folder = kustomization.folder
            found.append(posixpath.normpath(posixpath.join(folder, target.strip())) if folder else target.strip())
    return found


def _first_line():
    from relcheck.syntax.positions import Positions

    return Positions({(): (1, 1)}, {})


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
