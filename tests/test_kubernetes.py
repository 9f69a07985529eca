"""Kubernetes parsing and the cross-object model: stdin, the real-world corpus, hostile YAML, units."""

from __future__ import annotations

import json
import subprocess
import time
import tracemalloc
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from relcheck.artifacts.kubernetes import int_or_percent, scaled_value, selector_matches
from relcheck.config.loader import Config
from relcheck.parsers.kubernetes import parse_manifests
from relcheck.scan.engine import scan
from relcheck.units.quantities import parse_quantity

from .conftest import ROOT, SHARED, relcheck_command

LEGACY_K8S = ROOT / "examples" / "legacy-service" / "k8s"
CORPUS = SHARED / "corpus"


def _k_findings(report: dict) -> Counter:
    return Counter((f["code"], f["message"]) for f in report["findings"] if f["code"].startswith("K"))


def test_stdin_reports_the_same_k_findings_as_the_folder() -> None:
    manifests = "".join(p.read_text() for p in sorted(LEGACY_K8S.glob("*.yaml")))
    piped = subprocess.run(
        [*relcheck_command(), "scan", "-", "--format", "json"],
        input=manifests,
        capture_output=True,
        text=True,
        timeout=60,
    )
    folder = subprocess.run(
        [*relcheck_command(), "scan", str(LEGACY_K8S), "--format", "json"], capture_output=True, text=True, timeout=60
    )
    assert piped.returncode == folder.returncode == 1
    piped_report, folder_report = json.loads(piped.stdout), json.loads(folder.stdout)
    assert _k_findings(piped_report) and _k_findings(piped_report) == _k_findings(folder_report)
    assert {f["path"] for f in piped_report["findings"]} == {"<stdin>"}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus (../shared/corpus) is not present")
def test_corpus_parses_without_errors() -> None:
    result = scan([CORPUS], Config(default_excludes=False))  # every file, testdata folders included
    errors = [(f.location.path, f.message) for f in result.findings if f.code in ("E001", "E002")]
    assert errors == []
    assert len(result.files) >= 142
    kinds = Counter(f.kind for f in result.files)
    assert kinds["kubernetes"] >= 100
    codes = Counter(f.code for f in result.findings)
    # Sensible findings on real projects: missing PDBs, unpinned images, default rollouts...
    assert codes["K019"] and codes["K023"] and codes["K015"]
    # kube-prometheus selects operator-managed pods; they are not reported as missing.
    assert not [f for f in result.findings if f.code in ("K025", "K027") and "alertmanager-main" in f.message]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus (../shared/corpus) is not present")
def test_corpus_shapes() -> None:
    k8s = CORPUS / "k8s"
    lists = k8s / "prometheus-operator__kube-prometheus" / "manifests"
    list_objects = [o for p in lists.glob("*.yaml") for o in parse_manifests(p.name, p.read_text())[0] if o.base]
    assert len([o for o in list_objects if o.kind == "ConfigMap"]) == 33
    flow = k8s / "kubernetes__website"
    objects = [o for p in flow.rglob("*.yaml") for o in parse_manifests(p.name, p.read_text())[0]]
    assert {"HorizontalPodAutoscaler", "Pod", "StatefulSet", "PodDisruptionBudget"} <= {o.kind for o in objects}


MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hostile}\n"
HOSTILE = {
    "billion-laughs.yaml": MANIFEST
    + "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"l{i}: &a{i} [" + ", ".join([f"*{'a' if i == 0 else f'a{i - 1}'}"] * 10) + "]\n" for i in range(9)),
    "aliases-to-aliases.yaml": MANIFEST
    + "x0: &x0 v\n"
    + "".join(f"x{i}: &x{i} [*x{i - 1}, *x{i - 1}]\n" for i in range(1, 10000)),
    "deep-flow.yaml": MANIFEST + "data: " + "[" * 10000 + "]" * 10000 + "\n",
    "deep-block.yaml": MANIFEST
    + "data:\n"
    + "".join("  " * i + f"k{i}:\n" for i in range(1, 1000))
    + "  " * 1000
    + "v\n",
    "duplicate-keys.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nkind: Service\n",
    "tabs.yaml": "apiVersion: v1\nkind: Pod\nspec:\n\tcontainers: []\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_is_bounded(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(HOSTILE[name])
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: fine}\nspec: {}\n")
    scan([tmp_path / "ok.yaml"], Config())  # imports and the pack are loaded before the clock starts
    tracemalloc.start()
    started = time.perf_counter()
    result = scan([tmp_path], Config(), select=["K", "E"])
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 5, elapsed  # a generous limit: each takes well under a second here
    assert peak < 200 * 1024 * 1024
    problems = [(f.code, f.location.path) for f in result.findings if f.code in ("E001", "E002")]
    assert len(problems) == 1 and problems[0][1] == name
    assert "ok.yaml" in {f.path for f in result.files}


def test_alias_bomb_inside_a_manifest_is_refused_with_e002(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(HOSTILE["billion-laughs.yaml"])
    started = time.perf_counter()
    result = scan([tmp_path], Config(), select=["E"])
    assert time.perf_counter() - started < 2
    assert [(f.code, f.location.line) for f in result.findings] == [("E002", 1)]
    assert "alias bomb" in result.findings[0].message


def test_invalid_yaml_and_utf16(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n")
    (tmp_path / "utf16.yaml").write_bytes("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n".encode("utf-16"))
    result = scan([tmp_path], Config(), select=["E", "K006"])
    found = [(f.code, f.location.path, f.location.line) for f in result.findings]
    assert ("E001", "broken.yaml", 5) in found
    assert not [f for f in found if f[1] == "utf16.yaml" and f[0].startswith("E")]


def test_helm_templates_are_skipped(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.0.0\n")
    (chart / "templates" / "deployment.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\n")
    (tmp_path / "rendered.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n"
    )
    (tmp_path / "alerts.yaml").write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n"
        "    - name: g\n      rules:\n        - alert: Down\n          expr: up == 0\n"
        '          annotations: {summary: "{{ $labels.instance }} is down"}\n'
    )
    (chart / "templates" / "service.yaml").write_text("apiVersion: v1\nkind: Service\n")
    (tmp_path / "site").mkdir()
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / "site" / name).write_text(
            "apiVersion: v1\nkind: ConfigMap\n{% for x in y %}\n- {{ x }}\n{% endfor %}\n"
        )
    result = scan([tmp_path], Config(render=False), select=["E"])
    found = sorted((f.code, f.location.path, f.message) for f in result.findings)
    # One finding per chart and per folder of other templates, not one per file.
    assert [(code, path) for code, path, _ in found] == [
        ("E002", "chart/Chart.yaml"),
        ("E002", "rendered.yaml"),
        ("E002", "site/a.yaml"),
    ]
    assert (
        found[0][2].startswith("Helm chart chart (2 templates) is not rendered")
        and "helm template chart |" in found[0][2]
        and "rendering is off" in found[0][2]
    )
    assert "2 templates in site/" in found[2][2] and "Helm" not in found[2][2]
    assert "Helm" not in found[1][2]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("512Mi", Decimal(512 * 2**20)),
        ("1Gi", Decimal(2**30)),
        ("250m", Decimal("0.25")),
        ("1", Decimal(1)),
        ("1e3", Decimal(1000)),
        ("1.5G", Decimal(1_500_000_000)),
        (0.5, Decimal("0.5")),
        (1073741824, Decimal(2**30)),
        ("512m", Decimal("0.512")),
        ("1 GB", None),
        ("Gi", None),
        (True, None),
        ("12Kb", None),
        ("1Ei", Decimal(2**60)),
        ("2E", Decimal(2 * 10**18)),
        ("٣Mi", None),  # int() takes Arabic-Indic digits; the API server does not
        ("1e99999", None),
    ],
)
def test_quantities(text, value) -> None:
    assert parse_quantity(text) == value


def test_quantities_asked_again_keep_their_type() -> None:
    # Parsed values are cached per distinct value: 1, 1.0 and True are equal keys to a plain cache,
    # but 1.0 is written "1.0" in messages and True is no quantity at all.
    for _ in range(2):
        assert str(parse_quantity(1)) == "1"
        assert str(parse_quantity(1.0)) == "1.0"
        assert parse_quantity(True) is None
        assert str(parse_quantity("1")) == "1"


def test_selectors_and_rounding() -> None:
    labels = {"app": "api", "tier": "web"}
    assert selector_matches({}, labels)
    assert not selector_matches(None, labels)
    assert selector_matches({"matchLabels": {"app": "api"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "api", "x": "y"}}, labels)
    assert selector_matches(
        {
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["web", "db"]},
                {"key": "canary", "operator": "DoesNotExist"},
            ]
        },
        labels,
    )
    assert not selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "x", "operator": "Exists"}]}, labels)
    assert scaled_value("67%", 3) == 3 and scaled_value("50%", 4) == 2 and scaled_value("10%", 3) == 1
    assert scaled_value(2, 5) == 2 and scaled_value("two", 5) is None


def test_positions_through_anchors_merge_keys_and_lists() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: a}\n"
        "    spec:\n      template:\n        spec:\n          containers:\n"
        "            - name: app\n              resources: &r\n                limits: {memory: 1Gi}\n"
        "            - name: side\n              resources:\n                <<: *r\n"
        "                requests: {memory: 1Mi}\n"
    )
    (obj,), problems = parse_manifests("l.yaml", text)
    assert problems == [] and obj.kind == "Deployment" and obj.span == (4, 17)
    containers = ("spec", "template", "spec", "containers")
    assert obj.loc(*containers, 1, "resources", "limits", "memory").line == 13  # inherited: at the anchor
    assert obj.loc(*containers, 1, "resources", "requests", "memory").line == 17
    assert obj.key_loc(*containers, 1, "lifecycle").line == 14  # absent: the container's first line


@pytest.mark.parametrize("alias", ["", "b: &x 1\nc: *x\n"])
def test_nesting_limit_is_the_same_with_and_without_aliases(alias: str) -> None:
    from relcheck.syntax.yaml import MAX_DEPTH, documents

    within = alias + "a: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n"
    beyond = alias + "a: " + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH + "\n"
    assert documents(within)[1] == []
    [problem] = documents(beyond)[1]
    line = alias.count("\n") + 1
    assert (problem.code, problem.line, problem.column) == ("E002", line, 3 + MAX_DEPTH + 1)


def test_composed_nodes_are_ruamel_nodes_with_every_field() -> None:
    """The composer's lighter node constructors keep what ruamel's own would give."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from ruamel.yaml.tag import Tag

    from relcheck.syntax.yaml import compose_all

    [root] = compose_all("a: !!int '3'\nb: [x, 'y']\nc: &d {e: 1}\nf: *d\n")
    assert isinstance(root, MappingNode) and root.merge is None and root.flow_style is False
    (a_key, a), (_, b), (_, c), (_, f) = root.value
    assert isinstance(a_key, ScalarNode) and (a_key.tag, a_key.value, a_key.style) == ("tag:yaml.org,2002:str", "a", "")
    assert isinstance(a.ctag, Tag) and (a.tag, a.value, a.style) == ("tag:yaml.org,2002:int", "3", "'")
    assert isinstance(b, SequenceNode) and b.flow_style is True and [n.style for n in b.value] == ["", "'"]
    assert f is c and (c.start_mark.line, c.end_mark.line) == (2, 2) and a.anchor is None and a.comment is None


def test_a_second_loader_keeps_resolving_with_the_composers_node_classes() -> None:
    """Building the loader again (a cleared cache) must not lose track of the lean node classes."""
    from relcheck.syntax import yaml as yaml_parser

    before = yaml_parser.compose_all("a: 1\nb: [x]\n")
    canonical = len(yaml_parser._CANONICAL_TAGS)
    yaml_parser._loader_class.cache_clear()
    try:
        [root] = yaml_parser.compose_all("a: 1\nb: [x]\n")
        # The old loader's tags, kept by id, are gone: a new object taking one of their ids would
        # otherwise be read with that tag's conversion (a flaky misread in a long test run).
        assert len(yaml_parser._CANONICAL_TAGS) == canonical
    finally:
        yaml_parser._loader_class.cache_clear()
    assert [(k.value, v.tag) for k, v in root.value] == [(k.value, v.tag) for k, v in before[0].value]
    assert [(k.value, v.tag) for k, v in root.value] == [("a", "tag:yaml.org,2002:int"), ("b", "tag:yaml.org,2002:seq")]


def test_an_anchor_defined_again_takes_the_latest_without_a_word_on_stderr() -> None:
    """YAML 1.2 lets an anchor be defined again (onedr0p's home-ops writes `&key` on each item), and
    an alias takes the latest, as kubectl reads it. libyaml refuses it, the pure composer accepts it
    and warns on stderr: the values are right and nothing is printed."""
    import warnings

    from relcheck.syntax.yaml import load_one

    text = "data:\n  - {secretKey: &key tls.crt, property: *key}\n  - {secretKey: &key tls.key, property: *key}\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data, _ = load_one(text)
    assert [item["property"] for item in data["data"]] == ["tls.crt", "tls.key"]
    assert caught == []


def test_int_or_percent_rounds_as_each_controller_does() -> None:
    # The Deployment controller rounds maxUnavailable down and maxSurge up; the disruption controller up.
    default = int_or_percent("25%")
    assert default is not None
    assert [default.of(n, round_up=False) for n in (1, 2, 3, 4, 8)] == [0, 0, 0, 1, 2]
    assert [default.of(n, round_up=True) for n in (1, 2, 3, 4, 5)] == [1, 1, 1, 1, 2]
    assert int_or_percent("1") is None  # the API rejects a digit string without %
    assert int_or_percent("٣%") is None and int_or_percent(True) is None and int_or_percent(-1) is None
    assert int_or_percent(" 0% ") is not None


def _messages(tmp_path: Path, manifest: str, code: str) -> list[tuple[int, str, str]]:
    (tmp_path / "d.yaml").write_text(manifest)
    result = scan([tmp_path], Config(), select=[code])
    return [(f.location.line, f.severity.label, f.message) for f in result.findings if f.code == code]


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: app
          image: registry.example.com/api:1.0.0
          ports: [{name: http, containerPort: 3000}]
"""


@pytest.mark.parametrize(("replicas", "reported"), [(1, False), (2, False), (3, False), (4, True), (8, True)])
def test_k015_default_rollout_reports_only_counts_that_lose_a_pod(
    tmp_path: Path, replicas: int, reported: bool
) -> None:
    found = _messages(tmp_path, DEPLOYMENT.replace("REPLICAS", str(replicas)), "K015")
    assert bool(found) == reported
    if reported:
        pods = replicas // 4
        assert f"25% of {replicas} replicas rounds down to {pods} pod{'s' if pods > 1 else ''}" in found[0][2]


def test_k015_a_single_instance_programs_surge_zero_is_an_info_without_a_fix(tmp_path: Path) -> None:
    """Grafana's rollout-operator is rolled with maxSurge 0 so that two never run at once: that is
    what it needs (as Recreate is for external-dns), so one info and no fix; another program with the
    same strategy gets one error, whose fix sets maxUnavailable 0 and maxSurge 1."""
    fixture = Path(__file__).parent / "fixtures/rules/K015/fail/rolling-for-a-single-instance-program"
    found = _messages(tmp_path, (fixture / "rollout-operator.yaml").read_text(), "K015")
    assert [(line, severity) for line, severity, _ in found] == [(10, "info"), (32, "error")]
    assert "which a program that must run alone needs (Grafana's rollout-operator" in found[0][2]
    fixable = scan([tmp_path], Config(), select=["K015"], fixes=True).findings
    ((line, fix),) = [(f.location.line, f.autofix) for f in fixable if f.autofix is not None]
    assert line == 32 and "maxUnavailable: 0 and maxSurge: 1" in fix.message


def test_k024_messages_name_the_replicas_with_the_right_number(tmp_path: Path) -> None:
    pdb = "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: api}\nspec:\n  minAvailable: 1\n"
    pdb += "  selector: {matchLabels: {app: api}}\n"
    (found,) = _messages(tmp_path, DEPLOYMENT.replace("REPLICAS", "1") + pdb, "K024")
    assert "all of the 1 replica it protects" in found[2]
    assert _messages(tmp_path, DEPLOYMENT.replace("REPLICAS", "2") + pdb, "K024") == []
    (found,) = _messages(tmp_path, DEPLOYMENT.replace("REPLICAS", "3") + pdb, "K024")
    assert "keeps only minAvailable 1 of the 3 replicas it protects" in found[2]


def test_k027_numeric_target_port_is_an_info_and_a_named_one_a_warning(tmp_path: Path) -> None:
    service = "---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  selector: {app: api}\n"
    service += "  ports:\n    - {port: 80, targetPort: 8080}\n"
    service += "    - {port: 81, targetPort: web}\n    - {port: 82, targetPort: http}\n"
    found = _messages(tmp_path, DEPLOYMENT.replace("REPLICAS", "3") + service, "K027")
    assert [(line, severity) for line, severity, _ in found] == [(21, "info"), (22, "warning")]
    assert "declare only 3000" in found[0][2]


def test_k003_message_shows_the_first_kill_arithmetic(tmp_path: Path) -> None:
    probe = "          livenessProbe: {tcpSocket: {port: 3000}, periodSeconds: 5}\n"
    (found,) = _messages(tmp_path, DEPLOYMENT.replace("REPLICAS", "3") + probe, "K003")
    assert "after 15 s (initialDelaySeconds 0 + failureThreshold 3 × periodSeconds 5), under 30 s" in found[2]


def test_unmodeled_workload_kinds_are_counted_and_named(tmp_path: Path) -> None:
    (tmp_path / "dc.yaml").write_text(
        "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: legacy}\nspec:\n"
        "  template:\n    spec:\n      containers: [{name: app, image: 'app:1'}]\n---\n"
        "apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nmetadata: {name: web}\nspec:\n"
        "  template:\n    spec:\n      containers: [{name: web, image: 'web:1'}]\n"
    )
    done = subprocess.run(
        [*relcheck_command(), "scan", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (
        "Not checked: 1 CloneSet (workload kind not modeled), 1 DeploymentConfig (workload kind not modeled)."
        in done.stdout
    )
    report = json.loads(
        subprocess.run(
            [*relcheck_command(), "scan", str(tmp_path), "-f", "json"], capture_output=True, text=True, timeout=60
        ).stdout
    )
    assert report["summary"]["unmodeled_workloads"] == {"CloneSet": 1, "DeploymentConfig": 1}


def test_json_errors_are_described_as_json(tmp_path: Path) -> None:
    (tmp_path / "service.json").write_text(
        '{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": {"name": [1}\n}\n'
    )
    (problem,) = [f for f in scan([tmp_path], Config()).findings if f.code == "E001"]
    assert problem.message.startswith("invalid JSON: ") and "YAML" not in problem.message
    assert (problem.location.line, problem.location.column) == (4, 26)


def test_k011_on_windows_names_windows_settings_and_k012_k013_stay_silent() -> None:
    fixtures = ROOT / "tests" / "fixtures" / "rules"
    failing = fixtures / "K011" / "fail" / "windows"
    found = scan([failing], Config(), select=["K011", "K012", "K013"]).findings
    assert {f.code for f in found} == {"K011"}
    fixes = {f.fix for f in found}
    assert fixes == {
        "Set `securityContext.runAsNonRoot: true` or `securityContext.windowsOptions.runAsUserName: ContainerUser` "
        "on the pod or container (`runAsUser` does not apply to Windows)."
    }
    host = scan([fixtures / "K011" / "fail" / "windows-host-process"], Config(), select=["K011"]).findings
    assert [f.location.line for f in host] == [18, 18]
    assert all("NT AUTHORITY\\Local service" in f.fix for f in host)
    # The same Linux pod still gets the Linux rules.
    linux = scan([fixtures / "K012" / "fail" / "not-false"], Config(), select=["K012"]).findings
    assert linux


# A chart from a registry, which relcheck does not render: its pods carry the release's labels.
_RELEASE_AND_PDB = """\
# The chart comes from a registry, so relcheck renders none of it; its pods carry the release's
# `app.kubernetes.io/instance` label, which this PodDisruptionBudget selects (onedr0p's home-ops).
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: external-secrets
spec:
  chartRef:
    kind: OCIRepository
    name: external-secrets
  interval: 1h
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: external-secrets-webhook
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/instance: external-secrets
      app.kubernetes.io/name: external-secrets-webhook
"""
_RELEASE_AND_SERVICE = """\
# A Service beside the HelmRelease whose chart (from a registry, not rendered) makes the pods it
# selects by the release's label; older charts label them `release: <name>`.
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: blocky
  namespace: network
spec:
  releaseName: dns
  chart:
    spec: {chart: blocky, sourceRef: {kind: HelmRepository, name: charts}}
---
apiVersion: v1
kind: Service
metadata:
  name: dns-external
  namespace: network
spec:
  type: LoadBalancer
  selector:
    release: dns
  ports:
    - port: 53
      protocol: UDP
"""


@pytest.mark.parametrize(
    ("manifest", "code"),
    [(_RELEASE_AND_PDB, "K025"), (_RELEASE_AND_SERVICE, "K027")],
    ids=["pdb-instance-label", "service-release-label"],
)
def test_a_selector_of_a_helm_releases_pods_is_not_said_to_select_nothing(
    tmp_path: Path, manifest: str, code: str
) -> None:
    """onedr0p's home-ops: a PodDisruptionBudget for external-secrets' webhook beside the HelmRelease
    whose chart (pulled from a registry, not rendered) makes those pods, selected by the label Helm
    charts give a release's pods. The HelmRelease says it was not rendered (E002); the selector
    is not said to select nothing. Another release's name is."""
    (tmp_path / "release.yaml").write_text(manifest)
    result = scan([tmp_path], Config(), select=[code, "E002"])
    assert [f.code for f in result.findings] == ["E002"]
    other = manifest.replace("name: external-secrets\n", "name: other\n", 1).replace("Name: dns", "Name: x")
    (tmp_path / "release.yaml").write_text(other)
    assert sorted(f.code for f in scan([tmp_path], Config(), select=[code, "E002"]).findings) == ["E002", code]


def test_a_service_of_the_control_planes_static_pods_is_worth_a_look_not_a_warning() -> None:
    """A LoadBalancer in front of the API servers, in whatever namespace a deploy tool sets (Flux's
    `targetNamespace`): the kubelet runs them from files on the nodes, so an info, as in kube-system."""
    case = ROOT / "tests" / "fixtures" / "rules" / "K027" / "fail" / "control-plane-outside-kube-system"
    findings = scan([case], Config(), select=["K027"]).findings
    assert [(f.location.line, f.severity.label) for f in findings] == [(9, "info"), (24, "info")]


def test_a_rollout_that_takes_down_pods_no_traffic_reaches_is_a_warning() -> None:
    """A controller whose only port is for metrics, a worker that declares none: Recreate or a
    maxUnavailable of a pod pauses their work and drops no request."""
    fixtures = ROOT / "tests" / "fixtures" / "rules" / "K015" / "fail"
    controller = scan([fixtures / "recreate-controller-without-traffic"], Config(), select=["K015"]).findings
    assert [(f.location.line, f.severity.label) for f in controller] == [(10, "warning")]
    mixed = scan([fixtures / "default-percent-rounds-to-a-pod"], Config(), select=["K015"]).findings
    assert [(f.location.line, f.severity.label) for f in mixed] == [(6, "error"), (24, "error"), (54, "warning")]


def test_a_short_grace_period_of_pods_no_traffic_reaches_is_an_info() -> None:
    """The 45 s budget covers a preStop sleep and request draining: a queue consumer has neither,
    so its default 30 s is an info; a pod behind a Service for clients keeps the warning, also one
    that publishes not-ready addresses (its clients keep sending while the pod stops)."""
    case = ROOT / "tests" / "fixtures" / "rules" / "K016" / "fail" / "no-traffic-worker"
    findings = scan([case], Config(), select=["K016"]).findings
    assert [(f.location.line, f.severity.label) for f in findings] == [(14, "info"), (35, "warning"), (62, "warning")]


def test_recreate_that_a_program_needs_is_an_info_whose_fix_keeps_it() -> None:
    """Kibana does not support rolling upgrades, the Velero server must run alone, and one MinIO
    server that does not replicate must not have a second beside it: their Recreate is an info,
    and its fix keeps Recreate rather than asking for the rolling update that must not happen."""
    rules = ROOT / "tests" / "fixtures" / "rules" / "K015" / "fail"
    for case in ("recreate-for-kibana", "recreate-for-the-velero-server", "recreate-for-a-single-data-store"):
        findings = scan([rules / case], Config(), select=["K015"]).findings
        assert [(f.severity.label, f.fix.startswith("Keep `strategy.type: Recreate`")) for f in findings] == [
            ("info", True)
        ], case


def test_the_fix_says_why_a_leader_elected_webhook_server_needs_three_replicas() -> None:
    """jaeger-operator's shape: a Lease makes the other replicas standbys for reconciling, but each
    answers the API server's webhook calls, so the fix asks for 3 and says why, instead of the
    generic fix's "2 for a controller that elects a leader". A controller whose LoadBalancer sends
    it clients (ingress-nginx's shape) gets the generic fix: the webhook is not why. The message is
    the generic one for both, so one line's findings from overlays with and without the webhook
    stay one."""
    fixture = Path(__file__).parent / "fixtures/rules/K014/fail/leader-elected-controller-serving-its-webhook"
    findings = {f.message.split("'")[1]: f for f in scan([fixture], Config(), select=["K014"]).findings}
    assert sorted(findings) == ["ingress-controller", "widget-operator"]
    assert "every replica answers the API server's webhook calls" in findings["widget-operator"].fix
    assert "2 for a controller that elects a leader" in findings["ingress-controller"].fix
    assert findings["widget-operator"].message.endswith("Run at least 3 or scale it with an HPA")
