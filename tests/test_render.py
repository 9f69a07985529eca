"""Helm charts and kustomize overlays rendered by their own engines, findings on the lines that set them.

Tests that render need Helm (the `helm` extra, or `helm` on PATH) or kustomize (`kustomize` or
`kubectl` on PATH) and skip without them; CI installs the extra."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from relcheck.config.loader import Config
from relcheck.render import run as render_run
from relcheck.render.engines import ExecutableEngine, RenderRequest, SdkEngine, kustomize_command, split_sources
from relcheck.render.template_index import index_template, locate
from relcheck.scan.engine import scan

RENDER = Path(__file__).parent / "fixtures" / "render"
HAS_SDK = importlib.util.find_spec("helm_python") is not None
# CI installs the extra and sets this: there, a missing engine fails the tests instead of skipping them.
REQUIRED = bool(os.environ.get("RELCHECK_REQUIRE_HELM"))
needs_helm = pytest.mark.skipif(
    not (HAS_SDK or shutil.which("helm") or REQUIRED), reason="no Helm engine: pip install '.[helm]' or helm on PATH"
)
needs_sdk = pytest.mark.skipif(not (HAS_SDK or REQUIRED), reason="the helm extra is not installed")
needs_kustomize = pytest.mark.skipif(kustomize_command() is None, reason="neither kustomize nor kubectl on PATH")


def placed(result, *codes: str) -> list[tuple[str, str, int, int]]:
    return sorted(
        (f.code, f.location.path, f.location.line, f.location.column)
        for f in result.findings
        if not codes or f.code in codes
    )


def make_chart(folder: Path, templates: dict[str, str], chart_yaml: str = "") -> Path:
    """A chart named after its folder, with these templates."""
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text(f"apiVersion: v2\nname: {folder.name}\nversion: 1.0.0\n{chart_yaml}")
    for name, text in templates.items():
        (folder / "templates" / name).write_text(text)
    return folder


LOOP = "{{- range $i := until 100000000 }}{{- range $j := until 100000000 }}{{ end }}{{ end }}\n"


def _one_container_deployment(name: str) -> str:
    """A Deployment of 3 replicas whose one container, its app and its image are all `name`."""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 3\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
        f"    spec:\n      containers: [{{name: {name}, image: 'example/{name}:1.0.0'}}]\n"
    )


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(RENDER / name, target)
    return target


# --- Helm ---------------------------------------------------------------------------------------


@needs_helm
def test_values_key_is_where_a_bad_value_is_reported_with_the_template_line_beside_it() -> None:
    result = scan([RENDER / "helm"], Config(), select=["K014", "K002", "K006"])
    api = [f for f in result.findings if f.location.path.startswith("charts/api/")]
    assert placed_of(api) == [
        ("K002", "charts/api/templates/deployment.yaml", 36, 11),  # the probe the template leaves out
        ("K006", "charts/api/values.yaml", 114, 1),  # `resources: {}`
        ("K014", "charts/api/values.yaml", 6, 1),  # `replicaCount: 1`
    ]
    replicas = next(f for f in api if f.code == "K014")
    assert [(r.location.path, r.location.line, r.message) for r in replicas.related] == [
        ("charts/api/templates/deployment.yaml", 9, "the template line that prints this value")
    ]
    memory = next(f for f in api if f.code == "K006")
    assert [(r.location.path, r.location.line) for r in memory.related] == [
        ("charts/api/templates/deployment.yaml", 52)
    ]


def placed_of(findings) -> list[tuple[str, str, int, int]]:
    return sorted((f.code, f.location.path, f.location.line, f.location.column) for f in findings)


@needs_helm
def test_each_ci_values_file_is_a_render_of_its_own() -> None:
    result = scan([RENDER / "helm"], Config(), select=["K006", "K014", "K023"])
    worker = placed_of(f for f in result.findings if f.location.path.startswith("charts/worker/"))
    # The ci render's own `resources` (requests, no limits) configure a test install: not reported.
    assert worker == [
        ("K006", "charts/worker/values.yaml", 114, 1),  # the default render: `resources: {}`
        ("K014", "charts/worker/values.yaml", 6, 1),  # only the default render runs one replica
        ("K023", "charts/worker/templates/deployment.yaml", 4, 3),  # three replicas and no PDB: the ci render
    ]
    assert {"charts/worker", "charts/worker@ci/prod-values.yaml"} <= set(result.renders)


@needs_helm
def test_a_ci_render_without_the_pdb_the_chart_offers_is_the_tests_choice(tmp_path: Path) -> None:
    """prom-label-proxy's ci values turn autoscaling on and leave `podDisruptionBudget: {}`: the
    chart has a PDB template behind that value, so K023 there would fault a test install's values.
    The worker chart above has no PDB template: its ci render's K023 stays (the chart's gap)."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: proxy}\nspec:\n"
        "  replicas: {{ .Values.replicas }}\n"
        "  selector: {matchLabels: {app: proxy}}\n  template:\n    metadata: {labels: {app: proxy}}\n"
        "    spec:\n      containers: [{name: proxy, image: 'example/proxy:0.11.0'}]\n"
    )
    pdb = (
        "{{- if .Values.pdb }}\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: proxy}\n"
        "spec:\n  selector: {matchLabels: {app: proxy}}\n  {{- toYaml .Values.pdb | nindent 2 }}\n{{- end }}\n"
    )
    chart = make_chart(tmp_path / "proxy", {"deployment.yaml": deployment, "pdb.yaml": pdb})
    (chart / "values.yaml").write_text("replicas: 1\npdb: {}\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "scale-values.yaml").write_text("replicas: 3\n")
    assert placed(scan([tmp_path], Config(), select=["K023"])) == []
    (chart / "templates" / "pdb.yaml").unlink()
    assert placed(scan([tmp_path], Config(), select=["K023"])) == [("K023", "proxy/templates/deployment.yaml", 3, 1)]


@needs_helm
def test_a_template_line_that_renders_another_kind_with_test_values_is_one_finding(tmp_path: Path) -> None:
    """prometheus-community's prometheus chart renders `server` as a Deployment, and with its ci/
    values as a StatefulSet or a DaemonSet: the same missing limit at the same template line was
    reported once per kind. One finding, in the words of the render with the chart's own values."""
    workload = (
        "apiVersion: apps/v1\nkind: {{ .Values.kind }}\nmetadata:\n  name: server\nspec:\n"
        "  selector: {matchLabels: {app: server}}\n  template:\n    metadata: {labels: {app: server}}\n"
        "    spec:\n      containers:\n        - {name: server, image: 'example/server:2.1.0'}\n"
    )
    chart = make_chart(tmp_path / "server", {"workload.yaml": workload})
    (chart / "values.yaml").write_text("kind: Deployment\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "daemonset-values.yaml").write_text("kind: DaemonSet\n")
    (chart / "ci" / "statefulset-values.yaml").write_text("kind: StatefulSet\n")
    result = scan([tmp_path], Config(), select=["K006"])
    assert [(f.location.path, f.location.line, f.message) for f in result.findings] == [
        (
            "server/templates/workload.yaml",
            10,
            "container 'server' of Deployment 'server': no resources.limits.memory: a leak can take the node's memory",
        )
    ]


@needs_helm
def test_a_test_install_that_changes_only_a_count_in_the_message_is_one_finding(tmp_path: Path) -> None:
    """mattermost's chart: its ci/ values set `replicaCount: 1`, and the rollout strategy at the
    same values key was reported twice ("1 pod of 1", "1 pod of 2"). One finding, in the words of
    the chart's own values."""
    workload = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n"
        "  replicas: {{ .Values.replicas }}\n"
        "  strategy: {{ toYaml .Values.strategy | nindent 4 }}\n"
        "  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n"
        "    spec:\n      containers:\n        - {name: app, image: 'example/app:2.1.0'}\n"
    )
    chart = make_chart(tmp_path / "app", {"deployment.yaml": workload})
    (chart / "values.yaml").write_text(
        "replicas: 2\nstrategy:\n  type: RollingUpdate\n  rollingUpdate:\n    maxSurge: 1\n    maxUnavailable: 1\n"
    )
    (chart / "ci").mkdir()
    (chart / "ci" / "default-values.yaml").write_text("replicas: 1\n")
    result = scan([tmp_path], Config(), select=["K015"])
    assert [(f.location.path, f.location.line, f.message.split(": ")[1][:30]) for f in result.findings] == [
        ("app/values.yaml", 6, "1 pod of 2 may be down at once")
    ]


@needs_helm
def test_a_test_installs_finding_where_the_charts_own_render_has_one_is_left_to_it(tmp_path: Path) -> None:
    """prometheus-community's prometheus chart: with its own values the server mounts a ReadWriteOnce
    claim, so Recreate is what the volume needs (an info); its ci/ values turn persistence off, and
    the same strategy key was an error there too. The chart's own render speaks for that place."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: server\nspec:\n  replicas: 1\n"
        "  strategy: {{ toYaml .Values.strategy | nindent 4 }}\n"
        "  selector: {matchLabels: {app: server}}\n  template:\n    metadata: {labels: {app: server}}\n"
        "    spec:\n      containers: [{name: server, image: 'example/server:2.1.0'}]\n"
        "      {{- if .Values.persistence }}\n"
        "      volumes: [{name: data, persistentVolumeClaim: {claimName: server}}]\n"
        "      {{- end }}\n"
    )
    claim = (
        "{{- if .Values.persistence }}\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: server}\n"
        "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 8Gi}}}\n{{- end }}\n"
    )
    chart = make_chart(tmp_path / "server", {"deployment.yaml": deployment, "pvc.yaml": claim})
    (chart / "values.yaml").write_text("persistence: true\nstrategy:\n  type: Recreate\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "no-volume-values.yaml").write_text("persistence: false\n")
    result = scan([tmp_path], Config(), select=["K015"])
    assert [(f.location.path, f.severity.label) for f in result.findings] == [("server/values.yaml", "info")]
    assert "as its ReadWriteOnce volume (PersistentVolumeClaim 'server') requires" in result.findings[0].message


@needs_helm
def test_a_test_install_that_takes_a_containers_setting_away_is_the_tests_choice(tmp_path: Path) -> None:
    """grafana's alloy chart: its readiness probe is behind `enableHttpServerPort`, on by default; a
    ci/ values file turns it off to test that install, and K002 was an error on a container the
    chart's own render deploys with the probe. A container the chart's own render does not deploy
    (here in a workload of another name) is still checked in the ci/ render."""
    daemonset = (
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {{ .Values.name }}\nspec:\n"
        "  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n"
        "    spec:\n      containers:\n        - name: agent\n          image: 'example/agent:1.4.0'\n"
        "          livenessProbe: {httpGet: {path: /-/healthy, port: 12345}}\n"
        "          {{- if .Values.limits }}\n"
        "          resources: {limits: {memory: 512Mi}, requests: {cpu: 100m, memory: 512Mi}}\n"
        "          {{- end }}\n"
    )
    chart = make_chart(tmp_path / "agent", {"daemonset.yaml": daemonset})
    (chart / "values.yaml").write_text("name: agent\nlimits: true\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "no-limits-values.yaml").write_text("limits: false\n")
    assert scan([tmp_path], Config(), select=["K006"]).findings == []
    (chart / "ci" / "no-limits-values.yaml").write_text("name: edge\nlimits: false\n")
    result = scan([tmp_path], Config(), select=["K006"])
    assert [f.message.split(":")[0] for f in result.findings] == ["container 'agent' of DaemonSet 'edge'"]


@needs_helm
def test_a_values_schema_that_names_a_remote_schema_is_not_downloaded(tmp_path: Path) -> None:
    """Datadog's private-action-runner chart: its values.schema.json `$ref`s the Kubernetes
    definitions on raw.githubusercontent.com, which Helm downloads to validate the values (and the
    render failed when it could not). Nothing is downloaded: an info says the values are not
    validated, and the chart is rendered and checked."""
    deployment = _one_container_deployment("runner")
    chart = make_chart(tmp_path / "runner", {"deployment.yaml": deployment})
    (chart / "values.yaml").write_text("resources: {}\n")
    (chart / "values.schema.json").write_text(
        '{"type": "object", "properties": {"resources": {"$ref": '
        '"https://raw.githubusercontent.com/instrumenta/kubernetes-json-schema/master/v1.18.0/_definitions.json'
        '#/definitions/io.k8s.api.core.v1.ResourceRequirements"}}}\n'
    )
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert placed(result) == [
        ("E002", "runner/values.schema.json", 1, 1),
        ("K006", "runner/templates/deployment.yaml", 11, 7),
    ]
    notice = next(f for f in result.findings if f.code == "E002")
    assert "refers to https://raw.githubusercontent.com/instrumenta/" in notice.message


@needs_helm
def test_a_values_schema_that_names_another_file_is_not_followed(tmp_path: Path) -> None:
    """bjw-s's `common` library tests itself with a chart whose values.schema.json is only
    `{"$ref": "file://../values.schema.json"}`: Helm resolves it from the folder it runs in, and the
    render failed with an E001 naming `/values.schema.json`. It is rendered without the schema, as a
    remote one is, and an info says so."""
    deployment = _one_container_deployment("web")
    chart = make_chart(tmp_path / "library" / "test-chart", {"deployment.yaml": deployment})
    (chart / "values.yaml").write_text("replicas: 3\n")
    (chart / "values.schema.json").write_text('{\n  "$ref": "file://../values.schema.json"\n}\n')
    (tmp_path / "library" / "values.schema.json").write_text('{"type": "object", "required": ["absent"]}\n')
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert placed(result) == [
        ("E002", "library/test-chart/values.schema.json", 1, 1),
        ("K006", "library/test-chart/templates/deployment.yaml", 11, 7),
    ]
    notice = next(f for f in result.findings if f.code == "E002")
    assert "refers to file://../values.schema.json, a file Helm reads from the folder it runs in" in notice.message


@needs_helm
def test_a_chart_copied_to_leave_out_a_remote_schema_keeps_its_relative_links(tmp_path: Path) -> None:
    """NGINX's chart links `crds -> ../../config/crd/bases/` and has a values.schema.json that names
    a remote schema, so it is rendered from a copy: the link must lead where it leads in the
    repository (it led nowhere, and the chart failed with an E001 naming a temporary folder)."""
    deployment = _one_container_deployment("web")
    chart = make_chart(tmp_path / "charts" / "web", {"deployment.yaml": deployment})
    (chart / "values.schema.json").write_text(
        '{"type": "object", "properties": {"resources": {"$ref": "https://example.com/defs.json#/r"}}}\n'
    )
    crds = tmp_path / "config" / "crd" / "bases"
    crds.mkdir(parents=True)
    (crds / "example.com_widgets.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n"
    )
    (chart / "crds").symlink_to("../../config/crd/bases/", target_is_directory=True)
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert placed(result) == [
        ("E002", "charts/web/values.schema.json", 1, 1),
        ("K006", "charts/web/templates/deployment.yaml", 11, 7),
    ]


def test_a_local_schema_reference_is_no_remote_one() -> None:
    from relcheck.render.helm import remote_schema_reference

    assert remote_schema_reference('{"$ref": "#/definitions/port"}') is None
    assert remote_schema_reference('{"$ref" : "http://example.com/s.json#/x"}') == "http://example.com/s.json"


@needs_helm
@pytest.mark.parametrize("after", ["\n# the second document\n", ""])
def test_a_separator_glued_to_the_next_line_by_a_trimming_action_splits_as_helm_splits(
    tmp_path: Path, after: str
) -> None:
    """cert-manager's rbac.yaml: `---`, a blank line, `{{- if ... -}}`, a blank line, `# comment`
    renders `---# comment`; Rocket.Chat's monitoring chart renders `---apiVersion: ...` the same way.
    Helm splits on `---` at a line's start whatever follows (releaseutil.SplitManifests): two
    documents, not an E001 for a line YAML would read as one scalar or key."""
    template = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: first}}\n---\n\n{{{{- if true -}}}}\n{after}"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: second}\nspec:\n"
        "  selector: {matchLabels: {app: second}}\n  template:\n    metadata: {labels: {app: second}}\n"
        "    spec:\n      containers:\n        - {name: second, image: 'example/second:1.0.0'}\n{{- end }}\n"
    )
    make_chart(tmp_path / "glued", {"all.yaml": template})
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert [(f.code, f.message.split(":")[0]) for f in result.findings] == [
        ("K006", "container 'second' of Deployment 'second'")
    ]


@needs_helm
def test_a_rendered_charts_committed_output_is_not_checked_again(tmp_path: Path) -> None:
    """OpenTelemetry's charts commit what `helm template` prints for each example under
    `examples/<name>/rendered/`: copies of the chart's objects, whose findings doubled the chart's.
    Once the chart renders, they are one E002 saying so; a chart that does not render keeps them."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: collector}\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: collector}}\n  template:\n    metadata: {labels: {app: collector}}\n"
        "    spec:\n      containers:\n        - {name: collector, image: 'example/collector:0.1.0'}\n"
    )
    chart = make_chart(tmp_path / "collector", {"deployment.yaml": deployment})
    (chart / "examples" / "default" / "rendered").mkdir(parents=True)
    (chart / "examples" / "default" / "rendered" / "deployment.yaml").write_text(deployment)
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert [(f.code, f.location.path) for f in result.findings] == [
        ("E002", "collector/examples/default/rendered/deployment.yaml"),
        ("K006", "collector/templates/deployment.yaml"),
    ]
    assert "own rendered output" in result.findings[0].message
    (chart / "templates" / "deployment.yaml").write_text('{{ fail "the chart is broken" }}\n' + deployment)
    broken = scan([tmp_path], Config(), select=["K006"])
    assert "collector/examples/default/rendered/deployment.yaml" in [f.location.path for f in broken.findings]


@needs_helm
def test_a_dependency_the_repository_holds_is_rendered_from_its_folder(tmp_path: Path) -> None:
    """A chart repository's charts depend on each other by their published address (or by
    `file://`), and its CI downloads them into charts/. The chart of the same name in the repository
    is used instead, in a temporary copy: the repository is not written, the dependency's own
    objects are left to its own render. Its version is not checked, as `helm template` does not
    check it: bitnami's charts depend on versions of their siblings the repository has moved past."""
    common = make_chart(
        tmp_path / "charts" / "common",
        {"_helpers.tpl": '{{- define "common.labels" -}}app: {{ .Chart.Name }}{{- end }}\n'},
        "type: library\n",
    )
    (common / "Chart.yaml").write_text("apiVersion: v2\nname: common\nversion: 0.3.2\ntype: library\n")
    worker = make_chart(
        tmp_path / "charts" / "worker",
        {
            "deployment.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  replicas: 3\n"
                "  selector: {matchLabels: {app: worker}}\n  template:\n    metadata:\n      labels:\n"
                '        {{- include "common.labels" . | nindent 8 }}\n    spec:\n      containers:\n'
                "        - name: worker\n          image: example/worker:1.0.0\n"
            )
        },
    )
    make_chart(
        tmp_path / "charts" / "cache",
        {
            "statefulset.yaml": (
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ .Release.Name }}-cache\nspec:\n"
                "  replicas: 3\n  selector: {matchLabels: {app: cache}}\n  template:\n"
                "    metadata: {labels: {app: cache}}\n    spec:\n      containers:\n"
                "        - {name: cache, image: 'example/cache:7.2.0'}\n"
            )
        },
    )
    dependency = (
        "dependencies:\n  - name: common\n    version: 0.3.*\n    repository: {}\n"
        "  - name: cache\n    alias: store\n    version: 1.0.0\n    repository: https://charts.example.com\n"
    )
    chart_yaml = "apiVersion: v2\nname: worker\nversion: 1.0.0\n"
    for repository in ("oci://ghcr.io/example/charts", "file://../common"):
        (worker / "Chart.yaml").write_text(chart_yaml + dependency.format(repository))
        result = scan([tmp_path], Config(), select=["E", "K006"])
        assert placed(result) == [
            ("K006", "charts/cache/templates/statefulset.yaml", 11, 7),  # the cache chart's own render
            ("K006", "charts/worker/templates/deployment.yaml", 14, 9),
        ], repository
        # The dependency's objects are checked in its own render, not again in the worker's.
        assert "container 'cache' of StatefulSet 'cache-cache'" in result.findings[0].message
    assert not (worker / "charts").exists()
    (worker / "Chart.yaml").write_text(chart_yaml + dependency.format("oci://x").replace("0.3.*", "1.*"))
    other_version = scan([tmp_path], Config(), select=["E", "K006"])
    assert placed(other_version) == placed(result)
    # A relative link means something else from a copy elsewhere: a chart holding one is not copied.
    (worker / "Chart.yaml").write_text(chart_yaml + dependency.format("oci://x"))
    (tmp_path / "shared.txt").write_text("shared\n")
    (worker / "shared.txt").symlink_to("../../shared.txt")
    linked = scan([tmp_path], Config(), select=["E"])
    assert [(f.code, f.location.path) for f in linked.findings] == [("E002", "charts/worker/Chart.yaml")]
    assert "common (missing)" in linked.findings[0].message


@needs_helm
def test_a_repeated_key_a_template_renders_is_an_e001_and_the_object_is_still_checked(tmp_path: Path) -> None:
    """aws-dranet's DaemonSet writes `app:` twice in its labels (a helper and the template both
    do). Helm and kubectl keep the last value and deploy it, so it is checked; Flux and kustomize
    refuse it, so the repeat is an E001."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dranet\n  labels:\n"
        "    {{- include \"labels\" . | nindent 4 }}\n    app: dranet\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: dranet}}\n  template:\n    metadata: {labels: {app: dranet}}\n"
        "    spec:\n      containers: [{name: dranet, image: 'example/dranet:1.0.0'}]\n"
    )
    helpers = '{{- define "labels" -}}app: x{{- end }}\n'
    make_chart(tmp_path / "dranet", {"deployment.yaml": deployment, "_helpers.tpl": helpers})
    result = scan([tmp_path], Config(), select=["E001", "K006"])
    assert placed(result) == [
        ("E001", "dranet/templates/deployment.yaml", 1, 1),
        ("K006", "dranet/templates/deployment.yaml", 14, 7),
    ]
    assert "duplicate key 'app' in metadata.labels: Helm and kubectl keep the last value" in result.findings[0].message


_WEB = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n"
    "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n"
    "      containers:\n        - name: web\n          image: example/web:1.0.0\n"
    "          ports: [{name: http, containerPort: 3000}]\n"
    "          readinessProbe: {httpGet: {path: /ready, port: http}}\n"
)
# A queue worker whose liveness probe calls a health server on a port it does not declare.
_WORKER = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  replicas: 3\n"
    "  selector: {matchLabels: {app: worker}}\n  template:\n    metadata: {labels: {app: worker}}\n    spec:\n"
    "      containers:\n        - name: worker\n          image: example/web:1.0.0\n"
    "          livenessProbe: {httpGet: {path: /, port: 8080}}\n"
)


def _service(selector: str) -> str:
    return (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
        f"  selector: {{app: {selector}}}\n  ports: [{{port: 80, targetPort: http}}]\n"
    )


@needs_helm
def test_a_charts_pod_that_none_of_its_services_selects_takes_no_traffic(tmp_path: Path) -> None:
    """lago's chart writes a Service for each pod that serves (api, front, pdf) and none for its
    Sidekiq workers, whose liveness probe calls a health port: readiness gates no traffic there. The
    same files as written, or a chart with a Service whose selector finds nothing, may leave the
    worker's Service elsewhere: the probed port may be where its clients go."""
    make_chart(tmp_path / "lago", {"web.yaml": _WEB, "worker.yaml": _WORKER, "service.yaml": _service("web")})
    assert placed(scan([tmp_path / "lago"], Config(), select=["K002"])) == []
    make_chart(tmp_path / "open", {"web.yaml": _WEB, "worker.yaml": _WORKER, "service.yaml": _service("gone")})
    assert placed(scan([tmp_path / "open"], Config(), select=["K002"])) == [
        ("K002", "templates/worker.yaml", 11, 11)
    ]
    plain = tmp_path / "plain"
    plain.mkdir()
    for name, text in {"web.yaml": _WEB, "worker.yaml": _WORKER, "service.yaml": _service("web")}.items():
        (plain / name).write_text(text)
    assert placed(scan([plain], Config(), select=["K002"])) == [("K002", "worker.yaml", 11, 11)]


@needs_helm
def test_repeated_keys_are_one_e001_per_template_over_the_charts_renders(tmp_path: Path) -> None:
    """kubeflow's kserve-models-web-app: a labels helper and the template both write `app` and
    `kustomize.component`, in the object's labels and the pod template's, and its ci/ values render
    them again: 80 E001s over the chart. One per template, naming each repeated key once."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
        "    {{- include \"labels\" . | nindent 4 }}\n    app: web\n    component: web\nspec:\n"
        "  replicas: {{ .Values.replicas }}\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata:\n      labels:\n        {{- include \"labels\" . | nindent 8 }}\n        app: web\n"
        "    spec:\n      containers: [{name: web, image: 'example/web:1.0.0'}]\n"
    )
    helpers = '{{- define "labels" -}}\napp: x\ncomponent: x\n{{- end }}\n'
    chart = make_chart(tmp_path / "web", {"deployment.yaml": deployment, "_helpers.tpl": helpers})
    (chart / "values.yaml").write_text("replicas: 3\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "base-values.yaml").write_text("replicas: 2\n")
    result = scan([tmp_path], Config(), select=["E001"])
    assert [(f.location.path, f.message) for f in result.findings] == [
        (
            "web/templates/deployment.yaml",
            "what this template renders is not valid YAML: duplicate keys 'app' in metadata.labels, "
            "'component' in metadata.labels, 'app' in spec.template.metadata.labels: Helm and kubectl keep "
            "the last value, while Flux's helm-controller and kustomize's Helm inflation refuse the manifest",
        )
    ]


@needs_helm
def test_a_chart_the_repository_lends_as_a_dependency_that_fails_with_it_is_no_e001(tmp_path: Path) -> None:
    """victoria-metrics-distributed depends on an older victoria-metrics-k8s-stack than the one in the
    repository, whose templates fail with the values the older one took. relcheck's stand-in is the
    cause, not the chart: an E002 that says so, not an E001 at a template no file of the repository holds.
    The stand-in renders fine on its own."""
    template = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\ndata: {port: '{{ .Values.port.number }}'}\n"
    base = make_chart(tmp_path / "charts" / "base", {"cm.yaml": template})
    (base / "values.yaml").write_text("port:\n  number: 8080\n")  # a plain number in the version app knew
    app = make_chart(
        tmp_path / "charts" / "app",
        {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n"},
        "dependencies:\n  - name: base\n    version: 0.9.0\n    repository: oci://registry.example.com/charts\n",
    )
    (app / "values.yaml").write_text("base:\n  port: 8080\n")
    result = scan([tmp_path], Config(), select=["E"])
    assert placed(result) == [("E002", "charts/app/Chart.yaml", 1, 1)]
    message = result.findings[0].message
    assert message.startswith("Helm chart charts/app not rendered: the repository's own chart that relcheck uses")
    assert "can't evaluate field number" in message


@needs_helm
def test_a_packaged_dependencys_objects_are_shown_at_its_entry_in_chart_yaml(tmp_path: Path) -> None:
    """A dependency downloaded into charts/ as a .tgz has no template in the repository: its
    objects are shown where the chart names it (its alias, when it has one), not at line 1."""
    import io
    import tarfile

    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\n"
        "spec:\n  replicas: 3\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n"
        "    spec:\n      containers:\n        - {name: exporter, image: 'example/exporter:1.2.0'}\n"
    )
    app = make_chart(tmp_path / "app", {})
    (app / "charts").mkdir()
    with tarfile.open(app / "charts" / "exporter-1.2.0.tgz", "w:gz") as packed:
        for name, text in {
            "exporter/Chart.yaml": "apiVersion: v2\nname: exporter\nversion: 1.2.0\n",
            "exporter/templates/deployment.yaml": deployment,
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            packed.addfile(info, io.BytesIO(data))
    entries = "dependencies:\n  - name: exporter\n    version: 1.2.0\n    repository: https://charts.example.com\n"
    (app / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n" + entries)
    assert placed(scan([tmp_path], Config(), select=["K006"])) == [("K006", "app/Chart.yaml", 5, 1)]
    (app / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n" + entries + "    alias: stats\n")
    assert placed(scan([tmp_path], Config(), select=["K006"])) == [("K006", "app/Chart.yaml", 8, 1)]


@needs_helm
def test_a_template_error_is_an_e001_at_the_line_helm_names_and_other_charts_still_render() -> None:
    result = scan([RENDER / "helm"], Config(), select=["E"])
    assert placed(result) == [("E001", "charts/broken/templates/deployment.yaml", 9, 22)]
    message = result.findings[0].message
    assert message.startswith("Helm cannot render chart charts/broken: executing")
    assert "can't evaluate field perZone" in message


@needs_helm
def test_rendered_charts_are_not_reported_as_unrendered_and_test_hooks_are_left_out() -> None:
    result = scan([RENDER / "helm"], Config())
    assert not [f for f in result.findings if f.code == "E002"]
    # `helm create`'s test-connection Pod runs only under `helm test`.
    assert not [f for f in result.findings if "test-connection" in f.location.path]


@needs_helm
def test_suppression_beside_the_values_key_or_in_the_template_applies(tmp_path: Path) -> None:
    chart = copy("helm", tmp_path) / "charts" / "api"
    values = chart / "values.yaml"
    values.write_text(
        values.read_text().replace("replicaCount: 1\n", "replicaCount: 1  # relcheck: ignore K014 -- staging only\n")
    )
    template = chart / "templates" / "deployment.yaml"
    template.write_text(
        template.read_text().replace("kind: Deployment\n", "kind: Deployment  # relcheck: ignore K006\n")
    )
    result = scan([tmp_path / "helm" / "charts" / "api"], Config(), select=["K014", "K006", "K002"])
    states = sorted((f.code, f.location.path, f.suppressed) for f in result.findings)
    assert states == [
        ("K002", "templates/deployment.yaml", False),
        ("K006", "values.yaml", True),  # the comment in the template's object covers the value it prints
        ("K014", "values.yaml", True),
    ]


@needs_helm
def test_config_names_values_files_release_and_namespace(tmp_path: Path) -> None:
    root = copy("helm", tmp_path)
    chart = root / "charts" / "api"
    (chart / "values-prod.yaml").write_text("replicaCount: 3\nresources:\n  requests: {cpu: 250m}\n")
    config = Config(
        helm={"charts": {"charts/api": {"values": ["values-prod.yaml"], "release": "api", "namespace": "prod"}}}
    )
    result = scan([root], config, select=["K014", "K006"])
    api = placed_of(f for f in result.findings if f.location.path.startswith("charts/api/"))
    assert api == [("K006", "charts/api/values-prod.yaml", 2, 1)]


@needs_helm
def test_a_values_file_outside_the_repository_is_refused(tmp_path: Path) -> None:
    root = copy("helm", tmp_path)
    (tmp_path / "secret.yaml").write_text("replicaCount: 3\n")
    config = Config(helm={"charts": {"charts/api": {"values": ["../../../secret.yaml"]}}})
    result = scan([root], config, select=["E002", "K014"])
    assert ("E002", "charts/api/Chart.yaml", 1, 1) in placed(result)
    assert ("K014", "charts/api/values.yaml", 6, 1) in placed(result)  # rendered without it


_SUBCHART_POINTERS = (
    # What a chart may point at in a dependency's pods: a Service, a PDB, an HPA of the cache's.
    "apiVersion: v1\nkind: Service\nmetadata: {name: cache}\nspec:\n  selector: {app: redis}\n"
    "  ports: [{port: 6379, targetPort: redis}]\n---\n"
    "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: cache}\n"
    "spec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: redis}}\n---\n"
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: cache}\nspec:\n"
    "  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: redis-node}\n"
    "  minReplicas: 3\n  maxReplicas: 6\n"
)
_SERVER = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: server}\nspec:\n  replicas: 3\n"
    "  selector: {matchLabels: {app: s}}\n  template:\n    metadata: {labels: {app: s}}\n"
    "    spec:\n      containers: [{name: server, image: 'example/server:1.0.0'}]\n"
)


@needs_helm
def test_a_chart_is_rendered_without_the_dependencies_not_vendored_and_nothing_is_downloaded(
    tmp_path: Path,
) -> None:
    """kube-prometheus-stack, Argo CD's and Sentry's charts are committed without their downloaded
    dependencies. Helm refuses such a chart; it is rendered from a copy that leaves them out, so
    that its own objects are checked: one E002 at the dependency's entry says what was not, and
    what its objects point at in the dependency's pods is not called missing. The repository is
    not written."""
    from relcheck.reporters.inventory import inventory

    dependency = "dependencies:\n  - name: redis\n    version: 19.0.0\n    repository: https://charts.example.com\n"
    chart = make_chart(tmp_path / "app", {"deployment.yaml": _SERVER, "cache.yaml": _SUBCHART_POINTERS}, dependency)
    result = scan([tmp_path], Config(), select=["E", "K006", "K025", "K026", "K027"])
    assert placed(result) == [("E002", "app/Chart.yaml", 5, 1), ("K006", "app/templates/deployment.yaml", 10, 7)]
    assert result.findings[0].message == (
        "Helm chart app rendered without 1 dependency not in charts/ (redis): relcheck downloads nothing, so what "
        "they deploy is not checked, and what the chart's objects point at in them is not called missing; vendor "
        "them with `helm dependency build app` to check them too"
    )
    assert list(result.renders) == ["app"]
    assert inventory(result)["not_checked"] == {"Helm dependency (not vendored)": 1}
    assert sorted(p.name for p in chart.iterdir()) == ["Chart.yaml", "templates"]
    # With nothing missing, the same objects point at nothing: reported.
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    whole = scan([tmp_path], Config(), select=["K025", "K026", "K027"])
    assert sorted(f.code for f in whole.findings) == ["K025", "K026", "K027"]


@needs_helm
def test_a_chart_that_needs_its_missing_dependency_to_render_says_so(tmp_path: Path) -> None:
    """immich's and Jaeger's charts build every object with a `common` library they download: left
    out, the chart does not render, and the E002 says both why and what to do."""
    dependency = "dependencies:\n  - name: common\n    version: 4.0.0\n    repository: https://charts.example.com\n"
    cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {{- include "common.labels" . | nindent 2 }}\n'
    make_chart(tmp_path / "app", {"cm.yaml": cm}, dependency)
    result = scan([tmp_path], Config(), select=["E"])
    assert placed(result) == [("E002", "app/Chart.yaml", 1, 1)]
    message = result.findings[0].message
    assert message.startswith("Helm chart app not rendered: dependencies not in charts/: common (missing)")
    assert "without them it does not render" in message and 'no template "common.labels"' in message
    assert message.endswith("vendor them with `helm dependency build app`")
    assert result.renders == {}  # the inventory counts renders made, not tried


@needs_helm
def test_a_helm_test_that_reads_a_missing_dependencys_values_does_not_stop_the_render(tmp_path: Path) -> None:
    """trigger.dev's chart: `templates/tests/test-redis.yaml`, a `helm test` hook, reads
    `.Values.redis.master.service.ports.redis`, which only the redis dependency's values hold. Left
    out, the chart failed on that test, and none of it was checked. Test hooks run only under
    `helm test` and are never checked: the copy leaves them out, and the chart renders."""
    from relcheck.reporters.inventory import inventory_line

    dependencies = "dependencies:\n" + "".join(
        f"  - name: {name}\n    version: 21.2.6\n    repository: oci://registry.example.com/charts\n"
        for name in ("redis", "minio")
    )
    hook = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: test-redis\n  annotations:\n    \"helm.sh/hook\": test\n"
        "spec:\n  containers:\n    - name: ping\n      image: 'redis:7.2.4'\n"
        "      args: [redis-cli, -p, '{{ .Values.redis.master.service.ports.redis }}', ping]\n"
    )
    chart = make_chart(tmp_path / "app", {"deployment.yaml": _SERVER}, dependencies)
    (chart / "templates" / "tests").mkdir()
    (chart / "templates" / "tests" / "test-redis.yaml").write_text(hook)
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert placed(result) == [("E002", "app/Chart.yaml", 8, 1), ("K006", "app/templates/deployment.yaml", 10, 7)]
    assert "rendered without 2 dependencies not in charts/ (minio, redis)" in result.findings[0].message
    assert (chart / "templates" / "tests" / "test-redis.yaml").is_file()  # the repository is not written
    assert "Not checked: 2 Helm dependencies (not vendored)" in inventory_line(result)


@needs_helm
def test_ci_values_that_turn_on_a_missing_dependency_it_reads_into_are_not_an_error(tmp_path: Path) -> None:
    """loki's chart: `ci/non-default-values.yaml` enables minio, a dependency not in charts/, and
    the chart's helpers read `.Values.minio.service.port`, which only minio's own values.yaml sets.
    Without minio that render fails: an E002 naming the dependency, not an E001 for the chart.
    The render with the chart's own values, which leaves out the dependency it turns on
    (rollout-operator), is checked."""
    dependency = (
        "dependencies:\n  - name: minio\n    alias: objects\n    version: 5.4.0\n"
        "    repository: https://charts.example.com\n    condition: objects.enabled\n"
        "  - name: rollout-operator\n    version: 0.50.0\n    repository: https://charts.example.com\n"
    )
    reader = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: storage}\ndata:\n"
        "  {{- if .Values.objects.enabled }}\n  port: '{{ .Values.objects.service.port }}'\n  {{- end }}\n"
    )
    chart = make_chart(tmp_path / "logs", {"deployment.yaml": _SERVER, "storage.yaml": reader}, dependency)
    (chart / "values.yaml").write_text("objects:\n  enabled: false\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "objects-values.yaml").write_text("objects:\n  enabled: true\n")
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert sorted(code for code, *_ in placed(result)) == ["E002", "E002", "K006"]
    assert "rendered without 2 dependencies not in charts/ (minio, rollout-operator)" in result.findings[0].message
    (problem,) = [f for f in result.findings if f.location.path == "logs/templates/storage.yaml"]
    assert problem.code == "E002"
    assert problem.message.startswith(
        "Helm chart logs not rendered with ci/objects-values.yaml: its templates read `.Values.objects`, the "
        "values of the dependency minio, which is not in charts/"
    )
    assert problem.message.endswith("vendor the dependencies with `helm dependency build logs` to check that render")


@needs_helm
def test_a_missing_dependency_its_condition_turns_off_does_not_stop_the_render(tmp_path: Path) -> None:
    """argo-cd's chart depends on redis-ha behind `redis-ha.enabled: false`: once vendored it would
    render nothing, so the chart renders without it, as Helm renders it after `helm dependency
    build`, and nothing is said. Turned on by the values, the dependency is left out of the render,
    which says so."""
    dependency = (
        "dependencies:\n  - name: redis-ha\n    version: 4.38.0\n    repository: https://charts.example.com\n"
        "    condition: cache.off,redis-ha.enabled\n"
    )
    chart = make_chart(tmp_path / "argo-cd", {"deployment.yaml": _SERVER}, dependency)
    (chart / "values.yaml").write_text("redis-ha:\n  enabled: false\n")
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert placed(result) == [("K006", "argo-cd/templates/deployment.yaml", 10, 7)]
    (chart / "values.yaml").write_text("redis-ha:\n  enabled: true\n")
    result = scan([tmp_path], Config(), select=["E", "K006"])
    assert placed(result) == [
        ("E002", "argo-cd/Chart.yaml", 5, 1),
        ("K006", "argo-cd/templates/deployment.yaml", 10, 7),
    ]
    assert "rendered without 1 dependency not in charts/ (redis-ha)" in result.findings[0].message


@needs_helm
def test_a_dependency_listed_under_aliases_is_placed_in_its_folder(tmp_path: Path) -> None:
    """growthbook's chart lists its `server` chart twice, as `frontend` and as `backend`: Helm names
    the rendered templates by the alias, the findings go to the server chart's template."""
    named = _SERVER.replace("server}", "{{ .Chart.Name }}-{{ .Values.role }}}")
    server = make_chart(tmp_path / "app" / "charts" / "server", {"deployment.yaml": named})
    (server / "values.yaml").write_text("role: web\n")
    entries = "dependencies:\n" + "".join(
        f"  - name: server\n    version: 1.0.0\n    alias: {alias}\n" for alias in ("frontend", "backend")
    )
    make_chart(tmp_path / "app", {}, entries)
    result = scan([tmp_path / "app"], Config(), select=["E", "K006"])
    assert placed(result) == [("K006", "charts/server/templates/deployment.yaml", 10, 7)] * 2


@pytest.mark.parametrize(
    ("entry", "values", "off"),
    [
        ({"condition": "a.enabled"}, {"a": {"enabled": False}}, True),
        ({"condition": "a.enabled"}, {"a": {"enabled": True}}, False),
        ({"condition": "x.on, a.enabled"}, {"a": {"enabled": False}}, True),  # the first that resolves
        ({"condition": "x.on,a.enabled"}, {"x": {"on": True}, "a": {"enabled": False}}, False),
        ({"condition": "a.enabled"}, {"a": {"enabled": "false"}}, False),  # not a boolean: not decided
        ({"condition": "a.enabled", "tags": ["cache"]}, {"a": {"enabled": False}}, False),  # left to Helm
        ({}, {}, False),
    ],
)
def test_a_dependency_condition_as_helm_reads_it(entry: dict, values: dict, off: bool) -> None:
    from relcheck.render.helm_child import disabled

    assert disabled(entry, values) is off


@needs_helm
def test_a_link_out_of_the_repository_stops_the_render(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    root = tmp_path / "repo"
    leak = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: {{ .Files.Get "leak.txt" | quote }}}\n'
    chart = make_chart(root / "app", {"cm.yaml": leak})
    (chart / "leak.txt").symlink_to(outside)
    result = scan([root], Config(), select=["E"])
    assert [(f.code, f.location.path) for f in result.findings if "link out of the repository" in f.message] == [
        ("E002", "app/Chart.yaml")
    ]


@needs_helm
def test_a_link_to_nothing_stops_the_render_without_naming_this_machine(tmp_path: Path) -> None:
    """Argo CD's test data: a chart with a link to a file that is not there. Helm refuses the chart;
    that is said as a skip naming the link, and no message carries the scan's own path."""
    chart = make_chart(tmp_path / "app", {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"})
    (chart / "link").symlink_to("../missing/file")
    result = scan([tmp_path], Config(), select=["E"])
    assert placed(result) == [("E002", "app/Chart.yaml", 1, 1)]
    assert "app/link is a link to ../missing/file, which is not in the repository" in result.findings[0].message
    assert str(tmp_path) not in result.findings[0].message


@needs_sdk
def test_a_render_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    make_chart(tmp_path / "app", {"loop.yaml": LOOP})
    result = scan([tmp_path], Config(helm={"timeout": 1}), select=["E"])
    assert placed(result) == [("E002", "app/Chart.yaml", 1, 1)]
    assert "took longer than 1 s and was stopped" in result.findings[0].message


def test_without_an_engine_each_chart_is_one_e002_saying_how_to_render(monkeypatch) -> None:
    monkeypatch.setattr(render_run, "helm_engine", lambda *args: None)
    result = scan([RENDER / "helm"], Config(), select=["E"])
    assert placed(result) == [
        ("E002", "charts/api/Chart.yaml", 1, 1),
        ("E002", "charts/broken/Chart.yaml", 1, 1),
        ("E002", "charts/worker/Chart.yaml", 1, 1),
    ]
    assert all("pip install 'relcheck-lint[helm]'" in f.message for f in result.findings)


@needs_helm
def test_sarif_carries_the_template_line_as_a_related_location(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    run_cli(
        "scan", str(RENDER / "helm" / "charts" / "api"), "--select", "K014", "--format", "sarif", "--output", str(out)
    )
    results = json.loads(out.read_text())["runs"][0]["results"]
    assert len(results) == 1
    where = results[0]["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"].endswith("/charts/api/values.yaml") and where["region"]["startLine"] == 6
    related = results[0]["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"].endswith("/charts/api/templates/deployment.yaml")
    assert related["region"]["startLine"] == 9


# --- GitOps -------------------------------------------------------------------------------------


@needs_helm
def test_a_helmrelease_of_a_local_chart_is_rendered_with_its_values() -> None:
    result = scan([RENDER / "gitops"], Config(), select=["K014", "K029", "E002"])
    assert placed(result) == [
        ("E002", "flux/remote.yaml", 2, 1),  # a chart of a Helm repository: not rendered
        ("K014", "clusters/prod/web.yaml", 15, 5),  # `replicaCount: 1` in the HelmRelease
        ("K029", "apps/web.yaml", 14, 22),  # `memoryLimit: 64` in the Application's valuesObject
    ]
    replicas = next(f for f in result.findings if f.code == "K014")
    assert [(r.location.path, r.location.line) for r in replicas.related] == [
        ("charts/web/templates/deployment.yaml", 6)
    ]
    memory = next(f for f in result.findings if f.code == "K029")
    assert "Deployment 'web-staging'" in memory.message  # the Application's release name
    assert set(result.renders) == {"charts/web", "charts/web@HelmRelease 'web'", "charts/web@Application 'web-staging'"}


def test_without_kustomize_the_overlay_files_are_linted_one_by_one(monkeypatch) -> None:
    monkeypatch.setattr(render_run, "kustomize_command", lambda: None)
    result = scan([RENDER / "kustomize"], Config(), select=["K002", "K014", "E"])
    assert placed(result) == [] and result.renders == {}


@needs_kustomize
def test_a_flux_kustomization_of_a_built_overlay_counts_as_rendered(tmp_path: Path) -> None:
    root = copy("kustomize", tmp_path)
    (root / "clusters").mkdir()
    (root / "clusters" / "prod.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: api, namespace: flux}\n"
        "spec:\n  path: ./overlays/prod\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: other, namespace: flux}\n"
        "spec:\n  path: ./elsewhere\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
    )
    result = scan([root], Config(), select=["E"])
    assert placed(result) == [("E002", "clusters/prod.yaml", 9, 1)]
    assert result.findings[0].message.startswith("Kustomization 'other' deploys")


@needs_kustomize
def test_a_flux_kustomization_that_overlays_patch_is_reported_once(tmp_path: Path) -> None:
    """flux2-multi-tenancy: a base holds a tenant's Flux Kustomization of another repository; the
    production and staging overlays patch its `path`. What it deploys is not rendered: one E002 at
    the object, not one more at the base as written and one at each overlay's patch file."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - sync.yaml\n")
    (tmp_path / "base" / "sync.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: dev-team, namespace: apps}\n"
        "spec:\n  sourceRef: {kind: GitRepository, name: dev-team}\n  prune: true\n"
    )
    for name in ("production", "staging"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kustomization.yaml").write_text(
            "resources:\n  - ../base\npatches:\n  - path: dev-team-patch.yaml\n"
        )
        (tmp_path / name / "dev-team-patch.yaml").write_text(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            f"metadata: {{name: dev-team, namespace: apps}}\nspec:\n  path: ./apps/{name}\n"
        )
    result = scan([tmp_path], Config(), select=["E"])
    assert placed(result) == [("E002", "base/sync.yaml", 2, 1)]
    assert result.findings[0].message.startswith("Kustomization 'dev-team' deploys a kustomize overlay")


@needs_helm
def test_a_baseline_accepts_findings_on_values_keys(run_cli, tmp_path: Path) -> None:
    chart = RENDER / "helm" / "charts" / "api"
    baseline = tmp_path / "baseline.json"
    code, _, _ = run_cli("baseline", str(chart), "--output", str(baseline))
    assert code == 0
    code, out, _ = run_cli("scan", str(chart), "--baseline", str(baseline), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["summary"]["error"] == 0
    assert any(f["path"] == "values.yaml" for f in report["findings"] if f["suppressed"])


# --- kustomize ----------------------------------------------------------------------------------


@needs_kustomize
def test_an_overlay_is_built_and_its_patches_are_where_they_break_things() -> None:
    result = scan([RENDER / "kustomize"], Config(), select=["K001", "K002", "K014", "K006", "E"])
    assert placed(result) == [
        ("K002", "overlays/prod/no-readiness.yaml", 12, 11),  # `readinessProbe: null`
        ("K014", "overlays/prod/no-readiness.yaml", 7, 3),  # `replicas: 1`
    ]
    probe = next(f for f in result.findings if f.code == "K002")
    assert [(r.location.path, r.location.line) for r in probe.related] == [("base/deployment.yaml", 19)]
    assert set(result.renders) == {"kustomize overlays/prod"}


@needs_kustomize
def test_an_overlay_on_a_remote_base_is_built_without_it(tmp_path: Path) -> None:
    """kubeflow's trainer overlay pins its controller's image with `images:` and builds on jobset's
    release from GitHub. Nothing is downloaded: the overlay is built from a copy of its
    kustomizations without the remote entry, so the tag and the patches it sets are checked (its
    bases alone had no tag: a wrong K019). The repository is not written to."""
    from relcheck.reporters.inventory import inventory

    root = copy("kustomize", tmp_path)
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\n  - https://github.com/example/deploy//base?ref=v1\n"
        "patches:\n  - path: no-readiness.yaml\n"
    )
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = scan([root], Config(), select=["E", "K002"])
    assert placed(result) == [
        ("E002", "overlays/prod/kustomization.yaml", 1, 1),
        ("K002", "overlays/prod/no-readiness.yaml", 12, 11),
    ]
    assert result.findings[0].message.startswith(
        "kustomize overlay overlays/prod rendered without https://github.com/example/deploy//base?ref=v1: "
        "relcheck downloads nothing"
    )
    assert set(result.renders) == {"kustomize overlays/prod"}
    assert inventory(result)["not_checked"] == {"kustomize remote resource (not downloaded)": 1}
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_the_copy_for_a_build_without_remote_resources_holds_only_files_of_the_repository(tmp_path: Path) -> None:
    """The copy an overlay is built from takes the files its kustomizations name and the others in
    their folders, but nothing a link leads to outside the repository, and kustomizations as read
    less their remote entries."""
    from relcheck.render.kustomize import KustomizeRenderer, _without_remote, closure, read_kustomizations
    from relcheck.render.run import RepoFiles

    root = copy("kustomize", tmp_path)
    overlay = root / "overlays" / "prod"
    (overlay / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\n  - https://github.com/example/deploy//base?ref=v1\n"
        "patches:\n  - path: no-readiness.yaml\n"
    )
    outside = tmp_path / "secret.txt"
    outside.write_text("not the repository's\n")
    (overlay / "linked.yaml").symlink_to(outside)
    (overlay / "notes.txt").write_text("beside the kustomization\n")
    repo = RepoFiles(root, [], 1 << 20)

    def read(path: str) -> str | None:
        return (root / path).read_text() if (root / path).is_file() else None

    paths = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    kustomizations = read_kustomizations(paths, read)
    local = [_without_remote(k, set()) for k in closure("overlays/prod", kustomizations)]
    renderer = KustomizeRenderer(root, ["kubectl", "kustomize"], [], repo.inside)
    tree = tmp_path / "tree"
    renderer._copy(local, tree)
    copied = sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file())
    assert copied == [
        "base/deployment.yaml",
        "base/kustomization.yaml",
        "overlays/prod/kustomization.yaml",
        "overlays/prod/no-readiness.yaml",
        "overlays/prod/notes.txt",
    ]
    written = json.loads((tree / "overlays/prod/kustomization.yaml").read_text())
    assert written == {"resources": ["../../base"], "patches": [{"path": "no-readiness.yaml"}]}


@needs_kustomize
def test_an_overlay_that_patches_what_a_remote_base_adds_has_its_bases_built_alone(tmp_path: Path) -> None:
    """Without the remote base, a strategic-merge patch of one of its objects matches nothing and
    kustomize refuses the copy: the overlay is not rendered (one E002, why), and what it builds
    on is built alone."""
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\n  - https://github.com/example/deploy//base?ref=v1\n"
        "patches:\n  - path: remote-patch.yaml\n"
    )
    (root / "overlays" / "prod" / "remote-patch.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: from-github\nspec:\n  replicas: 2\n"
    )
    result = scan([root], Config(), select=["E", "K002"])
    assert placed(result) == [("E002", "overlays/prod/kustomization.yaml", 1, 1)]
    assert "not rendered: it builds on https://github.com/example/deploy//base?ref=v1" in result.findings[0].message
    assert set(result.renders) == {"kustomize base"}


@needs_kustomize
def test_a_remote_transformer_is_not_fetched(tmp_path: Path) -> None:
    """`transformers:` (and `generators:`, `validators:`) entries are loaded like resources: a URL
    there is a download too. The overlay is built without it."""
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\ntransformers:\n  - https://example.com/deploy/labels.yaml\n"
    )
    result = scan([root], Config(), select=["E"])
    assert placed(result) == [("E002", "overlays/prod/kustomization.yaml", 1, 1)]
    assert "rendered without https://example.com/deploy/labels.yaml" in result.findings[0].message


@needs_kustomize
@pytest.mark.parametrize(
    ("transformer", "plugin"),
    [
        # A KRM function (kustomize's `functions/examples`): a container kustomize would run.
        (
            "apiVersion: examples.config.kubernetes.io/v1beta1\nkind: tshirt\nmetadata:\n  name: tshirt\n"
            "  annotations:\n    config.kubernetes.io/function: |-\n      container:\n"
            "        image: gcr.io/kustomize-functions/example-tshirt:v0.3.0\n",
            True,
        ),
        # One of kustomize's built-in transformers, configured in a file: built as usual.
        (
            "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: team\n"
            "labels:\n  team: payments\nfieldSpecs:\n  - {path: metadata/labels, create: true}\n",
            False,
        ),
    ],
)
def test_an_overlay_that_configures_a_plugin_is_not_built(tmp_path: Path, transformer: str, plugin: bool) -> None:
    """kustomize runs a KRM function or an exec plugin only with `--enable-alpha-plugins`, and then
    runs a container or a program: relcheck runs nothing, and says why the overlay is not built
    (it was an E001 in kustomize's words, "external plugins disabled")."""
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\ntransformers:\n  - transformer.yaml\n"
    )
    (root / "overlays" / "prod" / "transformer.yaml").write_text(transformer)
    result = scan([root], Config(), select=["E"])
    if plugin:
        assert placed(result) == [("E002", "overlays/prod/kustomization.yaml", 1, 1)]
        assert "configures a kustomize plugin (apiVersion examples.config.kubernetes.io/v1beta1" in (
            result.findings[0].message
        )
    else:
        assert placed(result) == []
        assert "kustomize overlays/prod" in result.renders


@needs_kustomize
def test_a_remote_base_in_a_folder_the_scan_leaves_out_is_not_fetched_either(tmp_path: Path) -> None:
    """kubeflow's pipeline overlays build on `third-party/argo/...`, a folder excluded by default as
    vendored code, whose kustomization names argo-workflows on GitHub: kustomize would download it.
    The overlay is built without it, and says which remote base it left out."""
    root = copy("kustomize", tmp_path)
    vendored = root / "third-party" / "argo"
    vendored.mkdir(parents=True)
    (vendored / "kustomization.yaml").write_text(
        "resources:\n  - https://github.com/argoproj/argo-workflows/manifests/base/crds/minimal?ref=v3.7.3\n"
    )
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\n  - ../../third-party/argo\npatches:\n  - path: no-readiness.yaml\n"
    )
    result = scan([root], Config(), select=["E"])
    assert placed(result) == [("E002", "overlays/prod/kustomization.yaml", 1, 1)]
    assert "rendered without https://github.com/argoproj/argo-workflows/" in result.findings[0].message
    # The vendored kustomization held nothing but the remote base: it is left out with it.
    assert set(result.renders) == {"kustomize overlays/prod"}


@needs_kustomize
def test_an_overlay_that_writes_a_charts_templates_is_not_checked_as_objects(tmp_path: Path) -> None:
    """gatekeeper's `cmd/build/helmify/` patches its manifests with `{{ .Values… }}` and
    `HELMSUBST_…` placeholders for helmify to turn into a chart: its output is no object anyone
    applies (a container named `{{ .Values.containerName }}`, a strategy the API server rejects).
    It is one E002, and is not built; the base it builds on is checked through the other overlay."""
    root = copy("kustomize", tmp_path)
    helmify = root / "helmify"
    helmify.mkdir()
    (helmify / "kustomization.yaml").write_text("resources:\n  - ../base\npatches:\n  - path: for-helm.yaml\n")
    (helmify / "for-helm.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
        "  strategy: {type: HELMSUBST_STRATEGY_TYPE}\n  template:\n    spec:\n      containers:\n"
        "        - name: api\n          imagePullPolicy: '{{ .Values.image.pullPolicy }}'\n"
    )
    result = scan([root], Config(), select=["E", "K015"])
    assert placed(result) == [("E002", "helmify/kustomization.yaml", 1, 1)]
    assert "helmify/for-helm.yaml holds Helm template actions" in result.findings[0].message
    assert set(result.renders) == {"kustomize overlays/prod"}
    (helmify / "for-helm.yaml").write_text((helmify / "for-helm.yaml").read_text().replace("{{ .Values.", "{ "))
    built = scan([root], Config(), select=["E", "K015"])
    assert [(f.code, f.location.path) for f in built.findings] == [("K015", "helmify/for-helm.yaml")]
    # A resource that holds templates as data (istio's injection templates, rendered into a
    # ConfigMap that kubeflow's overlays build on) is an object like any other: the overlay is built.
    (root / "base" / "injector.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: injector}\ndata:\n"
        "  config: |\n    image: {{ .Values.global.proxy.image }}\n"
    )
    (root / "base" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n  - injector.yaml\n")
    assert "kustomize overlays/prod" in scan([root], Config(), select=["E"]).renders


@needs_kustomize
def test_the_overlays_under_one_that_cannot_be_built_are_built_alone(tmp_path: Path) -> None:
    """kubeflow's `example` builds every component and jobset's release from GitHub: it cannot be
    built offline, and its components' files were linted one by one, without the tags, name
    prefixes and patches their own overlays set. Each overlay it builds on is built alone; only
    the top one says why it is not rendered."""
    root = copy("kustomize", tmp_path)
    (root / "all").mkdir()
    (root / "all" / "kustomization.yaml").write_text(
        "resources:\n  - ../overlays/prod\n  - https://github.com/kubernetes-sigs/jobset/releases/download/v0.11.0/"
        "manifests.yaml\npatches:\n  - path: jobset.yaml\n"
    )
    # A patch of one of jobset's objects: without the release, kustomize refuses the overlay.
    (root / "all" / "jobset.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: jobset-controller-manager\nspec:\n  replicas: 2\n"
    )
    result = scan([root], Config(), select=["E", "K002", "K014"])
    assert placed(result) == [
        ("E002", "all/kustomization.yaml", 1, 1),
        ("K002", "overlays/prod/no-readiness.yaml", 12, 11),
        ("K014", "overlays/prod/no-readiness.yaml", 7, 3),
    ]
    assert set(result.renders) == {"kustomize overlays/prod"}


@needs_kustomize
def test_overlays_that_differ_in_a_count_give_one_finding_at_the_base(tmp_path: Path) -> None:
    """eks-workshop's modules patch one base's replica count to 4 in one overlay and 7 in another;
    the base leaves maxUnavailable at its default. "25% of 4 replicas" and "25% of 7 replicas" at the
    base's line are one problem at one place: one finding."""
    root = copy("kustomize", tmp_path)
    deployment = root / "base" / "deployment.yaml"
    deployment.write_text(
        deployment.read_text().replace("    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}\n", "")
    )
    for name, count in (("four", 4), ("seven", 7)):
        overlay = root / "overlays" / name
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(
            "resources:\n  - ../../base\npatches:\n  - target: {kind: Deployment, name: api}\n"
            f"    patch: |-\n      - {{op: replace, path: /spec/replicas, value: {count}}}\n"
        )
    result = scan([root], Config(), select=["K015"])
    assert [(f.location.path, f.message.split(": ")[1][:28]) for f in result.findings] == [
        ("base/deployment.yaml", "25% of 4 replicas rounds dow")
    ]


@needs_kustomize
def test_overlays_that_rename_the_object_give_one_finding_at_the_base(tmp_path: Path) -> None:
    """loki's operator: one overlay builds the base's `controller-manager` as it is, another with
    `namePrefix: loki-operator-`. The same problem at the base's line is one finding, named as the
    base writes it."""
    root = copy("kustomize", tmp_path)
    deployment = root / "base" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("  replicas: 3\n", "  replicas: 1\n"))
    shutil.rmtree(root / "overlays" / "prod")
    for name, prefix in (("plain", ""), ("prefixed", "namePrefix: loki-operator-\n")):
        overlay = root / "overlays" / name
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(f"resources:\n  - ../../base\n{prefix}")
    result = scan([root], Config(), select=["K014"])
    assert [(f.location.path, f.location.line, f.message.split(" runs")[0]) for f in result.findings] == [
        ("base/deployment.yaml", 6, "Deployment 'api'")
    ]


@needs_kustomize
def test_an_image_the_makefile_sets_is_no_k019_after_an_overlay_renames_it(tmp_path: Path) -> None:
    """VictoriaMetrics' operator: the base writes `image: manager`, an overlay's `images:` renames it
    to the registry's repository without a tag, and `make` runs `kustomize edit set image manager=...`
    before building. The image as written is the one the recipe replaces: no K019 at the base."""
    root = copy("kustomize", tmp_path)
    shutil.rmtree(root / "overlays" / "prod")
    deployment = root / "base" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("registry.example.com/api:1.4.2", "manager"))
    overlay = root / "overlays" / "release"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\nimages:\n  - name: manager\n    newName: registry.example.com/operator\n"
    )
    found = scan([root], Config(), select=["K019"]).findings
    assert sorted({(f.location.path, f.location.line) for f in found}) == [("base/deployment.yaml", 20)]
    (root / "Makefile").write_text("release:\n\tcd overlays/release && $(KUSTOMIZE) edit set image manager=$(IMG)\n")
    assert scan([root], Config(), select=["K019"]).findings == []


def test_a_kustomize_error_is_shown_as_a_reader_wants_it() -> None:
    """sourcegraph's k3s example: kustomize nests the cause three levels deep, escaping its quotes at
    each, after saying that the overlay's folder "must resolve to a file", and prints Go values."""
    from relcheck.render.kustomize import readable

    quote = '\\\\\\"'  # a quote escaped twice over
    error = (
        "accumulating resources: accumulation err='accumulating resources from 'examples/k3s': "
        "'examples/k3s' must resolve to a file': recursed accumulation of path 'examples/k3s': "
        "accumulating components: accumulateDirectory: \\\"recursed accumulation of path "
        "'components/k3s': merging from generator &{0xc000a5c4e0 0xc000f65200}: id resid.ResId{Gvk:"
        f"resid.Gvk{{Group:{quote}{quote}, Version:{quote}v1{quote}, Kind:{quote}ConfigMap{quote}, "
        f"isClusterScoped:false}}, Name:{quote}prometheus-rbac{quote}, Namespace:{quote}{quote}}} does "
        'not exist; cannot merge or replace\\""'
    )
    assert readable(error) == (
        "accumulating resources: recursed accumulation of path 'examples/k3s': accumulating components: "
        "accumulateDirectory: \"recursed accumulation of path 'components/k3s': merging from generator: "
        'id ConfigMap "prometheus-rbac" does not exist; cannot merge or replace""'
    )


@needs_kustomize
def test_overlays_that_set_one_and_two_replicas_give_one_finding_at_the_base(tmp_path: Path) -> None:
    """digitalocean's microservices-demo: overlays set the base's replicas (kustomize's `replicas:`)
    to 1 and to 2. "runs 1 replica" and "runs 2 replicas" at the base's line are one problem."""
    root = copy("kustomize", tmp_path)
    shutil.rmtree(root / "overlays" / "prod")
    for name, count in (("one", 1), ("two", 2)):
        overlay = root / "overlays" / name
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(
            f"resources:\n  - ../../base\nreplicas:\n  - name: api\n    count: {count}\n"
        )
    result = scan([root], Config(), select=["K014"])
    assert [(f.location.path, f.message.split(";")[0]) for f in result.findings] == [
        ("base/deployment.yaml", "Deployment 'api' runs 1 replica (replicas: 1)")
    ]


@needs_kustomize
def test_overlays_that_bind_a_role_and_a_cluster_role_give_one_finding_at_the_base(tmp_path: Path) -> None:
    """argo-events: its cluster install binds the controller's account to a ClusterRole, its namespace
    install to a Role of the same name. K014 cites the role either way: one problem at the base."""
    base = tmp_path / "base"
    base.mkdir()
    (base / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: controller}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: controller}}\n  template:\n    metadata: {labels: {app: controller}}\n"
        "    spec:\n      serviceAccountName: events\n"
        "      containers: [{name: controller, image: 'example/controller:1.0.0'}]\n"
    )
    (base / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    lease = "rules:\n  - {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}\n"
    for install, kind in (("cluster", "ClusterRole"), ("namespace", "Role")):
        overlay = tmp_path / install
        overlay.mkdir()
        (overlay / "rbac.yaml").write_text(
            f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: events-role}}\n{lease}---\n"
            f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}Binding\nmetadata: {{name: events}}\n"
            f"roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: events-role}}\n"
            "subjects: [{kind: ServiceAccount, name: events, namespace: default}]\n"
        )
        (overlay / "kustomization.yaml").write_text("namespace: default\nresources:\n  - ../base\n  - rbac.yaml\n")
    found = scan([tmp_path], Config(), select=["K014"]).findings
    assert [(f.location.path, f.location.line) for f in found] == [("base/deployment.yaml", 5)]
    assert "of a controller that elects a leader" in found[0].message


def test_renderers_run_without_network() -> None:
    """Should a remote base get past the checks, the engines still reach nothing: HTTP(S) goes to
    a proxy that refuses at once, and git may use local paths only."""
    from relcheck.render.engines import _quiet_env

    env = _quiet_env("/nonexistent-home")
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] == "http://127.0.0.1:9"
    assert env["GIT_ALLOW_PROTOCOL"] == "file" and "NO_PROXY" not in env and "no_proxy" not in env


@needs_kustomize
def test_an_overlay_that_reads_outside_the_repository_is_not_built(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: []\n")
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\n  - ../../../elsewhere\npatches:\n  - path: no-readiness.yaml\n"
    )
    result = scan([root], Config(), select=["E", "K002"])
    assert placed(result) == [("E002", "overlays/prod/kustomization.yaml", 1, 1)]
    assert "../elsewhere, which is outside the repository" in result.findings[0].message


@needs_kustomize
def test_an_overlay_that_patches_the_kind_is_placed_at_the_object_it_came_from(tmp_path: Path) -> None:
    """emojivoto's overlays turn each Deployment into a DaemonSet (`op: replace, path: /kind`): the
    DaemonSet's findings are at the Deployment's lines, not at line 1 of its file (which also holds
    a ServiceAccount of the same name)."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "web.yaml").write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n"
        "      serviceAccountName: web\n      containers:\n        - name: web\n"
        "          image: example/web:1.0.0\n"
    )
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [web.yaml]\n")
    (tmp_path / "daemonset").mkdir()
    (tmp_path / "daemonset" / "kustomization.yaml").write_text(
        "resources: [../base]\npatches:\n  - target: {kind: Deployment, name: web}\n"
        "    patch: |-\n      - op: replace\n        path: /kind\n        value: DaemonSet\n"
    )
    result = scan([tmp_path], Config(), select=["E", "K001"])
    assert sorted((f.location.path, f.location.line, f.message.split(":")[0]) for f in result.findings) == [
        ("base/web.yaml", 17, "container 'web' of DaemonSet 'web'")
    ]
    # The base's lines do not say which build it is: the overlay's kustomization does.
    assert [(r.location.path, r.message) for r in result.findings[0].related] == [
        ("daemonset/kustomization.yaml", "as kustomize overlay daemonset builds it")
    ]
    # With an overlay that builds the base as written, the one finding at that line is in its words.
    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment" / "kustomization.yaml").write_text("resources: [../base]\n")
    both = scan([tmp_path], Config(), select=["E", "K001"])
    assert [(f.location.path, f.location.line, f.message.split(":")[0]) for f in both.findings] == [
        ("base/web.yaml", 17, "container 'web' of Deployment 'web'")
    ]


@needs_kustomize
def test_a_broken_overlay_is_an_e001_and_its_files_are_linted_as_written(tmp_path: Path) -> None:
    root = copy("kustomize", tmp_path)
    # kustomize 5 takes `patches` entries as objects only: a bare path is a broken kustomization.
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\npatches:\n  - no-readiness.yaml\n"
    )
    result = scan([root], Config(), select=["E", "K002"])
    assert [(c, p) for c, p, _, _ in placed(result)] == [("E001", "overlays/prod/kustomization.yaml")]
    assert "cannot build overlay overlays/prod" in result.findings[0].message
    assert str(tmp_path) not in result.findings[0].message


@needs_kustomize
def test_an_overlays_committed_build_output_is_not_checked_again(tmp_path: Path) -> None:
    """argo-cd's `manifests/install.yaml`, metallb's `config/manifests/metallb-native.yaml`: what
    `kustomize build` writes, committed for `kubectl apply -f`. Its findings were the overlay's
    once more (argo-cd: 504 errors, 369 of them copies). A release's image tag may differ; a file
    whose workload differs otherwise (a probe put back) is checked as written."""
    import subprocess

    root = copy("kustomize", tmp_path)
    built = subprocess.run(
        [*kustomize_command(), str(root / "overlays" / "prod")], capture_output=True, text=True, check=True
    ).stdout
    account = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: prod}\n"
    (root / "release").mkdir()
    (root / "release" / "install.yaml").write_text(built.replace("api:1.4.2", "api:1.5.0") + account)
    result = scan([root], Config(), select=["E002", "K002", "K014"])
    assert sorted((f.code, f.location.path) for f in result.findings) == [
        ("E002", "release/install.yaml"),
        ("K002", "overlays/prod/no-readiness.yaml"),
        ("K014", "overlays/prod/no-readiness.yaml"),
    ]
    (note,) = (f for f in result.findings if f.code == "E002")
    assert "holds the workloads kustomize overlay overlays/prod makes" in note.message
    from relcheck.reporters.inventory import inventory

    assert inventory(result)["not_checked"]["overlay build output (the overlay was checked)"] == 1
    readiness = "        readinessProbe:\n          httpGet: {path: /ready, port: http}\n"
    (root / "release" / "install.yaml").write_text(
        built.replace("        name: api\n", "        name: api\n" + readiness, 1) + account
    )
    result = scan([root], Config(), select=["E002", "K014"])
    assert sorted((f.code, f.location.path) for f in result.findings) == [
        ("K014", "overlays/prod/no-readiness.yaml"),
        ("K014", "release/install.yaml"),
    ]


@needs_kustomize
def test_a_kustomization_field_this_kustomize_does_not_know_is_an_e002(tmp_path: Path) -> None:
    """container.training's `registry-with-replacements`: replacements' `sourceValue`, which a
    kustomize newer than the machine's may know. Not an error of the repository's: an info that
    says the overlay was not rendered and why; its files are still linted as written."""
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\nsomeFutureField: ghcr.io/example\n"
    )
    result = scan([root], Config(), select=["E"])
    (finding,) = result.findings
    assert (finding.code, finding.severity.name, finding.location.path) == (
        "E002", "INFO", "overlays/prod/kustomization.yaml"
    )
    assert "does not know the field `someFutureField`" in finding.message


def _the_overlay_finding(root: Path, resource: str):
    """The one E finding of the example's prod overlay when it also names `resource`."""
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        f"resources:\n  - ../../base\n  - {resource}\npatches:\n  - path: no-readiness.yaml\n"
    )
    (finding,) = scan([root], Config(), select=["E"]).findings
    return finding


def test_an_overlay_that_reads_a_file_outside_its_folder_is_an_e001_kustomize_would_give(tmp_path: Path) -> None:
    """`resources: [../deployment.yaml]`: kustomize's default load restrictor refuses a file (not a
    folder) above the kustomization, so `kubectl apply -k` fails; said plainly, without running it."""
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "shared.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n")
    finding = _the_overlay_finding(root, "../shared.yaml")
    assert (finding.code, finding.location.path, finding.severity.label) == (
        "E001", "overlays/prod/kustomization.yaml", "error"
    )
    assert "reads overlays/shared.yaml, a file outside its folder" in finding.message
    assert "--load-restrictor LoadRestrictionsNone" in finding.message


def test_an_overlay_the_repository_builds_without_the_load_restrictor_is_not_rendered_and_says_so(
    tmp_path: Path,
) -> None:
    """NGINX's ingress controller: `config/crd/app-protect-dos` names `../bases/*.yaml`, and its
    Makefile builds it with `--load-restrictor='LoadRestrictionsNone'`. That build works, so no E001;
    relcheck does not build without the restrictor (it would let a build read any file), and an
    info says so, naming the Makefile."""
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "shared.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n")
    (root / "Makefile").write_text(
        "manifests:\n\tkustomize build overlays/prod --load-restrictor='LoadRestrictionsNone' > deploy/all.yaml\n"
    )
    finding = _the_overlay_finding(root, "../shared.yaml")
    assert (finding.code, finding.location.path, finding.severity.label) == (
        "E002", "overlays/prod/kustomization.yaml", "info"
    )
    assert "a file outside its folder, and Makefile builds it with `--load-restrictor" in finding.message
    (root / "Makefile").write_text("manifests:\n\tkustomize build overlays/prod > deploy/all.yaml\n")
    assert _the_overlay_finding(root, "../shared.yaml").code == "E001"


def test_an_overlay_whose_comment_says_to_build_it_without_the_load_restrictor_is_not_rendered(
    tmp_path: Path,
) -> None:
    """contour's `examples/optional-features/kustomization.yaml` opens with "Run with: kubectl
    kustomize --load-restrictor=LoadRestrictionsNone examples/optional-features/": its authors build
    it so, and an info says relcheck does not, as for a Makefile's recipe."""
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "shared.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n")
    overlay = root / "overlays" / "prod" / "kustomization.yaml"
    resources = "resources:\n  - ../../base\n  - ../shared.yaml\npatches:\n  - path: no-readiness.yaml\n"
    how = "# Run with:\n#   kubectl kustomize --load-restrictor=LoadRestrictionsNone overlays/prod/\n"
    overlay.write_text(how + resources)
    (finding,) = scan([root], Config(), select=["E"]).findings
    assert (finding.code, finding.location.path, finding.severity.label) == (
        "E002", "overlays/prod/kustomization.yaml", "info"
    )
    assert "a file outside its folder, and a comment there says to build it with `--load-restrictor" in finding.message
    overlay.write_text("# Built by CI with LoadRestrictionsNone in mind\n" + resources)  # no command: not said
    (finding,) = scan([root], Config(), select=["E"]).findings
    assert finding.code == "E001"


@needs_kustomize
def test_an_overlay_naming_a_file_a_build_step_writes_is_skipped_not_broken(tmp_path: Path) -> None:
    """`resources: [all.yaml]` where all.yaml is written before the build (`helm template >
    all.yaml` in an Argo CD plugin): not in the repository, so not rendered, and said so as an info."""
    finding = _the_overlay_finding(copy("kustomize", tmp_path), "all.yaml")
    assert (finding.code, finding.location.path, finding.severity.label) == (
        "E002", "overlays/prod/kustomization.yaml", "info"
    )
    assert "it names overlays/prod/all.yaml, which is not in the repository" in finding.message


def test_no_render_lints_the_overlay_files_one_by_one() -> None:
    result = scan([RENDER / "kustomize"], Config(render=False), select=["K002", "K014"])
    assert placed(result) == []  # the base has both probes and 3 replicas; the patch is not an object


# --- engines and the template index --------------------------------------------------------------


def test_helm_template_output_is_split_by_source() -> None:
    stream = (
        "---\n# Source: app/templates/a.yaml\napiVersion: v1\nkind: A\n"
        "---\n# Source: app/templates/b.yaml\napiVersion: v1\nkind: B\n"
        "---\n# Source: app/templates/a.yaml\napiVersion: v1\nkind: C\n"
    )
    assert split_sources(stream) == {
        "app/templates/a.yaml": "apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: C\n",
        "app/templates/b.yaml": "apiVersion: v1\nkind: B\n",
    }


def test_the_helm_executable_runs_without_the_callers_helm_settings(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "helm"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "---"; echo "# Source: app/templates/cm.yaml"; echo "apiVersion: v1"; echo "kind: ConfigMap"\n'
        'echo "metadata: {name: \\"$HELM_PLUGINS|$KUBECONFIG|$*\\"}"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("HELM_PLUGINS", "/home/user/.helm/plugins")
    engine = ExecutableEngine(str(fake))
    try:
        output = engine.render(RenderRequest(str(tmp_path), [str(tmp_path / "v.yaml")], "rel", "ns", {"a": 1}))
    finally:
        engine.close()
    text = output.manifests["app/templates/cm.yaml"]
    assert "/home/user/.helm/plugins" not in text and "no-kubeconfig" in text
    assert "template rel " in text and "--namespace ns --values " in text and "inline-values.yaml" in text


def test_a_failing_helm_executable_is_a_located_error(tmp_path: Path) -> None:
    fake = tmp_path / "helm"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'Error: template: app/templates/cm.yaml:3:7: executing \"x\" at <.Values.a.b>: nil' >&2\nexit 1\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    engine = ExecutableEngine(str(fake))
    try:
        output = engine.render(RenderRequest(str(tmp_path), [], "rel", "default"))
    finally:
        engine.close()
    assert output.error is not None and output.error.startswith("template: app/templates/cm.yaml:3:7:")


@needs_sdk
def test_the_sdk_process_survives_a_stopped_render(tmp_path: Path) -> None:
    slow = make_chart(tmp_path / "slow", {"x.yaml": LOOP})
    engine = SdkEngine(timeout=1)
    try:
        assert engine.render(RenderRequest(str(slow), [], "slow", "default")).kind == "timeout"
        fine = engine.render(RenderRequest(str(RENDER / "gitops" / "charts" / "web"), [], "web", "default"))
    finally:
        engine.close()
    assert fine.error is None and "web/templates/deployment.yaml" in fine.manifests


TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: app
          {{- with .Values.probe }}
          readinessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
        - name: sidecar
          image: {{ .Values.sidecar.image }}
---
apiVersion: v1
kind: Service
metadata:
  name: svc
"""


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        (("spec", "replicas"), False, (6, 13, ("replicas",))),
        (("spec", "replicas"), True, (6, 3, ("replicas",))),
        # Inside `with .Values.probe`: the key prints that value, and what is under it too.
        (("spec", "template", "spec", "containers", 0, "readinessProbe"), True, (12, 11, ("probe",))),
        (
            ("spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet", "port"),
            True,
            (13, 13, ("probe", "httpGet", "port")),
        ),
        # Inserted by `toYaml .Values.resources`: list indexes of the value kept.
        (
            ("spec", "template", "spec", "containers", 0, "resources", "limits", "memory"),
            True,
            (16, 13, ("resources", "limits", "memory")),
        ),
        # The second item of the list is the template's second item.
        (("spec", "template", "spec", "containers", 1, "image"), False, (18, 18, ("sidecar", "image"))),
        (("spec", "template", "spec", "containers", 1), True, (17, 9, None)),
        # A key the template does not write: its nearest enclosing key.
        (("spec", "template", "spec", "containers", 0, "ports"), True, (10, 9, None)),
        (("metadata", "name"), True, (4, 3, None)),
    ],
)
def test_template_positions(path: tuple, key: bool, expected: tuple) -> None:
    segments = index_template(TEMPLATE)
    assert [s.kind for s in segments] == ["Deployment", "Service"]
    spot = locate(segments[0], path, key)
    assert (spot.line, spot.column, spot.values) == expected
    assert (segments[1].first_line, segments[1].keys[("metadata", "name")][0]) == (19, 23)


def test_a_template_comment_that_holds_yaml_is_no_key_of_the_template() -> None:
    """jenkins' statefulset keeps the pod securityContext it will have in a `{{/* ... */}}` comment
    over several lines, above the action that writes `runAsUser` today: the finding on that value
    belongs at the action (and the values key that feeds it), not at the comment."""
    template = (
        "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      securityContext:\n"
        "    {{/* The rest of this section becomes:\n        runAsUser: 1000\n        ---\n    */}}\n"
        "        runAsUser: {{ default 0 .Values.controller.runAsUser }}\n"
    )
    segments = index_template(template)
    assert len(segments) == 1
    spot = locate(segments[0], ("spec", "template", "spec", "securityContext", "runAsUser"), False)
    assert (spot.line, spot.column, spot.values) == (11, 20, ("controller", "runAsUser"))


def test_a_variable_set_to_a_value_leads_to_that_value() -> None:
    """prometheus-community's prometheus chart prints its PDB's keys from a variable,
    `$pdbSpec := omit .Values.server.podDisruptionBudget "enabled"`, set above the first `---`:
    `$pdbSpec.minAvailable` is `server.podDisruptionBudget.minAvailable` of the values. A variable
    computed by anything else (`include`) leads nowhere."""
    template = (
        '{{- $pdbSpec := omit .Values.server.podDisruptionBudget "enabled" }}\n'
        '{{- $name := include "x.fullname" . }}\n'
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {{ $name }}\nspec:\n"
        "  minAvailable: {{ $pdbSpec.minAvailable }}\n"
    )
    segments = index_template(template)
    pdb = next(segment for segment in segments if segment.kind == "PodDisruptionBudget")
    spot = locate(pdb, ("spec", "minAvailable"), False)
    assert (spot.line, spot.column, spot.values) == (9, 17, ("server", "podDisruptionBudget", "minAvailable"))
    assert locate(pdb, ("metadata", "name"), False).values is None


@needs_helm
def test_a_finding_on_a_value_only_a_test_install_sets_through_a_variable_is_left_out(tmp_path: Path) -> None:
    """The prometheus chart's `ci/13-pdb-values.yaml` turns its PDB on with `minAvailable: 1` to test
    the template, on the one replica of a test install: K024 was an error at the template line,
    though the chart's own values have no PDB. The value reaches the line through a variable; what
    only a ci/ values file sets is a test, not a deployment. The same values in the chart's own
    values.yaml are reported there."""
    pdb = (
        '{{- if .Values.pdb.enabled }}\n{{- $pdbSpec := omit .Values.pdb "enabled" }}\n'
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: server\nspec:\n"
        "  selector: {matchLabels: {app: server}}\n  minAvailable: {{ $pdbSpec.minAvailable }}\n{{- end }}\n"
    )
    workload = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: server\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: server}}\n  template:\n    metadata: {labels: {app: server}}\n"
        "    spec:\n      containers:\n        - {name: server, image: 'example/server:2.1.0'}\n"
    )
    chart = make_chart(tmp_path / "server", {"pdb.yaml": pdb, "deployment.yaml": workload})
    (chart / "values.yaml").write_text("pdb:\n  enabled: false\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "pdb-values.yaml").write_text("pdb:\n  enabled: true\n  minAvailable: 1\n")
    assert scan([tmp_path], Config(), select=["K024"]).findings == []
    (chart / "values.yaml").write_text("pdb:\n  enabled: true\n  minAvailable: 1\n")
    assert placed(scan([tmp_path], Config(), select=["K024"])) == [("K024", "server/values.yaml", 3, 17)]


def test_show_settings_names_the_engines(run_cli) -> None:
    code, out, _ = run_cli("scan", str(RENDER / "helm"), "--show-settings")
    line = next(line for line in out.splitlines() if line.startswith("render: "))
    assert code == 0 and "Helm: " in line and "kustomize: " in line
    code, out, _ = run_cli("scan", str(RENDER / "helm"), "--show-settings", "--no-render")
    assert "render: off" in out.splitlines()


@needs_helm
def test_an_app_of_apps_counts_its_applications_by_what_they_deploy(tmp_path: Path) -> None:
    application = (
        "{{- range .Values.apps }}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: {{ .name }}}\nspec:\n  source: {path: {{ .path }}}\n{{- end }}\n"
    )
    make_chart(tmp_path / "apps", {"apps.yaml": application})
    (tmp_path / "apps" / "values.yaml").write_text("apps:\n  - {name: plain, path: plain}\n  - {name: lib, path: lib}")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "main.jsonnet").write_text("{}\n")
    result = scan([tmp_path], Config(), select=["E"])
    # The folder of plain manifests is checked as written; the Jsonnet one is not.
    assert placed(result) == [("E002", "apps/templates/apps.yaml", 4, 1)]
    assert result.findings[0].message.startswith("Application 'lib' deploys")


@needs_kustomize
def test_a_root_overlay_and_its_generated_objects_are_placed_in_the_repository(tmp_path: Path) -> None:
    from relcheck.scan.engine import _build

    (tmp_path / "kustomization.yml").write_text(
        "resources:\n  - deploy.yaml\nconfigMapGenerator:\n  - name: settings\n    literals: [A=1]\n"
    )
    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
        "    spec:\n      containers:\n        - name: app\n          image: app:1\n"
    )
    project, _, _ = _build([tmp_path], Config(), None, None, None, 1, None, {})
    assert sorted((o.kind, o.path) for o in project.kube.objects) == [
        ("ConfigMap", "kustomization.yml"),  # made by the generator the kustomization names
        ("Deployment", "deploy.yaml"),
    ]
    result = scan([tmp_path], Config(), select=["K012"])
    assert placed(result) == [("K012", "deploy.yaml", 11, 11)]


@needs_helm
def test_a_values_file_that_is_not_yaml_is_one_e001_at_that_file(tmp_path: Path) -> None:
    root = copy("gitops", tmp_path)
    (root / "charts" / "web" / "values-bad.yaml").write_text("replicaCount: [\n")
    config = Config(helm={"charts": {"charts/web": {"values": ["values-bad.yaml"]}}})
    result = scan([root], config, select=["E001"])
    assert placed(result, "E001") == [("E001", "charts/web/values-bad.yaml", 2, 1)]


def test_a_configured_chart_that_is_not_there_is_named(run_cli, tmp_path: Path) -> None:
    shutil.copytree(RENDER / "gitops" / "charts", tmp_path / "charts")
    (tmp_path / ".relcheck.yaml").write_text("helm:\n  charts:\n    charts/wbe: {release: web}\n")
    _, out, _ = run_cli("scan", str(tmp_path), "--select", "E002", "--quiet")
    assert ".relcheck.yaml:3:5: info    E002 skipped: helm.charts names charts/wbe, which is not a chart folder" in out


@needs_helm
def test_values_that_break_the_charts_schema_are_an_e001_as_helm_template_says(tmp_path: Path) -> None:
    root = copy("gitops", tmp_path)
    (root / "charts" / "web" / "values.schema.json").write_text(
        '{"type": "object", "properties": {"replicaCount": {"type": "integer", "minimum": 5}}}'
    )
    result = scan([root / "charts"], Config(), select=["E001"])
    assert placed(result) == [("E001", "web/values.schema.json", 1, 1)]
    assert "minimum" in result.findings[0].message


@needs_helm
def test_a_value_the_schema_requires_of_every_install_is_a_refusal_by_design(tmp_path: Path) -> None:
    """external-dns's schema requires `policy`, which its values.yaml leaves empty: the chart's own
    values alone are refused by design (an E002), while a value of the wrong kind stays an E001."""
    root = copy("gitops", tmp_path)
    schema = root / "charts" / "web" / "values.schema.json"
    schema.write_text('{"type": "object", "required": ["policy"], "properties": {"policy": {"type": "string"}}}')
    result = scan([root / "charts"], Config(), select=["E"])
    assert [(f.code, f.location.path, f.severity.label) for f in result.findings] == [
        ("E002", "web/values.schema.json", "info")
    ]
    assert "missing property 'policy'" in result.findings[0].message
    schema.write_text(
        '{"type": "object", "required": ["policy"], "properties": {"replicaCount": {"type": "string"}}}'
    )
    assert [f.code for f in scan([root / "charts"], Config(), select=["E"]).findings] == ["E001"]


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@needs_kustomize
def test_a_container_a_patch_puts_first_moves_no_finding_onto_another(tmp_path: Path) -> None:
    """A strategic-merge patch puts a new container before the others, a JSON patch can insert one
    at index 0: the rendered indexes are not those of the resource as written. Each finding stays
    on its own container: the base's `- name: api`, and the `name:` of the container in the patch
    that adds it (`log-shipper` by a strategic merge, `proxy` by a JSON patch's `add` op)."""
    _write_tree(tmp_path, {
        "base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "base/deployment.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n"
            "  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n"
            "    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0.0\n"
        ),
        "overlays/json/kustomization.yaml": (
            "resources: [../../base]\npatches:\n  - path: add-proxy.yaml\n    target: {kind: Deployment}\n"
        ),
        "overlays/json/add-proxy.yaml": (
            "- op: add\n  path: /spec/template/spec/containers/0\n"
            "  value: {name: proxy, image: registry.example.com/proxy:2.0.0}\n"
        ),
        "overlays/sidecar/kustomization.yaml": "resources: [../../base]\npatches:\n  - path: sidecar.yaml\n",
        "overlays/sidecar/sidecar.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: log-shipper\n          image: registry.example.com/shipper:3.1.0\n"
        ),
    })
    result = scan([tmp_path], Config(), select=["K001"])
    found = sorted((f.message.split("'")[1], f.location.path, f.location.line) for f in result.findings)
    assert found == [
        ("api", "base/deployment.yaml", 14),
        ("log-shipper", "overlays/sidecar/sidecar.yaml", 9),
        ("proxy", "overlays/json/add-proxy.yaml", 3),
    ]


@needs_kustomize
def test_a_value_a_json_patch_sets_is_placed_at_the_patch_that_targets_the_object(tmp_path: Path) -> None:
    """sourcegraph's `privileged` component replaces the securityContext of the databases and of
    searcher with `runAsUser: 0`, by JSON patches that name their targets. K011 goes to the op's
    `runAsUser: 0` in the patch that targets each object, not to the base's `runAsUser: 100` (which
    said nothing of root), nor to another target's patch that happens to write the same value; and a
    patch with a label selector (not evaluated) leaves its findings at the base."""

    def statefulset(name: str) -> str:
        return (
            f"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\n  labels: {{app: {name}}}\n"
            f"spec:\n  replicas: 3\n  selector:\n    matchLabels: {{app: {name}}}\n"
            f"  template:\n    metadata:\n      labels: {{app: {name}}}\n"
            f"    spec:\n      containers:\n        - name: {name}\n          image: registry.example.com/{name}:1.0\n"
            "          securityContext:\n            runAsUser: 100\n"
        )

    replace_context = (
        "- op: replace\n  path: /spec/template/spec/containers/0/securityContext\n"
        "  value:\n    allowPrivilegeEscalation: false\n    runAsUser: 0\n"
    )
    _write_tree(tmp_path, {
        "base/kustomization.yaml": "resources: [searcher.yaml, pgsql.yaml, cache.yaml]\n",
        "base/searcher.yaml": statefulset("searcher"),
        "base/pgsql.yaml": statefulset("pgsql"),
        "base/cache.yaml": statefulset("cache"),
        "privileged/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
            "  - path: searcher.yaml\n"
            "    target: {group: apps, version: v1, kind: StatefulSet|Deployment, name: searcher}\n"
            "  - path: databases.yaml\n    target: {kind: StatefulSet, name: pgsql|codeintel-db}\n"
            "  - path: labelled.yaml\n    target: {labelSelector: app=cache}\n"
        ),
        "privileged/searcher.yaml": replace_context,
        "privileged/databases.yaml": "# the databases\n" + replace_context,
        "privileged/labelled.yaml": replace_context,
        "overlay/kustomization.yaml": "resources: [../base]\ncomponents: [../privileged]\n",
    })
    result = scan([tmp_path], Config(), select=["K011"])
    found = sorted((f.message.split("'")[1], f.location.path, f.location.line) for f in result.findings)
    assert found == [
        ("cache", "base/cache.yaml", 18),
        ("pgsql", "privileged/databases.yaml", 6),
        ("searcher", "privileged/searcher.yaml", 5),
    ]


@needs_helm
def test_a_chart_yaml_that_is_a_template_is_an_info(tmp_path: Path) -> None:
    """cockroachdb's helm-charts keep `build/templates/cockroachdb/Chart.yaml` with
    `version: {{ .Version }}`, which its build fills in to write the chart: not YAML yet, and not a
    broken chart (an E002 info at that line). A Chart.yaml that is broken YAML stays an E001."""
    chart = tmp_path / "build" / "templates" / "db"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v1\nname: db\nversion: {{ .Version }}\n")
    (chart / "values.yaml").write_text("replicas: 3\n")
    result = scan([tmp_path], Config(), select=["E"])
    assert [(f.code, f.severity.label, f.location.line) for f in result.findings] == [("E002", "info", 3)]
    assert "`version: {{ .Version }}`" in result.findings[0].message
    (chart / "Chart.yaml").write_text("apiVersion: v1\nname: [db\nversion: 1.0.0\n")
    assert [f.code for f in scan([tmp_path], Config(), select=["E"]).findings] == ["E001"]


@needs_helm
def test_a_cloud_marketplace_chart_whose_deployer_gives_its_values_is_not_an_error(tmp_path: Path) -> None:
    """percona-helm-charts' `gcp-marketplace/psmdb-operator`: its chart leaves the image empty
    (`registry: null`) for Google Cloud Marketplace's deployer to fill in from the app's schema.yaml,
    and `trunc 5` of the empty tag stops Helm. That is how the app is deployed, not a broken chart:
    an info. Its deployer and tester images (`FROM gcr.io/cloud-marketplace-tools/...`) install and
    test the app once: no services. Without the schema, the same chart is an E001."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: operator}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: operator}}\n  template:\n    metadata: {labels: {app: operator}}\n"
        "    spec:\n      containers:\n        - name: operator\n"
        "          image: {{ .Values.image.registry }}/operator:{{ .Values.image.tag | trunc 5 }}\n"
    )
    app = tmp_path / "gcp-marketplace" / "operator"
    chart = make_chart(app / "chart" / "operator", {"deployment.yaml": deployment})
    (chart / "values.yaml").write_text("image:\n  registry: null\n  tag: null\n")
    (app / "schema.yaml").write_text(
        "x-google-marketplace:\n  schemaVersion: v2\n  images:\n    '':\n      properties:\n"
        "        image.registry: {type: REGISTRY}\n        image.tag: {type: TAG}\n"
    )
    (app / "deployer").mkdir()
    (app / "deployer" / "Dockerfile").write_text(
        "ARG MARKETPLACE_TOOLS_TAG\nFROM gcr.io/cloud-marketplace-tools/k8s/deployer_helm:$MARKETPLACE_TOOLS_TAG\n"
        "COPY chart /data/chart/\n"
    )
    (app / "apptest" / "tester").mkdir(parents=True)
    (app / "apptest" / "tester" / "Dockerfile").write_text(
        'FROM gcr.io/cloud-marketplace-tools/testrunner:0.1.2\nCOPY tests /tests\nENTRYPOINT ["tester.sh"]\n'
    )
    result = scan([tmp_path], Config())
    refused = [f for f in result.findings if f.code in ("E001", "E002") and "Helm chart" in f.message]
    assert [(f.code, f.severity.label) for f in refused] == [("E002", "info")]
    assert "Google Cloud Marketplace's deployer" in refused[0].message
    assert result.services == []
    (app / "schema.yaml").unlink()
    result = scan([tmp_path], Config(), select=["E"])
    assert [f.code for f in result.findings if "Helm" in f.message] == ["E001"]


@needs_helm
def test_a_value_the_chart_requires_of_every_install_skips_its_default_render(tmp_path: Path) -> None:
    """`required` (or `fail`) refusing the chart's own values.yaml is the chart's design (a password
    each install gives): an info, not an E001; its ci/ values files still render and are checked.
    With values the config names, the same refusal is an error in those values."""
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
        'stringData:\n  password: {{ required "db.password is required" .Values.db.password }}\n'
    )
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: exporter}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: exporter}}\n  template:\n    metadata: {labels: {app: exporter}}\n"
        "    spec:\n      containers: [{name: exporter, image: 'quay.io/example/collector:0.15.0'}]\n"
    )
    chart = make_chart(tmp_path / "exporter", {"secret.yaml": secret, "deployment.yaml": deployment})
    (chart / "values.yaml").write_text("db: {}\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "password-values.yaml").write_text("db: {password: example}\n")
    result = scan([tmp_path], Config(), select=["E", "K014"])
    assert placed(result) == [
        ("E002", "exporter/templates/secret.yaml", 5, 15),
        ("K014", "exporter/templates/deployment.yaml", 5, 3),
    ]
    skipped = next(f for f in result.findings if f.code == "E002")
    assert skipped.severity.label == "info" and "db.password is required" in skipped.message
    (chart / "values-prod.yaml").write_text("db: {user: exporter}\n")
    configured = scan([tmp_path], Config(helm={"charts": {"exporter": {"values": ["values-prod.yaml"]}}}), select=["E"])
    assert [(f.code, f.location.path) for f in configured.findings] == [("E001", "exporter/templates/secret.yaml")]


@needs_helm
def test_a_chart_that_renders_only_with_its_ci_values_needs_values_by_design(tmp_path: Path) -> None:
    """temporal's chart leaves its datastore empty in values.yaml and fails to render with it (not
    through `required`, with a template error); its ci/ values files give one and render. That is
    a chart every install configures: an E002 info at the error, not an E001. What only the ci/
    values set (`replicas: 1` for a test install) is not reported; the templates are checked."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: server}\nspec:\n"
        "  replicas: {{ .Values.replicas }}\n"
        "  selector: {matchLabels: {app: server}}\n  template:\n    metadata: {labels: {app: server}}\n"
        "    spec:\n      containers:\n      - name: server\n        image: 'example/server:1.2.0'\n"
        "        env: [{name: DB_HOST, value: {{ .Values.store.sql.host | quote }}}]\n"
    )
    chart = make_chart(tmp_path / "server", {"deployment.yaml": deployment})
    (chart / "values.yaml").write_text("replicas: 3\nstore:\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "mysql-values.yaml").write_text("replicas: 1\nstore: {sql: {host: mysql}}\n")
    result = scan([tmp_path], Config(), select=["E", "K006", "K014"])
    assert placed(result) == [
        ("E002", "server/templates/deployment.yaml", 13, 47),
        ("K006", "server/templates/deployment.yaml", 11, 7),
    ]
    (refused,) = (f for f in result.findings if f.code == "E002")
    assert refused.severity.label == "info" and "ci/ values files render" in refused.message
    (chart / "ci" / "mysql-values.yaml").write_text("replicas: 1\nstore: {nosql: {}}\n")
    broken = scan([tmp_path], Config(), select=["E"])
    assert [(f.code, f.severity.label) for f in broken.findings] == [("E001", "error"), ("E001", "error")]


@needs_helm
def test_a_template_reading_into_a_value_the_defaults_leave_out_is_refused_by_design(tmp_path: Path) -> None:
    """openreplay's subcharts read `.Values.global.s3.existingSecret`, which the values file its
    installer passes gives and values.yaml does not: Helm stops on a nil pointer. The chart is not
    rendered with its defaults alone (an E002 info), as with `required`: relcheck cannot tell a value
    the chart expects from a misspelt one, and says what it did not check rather than guess."""
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s3}\n"
        "stringData:\n  secret: {{ .Values.global.s3.existingSecret | quote }}\n"
    )
    chart = make_chart(tmp_path / "app", {"secret.yaml": secret})
    (chart / "values.yaml").write_text("global: {env: {}}\n")
    (refused,) = scan([tmp_path], Config(), select=["E"]).findings
    assert (refused.code, refused.severity.label) == ("E002", "info")
    assert "not rendered with its own values.yaml alone" in refused.message
    assert refused.location.path == "app/templates/secret.yaml"
    # Given the value, the chart renders and is checked.
    (chart / "values.yaml").write_text("global: {s3: {existingSecret: s3-keys}}\n")
    assert scan([tmp_path], Config(), select=["E"]).findings == []
    # envoy gateway's chart commits no values.yaml: its build writes one from values.tmpl.yaml.
    (chart / "values.yaml").unlink()
    (chart / "values.tmpl.yaml").write_text("global: {s3: {existingSecret: ${S3_SECRET}}}\n")
    (refused,) = scan([tmp_path], Config(), select=["E"]).findings
    assert refused.message.startswith(
        "Helm chart app has no values.yaml: its build writes one from values.tmpl.yaml (a template with placeholders)"
    )


@needs_helm
def test_a_ci_values_file_refused_as_the_defaults_are_is_the_same_refusal(tmp_path: Path) -> None:
    """n8n's chart `fail`s until an encryption key is given; its ci/ values file gives none either:
    the same refusal by design (an info each), not a broken chart. A ci/ file refused for another
    reason is still an E001."""
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
        'stringData:\n  password: {{ required "db.password is required" .Values.db.password }}\n'
        '  user: {{ required "db.user is required" .Values.db.user }}\n'
    )
    chart = make_chart(tmp_path / "app", {"secret.yaml": secret})
    (chart / "values.yaml").write_text("db: {user: app}\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "extra-values.yaml").write_text("replicas: 2\n")
    (chart / "ci" / "no-user-values.yaml").write_text("db: {password: example, user: null}\n")
    result = scan([tmp_path], Config(), select=["E"])
    assert sorted((f.code, f.severity.label, "ci/extra" in f.message) for f in result.findings) == [
        ("E001", "error", False),  # no-user-values.yaml: refused for a value values.yaml gives
        ("E002", "info", False),
        ("E002", "info", True),
    ]


@needs_helm
def test_a_values_file_with_a_repeated_key_still_renders_as_helm_does(tmp_path: Path) -> None:
    """Helm keeps the last of two equal keys in a values file (kustomize's inflation and Flux refuse
    the file): an E001 that says so, and the render with that file still runs and is checked."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  replicas: {{ .Values.replicaCount }}\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers: [{name: web, image: 'registry.example.com/web:1.0.0'}]\n"
    )
    chart = make_chart(tmp_path / "web", {"deployment.yaml": deployment})
    (chart / "values.yaml").write_text("replicaCount: 3\n")
    (chart / "values-prod.yaml").write_text("replicaCount: 3\nreplicaCount: 1\n")
    config = Config(helm={"charts": {"web": {"values": ["values-prod.yaml"]}}})
    result = scan([tmp_path], config, select=["E", "K014"])
    assert sorted((f.code, f.location.path, f.location.line) for f in result.findings) == [
        ("E001", "web/values-prod.yaml", 2),
        # The last value, 1, as Helm renders it; at the template line, as which key set it is not known.
        ("K014", "web/templates/deployment.yaml", 5),
    ]
    assert "Helm keeps the last value" in next(f.message for f in result.findings if f.code == "E001")


@needs_kustomize
def test_an_overlay_whose_generator_reads_a_file_the_deploy_tool_writes_is_skipped_not_broken(tmp_path: Path) -> None:
    """`configMapGenerator: [{envs: [.env]}]` where `.env` is written by the deploy tool (azd) and
    ignored by git: kustomize cannot build it here, which is no fault of the overlay."""
    root = copy("kustomize", tmp_path)
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\npatches:\n  - path: no-readiness.yaml\n"
        "configMapGenerator:\n  - name: app\n    envs:\n      - .env\n"
        "secretGenerator:\n  - name: keys\n    files:\n      - tls.key=certs/tls.key\n"
    )
    result = scan([root], Config(), select=["E"])
    (finding,) = result.findings
    assert (finding.code, finding.location.path, finding.severity.label) == (
        "E002", "overlays/prod/kustomization.yaml", "info"
    )
    assert "it names overlays/prod/.env, which is not in the repository" in finding.message
    (root / "overlays" / "prod" / ".env").write_text("LOG_LEVEL=info\n")
    result = scan([root], Config(), select=["E"])
    assert "it names overlays/prod/certs/tls.key" in result.findings[0].message
    (root / "overlays" / "prod" / "certs").mkdir()
    (root / "overlays" / "prod" / "certs" / "tls.key").write_text("key\n")
    assert scan([root], Config(), select=["E"]).findings == []


def test_random_and_clock_calls_get_fixed_stand_ins_inside_actions_only() -> None:
    from relcheck.render.steady import steadied

    template = (
        "# now the job is named anew on each install\n"
        'name: {{ .Release.Name }}-{{ randAlphaNum 5 | lower }}-{{ randNumeric (int .Values.n) }}\n'
        "id: {{ uuidv4 }}\nstamp: {{ now | date \"20060102\" }}\nnow: {{ .Values.now }}\n"
    )
    assert steadied(template) == (
        "# now the job is named anew on each install\n"
        'name: {{ .Release.Name }}-{{ repeat 5 "x" | lower }}-{{ repeat (int .Values.n) "0" }}\n'
        'id: {{ "00000000-0000-4000-8000-000000000000" }}\n'
        'stamp: {{ (toDate "2006-01-02" "2000-01-01") | date "20060102" }}\nnow: {{ .Values.now }}\n'
    )


def test_words_in_strings_and_comments_are_no_calls() -> None:
    """Jenkins' chart: `{{ fail "... RBAC roles are now generated ..." }}` had its `now` replaced,
    which broke the string and made Helm refuse the chart (an E001 for every values file)."""
    from relcheck.render.steady import steadied

    template = (
        '{{ fail "`rbac.roleRef`: roles are now generated" }}\n'
        "{{/* uuidv4 and now are called below */}}\n"
        "{{ printf `now %s` (now | date \"2006\") }}-{{ print 'x' }}\n"
    )
    assert steadied(template) == (
        '{{ fail "`rbac.roleRef`: roles are now generated" }}\n'
        "{{/* uuidv4 and now are called below */}}\n"
        '{{ printf `now %s` ((toDate "2006-01-02" "2000-01-01") | date "2006") }}-{{ print \'x\' }}\n'
    )


def test_a_chart_that_only_says_now_is_rendered_from_itself(tmp_path: Path) -> None:
    from relcheck.render.steady import steady_copy

    chart = tmp_path / "app"
    (chart / "templates").mkdir(parents=True)
    check = '{{ if .Values.old }}{{ fail "roles are now generated" }}{{ end }}\n'
    (chart / "templates" / "checks.yaml").write_text(check)
    assert steady_copy(chart) is None


@needs_helm
def test_an_object_named_at_random_is_named_the_same_on_every_scan(tmp_path: Path) -> None:
    """Flagsmith's migration Job: `-{{ randAlphaNum 5 | lower }}` in its name. The findings about
    it, and their fingerprints, are the same from one scan to the next."""
    job = (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n"
        "  name: {{ .Release.Name }}-migrate-{{ randAlphaNum 5 | lower }}\n"
        "  annotations: {started: {{ now | date \"20060102150405\" | quote }}}\n"
        "spec:\n  template:\n    spec:\n      restartPolicy: Never\n"
        "      containers: [{name: migrate, image: 'migrate:1.0.0'}]\n"
    )
    chart = make_chart(tmp_path / "app", {"job.yaml": job})
    first, second = (scan([chart], Config(), select=["K006"]).findings for _ in range(2))
    assert [f.message for f in first] == [f.message for f in second]
    assert "Job 'app-migrate-xxxxx'" in first[0].message
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]
    assert (chart / "templates" / "job.yaml").read_text() == job  # the repository's file is untouched


def test_the_copy_without_missing_dependencies_keeps_an_emoji_helm_can_read(tmp_path: Path) -> None:
    """open-webui's Chart.yaml: "… 👋" in its description. Written as ASCII-escaped JSON it became
    `\\ud83d\\udc4b`, which Helm's YAML reader refuses, and the chart did not render."""
    from relcheck.render.unvendored import without_missing
    from relcheck.syntax.yaml import load_one

    chart = make_chart(
        tmp_path / "open-webui",
        {},
        'description: "Open WebUI 👋"\ndependencies:\n  - {name: ollama, version: 1.0.0, repository: https://x}\n',
    )
    copy = without_missing(chart)
    assert copy is not None
    try:
        written = (Path(copy.folder) / "Chart.yaml").read_text(encoding="utf-8")
        assert "\\ud83d" not in written and load_one(written)[0]["description"] == "Open WebUI 👋"
    finally:
        copy.close()


def test_a_chart_that_says_now_only_in_its_text_is_rendered_where_it_is(tmp_path: Path) -> None:
    from relcheck.render.steady import steady_copy

    chart = make_chart(tmp_path / "app", {"cm.yaml": "# now configurable\nkind: ConfigMap\ndata: {a: now}\n"})
    assert steady_copy(chart) is None
    (chart / "templates" / "cm.yaml").write_text("kind: ConfigMap\ndata: {a: {{ now | date \"2006\" }}}\n")
    copy = steady_copy(chart)
    assert copy is not None
    copy.close()


@needs_helm
def test_a_service_of_a_workload_template_its_values_leave_out_is_worth_a_look_not_a_warning(tmp_path: Path) -> None:
    """bitnami's Ghost chart deploys nothing until `ghostHost` is set (`{{- if include "ghost.host" . }}`
    around its Deployment), while its Service and PodDisruptionBudget render: with the chart's own
    values they select nothing, which says nothing of the release a user installs. An info names
    the template beside them that rendered nothing; with the host set, nothing is reported."""
    labels = "app.kubernetes.io/name: ghost"
    deployment = (
        "{{- if .Values.host }}\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ghost}\nspec:\n"
        f"  selector: {{matchLabels: {{{labels}}}}}\n  template:\n    metadata: {{labels: {{{labels}}}}}\n"
        "    spec: {containers: [{name: ghost, image: 'ghost:5.0.0'}]}\n{{- end }}\n"
    )
    # An HPA's scaleTargetRef names a workload kind too: it is no workload template.
    hpa = (
        "{{- if .Values.autoscaling }}\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        "metadata: {name: ghost}\nspec:\n  scaleTargetRef:\n    kind: Deployment\n    name: ghost\n"
        "  minReplicas: 3\n  maxReplicas: 10\n{{- end }}\n"
    )
    service = f"apiVersion: v1\nkind: Service\nmetadata: {{name: ghost}}\nspec:\n  selector: {{{labels}}}\n"
    service += "  ports: [{port: 80, targetPort: 2368}]\n"
    pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: ghost}\nspec:\n  maxUnavailable: 1\n"
    pdb += f"  selector: {{matchLabels: {{{labels}}}}}\n"
    templates = {"deployment.yaml": deployment, "hpa.yaml": hpa, "svc.yaml": service, "pdb.yaml": pdb}
    chart = make_chart(tmp_path / "ghost", templates)
    (chart / "values.yaml").write_text("host: ''\nautoscaling: false\n")
    findings = [f for f in scan([chart], Config(), select=["K025", "K027"]).findings if f.code != "E002"]
    assert [(f.code, f.location.path, f.severity.label) for f in findings] == [
        ("K025", "templates/pdb.yaml", "info"), ("K027", "templates/svc.yaml", "info")
    ]
    assert all("templates/deployment.yaml writes a workload but renders nothing" in f.message for f in findings)
    # No workload of the chart rendered: the scan says that nothing it deploys was checked, at the
    # template's condition (the HPA's template, which writes no workload, is not named).
    skipped = [f for f in scan([chart], Config(), select=["E002"]).findings if "renders nothing" in f.message]
    assert [(f.location.path, f.location.line) for f in skipped] == [("templates/deployment.yaml", 1)]
    assert "writes a Deployment but renders nothing with the chart's values (`{{ if .Values.host }}` is false)" in (
        skipped[0].message
    )
    (chart / "values.yaml").write_text("host: blog.example.com\nautoscaling: false\n")
    assert scan([chart], Config(), select=["K025", "K027"]).findings == []
    assert not [f for f in scan([chart], Config(), select=["E002"]).findings if "renders nothing" in f.message]
    (chart / "templates" / "deployment.yaml").unlink()  # nothing left out: the selector is wrong
    findings = scan([chart], Config(), select=["K025", "K027"]).findings
    assert [(f.code, f.severity.label) for f in findings] == [("K025", "warning"), ("K027", "warning")]


@needs_kustomize
def test_an_hpa_that_names_a_workload_another_overlay_builds_says_so(tmp_path: Path) -> None:
    """gitops-istio: `apps/backend/hpa.yaml` names the frontend's Deployment (a copy-paste slip),
    which the `apps/frontend` overlay builds in the same namespace. K026 said the Deployment was
    not in the namespace in this scan; it is, from another overlay, and applied together the
    frontend would have two autoscalers. The finding says which overlay builds it and points there."""
    def app(name: str, target: str) -> dict[str, str]:
        deployment = (
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: prod}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
            f"    spec:\n      containers: [{{name: {name}, image: 'example/{name}:1.0.0'}}]\n"
        )
        hpa = (
            f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {name}, namespace: prod}}\n"
            f"spec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}\n"
            "  minReplicas: 3\n  maxReplicas: 10\n"
        )
        return {
            f"apps/{name}/deployment.yaml": deployment,
            f"apps/{name}/hpa.yaml": hpa,
            f"apps/{name}/kustomization.yaml": "resources: [deployment.yaml, hpa.yaml]\n",
        }

    _write_tree(tmp_path, {**app("backend", "frontend"), **app("frontend", "frontend")})
    result = scan([tmp_path], Config(), select=["K026"])
    [finding] = result.findings
    assert (finding.location.path, finding.location.line) == ("apps/backend/hpa.yaml", 5)
    said = "which kustomize overlay apps/backend does not build: kustomize overlay apps/frontend does"
    assert said in finding.message
    assert [(r.location.path, r.location.line) for r in finding.related][:1] == [("apps/frontend/deployment.yaml", 3)]
    assert finding.message.endswith("(check the name; applied together, it would have two autoscalers)")
    # Without an autoscaler of its own, the frontend would have one: only the name is in question.
    (tmp_path / "apps/frontend/kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    (tmp_path / "apps/frontend/hpa.yaml").unlink()
    [finding] = scan([tmp_path], Config(), select=["K026"]).findings
    assert finding.message.endswith("apps/frontend does (check the name)")


@needs_kustomize
def test_an_overlay_of_services_budgets_or_autoscalers_alone_selects_what_another_overlay_builds(
    tmp_path: Path,
) -> None:
    """eks-workshop's `keda/scaledobject` overlay holds a ScaledObject alone, and `exposing/
    load-balancer/nlb` a Service alone, each applied beside the overlay that builds the `ui`
    Deployment: those pods are their targets, not a slip. A wrong name or label is still reported."""
    _write_tree(tmp_path, {
        "base/ui/kustomization.yaml": "resources: [deployment.yaml]\n",
        "base/ui/deployment.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ui, namespace: ui}\nspec:\n"
            "  selector: {matchLabels: {app: ui}}\n  template:\n    metadata: {labels: {app: ui}}\n"
            "    spec:\n      containers: [{name: ui, image: 'example/ui:1.0.0'}]\n"
        ),
        "addons/kustomization.yaml": "resources: [scaledobject.yaml, nlb.yaml, pdb.yaml]\n",
        "addons/scaledobject.yaml": (
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: ui-hpa, namespace: ui}\n"
            "spec:\n  scaleTargetRef: {name: ui}\n  minReplicaCount: 3\n  maxReplicaCount: 10\n"
            "  triggers: [{type: cpu, metricType: Utilization, metadata: {value: '80'}}]\n"
        ),
        "addons/nlb.yaml": (
            "apiVersion: v1\nkind: Service\nmetadata: {name: ui-nlb, namespace: ui}\n"
            "spec:\n  type: LoadBalancer\n  selector: {app: ui}\n  ports: [{port: 80, targetPort: 8080}]\n"
        ),
        "addons/pdb.yaml": (
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: ui, namespace: ui}\n"
            "spec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: ui}}\n"
        ),
    })
    assert scan([tmp_path], Config(), select=["K025", "K026", "K027"]).findings == []
    for name in ("scaledobject.yaml", "nlb.yaml", "pdb.yaml"):
        path = tmp_path / "addons" / name
        path.write_text(path.read_text().replace("name: ui}", "name: web}").replace("app: ui}", "app: web}"))
    findings = scan([tmp_path], Config(), select=["K025", "K026", "K027"]).findings
    assert sorted((f.code, f.location.path) for f in findings) == [
        ("K025", "addons/pdb.yaml"), ("K026", "addons/scaledobject.yaml"), ("K027", "addons/nlb.yaml")
    ]
    assert "scales Deployment 'web', which is not in namespace 'ui' in this scan" in (
        next(f.message for f in findings if f.code == "K026")
    )


@needs_kustomize
def test_one_finding_where_an_overlay_turns_a_statefulset_into_a_deployment(tmp_path: Path) -> None:
    """sourcegraph's `old-cluster` example turns its database StatefulSets into Deployments: K014 says
    "more replicas of this Deployment" there and "of this StatefulSet" as the file and every other
    overlay build it. One problem at one line, said in the file's words, however many overlays."""
    _write_tree(tmp_path, {
        "base/kustomization.yaml": "resources: [pgsql.yaml]\n",
        "base/pgsql.yaml": (
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: pgsql\nspec:\n  replicas: 1\n"
            "  serviceName: pgsql\n  selector:\n    matchLabels: {app: pgsql}\n  template:\n"
            "    metadata:\n      labels: {app: pgsql}\n    spec:\n      containers:\n"
            "        - name: pgsql\n          image: postgres:16.1\n"
        ),
        "examples/old-cluster/kustomization.yaml": (
            "resources: [../../base]\npatches:\n  - target: {kind: StatefulSet, name: pgsql}\n"
            "    patch: |-\n      - op: replace\n        path: /kind\n        value: Deployment\n"
        ),
        "examples/small/kustomization.yaml": "resources: [../../base]\n",
        "examples/large/kustomization.yaml": "resources: [../../base]\nnamespace: large\n",
    })
    result = scan([tmp_path], Config(), select=["K014"])
    assert [(f.location.path, f.location.line) for f in result.findings] == [("base/pgsql.yaml", 6)]
    assert "of this StatefulSet are copies" in result.findings[0].message


def _sourcegraph_like_base(name: str = "frontend") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 3\n"
        f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n"
        f"    spec:\n      securityContext:\n        runAsUser: 100\n      containers:\n        - name: {name}\n"
        f"          image: registry.example.com/{name}:1.0\n"
        "          resources:\n            limits: {memory: 1Gi}\n            requests: {memory: 1Gi, cpu: 100m}\n"
    )


@needs_kustomize
def test_a_value_an_inline_json_patch_sets_is_placed_at_its_line_in_the_kustomization(tmp_path: Path) -> None:
    """sourcegraph's `monitoring/privileged` component writes its JSON patch in the kustomization
    (`patch: |-`): K011 goes to the `runAsUser: 0` that block writes, not to the base's
    `runAsUser: 100`. A patch in another style (a quoted string) leaves the finding at the base."""
    _write_tree(tmp_path, {
        "base/kustomization.yaml": "resources: [frontend.yaml]\n",
        "base/frontend.yaml": _sourcegraph_like_base(),
        "privileged/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
            "  - patch: |-\n"
            "      - op: replace\n"
            "        path: /spec/template/spec/securityContext\n"
            "        value:\n"
            "          runAsUser: 0\n"
            "    target: {kind: Deployment, name: frontend}\n"
        ),
        "overlay/kustomization.yaml": "resources: [../base]\ncomponents: [../privileged]\n",
    })
    result = scan([tmp_path], Config(), select=["K011"])
    found = [(f.location.path, f.location.line, f.location.column) for f in result.findings]
    assert found == [("privileged/kustomization.yaml", 8, 11)]
    quoted = '"- op: replace\\n  path: /spec/template/spec/securityContext\\n  value:\\n    runAsUser: 0\\n"'
    (tmp_path / "privileged" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
        f"  - patch: {quoted}\n    target: {{kind: Deployment, name: frontend}}\n"
    )
    found = [(f.location.path, f.location.line) for f in scan([tmp_path], Config(), select=["K011"]).findings]
    assert found == [("base/frontend.yaml", 14)]


@needs_kustomize
def test_a_key_a_json_patch_removes_is_reported_at_the_remove_op(tmp_path: Path) -> None:
    """sourcegraph's `remove/resources` component removes each container's `resources` for small
    clusters: K006 goes to that `op: remove` (where a suppression for the overlay belongs), not to
    the base's `limits:`, which sets the memory limit the finding says is missing. An op a later
    patch undoes places nothing."""
    _write_tree(tmp_path, {
        "base/kustomization.yaml": "resources: [frontend.yaml]\n",
        "base/frontend.yaml": _sourcegraph_like_base(),
        "remove/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
            "  - path: container-0.yaml\n    target: {kind: Deployment|StatefulSet, name: .*}\n"
        ),
        "remove/container-0.yaml": (
            "# no resources on a laptop\n- op: remove\n  path: /spec/template/spec/containers/0/resources\n"
        ),
        "dev/kustomization.yaml": "resources: [../base]\ncomponents: [../remove]\n",
    })
    found = scan([tmp_path], Config(), select=["K006"]).findings
    assert [(f.location.path, f.location.line, f.location.column) for f in found] == [("remove/container-0.yaml", 2, 3)]
    assert found[0].message.startswith("container 'frontend' of Deployment 'frontend': no resources.limits.memory")
    assert [r.location.path for r in found[0].related] == ["base/frontend.yaml", "dev/kustomization.yaml"]


@needs_helm
def test_two_problems_one_render_writes_at_one_template_line_are_two_findings(tmp_path: Path) -> None:
    """Kong's chart writes a Service's ports in a `range`: two ports no container declares (8002,
    8445) are two K027 findings at that one template line, in every render of the chart; findings
    of different renders whose messages differ only in numbers are still one."""
    chart = make_chart(
        tmp_path / "manager",
        {
            "deployment.yaml": _one_container_deployment("manager").replace(
                "image: 'example/manager:1.0.0'", "image: 'example/manager:1.0.0', ports: [{containerPort: 8000}]"
            ),
            "service.yaml": (
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: manager\nspec:\n  selector: {app: manager}\n"
                "  ports:\n  {{- range .Values.ports }}\n    - {name: p{{ . }}, port: {{ . }}, targetPort: {{ . }}}\n"
                "  {{- end }}\n"
            ),
        },
    )
    (chart / "values.yaml").write_text("ports: [8002, 8445]\n")
    (chart / "ci").mkdir()
    (chart / "ci" / "a-values.yaml").write_text("ports: [8002, 8445]\n")
    (chart / "ci" / "b-values.yaml").write_text("ports: [8445, 8002]\n")
    result = scan([tmp_path], Config(), select=["K027"])
    assert sorted((f.location.path, f.location.line, f.message.split(" to ")[0]) for f in result.findings) == [
        ("manager/templates/service.yaml", 7, "Service 'manager' sends port 8002"),
        ("manager/templates/service.yaml", 7, "Service 'manager' sends port 8445"),
    ]


@needs_kustomize
def test_objects_one_render_makes_from_one_line_share_its_finding(tmp_path: Path) -> None:
    """kustomize's multibases example builds one base twice in one overlay, under two name prefixes:
    the two Pods' missing memory limit is one problem at the base's line, not two. (Two problems of
    one object there stay two: see the Service with two undeclared ports above.)"""
    _write_tree(tmp_path, {
        "base/kustomization.yaml": "resources: [pod.yaml]\n",
        "base/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: myapp-pod\nspec:\n  containers:\n"
        "    - name: nginx\n      image: nginx:1.27.0\n",
        "staging/kustomization.yaml": "resources: [../base]\nnamePrefix: staging-\n",
        "prod/kustomization.yaml": "resources: [../base]\nnamePrefix: prod-\n",
        "kustomization.yaml": "resources: [staging, prod]\n",
    })
    result = scan([tmp_path], Config(), select=["K006"])
    assert [(f.location.path, f.location.line) for f in result.findings] == [("base/pod.yaml", 7)]


@needs_kustomize
def test_what_an_overlay_builds_from_an_excluded_folder_is_not_checked_there(tmp_path: Path) -> None:
    """kserve's `config/overlays/test-modelcache` builds `../test`, a test folder the scan leaves
    out: its seaweedfs Deployment was reported at line 1 of a file the scan does not check. What the
    overlay writes from its own files is still checked."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: 3\n"
        "  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
        "    spec:\n      containers:\n        - name: {name}\n          image: example/{name}:1.0\n"
    )
    _write_tree(tmp_path, {
        "overlays/test/kustomization.yaml": "resources: [storage.yaml]\n",
        "overlays/test/storage.yaml": deployment.format(name="storage"),
        "overlays/test-modelcache/kustomization.yaml": "resources: [../test, api.yaml]\n",
        "overlays/test-modelcache/api.yaml": deployment.format(name="api"),
    })
    result = scan([tmp_path], Config(), select=["K001"])
    assert placed(result) == [("K001", "overlays/test-modelcache/api.yaml", 11, 11)]
