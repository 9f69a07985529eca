"""Helm charts of the repository, rendered by Helm's own engine with each set of values they ship
or the config names, and their objects positioned at the template and values lines."""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relcheck.artifacts.kubernetes import K8sObject, dig
from relcheck.artifacts.rendered import RenderedObject
from relcheck.model import Location, ParseProblem
from relcheck.render.engines import HelmEngine, RenderOutput, RenderRequest
from relcheck.render.siblings import Vendored, chart_aliases, dependency_lines, vendor_siblings
from relcheck.render.steady import steady_copy
from relcheck.render.template_index import TemplateSegment, align_segments, index_template, locate
from relcheck.render.unvendored import Unvendored, without_missing
from relcheck.syntax.positions import Positions
from relcheck.syntax.yaml import DUPLICATE_KEY

ENABLE_HINT = "install the Helm extra (`pip install 'relcheck-lint[helm]'`) or put `helm` on PATH"
# Where Helm names a template line in an error: `demo/templates/x.yaml:9:22` or `(demo/templates/x.yaml:4)`.
_ERROR_AT = re.compile(r"(?P<path>[\w.@+-]+(?:/[\w.@+-]+)*\.(?:ya?ml|tpl|txt|json)):(?P<line>\d+)(?::(?P<column>\d+))?")


@dataclass
class ChartSettings:
    """How to render one chart: from the config (`helm: {charts: {path: {...}}}`) or from a GitOps
    object (a Flux HelmRelease, an Argo CD Application) that deploys it."""

    values: list[str] = field(default_factory=list)  # repository paths, in order
    release: str | None = None
    namespace: str = "default"
    inline: ValuesFile | None = None  # values written in the object that deploys the chart
    label: str = ""  # what the render is called in messages ("" for the chart's own)
    with_ci: bool = True  # also render each `ci/*-values.yaml`
    where: tuple[str, int, int] | None = None  # the object that asked, for problems about it


@dataclass
class ValuesFile:
    path: str  # repository path
    data: Any
    positions: Positions
    base: tuple = ()  # where the values sit in that file (inline values of a HelmRelease)


@dataclass
class Renders:
    """What rendering added to the scan."""

    objects: list[K8sObject] = field(default_factory=list)
    problems: list[tuple[str, ParseProblem]] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)  # chart folders rendered or reported on
    consumed: set[str] = field(default_factory=set)  # files whose own objects the renders stand for
    seconds: dict[str, float] = field(default_factory=dict)  # render label -> time taken
    deployers: set[int] = field(default_factory=set)  # ids of GitOps objects whose target was rendered
    patch_files: set[str] = field(default_factory=set)  # files kustomizations name as patches
    rendered: set[str] = field(default_factory=set)  # chart folders and overlays rendered at least once


class HelmValuesOrigin:
    """Maps a rendered key path to the values file key that set it (the last file that sets it)."""

    note = "the template line that prints this value"

    def __init__(self, template: str, segment: TemplateSegment, chain: list[ValuesFile]) -> None:
        self.template = template
        self.segment = segment
        self.chain = chain

    def holds(self, wanted: tuple) -> bool:
        """Whether a values file of the render sets the value path."""
        return any(_sets(values, wanted) for values in self.chain)

    def place(self, path: tuple, key: bool) -> tuple[Location | None, Location | None]:
        spot = locate(self.segment, path, key, self.holds)
        template = Location(self.template, spot.line, spot.column)
        if spot.values is None:
            return None, template
        for size in range(len(spot.values), 0, -1):
            wanted = spot.values[:size]
            for values in reversed(self.chain):
                if _sets(values, wanted):
                    at = (*values.base, *wanted)
                    exact = size == len(spot.values) and not key
                    line, column = values.positions.of(at) if exact else values.positions.key_of(at)
                    return Location(values.path, line, column), template
        return None, template


def remote_schema_reference(schema_text: str) -> str | None:
    """The first `$ref` of a values.schema.json that names a schema over the network (Datadog's
    private-action-runner: the Kubernetes definitions on raw.githubusercontent.com), which Helm would
    download to validate the values, or another file (bjw-s's `common` test chart: `file://../values.schema.json`,
    which Helm resolves from the folder it runs in, and which names schemas to download in turn)."""
    found = _REMOTE_REF.search(schema_text) or _FILE_REF.search(schema_text)
    return found.group(1) if found else None


_REMOTE_REF = re.compile(r'"\$ref"\s*:\s*"((?:https?|ftp)://[^"#]+)')
_FILE_REF = re.compile(r'"\$ref"\s*:\s*"((?:file://)?[^"#:]*\.json)(?:#[^"]*)?"')


def is_test_values(path: str) -> bool:
    """Whether a file is one of chart-testing's values files (`ci/*-values.yaml` beside a chart's
    templates): the values of a test install in a throwaway cluster, not of a deployment."""
    folder, name = posixpath.split(path)
    return posixpath.basename(folder) == "ci" and name.endswith(("-values.yaml", "-values.yml"))


def _sets(values: ValuesFile, wanted: tuple) -> bool:
    parent = dig(values.data, wanted[:-1])
    if isinstance(parent, dict):
        return wanted[-1] in parent
    return isinstance(parent, list) and isinstance(wanted[-1], int) and 0 <= wanted[-1] < len(parent)


def mapped_positions(rendered: Positions, segment: TemplateSegment, holds: Any = None) -> Positions:
    """The rendered document's key paths, each at the template line that wrote it."""
    marks = {}
    for path in rendered.marks:
        spot = locate(segment, path, False, holds)
        marks[path] = (spot.line, spot.column)
    key_marks = {}
    for path in rendered.key_marks:
        spot = locate(segment, path, True, holds)
        key_marks[path] = (spot.line, spot.column)
    marks.setdefault((), (segment.first_line, 1))
    return Positions(marks, key_marks)


def is_test_hook(obj: K8sObject) -> bool:
    """`helm.sh/hook: test` objects run only under `helm test`, never on install."""
    annotations = obj.metadata.get("annotations")
    hooks = annotations.get("helm.sh/hook") if isinstance(annotations, dict) else None
    return isinstance(hooks, str) and any(
        h.strip() in ("test", "test-success", "test-failure") for h in hooks.split(",")
    )


def error_location(message: str, chart_dir: str, chart_name: str) -> tuple[str, int, int] | None:
    """The repository file, line and column a Helm error names, if it names one of this chart."""
    match = _ERROR_AT.search(message)
    if match is None:
        return None
    path = match.group("path")
    first, _, rest = path.partition("/")
    if first != chart_name or not rest:
        return None
    return (
        posixpath.join(chart_dir, rest) if chart_dir else rest,
        int(match.group("line")),
        int(match.group("column") or 1),
    )


# A separator that a trimming action (`{{- if ... -}}`) glued to what follows it: `---# ...`, or
# `---apiVersion: v1` (Rocket.Chat's monitoring chart). Helm splits a render on `---` wherever a line
# starts with it, whatever follows (releaseutil.SplitManifests: `(?:^|\s*\n)---\s*`), so that is
# the next document's; YAML would read the line as one plain scalar or key.
_GLUED_SEPARATOR = re.compile(r"^---(?=\S)", re.MULTILINE)
# Kinds that make pods: what a Service, a PodDisruptionBudget or an HPA of the chart may point at.
_WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Rollout"})
# A document's own kind, at the start of its line (not a `scaleTargetRef`'s or an owner's, indented).
_TOP_KIND = re.compile(r"""^kind:\s*["']?([A-Za-z][A-Za-z0-9]*)["']?\s*$""", re.MULTILINE)
# The condition a template's first action wraps it in (`{{- if include "ghost.host" . -}}`), comments aside.
_GUARD = re.compile(r"\{\{-?\s*(if\s[^}]*?)\s*-?\}\}")
# `kind: PodDisruptionBudget` as a template writes it (the kind is never a template expression in practice).
_KIND = re.compile(r"""^\s*kind:\s*["']?([A-Za-z][A-Za-z0-9]*)["']?\s*$""", re.MULTILINE)


class ChartRenderer:
    """Renders one chart with each of its value sets through `engine`."""

    def __init__(self, root: Path, engine: HelmEngine, read: Any, exists: Any) -> None:
        self.root = root
        self.engine = engine
        self.read = read  # repository path -> text or None
        self.exists = exists  # repository path -> bool
        self._segments: dict[str, list[TemplateSegment]] = {}
        self._repeats_reported: dict[str, set[str]] = {}  # template -> repeated keys reported
        self._values: dict[str, ValuesFile | None] = {}
        self._broken: set[str] = set()  # values files that are not YAML (an E001 of their own)
        # Values files Helm reads but relcheck could not (a repeated key): where their values came
        # from is not known, so a render with one places findings at the template lines.
        self._unplaced: set[str] = set()
        self._kinds: dict[str, frozenset[str]] = {}
        self._dependency_lines: dict[str, dict[str, tuple[str, int]]] = {}  # by chart: where it names each
        self._aliases: dict[str, dict[str, str]] = {}  # by chart: a dependency's alias -> its name
        # The repository's charts by name, for dependencies it holds itself (relcheck.render.siblings).
        self.siblings: dict[str, str] = {}

    def render_chart(self, chart_dir: str, settings: ChartSettings, out: Renders) -> None:
        from relcheck.syntax.yaml import YamlError, load_one

        chart_yaml = _join(chart_dir, "Chart.yaml")
        try:
            meta, _ = load_one(self.read(chart_yaml) or "")
        except YamlError as exc:
            problem = ParseProblem("E001", f"Chart.yaml: {exc.message}", exc.line, exc.column)
            lines = (self.read(chart_yaml) or "").split("\n")
            written = lines[exc.line - 1].strip() if 0 < exc.line <= len(lines) else ""
            if "{{" in written:
                # A chart's template that a build fills in (cockroachdb's `build/templates/`:
                # `version: {{ .Version }}`): not a chart yet, so nothing to render.
                message = (
                    f"Chart.yaml is a template (`{written}`): a build writes the chart from it, so it was not "
                    "rendered; check the chart it writes"
                )
                problem = ParseProblem("E002", message, exc.line, exc.column)
            out.problems.append((chart_yaml, problem))
            out.handled.add(chart_dir)
            return
        meta = meta if isinstance(meta, dict) else {}
        out.handled.add(chart_dir)
        if meta.get("type") == "library":
            return  # named templates for other charts: nothing to deploy
        name = str(meta.get("name") or posixpath.basename(chart_dir) or "chart")
        escape = self._escaping_link(chart_dir)
        if escape is not None:
            link, why = escape
            message = f"Helm chart {chart_dir or '.'} not rendered: {link} {why}"
            out.problems.append((chart_yaml, ParseProblem("E002", message)))
            return
        vendored = vendor_siblings(self.root, chart_dir, self.siblings, self.read) if self.siblings else None
        folder = vendored.folder if vendored is not None else str(self.root / chart_dir)
        steady = steady_copy(Path(folder))  # the same object names on every render (relcheck.render.steady)
        folders = _Folders(steady.folder if steady is not None else folder)
        try:
            self._render_value_sets(chart_dir, name, settings, out, vendored, folders)
        finally:
            folders.close()
            if steady is not None:
                steady.close()
            if vendored is not None:
                vendored.close()

    def _render_value_sets(
        self,
        chart_dir: str,
        name: str,
        settings: ChartSettings,
        out: Renders,
        vendored: Vendored | None,
        folders: _Folders,
    ) -> None:
        import time

        sources = vendored.sources if vendored is not None else {}
        defaults = self._values_file(_join(chart_dir, "values.yaml"), out)
        remote = remote_schema_reference(self.read(_join(chart_dir, "values.schema.json")) or "")
        if remote is not None:
            # Helm would download it to validate the values: not here. Rendered unvalidated.
            fetched = (
                "relcheck downloads nothing"
                if "://" in remote and not remote.startswith("file://")
                else "a file Helm reads from the folder it runs in, which relcheck does not follow"
            )
            message = (
                f"Helm chart {chart_dir or '.'}: values.schema.json refers to {remote}, {fetched}, so the values "
                "are not validated against the schema (the chart is rendered without it)"
            )
            out.problems.append((_join(chart_dir, "values.schema.json"), ParseProblem("E002", message)))
        refused: str | None = None  # the error with which the chart refuses its own values.yaml alone
        own_values_failed: int | None = None  # where the E001 of the render with values.yaml alone is
        ci_rendered = False
        empty_everywhere: set[str] | None = None  # workload templates that no render filled
        deploys = False  # whether any render wrote a workload
        value_sets = self._value_sets(chart_dir, settings)
        for label, files in value_sets:
            inline = settings.inline if label == settings.label else None
            chain = [v for v in [defaults, *(self._values_file(f, out) for f in files), inline] if v is not None]
            if any(f in self._broken for f in files):
                continue  # its E001 says why; Helm would refuse it too
            if any(f in self._unplaced for f in files):
                chain = []
            started = time.perf_counter()
            request = RenderRequest(
                folders.folder,
                [str(self.root / f) for f in files],
                settings.release or name,
                settings.namespace,
                inline.data if inline is not None else None,
                skip_schema=remote is not None,
            )
            output = self.engine.render(request)
            if output.kind == "dependencies":
                output = self._without_missing(chart_dir, folders, request, output, out)
            if output.error is not None and sources:
                output = _in_lent_chart(output, chart_dir, name, sources)
            render = f"{chart_dir or '.'}@{label}" if label else chart_dir or "."
            if output.error is not None:
                failure = self._failure(chart_dir, name, label, output, files, settings, output.error == refused)
                if failure[1].code == "E001" and folders.unvendored is not None:
                    failure = self._reads_a_missing_dependency(failure, chart_dir, label, folders.unvendored.names)
                if failure[1].code == "E002" and not label and not files:
                    refused = output.error
                if failure[1].code == "E001" and not label and not files and settings.inline is None:
                    own_values_failed = len(out.problems)
                out.problems.append(failure)
                if output.kind in ("dependencies", "timeout", "size", "engine"):
                    return  # the other value sets would fail the same way
                continue
            out.seconds[render] = time.perf_counter() - started  # the renders made, as the inventory counts them
            partial = folders.unvendored is not None
            withheld = self._withheld_workloads(chart_dir, output.manifests)
            written = len(out.objects)
            self._objects(chart_dir, render, label, output.manifests, chain, out, sources, partial, withheld)
            out.rendered.add(chart_dir)
            ci_rendered = ci_rendered or label.startswith("ci/")
            empty_everywhere = set(withheld) if empty_everywhere is None else empty_everywhere & set(withheld)
            deploys = deploys or any(obj.kind in _WORKLOAD_KINDS for obj in out.objects[written:])
        # Where another workload of the chart rendered, an empty template is an option left off (an
        # exporter, a replica set); where none did, nothing the chart deploys was checked.
        for template in sorted(empty_everywhere or ()) if not deploys else ():
            out.problems.append((template, self._never_rendered(chart_dir, template, ci_rendered)))
        if own_values_failed is not None and ci_rendered:
            out.problems[own_values_failed] = _refused_by_design(out.problems[own_values_failed], chart_dir)
        elif own_values_failed is not None and (schema := self._marketplace_schema(chart_dir)) is not None:
            # A Google Cloud Marketplace app's chart: its values.yaml leaves images and sizes empty
            # (`registry: null`), which the Marketplace's deployer fills from the app's schema.yaml.
            out.problems[own_values_failed] = _not_rendered_alone(
                out.problems[own_values_failed],
                chart_dir,
                f", whose values Google Cloud Marketplace's deployer gives (its schema: {schema}): {{said}}",
            )
        elif (
            own_values_failed is not None
            and len(value_sets) == 1
            and _UNSET_VALUE.search(out.problems[own_values_failed][1].message)
        ):
            # A template reads into a value its own values.yaml leaves out (openreplay's subcharts read
            # `.Values.global.s3.existingSecret`, given by the values file its installer passes): a
            # value every install gives, as with `required`. (Where the chart's own ci/ values files
            # fail too, its tests do not render it: that stays an E001.)
            template = next((n for n in VALUES_TEMPLATES if self.exists(_join(chart_dir, n))), None)
            if not self.exists(_join(chart_dir, "values.yaml")) and template is not None:
                out.problems[own_values_failed] = _values_written_by_the_build(
                    out.problems[own_values_failed], chart_dir, template
                )
            else:
                out.problems[own_values_failed] = _needs_a_value(out.problems[own_values_failed], chart_dir)

    def _marketplace_schema(self, chart_dir: str) -> str | None:
        """The schema.yaml of the Google Cloud Marketplace app the chart is deployed by (beside it or
        up to two folders above: `<app>/chart/<name>/` with `<app>/schema.yaml`), else None."""
        folder = chart_dir
        for _ in range(3):
            path = _join(folder, "schema.yaml")
            if _MARKETPLACE_SCHEMA.search(self.read(path) or ""):
                return path
            if not folder:
                return None
            folder = posixpath.dirname(folder)
        return None

    def _without_missing(
        self, chart_dir: str, folders: _Folders, request: RenderRequest, refused: RenderOutput, out: Renders
    ) -> RenderOutput:
        """Helm refused the chart for dependencies `charts/` lacks: render a copy without them
        (relcheck.render.unvendored), once per chart, and say what was left out. Helm's refusal
        stands when no copy can be made, when it still misses one (a dependency of another
        version), or, with why, when the chart does not render without them."""
        if folders.tried:
            return refused
        folders.tried = True
        copy = without_missing(Path(folders.folder))
        if copy is None:
            return refused
        output = self.engine.render(dataclasses.replace(request, chart_dir=copy.folder))
        if output.error is not None:
            copy.close()
            if output.kind == "dependencies":
                return refused
            said = " ".join(output.error.split())
            return RenderOutput(error=f"{refused.error}; without them it does not render: {said}", kind="dependencies")
        folders.use(copy)
        shown = chart_dir or "."
        names = ", ".join(copy.names)
        count = f"{len(copy.names)} dependenc{'y' if len(copy.names) == 1 else 'ies'}"
        message = (
            f"Helm chart {shown} rendered without {count} not in charts/ ({names}): relcheck downloads nothing, "
            "so what they deploy is not checked, and what the chart's objects point at in them is not called "
            f"missing; vendor them with `helm dependency build {shown}` to check them too"
        )
        where, line = self._named_at(chart_dir).get(copy.names[0], (_join(chart_dir, "Chart.yaml"), 1))
        out.problems.append((where, ParseProblem("E002", message, line, 1)))
        return output

    def _value_sets(self, chart_dir: str, settings: ChartSettings) -> list[tuple[str, list[str]]]:
        """The chart's own values plus the named files, then each `ci/*-values.yaml` alone."""
        sets = [(settings.label, list(settings.values))]
        if settings.with_ci:
            ci_dir = _join(chart_dir, "ci")
            ci_files = sorted(p for p in self._listing(ci_dir) if is_test_values(p))
            sets.extend((posixpath.relpath(p, chart_dir or "."), [p]) for p in ci_files)
        return sets

    def _listing(self, folder: str) -> list[str]:
        try:
            names = os.listdir(self.root / folder)
        except OSError:
            return []
        return [
            _join(folder, n)
            for n in names
            if not (self.root / folder / n).is_symlink() and (self.root / folder / n).is_file()
        ]

    def _values_file(self, path: str, out: Renders) -> ValuesFile | None:
        from relcheck.parsers.settings import parse_data

        if path in self._values:
            return self._values[path]
        text = self.read(path)
        if text is None:
            self._values[path] = None
            return None
        data, positions, problems = parse_data(path, text)
        broken = [p for p in problems if p.code == "E001"]
        if broken and all(p.message.startswith(DUPLICATE_KEY) for p in broken):
            # Helm reads such a file (the last value wins), so its render still runs; the tools that
            # read values strictly refuse it, so it stays an error.
            problems = [
                dataclasses.replace(p, message=f"{p.message}: Helm keeps the last value, while kustomize's Helm "
                "inflation and Flux's post-render refuse the file")
                if p in broken
                else p
                for p in problems
            ]
            self._unplaced.add(path)
        elif broken:
            self._broken.add(path)
        out.problems.extend((path, p) for p in problems)
        self._values[path] = ValuesFile(path, data if isinstance(data, dict) else {}, positions)
        return self._values[path]

    def _escaping_link(self, chart_dir: str) -> tuple[str, str] | None:
        """A link in the chart that Helm cannot load as the repository has it: one that leads out of
        the repository (Helm would read through it), or one to nothing (Helm refuses the chart).
        The link's path, and why."""
        root = os.path.realpath(self.root)
        for folder, dirs, files in os.walk(self.root / chart_dir):
            for name in [*dirs, *files]:
                full = os.path.join(folder, name)
                if os.path.islink(full):
                    target = os.path.realpath(full)
                    shown = Path(full).relative_to(self.root).as_posix()
                    if not Path(target).is_relative_to(root):
                        return shown, "is a link out of the repository"
                    if not os.path.exists(full):
                        return shown, f"is a link to {os.readlink(full)}, which is not in the repository"
        return None

    def _failure(
        self,
        chart_dir: str,
        name: str,
        label: str,
        output: RenderOutput,
        files: list[str],
        settings: ChartSettings,
        refused_as_defaults: bool = False,
    ) -> tuple[str, ParseProblem]:
        chart_yaml = _join(chart_dir, "Chart.yaml")
        if settings.where is not None and label == settings.label:  # a HelmRelease's render: at the object
            path, line, column = settings.where
            unplaced = dataclasses.replace(settings, where=None)
            problem = self._failure(chart_dir, name, label, output, files, unplaced, refused_as_defaults)
            return path, ParseProblem(problem[1].code, problem[1].message, line, column)
        shown = chart_dir or "."
        using = f" with {label}" if label else ""
        error = " ".join((output.error or "").split())
        for root in {os.path.realpath(self.root), str(self.root)}:  # paths as the repository names them
            error = error.replace(root + os.sep, "")
        if output.kind == "dependencies":
            message = (
                f"Helm chart {shown} not rendered: {error}; relcheck downloads nothing, vendor them with "
                f"`helm dependency build {shown}`"
            )
            return chart_yaml, ParseProblem("E002", message)
        if output.kind == "values":
            where = files[output.file_index] if 0 <= output.file_index < len(files) else chart_yaml
            return where, ParseProblem("E001", f"values file is not valid YAML for Helm: {error}")
        if output.kind == "schema":
            where = _join(chart_dir, "values.schema.json")
            if not label and not files and settings.inline is None and _only_missing(error):
                # A value the schema requires and values.yaml leaves empty (external-dns's `policy`):
                # every install gives it, so the chart's defaults alone are refused by design.
                message = (
                    f"Helm chart {shown} is not rendered with its own values.yaml alone, which its values.schema.json "
                    f"refuses by design: {error}; name the values it is deployed with in the config (helm.charts) "
                    "to check that render"
                )
                return where, ParseProblem("E002", message)
            if refused_as_defaults and label:
                message = (
                    f"Helm chart {shown} is not rendered{using} either: its values.schema.json refuses it as it "
                    f"refuses values.yaml alone ({error})"
                )
                return where, ParseProblem("E002", message)
            return where, ParseProblem("E001", f"the values{using} do not match values.schema.json: {error}")
        if output.kind == "lent":
            message = (
                f"Helm chart {shown} not rendered{using}: the repository's own chart that relcheck uses for a "
                f"dependency (it downloads nothing) does not render with it, perhaps at another version than "
                f"Chart.yaml asks for: {error}; vendor the dependencies with `helm dependency build {shown}` "
                "to check the chart"
            )
            return chart_yaml, ParseProblem("E002", message)
        if output.kind in ("timeout", "size", "engine", "internal"):
            return chart_yaml, ParseProblem("E002", f"Helm chart {shown} not rendered{using}: {error}")
        where = error_location(error, chart_dir, name)
        if where is not None:
            path, line, column = where
            # `template: x.yaml:9:22: executing ...`: the location is the finding's, not its message's.
            said = re.sub(rf"^(?:template: )?{_ERROR_AT.pattern}:?\s*", "", error)
            if "execution error at" in error and not label and not files and settings.inline is None:
                # The chart's `required` or `fail` refusing its own defaults: a value every install
                # must give (a password), not a broken chart.
                message = (
                    f"Helm chart {shown} is not rendered with its own values.yaml alone, which it refuses by design: "
                    f"{said}; name the values it is deployed with in the config (helm.charts) to check that render"
                )
                return path, ParseProblem("E002", message, line, column)
            if refused_as_defaults and label:
                # A ci/ values file that does not give that value either: the same refusal, not a new fault.
                message = (
                    f"Helm chart {shown} is not rendered{using} either: the chart refuses it as it refuses its own "
                    f"values.yaml alone ({said})"
                )
                return path, ParseProblem("E002", message, line, column)
            return path, ParseProblem("E001", f"Helm cannot render chart {shown}{using}: {said}", line, column)
        return chart_yaml, ParseProblem("E001", f"Helm cannot render chart {shown}{using}: {error}")

    def _objects(
        self,
        chart_dir: str,
        render: str,
        label: str,
        manifests: dict[str, str],
        chain: list[ValuesFile],
        out: Renders,
        sources: dict[str, str],
        partial: bool,
        withheld: tuple[str, ...],
    ) -> None:
        from relcheck.parsers.kubernetes import parse_manifests

        chart_kinds = self._template_kinds(chart_dir) if label.startswith("ci/") else frozenset()

        for key in sorted(manifests):
            text = manifests[key]
            if key.endswith("NOTES.txt") or not text.strip():
                continue
            _, _, inside = key.partition("/")
            if any(inside.startswith(f"{prefix}/") for prefix in sources):
                # A dependency the repository holds is a chart of the scan, whose objects its own
                # render checks at its own values; here it only lends its templates to this chart.
                continue
            path = _join(chart_dir, inside)
            if not self.exists(path):
                path = self._unaliased(chart_dir, inside) or path
            packaged = None if self.exists(path) else self._dependency_entry(chart_dir, inside)
            if packaged is not None:  # a packaged subchart: its objects are shown at its Chart.yaml entry
                path, line = packaged
            # Helm and kubectl keep a repeated key's last value: the object is deployed, and checked.
            objects, problems = parse_manifests(path, _GLUED_SEPARATOR.sub("---\n", text), last_wins=True)
            using = f" with {label}" if label else ""
            for problem in problems:
                if not problem.message.startswith(DUPLICATE_KEY):
                    message = f"what this template renders{using} is not valid YAML: {problem.message}"
                    out.problems.append((path, ParseProblem("E001", message)))
            # Repeated keys: one problem per template, each key once over the chart's renders (its
            # ci/ values render the same labels helper again).
            reported = self._repeats_reported.setdefault(path, set())
            repeats = [
                p.message.removeprefix(DUPLICATE_KEY).strip()
                for p in problems
                if p.message.startswith(DUPLICATE_KEY)
            ]
            repeats = [r for r in dict.fromkeys(repeats) if r not in reported]
            if repeats:
                reported.update(repeats)
                keys = "s " + ", ".join(repeats) if len(repeats) > 1 else " " + repeats[0]
                message = (
                    f"what this template renders{using} is not valid YAML: {DUPLICATE_KEY}{keys}: Helm and "
                    "kubectl keep the last value, while Flux's helm-controller and kustomize's Helm inflation "
                    "refuse the manifest"
                )
                out.problems.append((path, ParseProblem("E001", message)))
            if packaged is not None:
                segments = [TemplateSegment(first_line=line, last_line=line)]
            else:
                if path not in self._segments:
                    self._segments[path] = index_template(self.read(path) or "")
                segments = self._segments[path]
            aligned = align_segments(segments, [obj.kind for obj in objects])
            for obj, segment in zip(objects, aligned, strict=True):
                if is_test_hook(obj):
                    continue
                origin = HelmValuesOrigin(path, segment, chain)
                out.objects.append(
                    RenderedObject(
                        path=path,
                        data=obj.data,
                        positions=mapped_positions(obj.positions, segment, origin.holds),
                        base=obj.base,
                        span=(segment.first_line, segment.last_line),
                        render=render,
                        origin=origin,
                        rendered_by=f"Helm chart {chart_dir or '.'}" + (f" with {label}" if label else ""),
                        chart_kinds=chart_kinds,
                        partial=partial,
                        withheld=withheld,
                    )
                )

    def _never_rendered(self, chart_dir: str, template: str, ci_rendered: bool) -> ParseProblem:
        """A workload template that every render of the chart left empty, in a chart that rendered no
        workload at all: nothing it deploys is checked (bitnami's Ghost deploys nothing until
        `ghostHost` is set, or its LoadBalancer has an IP)."""
        text = self.read(template) or ""
        kinds = sorted(_WORKLOAD_KINDS.intersection(_TOP_KIND.findall(text)))
        guard = _GUARD.search(text)
        condition = f" (`{{{{ {guard.group(1).strip()} }}}}` is false)" if guard else " (a condition is false)"
        values = "the chart's values and its ci/ values files" if ci_rendered else "the chart's values"
        message = (
            f"Helm chart {chart_dir or '.'}: {template} writes a {' and a '.join(kinds)} but renders nothing "
            f"with {values}{condition}, so that workload is not checked; add a ci/*-values.yaml that sets "
            "what it needs"
        )
        line = text.count("\n", 0, guard.start()) + 1 if guard else 1
        return ParseProblem("E002", message, line, 1)

    def _withheld_workloads(self, chart_dir: str, manifests: dict[str, str]) -> tuple[str, ...]:
        """The chart's own templates that write a workload and rendered nothing with these values:
        a condition around them (bitnami's Ghost chart deploys nothing until `ghostHost` is set)."""
        found = []
        for key, text in manifests.items():
            _, _, inside = key.partition("/")
            if text.strip() or not inside.startswith("templates/") or key.endswith("NOTES.txt"):
                continue
            path = _join(chart_dir, inside)
            if _WORKLOAD_KINDS.intersection(_TOP_KIND.findall(self.read(path) or "")):
                found.append(path)
        return tuple(sorted(found))

    def _unaliased(self, chart_dir: str, inside: str) -> str | None:
        """The repository file of a template Helm names by a dependency's alias: growthbook's
        `charts/frontend/templates/x.yaml` is `charts/server/templates/x.yaml`, the `server` chart
        its Chart.yaml lists twice, as `frontend` and as `backend`."""
        parts = inside.split("/")
        if len(parts) < 3 or parts[0] != "charts":
            return None
        if chart_dir not in self._aliases:
            named = chart_aliases(chart_dir, self.read)
            self._aliases[chart_dir] = {alias: name for name, aliases in named.items() for alias in aliases}
        name = self._aliases[chart_dir].get(parts[1])
        return _join(chart_dir, "/".join(["charts", name, *parts[2:]])) if name else None

    def _dependency_entry(self, chart_dir: str, inside: str) -> tuple[str, int]:
        """Where the chart names the packaged dependency a rendered template comes from (`charts/
        frr-k8s/templates/x.yaml` of `frr-k8s-0.0.25.tgz`): its `alias:` or `- name:` line in
        Chart.yaml (requirements.yaml for apiVersion v1), else line 1 of Chart.yaml."""
        parts = inside.split("/")
        dependency = parts[1] if len(parts) > 2 and parts[0] == "charts" else ""
        return self._named_at(chart_dir).get(dependency, (_join(chart_dir, "Chart.yaml"), 1))

    def _reads_a_missing_dependency(
        self, failure: tuple[str, ParseProblem], chart_dir: str, label: str, missing: list[str]
    ) -> tuple[str, ParseProblem]:
        """A render that fails reading into the values of a dependency left out for not being in
        charts/ (loki's `ci/non-default-values.yaml` enables minio, and the chart's helpers read
        `.Values.minio.service.port`, which minio's own values.yaml sets): an E002, as the missing
        dependency is, not a fault of the chart."""
        path, problem = failure
        unset = _UNSET_KEY.search(problem.message)
        if unset is None:
            return failure
        if chart_dir not in self._aliases:
            named = chart_aliases(chart_dir, self.read)
            self._aliases[chart_dir] = {alias: name for name, aliases in named.items() for alias in aliases}
        key = unset.group(1)
        dependency = key if key in missing else self._aliases[chart_dir].get(key)
        if dependency not in missing:
            return failure
        shown = chart_dir or "."
        using = f" with {label}" if label else ""
        said = problem.message.split(": ", 1)[-1]
        message = (
            f"Helm chart {shown} not rendered{using}: its templates read `.Values.{key}`, the values of the "
            f"dependency {dependency}, which is not in charts/ ({said}); relcheck downloads nothing, vendor "
            f"the dependencies with `helm dependency build {shown}` to check that render"
        )
        return path, ParseProblem("E002", message, problem.line, problem.column)

    def _named_at(self, chart_dir: str) -> dict[str, tuple[str, int]]:
        """Where the chart names each dependency (relcheck.render.siblings.dependency_lines), read once."""
        if chart_dir not in self._dependency_lines:
            self._dependency_lines[chart_dir] = dependency_lines(chart_dir, self.read)
        return self._dependency_lines[chart_dir]

    def _template_kinds(self, chart_dir: str) -> frozenset[str]:
        """The kinds the chart's templates can write, whatever the values: what a test install's
        values left out is still offered to a deployment (a PodDisruptionBudget behind `pdb.enabled`)."""
        if chart_dir not in self._kinds:
            kinds: set[str] = set()
            top = self.root / chart_dir / "templates"
            for folder, _, names in os.walk(top):
                for name in names:
                    if name.endswith((".yaml", ".yml", ".tpl")):
                        path = Path(folder, name).relative_to(self.root).as_posix()
                        kinds.update(_KIND.findall(self.read(path) or ""))
            self._kinds[chart_dir] = frozenset(kinds)
        return self._kinds[chart_dir]


def _in_lent_chart(output: RenderOutput, chart_dir: str, name: str, sources: dict[str, str]) -> RenderOutput:
    """A render error in the templates of a chart of the repository that stands in for a dependency
    (relcheck.render.siblings: `helm dependency build` would download the version Chart.yaml asks
    for, not the repository's): the stand-in's failure, not the chart's, so not an E001."""
    where = error_location(output.error or "", chart_dir, name)
    if where is None:
        return output
    inside = where[0][len(chart_dir) + 1 :] if chart_dir else where[0]
    if not any(inside.startswith(f"{prefix}/") for prefix in sources):
        return output
    return dataclasses.replace(output, kind="lent")


class _Folders:
    """The folder Helm renders a chart from: the repository's (or a copy with the sibling charts it
    depends on), then, once Helm refused that for missing dependencies, a copy without them."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.unvendored: Unvendored | None = None
        self.tried = False  # whether a copy without the missing dependencies was tried

    def use(self, copy: Unvendored) -> None:
        self.unvendored, self.folder = copy, copy.folder

    def close(self) -> None:
        if self.unvendored is not None:
            self.unvendored.close()


def _join(folder: str, name: str) -> str:
    return posixpath.join(folder, name) if folder else name


def chart_folders(paths: list[str]) -> list[str]:
    """Folders with a Chart.yaml, less subcharts (a chart's `charts/` is rendered with it)."""
    charts = sorted({p.rsplit("/", 1)[0] if "/" in p else "" for p in paths if p.rsplit("/", 1)[-1] == "Chart.yaml"})
    top = []
    for chart in charts:
        if any(chart.startswith(_join(parent, "charts/")) for parent in charts if parent != chart):
            continue
        top.append(chart)
    return top


# Google Cloud Marketplace's application schema (`x-google-marketplace:` at the top of schema.yaml).
_MARKETPLACE_SCHEMA = re.compile(r"^x-google-marketplace:", re.MULTILINE)
# `at <.Values.global.s3.existingSecret>: nil pointer evaluating interface {}.existingSecret`
# (also through a `dict`'s `.ctx.Values...`): a template reads into a value that is not set.
_UNSET_VALUE = re.compile(r"at <[^>]*\.Values\.[^>]*>: nil pointer evaluating ")
# The top-level key of that value (`minio` in `at <.Values.minio.service.port>`).
_UNSET_KEY = re.compile(r"at <[^>]*?\.Values\.([\w-]+)[^>]*>: nil pointer evaluating ")


def _only_missing(error: str) -> bool:
    """Whether every complaint of a schema error is a required value that is not there."""
    complaints = re.findall(r"- at '[^']*': (.+?)(?= - at '|$)", error)
    return bool(complaints) and all(c.startswith("missing propert") for c in complaints)


def _needs_a_value(failure: tuple[str, ParseProblem], chart_dir: str) -> tuple[str, ParseProblem]:
    """A chart whose own values.yaml leaves out a value a template reads into: an E002, as a
    `required` refusal is (relcheck cannot tell a value every install gives from a misspelt one)."""
    return _not_rendered_alone(failure, chart_dir, ", which leaves out a value a template reads: {said}")


# Where a chart keeps the template its build fills in to write values.yaml (envoy gateway's
# `values.tmpl.yaml`, through envsubst).
VALUES_TEMPLATES = ("values.tmpl.yaml", "values.yaml.tmpl", "values.yaml.tpl", "values.template.yaml")


def _values_written_by_the_build(
    failure: tuple[str, ParseProblem], chart_dir: str, template: str
) -> tuple[str, ParseProblem]:
    """A chart without values.yaml whose build writes it from a template: not rendered with the
    template (its placeholders would pass for images and names), and said so."""
    path, problem = failure
    said = problem.message.split(": ", 1)[-1]
    message = (
        f"Helm chart {chart_dir or '.'} has no values.yaml: its build writes one from {template} (a template with "
        f"placeholders), and without values a template reads a value that is not set ({said}); name the values "
        "it is deployed with in the config (helm.charts) to check that render"
    )
    return path, ParseProblem("E002", message, problem.line, problem.column)


def _refused_by_design(failure: tuple[str, ParseProblem], chart_dir: str) -> tuple[str, ParseProblem]:
    """A chart that cannot render with its values.yaml alone while its own ci/ values files render
    (a datastore every install configures, left empty): not a broken chart, and its ci/ renders
    were checked. An E002, not an E001."""
    return _not_rendered_alone(failure, chart_dir, " ({said}); its ci/ values files render, and were checked")


def _not_rendered_alone(failure: tuple[str, ParseProblem], chart_dir: str, why: str) -> tuple[str, ParseProblem]:
    """The E001 of a render with the chart's values.yaml alone, as the E002 it is: `why` says it,
    with `{said}` for Helm's error."""
    path, problem = failure
    said = problem.message.split(": ", 1)[-1]
    message = (
        f"Helm chart {chart_dir or '.'} is not rendered with its own values.yaml alone{why.format(said=said)}; "
        "name the values it is deployed with in the config (helm.charts) to check that render"
    )
    return path, ParseProblem("E002", message, problem.line, problem.column)
