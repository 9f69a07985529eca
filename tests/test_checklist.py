"""The production-readiness checklist: statuses, evidence, findings, formats."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from relcheck.api import CHECKLIST_ITEMS
from relcheck.checklist.render import render_json, render_markdown, render_text
from relcheck.checklist.score import build
from relcheck.config.loader import Config
from relcheck.scan.engine import scan

from .conftest import FIXTURES, ROOT

EXAMPLES = ROOT / "examples"
SCHEMA = json.loads((ROOT / "relcheck" / "schemas" / "checklist.schema.json").read_text())


def _cards(path: Path):
    return build(scan([path], Config()))


def test_enterprise_passes_every_statically_checkable_item() -> None:
    (card,) = _cards(EXAMPLES / "enterprise-service")
    statuses = {item.item: item.status for item in card.items}
    assert statuses.pop("chaos-tests") == "manual" and statuses.pop("load-tests") == "manual"
    assert set(statuses.values()) == {"pass"}
    assert (card.passed, card.applicable) == (14, 14)
    assert all(item.evidence for item in card.items)
    health = next(item for item in card.items if item.item == "health-checks")
    assert {(e.location.path, e.detail) for e in health.evidence} >= {("Dockerfile", "HEALTHCHECK")}


def test_legacy_fails_the_items_it_breaks_with_their_codes() -> None:
    (card,) = _cards(EXAMPLES / "legacy-service")
    by_item = {item.item: item for item in card.items}
    assert {name for name, item in by_item.items() if item.status == "fail"} == set(CHECKLIST_ITEMS)
    assert {"D003", "P003", "S001"} <= set(by_item["graceful-shutdown"].codes)
    assert {"K028", "X005"} <= set(by_item["health-checks"].codes)
    assert {"K029", "X001"} <= set(by_item["resource-limits"].codes)
    assert by_item["pdb"].codes == ["K024"] and by_item["hpa"].codes == ["K020"]
    assert card.passed == 0


def test_json_validates_and_markdown_and_text_render() -> None:
    cards = _cards(EXAMPLES / "legacy-service") + _cards(EXAMPLES / "enterprise-service")
    data = json.loads(render_json(cards))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert [s["score"] for s in data["services"]] == [
        {"passed": 0, "applicable": 16, "percent": 0},
        {"passed": 14, "applicable": 14, "percent": 100},
    ]
    markdown = render_markdown(cards)
    assert "### Production readiness: enterprise-service (14/14 items pass)" in markdown
    assert "| Graceful shutdown implemented | ❌ fail |" in markdown
    text = render_text(cards)
    assert "enterprise-service: 14/14 items pass (100 %)" in text and "\x1b[" not in text


def test_plain_tables_are_the_tables_rich_draws() -> None:
    """Pipes and files get tables drawn without rich (seconds faster on a monorepo): the same
    characters, line for line, as rich's own rendering at a width that wraps nothing."""
    import io

    from rich.console import Console
    from rich.table import Table

    from relcheck.checklist.render import _COLUMNS, _rows, _title

    cards = _cards(FIXTURES / "rules" / "X001" / "fail" / "monorepo-only-api") + _cards(EXAMPLES / "legacy-service")
    drawn = io.StringIO()
    console = Console(file=drawn, width=1000, no_color=True, highlight=False, emoji=False)
    for card in cards:
        table = Table(title=_title(card), title_justify="left")
        for column in _COLUMNS:
            table.add_column(column)
        for row in _rows(card):
            table.add_row(*row)
        console.print(table)
    plain = render_text(cards)
    assert plain.count("┏") == len(cards) == 3
    assert plain.splitlines() == [line.rstrip() for line in drawn.getvalue().splitlines()]


def test_monorepo_checklist_is_per_service() -> None:
    cards = _cards(FIXTURES / "rules" / "X001" / "fail" / "monorepo-only-api")
    by_name = {card.service.name: card for card in cards}
    assert set(by_name) == {"api", "web"}
    resources = {name: next(i for i in card.items if i.item == "resource-limits") for name, card in by_name.items()}
    assert "X001" in resources["api"].codes and "X001" not in resources["web"].codes


def test_checklist_command(tmp_path: Path) -> None:
    from relcheck.cli import app
    from tests.clirunner import cli_runner

    runner = cli_runner()
    good = runner.invoke(app, ["checklist", str(EXAMPLES / "enterprise-service"), "--format", "json"])
    assert good.exit_code == 0 and json.loads(good.stdout)["services"][0]["name"] == "enterprise-service"
    target = tmp_path / "checklist.md"
    bad = runner.invoke(app, ["checklist", str(EXAMPLES / "legacy-service"), "-f", "markdown", "-o", str(target)])
    assert bad.exit_code == 1 and target.read_text().startswith("### Production readiness: legacy-service")


def test_json_report_lists_services_with_files_and_objects() -> None:
    from relcheck.reporters.json import render

    report = json.loads(render(scan([FIXTURES / "rules" / "X001" / "fail" / "monorepo-only-api"], Config())))
    services = {s["name"]: s for s in report["services"]}
    assert services["api"]["root"] == "apps/api" and "apps/api/Dockerfile" in services["api"]["files"]
    assert services["api"]["objects"] == ["Deployment/default/api"]  # linked by image, not folder
    assert services["web"]["objects"] == ["Deployment/default/web"]
    assert "package.json" not in services["api"]["files"]  # the workspace root belongs to no service


def test_config_names_services_explicitly(tmp_path: Path) -> None:
    from relcheck.config.loader import load_config
    from relcheck.ruleset.pack import load_pack

    (tmp_path / "src" / "billing").mkdir(parents=True)
    (tmp_path / "src" / "search").mkdir(parents=True)
    (tmp_path / "src" / "billing" / "main.ts").write_text("process.on('SIGTERM', stop);\n")
    (tmp_path / "src" / "search" / "main.ts").write_text("console.log('no handlers');\n")
    (tmp_path / ".relcheck.yaml").write_text(
        "services:\n  billing: {paths: ['src/billing/**']}\n  search: {paths: ['src/search/**']}\n"
    )
    config = load_config(tmp_path / ".relcheck.yaml", list(load_pack()))
    result = scan([tmp_path], config, select=["S001"])
    assert sorted(s.name for s in result.services) == ["billing", "search"]
    assert [(f.location.path, f.severity.label) for f in result.findings] == [
        ("src/billing/main.ts", "warning"),
        ("src/search/main.ts", "error"),
    ]


def test_files_no_service_owns_are_shared_evidence_held_once(tmp_path: Path) -> None:
    """Every service sees the shared files (a top-level runbook satisfies R001 for all), through one
    set: copying it into each service made large monorepos quadratic in time and memory."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text("FROM node:20-alpine\nUSER node\n")
    (tmp_path / "a" / "RUNBOOK.md").write_text("# a\n")
    (tmp_path / "docs").mkdir()
    for index in range(50):
        (tmp_path / "docs" / f"page-{index}.md").write_text("x\n")
    result = scan([tmp_path], Config(), select=["R001"])
    a, b = result.services
    assert a.shared_files is b.shared_files and "docs/page-7.md" in a.shared_files
    assert a.owns("a/RUNBOOK.md") and not b.owns("a/RUNBOOK.md") and b.owns("docs/page-7.md")
    assert [(f.code, f.location.path) for f in result.findings] == [("R001", "b/Dockerfile")]
    (tmp_path / "RUNBOOK.md").write_text("# everyone\n")
    assert [f.code for f in scan([tmp_path], Config(), select=["R001"]).findings] == []


def _deployment(name: str, image: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n"
        f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: registry.example.com/{image}:1.0.0\n"
    )


def _k8s_service(name: str) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
        f"spec:\n  selector: {{app: {name}}}\n  ports: [{{port: 80, targetPort: http}}]\n"
    )


def test_manifests_in_a_shared_deploy_folder_count_for_the_service_they_deploy(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / "apps" / name).mkdir(parents=True)
        (tmp_path / "apps" / name / "Dockerfile").write_text("FROM node:20-alpine\nUSER node\n")
        (tmp_path / "deploy" / name).mkdir(parents=True)
        (tmp_path / "deploy" / name / "deployment.yaml").write_text(_deployment(name, name))
        (tmp_path / "deploy" / name / "service.yaml").write_text(_k8s_service(name))
    # One file with workloads of both services (lines 1-11 and 13-23): each object counts for its
    # service, so neither service is blamed for the other's worker.
    (tmp_path / "deploy" / "workers.yaml").write_text(
        _deployment("a-worker", "a") + "---\n" + _deployment("b-worker", "b")
    )
    result = scan([tmp_path], Config())
    paths = {card.service.name: {f.location.path for i in card.items for f in i.findings} for card in build(result)}
    assert {"deploy/a/deployment.yaml", "deploy/a/service.yaml", "deploy/workers.yaml"} <= paths["a"]
    assert {"deploy/b/deployment.yaml", "deploy/b/service.yaml", "deploy/workers.yaml"} <= paths["b"]
    assert not [p for p in paths["a"] if p.startswith("deploy/b/")]
    assert not [p for p in paths["b"] if p.startswith("deploy/a/")]
    lines = {
        card.service.name: {
            f.location.line for i in card.items for f in i.findings if f.location.path.endswith("workers.yaml")
        }
        for card in build(result)
    }
    in_file = {f.location.line for f in result.active() if f.location.path == "deploy/workers.yaml"}
    assert lines["a"] and max(lines["a"]) <= 11 and lines["b"] and min(lines["b"]) >= 13
    assert lines["a"] | lines["b"] == in_file


def test_alert_evidence_merges_own_and_shared_rules_and_shows_the_first_five(tmp_path: Path) -> None:
    def rules(names: list[str]) -> str:
        body = "".join(f"      - alert: {name}\n        expr: up == 0\n" for name in names)
        return f"groups:\n  - name: g\n    rules:\n{body}"

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text("FROM node:20-alpine\nUSER node\n")
    (tmp_path / "a" / "alerts.yaml").write_text(rules(["AOwn"]))
    (tmp_path / "monitoring").mkdir()
    (tmp_path / "monitoring" / "shared.yaml").write_text(rules([f"Shared{i}" for i in range(7)]))
    cards = {card.service.name: card for card in build(scan([tmp_path], Config()))}
    shown = {
        name: [
            (e.location.path, e.location.line, e.detail) for i in card.items if i.item == "alerts" for e in i.evidence
        ]
        for name, card in cards.items()
    }
    shared = [("monitoring/shared.yaml", 4 + 2 * i, f"alert Shared{i}") for i in range(7)]
    assert shown["a"] == [("a/alerts.yaml", 4, "alert AOwn"), *shared[:4]]
    assert shown["b"] == shared[:5]


def test_a_monitoring_mixins_jsonnet_is_evidence_of_alerts_and_dashboards() -> None:
    """kubernetes-mixin's alerts and dashboards are Jsonnet that `mixtool` turns into a rule file
    and Grafana JSON: the checklist names the files, as R002 and R003 accept them."""
    shown = {
        (item.item, item.status, e.location.path)
        for fixture in ("R003/pass/jsonnet-mixin", "R002/pass/jsonnet-mixin")
        for card in _cards(FIXTURES / "rules" / fixture)
        for item in card.items
        if item.item in ("alerts", "dashboard")
        for e in item.evidence
    }
    assert shown == {
        ("alerts", "pass", "mixin/alerts/alerts.libsonnet"),
        ("dashboard", "pass", "mixin/dashboards/app.libsonnet"),
    }


def test_alert_rules_in_a_shared_folder_count_for_the_service_whose_metrics_they_query(tmp_path: Path) -> None:
    def source(metric: str) -> str:
        return (
            "import { Counter } from 'prom-client';\n"
            f"export const requests = new Counter({{ name: '{metric}', help: 'requests' }});\n"
        )

    def rules(*expressions: str) -> str:
        body = "".join(f"      - alert: A{i}\n        expr: {e}\n" for i, e in enumerate(expressions))
        return f"groups:\n  - name: g\n    rules:\n{body}"

    for name in ("a", "b"):
        (tmp_path / name / "src").mkdir(parents=True)
        (tmp_path / name / "Dockerfile").write_text("FROM node:20-alpine\nUSER node\n")
        (tmp_path / name / "src" / "main.ts").write_text(source(f"{name}_latency_seconds"))
    (tmp_path / "monitoring").mkdir()
    (tmp_path / "monitoring" / "a.yaml").write_text(
        rules("histogram_quantile(0.9, rate(a_latency_seconds_bucket[5m])) > 1")
    )
    (tmp_path / "monitoring" / "both.yaml").write_text(
        rules("rate(a_latency_seconds_count[5m]) > 1", "b_latency_seconds > 1")
    )
    (tmp_path / "monitoring" / "none.yaml").write_text(rules("up == 0"))
    result = scan([tmp_path], Config())
    paths = {card.service.name: {f.location.path for i in card.items for f in i.findings} for card in build(result)}
    assert "monitoring/a.yaml" in paths["a"] and "monitoring/a.yaml" not in paths["b"]
    assert "monitoring/both.yaml" in paths["a"] and "monitoring/both.yaml" in paths["b"]
    # A file about no service is the unowned group's, not every service's.
    assert "monitoring/none.yaml" not in paths["a"] | paths["b"]
    assert paths["(unowned)"] == {"monitoring/none.yaml"}
    # The alerts of a file about one service are that service's evidence, not everyone's.
    evidence = {
        card.service.name: {e.location.path for i in card.items if i.item == "alerts" for e in i.evidence}
        for card in build(result)
        if card.service.name != "(unowned)"
    }
    assert evidence == {
        "a": {"monitoring/a.yaml", "monitoring/both.yaml", "monitoring/none.yaml"},
        "b": {"monitoring/both.yaml", "monitoring/none.yaml"},
    }


def test_the_checklist_never_passes_what_it_did_not_check(tmp_path: Path) -> None:
    """Items whose rules did not run are not-checked; Node-only items of a Go service are
    not-applicable; baselined findings still count; a suppression with a reason does not."""
    from relcheck.scan.engine import scan

    enterprise = EXAMPLES / "enterprise-service"
    (card,) = build(scan([enterprise], Config(), select=["D"]))
    statuses = {item.item: item.status for item in card.items}
    assert statuses["hpa"] == statuses["pdb"] == statuses["alerts"] == "not-checked"
    assert statuses["container-hardening"] == "pass"

    go = Path(__file__).parent / "fixtures" / "precision" / "go-service"
    (card,) = build(scan([go], Config()))
    statuses = {item.item: item.status for item in card.items}
    assert {statuses[item] for item in ("metrics", "circuit-breakers", "retries", "connection-pooling")} == {
        "not-applicable"
    }

    legacy = EXAMPLES / "legacy-service"
    everything = {f.fingerprint for f in scan([legacy], Config()).findings}
    (card,) = build(scan([legacy], Config(), baseline=everything))
    assert card.passed == 0 and all(item.status != "pass" for item in card.items)  # a baseline pays no debt

    (tmp_path / "d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
        "  annotations: {relcheck.dev/ignore: K014}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
        "    spec: {containers: [{name: a, image: 'a:1'}]}\n"
    )
    (card,) = build(scan([tmp_path], Config(), select=["K014"]))
    zero = next(item for item in card.items if item.item == "zero-downtime-deploys")
    assert zero.findings == [] and zero.suppressed == 1


def test_node_items_of_a_service_whose_server_code_was_not_read_are_not_checked(tmp_path: Path) -> None:
    """flowise's root image runs `packages/server`'s command (`cd packages/server/bin && ./run start`):
    the root's own files are scripts, so the Node rules read no server of it, and "not found" would
    say they looked. A service whose source they read says not-found where they found nothing."""
    from relcheck.scan.engine import scan

    (tmp_path / "package.json").write_text(
        '{"name": "flows", "workspaces": ["packages/*"],\n'
        ' "scripts": {"start": "cd packages/server/bin && ./run start"}}\n'
    )
    (tmp_path / "Dockerfile").write_text(
        'FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["npm", "start"]\n'
    )
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "release.js").write_text("console.log(process.argv[2]);\n")
    (card,) = build(scan([tmp_path], Config()))
    statuses = {item.item: item.status for item in card.items}
    assert {statuses[item] for item in ("metrics", "circuit-breakers", "retries", "connection-pooling")} == {
        "not-checked"
    }

    # node-red: `node packages/node_modules/node-red/red.js`, code no scan walks, and nothing else
    # (no image, PM2 file or workload) that shows shutdown or health checks.
    (tmp_path / "Dockerfile").unlink()
    (tmp_path / "package.json").write_text(
        '{"name": "node-red", "scripts": {"start": "node packages/node_modules/node-red/red.js"}}\n'
    )
    (card,) = build(scan([tmp_path], Config()))
    statuses = {item.item: item.status for item in card.items}
    assert statuses["graceful-shutdown"] == statuses["health-checks"] == "not-checked"

    (tmp_path / "package.json").write_text('{"name": "flows", "scripts": {"start": "node server.js"}}\n')
    (tmp_path / "server.js").write_text(
        "const http = require('http');\nprocess.on('SIGTERM', () => server.close());\n"
        "const server = http.createServer((req, res) => res.end('ok')).listen(3000);\n"
    )
    (card,) = build(scan([tmp_path], Config()))
    statuses = {item.item: item.status for item in card.items}
    assert statuses["connection-pooling"] == "not-found" and statuses["metrics"] == "fail"


def test_many_services_fold_into_one_checklist_line(tmp_path: Path) -> None:
    from relcheck.reporters.text import checklist_lines
    from relcheck.scan.engine import scan

    for index in range(7):
        (tmp_path / f"svc{index}").mkdir()
        (tmp_path / f"svc{index}" / "Dockerfile").write_text("FROM node:20.11-alpine\nUSER node\n")
    (line,) = checklist_lines(scan([tmp_path], Config()))
    assert line.startswith("Checklist: 7 services, 0 pass every applicable item; worst: ")
