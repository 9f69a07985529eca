"""Property tests: random and mutated text into every parser entry point. Each returns findings or
model objects and never raises. CI runs a modest number of examples; raise RELCHECK_FUZZ_EXAMPLES for
a longer local run (fuzz/README.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcheck.artifacts.app import AppFacts
from relcheck.config.loader import ConfigError, load_config
from relcheck.model import ParseProblem
from relcheck.parsers import settings as app_settings
from relcheck.parsers.alerts import parse_prom_rule_file
from relcheck.parsers.dockerfile import parse_dockerfile
from relcheck.parsers.kubernetes import parse_manifests
from relcheck.parsers.pm2 import parse_pm2
from relcheck.parsers.source import collect
from relcheck.ruleset.custom import CustomRuleError, load_custom_rules, repository_validator
from relcheck.ruleset.pack import load_pack
from relcheck.scan.discovery import read_text
from relcheck.syntax.dockerignore import excludes_directory, parse_dockerignore
from relcheck.syntax.promql import parse as parse_promql
from relcheck.syntax.yaml import YamlError, load_one

EXAMPLES = int(os.environ.get("RELCHECK_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
ROOT = Path(__file__).resolve().parent.parent
SEEDS = {
    "dockerfile": (ROOT / "examples" / "enterprise-service" / "Dockerfile").read_text(),
    "manifest": (ROOT / "examples" / "enterprise-service" / "k8s" / "deployment.yaml").read_text(),
    "pm2": (ROOT / "examples" / "enterprise-service" / "ecosystem.config.js").read_text(),
    "rules": (ROOT / "examples" / "enterprise-service" / "monitoring" / "prometheus-alerts.yaml").read_text(),
    "source": (ROOT / "examples" / "enterprise-service" / "src" / "main.ts").read_text(),
    "env": "PORT=3000\nexport MONGODB_URI='mongodb://db/app?maxPoolSize=10'\n# comment\nSHUTDOWN_TIMEOUT_MS=30000\n",
    "config": (
        "select: [K, D001, readiness-probe]\nignore: [K013]\nseverity: {K: warning, K001: error}\n"
        "params:\n  K014: {min_replicas: 2}\n  A002: {aliases: {ServiceDown: [TargetDown]}}\n"
        "exclude: ['vendor/**', '*.generated.yaml']\nper-file-ignores: {'legacy/**': [D001]}\n"
        "fail-on: warning\nmax-file-size: 1048576\nrule-dirs: [.relcheck/rules]\n"
        "services: {api: {paths: ['services/api/**'], workloads: [api]}}\n"
    ),
    "pyproject": (
        '[project]\nname = "svc"\n\n[tool.relcheck]\nselect = ["K", "D001"]\nfail-on = "warning"\n'
        '[tool.relcheck.params.K014]\nmin_replicas = 2\n[tool.relcheck.per-file-ignores]\n"legacy/**" = ["D001"]\n'
    ),
    "custom_rule": (ROOT / "examples" / "custom-rules" / "team-label.yaml").read_text()
    + "---\n"
    + (ROOT / "examples" / "custom-rules" / "allowed-registry.yaml").read_text(),
}
TOKENS = [
    "\n",
    " ",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ":",
    "-",
    "'",
    '"',
    "\\",
    "&a",
    "*a",
    "<<:",
    "#",
    "`",
    "${",
    "/*",
    "---",
    "\x00",
    "\ufeff",
    "\r",
    "{{",
    "}}",
    "=",
    ",",
    ";",
    "(",
    ")",
]


@st.composite
def mutated(draw, seed: str) -> str:
    """The seed with a few random insertions, deletions and replacements."""
    text = SEEDS[seed]
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        position = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)))
        if action == "insert":
            text = text[:position] + piece + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(min_value=1, max_value=40)) :]
        else:
            text = text[:position] + piece + text[position + len(piece) :]
    return text


def text_for(seed: str):
    return st.one_of(st.text(max_size=400), mutated(seed))


def _problems_are_located(problems: list[ParseProblem]) -> None:
    for problem in problems:
        # A007: a rule file's second YAML document, which Prometheus never loads.
        assert problem.code in ("E001", "E002", "A007") and problem.line >= 1 and problem.column >= 1


@FUZZ
@given(text_for("dockerfile"))
def test_dockerfile_parser(text: str) -> None:
    dockerfile, problems = parse_dockerfile("Dockerfile", text)
    _problems_are_located(problems)
    assert (dockerfile is None) == bool(problems)


@FUZZ
@given(text_for("manifest"))
def test_manifest_parser(text: str) -> None:
    objects, problems = parse_manifests("k8s.yaml", text)
    _problems_are_located(problems)
    for obj in objects:
        assert obj.loc().line >= 1 and obj.kind


@FUZZ
@given(text_for("pm2"), st.sampled_from(["ecosystem.config.js", "ecosystem.config.json", "process.yml"]))
def test_pm2_parser(text: str, name: str) -> None:
    apps, problems = parse_pm2(name, text)
    _problems_are_located(problems)
    for app in apps:
        app.instances(), app.exec_mode(), app.heap_mib(), app.key_loc("kill_timeout")


@FUZZ
@given(text_for("rules"))
def test_rule_file_parser(text: str) -> None:
    sources, problems = parse_prom_rule_file("alerts.yaml", text)
    _problems_are_located(problems)
    for source in sources:
        for rule in source.rules:
            parse_promql(rule.get("expr"))


@FUZZ
@given(text_for("source"), st.sampled_from(["src/main.ts", "src/server.js", "src/app.tsx"]))
def test_source_facts(text: str, name: str) -> None:
    facts = AppFacts()
    problem = collect(name, text, facts)
    if problem is not None:
        _problems_are_located([problem])


@FUZZ
@given(text_for("env"))
def test_settings_parsers(text: str) -> None:
    _values, problems = app_settings.parse_env(".env", text)
    _problems_are_located(problems)
    _, _, problems = app_settings.parse_data("config/app.json", text)
    _problems_are_located(problems)


@FUZZ
@given(st.text(max_size=300))
def test_config_yaml_raises_only_located_errors(text: str) -> None:
    try:
        load_one(text)
    except YamlError as error:
        assert error.line >= 1 and error.column >= 1


@FUZZ
@given(st.text(max_size=300), st.sampled_from(["node_modules", ".git"]))
def test_dockerignore(text: str, name: str) -> None:
    assert isinstance(excludes_directory(parse_dockerignore(text), name), bool)


@FUZZ
@given(st.text(max_size=200))
def test_promql_wrapper(text: str) -> None:
    tree, error = parse_promql(text)
    assert tree is None or error is None


@FUZZ
@given(st.binary(max_size=600))
def test_reading_bytes(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "file"
    path.write_bytes(data)
    text, problem = read_text(path)
    assert (text is None) == (problem is not None)


# Every kind of PromQL node, nested in each other, with metric names in several places.
PROMQL_PIECES = [
    "a_total",
    'b{job="x"}',
    '{__name__="c_seconds", le="1"}',
    "rate(d[5m])",
    "sum by (job) (e)",
    "topk(scalar(f), g)",
    'count_values("v", h)',
    "-i",
    "(j)",
    "k[1h:5m] offset 1m",
    "l @ 100",
    "histogram_quantile(0.9, sum(rate(m_bucket[5m])) by (le))",
    "n / on(job) group_left o",
    "absent_over_time(p[10m])",
    "1",
    '"s"',
]


@FUZZ
@given(st.lists(st.sampled_from(PROMQL_PIECES), min_size=1, max_size=4), st.sampled_from([" + ", " or ", " > "]))
def test_metric_names_and_selectors_match_promql_parsers_own_walk(pieces: list[str], operator: str) -> None:
    import promql_parser

    from relcheck.syntax.promql import _selected

    if not hasattr(promql_parser, "walk"):
        pytest.skip("promql-parser before 0.9 has no walk() to compare with")
    expression = operator.join(f"({piece})" for piece in pieces)
    try:
        tree = promql_parser.parse(expression)
    except ValueError:
        return  # such as a string on one side of an arithmetic operator
    walked: dict[str, None] = {}
    selectors = []

    def visit(node) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            selectors.append(node)
            name = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), None)
            if name:
                walked[name] = None
        return True

    promql_parser.walk(tree, visit)
    assert _selected(tree) == (tuple(walked), len(selectors))


SHELL_ALPHABET = list(" \t\r\n\x0b\x0c\x1c\x1f\x85\xa0\u2003'\"\\#$&|;=-ab")


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from(SHELL_ALPHABET))))
def test_shell_words_split_exactly_as_shlex(text: str) -> None:
    # shell_words skips shlex for plain text; the words must be the same either way.
    import shlex

    from relcheck.artifacts.dockerfile import shell_words

    try:
        expected = shlex.split(text, comments=False, posix=True)
    except ValueError:
        expected = text.split()
    assert shell_words(text) == expected


LABEL_VALUES = st.one_of(
    st.sampled_from(["a", "b", "1", "True", "None", ""]),
    st.integers(0, 2),
    st.booleans(),
    st.none(),
    st.lists(st.sampled_from(["a", "1"]), max_size=2),
)
LABELS = st.dictionaries(st.sampled_from(["app", "tier", "v"]), LABEL_VALUES, max_size=3)


@FUZZ
@given(st.lists(LABELS, max_size=6), st.lists(st.one_of(LABELS, st.none(), st.just([])), max_size=4))
def test_selector_index_matches_what_a_full_scan_matches(pod_labels: list, selectors: list) -> None:
    # KubeIndex tries selectors on the workloads that carry their first label; the result must be
    # the full scan's, in the same order, for PDB selectors and Service selectors alike.
    from relcheck.artifacts.kubernetes import K8sObject, KubeIndex, map_selector_matches, selector_matches
    from relcheck.syntax.positions import Positions

    def obj(data: dict) -> K8sObject:
        return K8sObject("k.yaml", data, Positions({}, {}), (), (1, 1))

    workloads = [
        obj(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"w{i}"},
                "spec": {"template": {"metadata": {"labels": labels}}},
            }
        )
        for i, labels in enumerate(pod_labels)
    ]
    pdbs = [
        obj(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": f"p{i}"},
                "spec": {"selector": {"matchLabels": s}},
            }
        )
        for i, s in enumerate(selectors)
    ]
    services = [
        obj({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{i}"}, "spec": {"selector": s}})
        for i, s in enumerate(selectors)
    ]
    index = KubeIndex.build([*workloads, *pdbs, *services])
    names = {id(w): w.obj.name for w in index.workloads}
    for pdb in pdbs:
        expected = [
            w.obj.name for w in index.workloads if selector_matches(pdb.get("spec", "selector"), w.template_labels)
        ]
        assert [names[id(w)] for w in index.pdb_targets[id(pdb)]] == expected
    for service in services:
        selector = service.get("spec", "selector")
        expected = [
            w.obj.name
            for w in index.workloads
            if isinstance(selector, dict)
            and selector
            and w.template_labels
            and map_selector_matches(selector, w.template_labels)
        ]
        assert [names[id(w)] for w in index.service_targets[id(service)]] == expected


# Reports hold no floats (orjson writes 1e-08 as 1e-8, both valid JSON).
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # beyond 64 bits too: orjson refuses those, and the fallback takes them
    st.text(),  # control characters, U+2028, astral characters
    # A file name that is not UTF-8, as the walk sees it: its bytes kept as lone surrogates.
    st.binary(max_size=12).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


def _has_surrogates(value) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_surrogates(k) or _has_surrogates(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_surrogates(v) for v in value)


@FUZZ
@given(JSON_VALUES)
def test_reports_json_text_is_the_standard_librarys(document) -> None:
    import json

    from relcheck.reporters import jsonout

    text = jsonout.dumps(document)
    text.encode("utf-8")  # writable as UTF-8 whatever the document holds
    assert json.loads(text) == document
    if not _has_surrogates(document):
        assert text == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# The loaders of what the repository configures: its config and its custom rules. Each either
# loads or raises its own one-line error (exit 2), whatever the text; a custom rule that loads is
# evaluated on a real manifest without raising.
LOADER_EXAMPLES = int(os.environ.get("RELCHECK_FUZZ_LOADER_EXAMPLES", str(EXAMPLES)))
LOADERS = settings(max_examples=LOADER_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
PACK = list(load_pack())


@LOADERS
@given(
    st.one_of(
        st.tuples(text_for("config"), st.just(".relcheck.yaml")),
        st.tuples(text_for("pyproject"), st.just("pyproject.toml")),
    )
)
def test_config_loader(case: tuple[str, str]) -> None:
    text, name = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        try:
            config = load_config(path, PACK)
        except ConfigError as exc:
            assert "\n" not in str(exc).strip()
            return
        assert config.max_file_size <= 1024**3


MANIFEST_DATA = [obj.data for obj in parse_manifests("k8s.yaml", SEEDS["manifest"])[0]]


@LOADERS
@given(text_for("custom_rule"))
def test_custom_rule_loader(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "rules").mkdir()
        (root / "rules" / "rule.yaml").write_text(text, encoding="utf-8")
        try:
            rules = load_custom_rules([root / "rules"], root)
        except CustomRuleError as exc:
            assert "\n" not in str(exc).strip()
            return
    for rule in rules:
        for schema in (rule.condition, rule.when):
            if isinstance(schema, dict):
                validator = repository_validator(schema)
                for data in MANIFEST_DATA:
                    list(validator.iter_errors(data))


@given(st.text(alphabet="ab\n\r\u2028é", max_size=60))
def test_line_starts_are_where_each_line_begins(text: str) -> None:
    from relcheck.fixes.model import line_starts, offset_of

    starts = line_starts(text)
    lines = text.split("\n")
    assert len(starts) == len(lines)
    for number, line in enumerate(lines, 1):
        assert text[offset_of(starts, number, 1) :].startswith(line)
