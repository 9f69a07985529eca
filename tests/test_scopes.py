"""Rule scopes: every rule narrower than the repository gives, on each unit of a tree alone, exactly
the findings it gives there in the whole tree. That is what lets scans check unit by unit and take
unchanged units from the cache (relcheck.scan.units, relcheck.scan.incremental)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from relcheck.config.loader import Config
from relcheck.model import SCOPES
from relcheck.ruleset.load import builtin, effective_params, effective_severities
from relcheck.ruleset.pack import load_pack
from relcheck.scan.context import CheckContext
from relcheck.scan.engine import _build
from relcheck.scan.units import partition, view
from tests.conftest import FIXTURES, ROOT, SHARED

sys.path.insert(0, str(ROOT / "bench"))


def _trees() -> list[Path]:
    """Every rule fixture case, the precision and service fixtures, the examples."""
    cases = sorted(p for p in (FIXTURES / "rules").glob("*/*/*") if p.is_dir() and p.parent.name in ("fail", "pass"))
    cases += sorted(p for p in (FIXTURES / "precision").iterdir() if p.is_dir())
    cases += [FIXTURES / "services", *sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())]
    return cases


def _key(finding) -> tuple:
    related = tuple((r.location.path, r.location.line, r.message) for r in finding.related)
    location = finding.location
    return (finding.code, location.path, location.line, location.column, finding.message, finding.identity, related)


def _project(tree: Path, render: bool = False):
    config = Config(render=render)
    project, _, _ = _build([tree], config, None, None, None, 1, tree, {})
    return project


def _units_by_file(project) -> dict:
    """Each file of the project → the unit that holds it."""
    units = partition(project)
    assert units is not None
    return {path: unit for unit in units for path in unit.files}


def _found(project, code: str) -> list:
    """What one rule finds in the whole project, at its default severity and parameters."""
    ruleset = builtin()
    rule = next(r for r in ruleset.rules if r.code == code)
    return list(ruleset.checks[code](CheckContext(project, rule, rule.severity, effective_params(rule, Config()))))


def _isolation_problems(tree: Path, render: bool = False, also: tuple[str, ...] = ()) -> list[str]:
    """What differs between the whole tree and its units, rule by rule, for every rule narrower
    than the repository (and the rules `also` names, as if they were)."""
    ruleset = builtin()
    config = Config(render=render)
    project = _project(tree, render)
    units = partition(project)
    if units is None:
        return []  # one unit: the whole project
    severities = effective_severities(ruleset.rules, {})
    views = [(unit, view(project, unit)) for unit in units]
    problems = []
    for rule in ruleset.rules:
        if (rule.scope == "repository" and rule.code not in also) or rule.code not in ruleset.checks:
            continue
        check = ruleset.checks[rule.code]
        params = effective_params(rule, config)
        whole = sorted(_key(f) for f in check(CheckContext(project, rule, severities[rule.code], params)))
        parts = []
        for unit, seen in views:
            found = [_key(f) for f in check(CheckContext(seen, rule, severities[rule.code], params))]
            outside = [key for key in found if key[1] not in set(unit.files)]
            if outside:
                problems.append(f"{rule.code} ({rule.scope}) in {tree.name}: found outside its unit: {outside[:2]}")
            parts += found
        if sorted(parts) != whole:
            extra = sorted(set(parts) - set(whole))[:2]
            lost = sorted(set(whole) - set(parts))[:2]
            problems.append(f"{rule.code} ({rule.scope}) in {tree.name}: units add {extra}, lose {lost}")
    return problems


def test_every_rule_of_the_pack_declares_a_scope() -> None:
    scopes = {rule.code: rule.scope for rule in load_pack()}
    assert set(scopes.values()) <= set(SCOPES)
    # Spot checks of the data each check reads: one container; a Dockerfile; a Dockerfile and the
    # workloads that run its image; the PDBs of a workload's pods; every alert of the scan.
    assert (scopes["K012"], scopes["D009"], scopes["D004"], scopes["K023"], scopes["A002"]) == (
        "object",
        "file",
        "service",
        "service",
        "repository",
    )


def test_plugins_default_to_the_repository_and_custom_rules_to_their_target(tmp_path: Path) -> None:
    from relcheck.api import Rule
    from relcheck.ruleset.load import load_ruleset

    plain = Rule("Z001", "z", "Z", "warning", "why", "fix", check=lambda ctx: iter(()))
    assert plain.meta("plugin:x").scope == "repository"
    assert Rule("Z002", "y", "Y", "warning", "why", "fix", check=lambda ctx: iter(()), scope="object").meta(
        "plugin:x"
    ).scope == "object"
    ruleset = load_ruleset(ROOT / "examples", ["custom-rules"])
    custom = [rule for rule in ruleset.rules if rule.area == "custom"]
    assert custom and {rule.scope for rule in custom} <= {"object", "file"}


@pytest.mark.parametrize("tree", _trees(), ids=lambda p: str(p.relative_to(ROOT)))
def test_rules_find_the_same_on_each_unit_alone(tree: Path) -> None:
    assert _isolation_problems(tree) == []


def test_rules_find_the_same_on_each_unit_of_a_generated_monorepo(tmp_path: Path) -> None:
    from generate import generate

    tree = generate(30, tmp_path / "mono")
    project = _project(tree)
    units = partition(project)
    assert units is not None and len([u for u in units if u.services]) == 30
    assert _isolation_problems(tree) == []


def test_shared_manifests_tie_the_services_they_deploy_into_one_unit(tmp_path: Path) -> None:
    """Manifests in a shared folder, a PDB there selecting the pods of one service, a workload no
    service owns: units follow the objects, and the rules agree."""
    for name in ("cart", "shop"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text("FROM node:20-alpine\nUSER node\nCMD [\"node\", \"index.js\"]\n")
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    for name in ("cart", "shop", "redis"):
        manifest = (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: NAME\nspec:\n  replicas: 3\n"
            "  selector:\n    matchLabels: {app: NAME}\n  template:\n    metadata:\n      labels: {app: NAME}\n"
            "    spec:\n      containers:\n        - name: app\n          image: registry/NAME:1.0\n"
        )
        (deploy / f"{name}.yaml").write_text(manifest.replace("NAME", name))
    (deploy / "pdb.yaml").write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: cart\nspec:\n  minAvailable: 3\n"
        "  selector:\n    matchLabels: {app: cart}\n"
    )
    project = _project(tmp_path)
    by_file = _units_by_file(project)
    assert by_file["deploy/pdb.yaml"] is by_file["deploy/cart.yaml"] is by_file["cart/Dockerfile"]
    assert by_file["deploy/shop.yaml"] is by_file["shop/Dockerfile"]
    assert by_file["deploy/redis.yaml"] is not by_file["deploy/cart.yaml"]
    assert by_file["deploy/redis.yaml"].services == []
    assert _isolation_problems(tmp_path) == []


def test_the_repository_rules_need_the_whole_tree(tmp_path: Path) -> None:
    """A002 and X007 read every alert and every service's metrics: a shared monitoring folder's
    rule file is judged against all services. Run per unit, they would lose those findings."""
    api = tmp_path / "api"
    (api / "src").mkdir(parents=True)
    (api / "package.json").write_text('{"name": "api", "main": "src/index.js", "dependencies": {"prom-client": "15"}}')
    (api / "src" / "index.js").write_text(
        "const client = require('prom-client');\n"
        "new client.Counter({name: 'http_requests_total', help: 'requests'});\n"
        "require('http').createServer(() => {}).listen(3000);\n"
    )
    (api / "alerts.yaml").write_text(
        "groups:\n  - name: api\n    rules:\n      - alert: ApiDown\n        expr: up == 0\n"
        "        for: 5m\n        labels: {severity: critical}\n"
    )
    (tmp_path / "monitoring").mkdir()
    (tmp_path / "monitoring" / "alerts.yaml").write_text(
        "groups:\n  - name: api\n    rules:\n      - alert: QueueBacklog\n        expr: queue_depth_total > 100\n"
        "        for: 5m\n        labels: {severity: warning}\n"
        "      - alert: HighErrorRate\n        expr: rate(http_requests_total[5m]) > 1\n"
        "        for: 5m\n        labels: {severity: critical}\n"
    )
    assert _isolation_problems(tmp_path) == []
    wrong = _isolation_problems(tmp_path, also=("A002", "X007"))
    assert {problem.split()[0] for problem in wrong} == {"A002", "X007"}


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="the shared corpus is not beside this clone")
def test_rules_find_the_same_on_each_unit_of_the_corpus() -> None:
    assert _isolation_problems(SHARED / "corpus") == []


def test_a_skaffold_config_joins_the_workloads_whose_images_it_builds(tmp_path: Path) -> None:
    """K019 leaves an image Skaffold builds alone: the config and the manifest that names its
    artifact are one unit, wherever each lies, so that a unit alone sees the same."""
    for name in ("cart", "shop"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text('FROM node:20-alpine\nUSER node\nCMD ["node", "index.js"]\n')
    (tmp_path / "cart" / "skaffold.yaml").write_text(
        "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n    - image: cart\n"
    )
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    for name, image in (("cart", "cart"), ("shop", "registry.example.com/shop")):
        (deploy / f"{name}.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 3\n"
            f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: app\n"
            f"          image: {image}\n"
        )
    project = _project(tmp_path)
    by_file = _units_by_file(project)
    assert by_file["cart/skaffold.yaml"] is by_file["deploy/cart.yaml"]
    assert by_file["deploy/shop.yaml"] is by_file["shop/Dockerfile"] is not by_file["deploy/cart.yaml"]
    assert _isolation_problems(tmp_path) == []
    found = _found(project, "K019")
    assert [(f.location.path, f.location.line) for f in found] == [("deploy/shop.yaml", 15)]


def _write_rbac(deploy: Path, kind: str, rules: str) -> None:
    """A role named `controller` in role.yaml, bound in binding.yaml to the `operator` account of
    the `default` namespace (by a RoleBinding there, for a Role)."""
    binding = "RoleBinding" if kind == "Role" else "ClusterRoleBinding"
    (deploy / "role.yaml").write_text(
        f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: controller\nrules:\n{rules}"
    )
    (deploy / "binding.yaml").write_text(
        f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {binding}\nmetadata:\n  name: controller\n"
        f"roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: controller}}\n"
        "subjects:\n  - {kind: ServiceAccount, name: operator, namespace: default}\n"
    )


def test_the_rbac_that_grants_a_lease_joins_the_controller_it_shows_elects_a_leader(tmp_path: Path) -> None:
    """K014 asks two replicas, not three, of a controller whose ServiceAccount may take a Lease: the
    Role and its binding, in files of their own, are in the controller's unit."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    for name in ("operator", "web"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text('FROM node:20-alpine\nUSER node\nCMD ["node", "index.js"]\n')
        (deploy / f"{name}.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 2\n"
            f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: {name}}}\n    spec:\n      serviceAccountName: {name}\n"
            f"      containers:\n        - name: app\n          image: registry/{name}:1.0\n"
        )
    _write_rbac(
        deploy, "Role", "  - apiGroups: [coordination.k8s.io]\n    resources: [leases]\n    verbs: [create, update]\n"
    )
    project = _project(tmp_path)
    by_file = _units_by_file(project)
    assert by_file["deploy/role.yaml"] is by_file["deploy/binding.yaml"] is by_file["deploy/operator.yaml"]
    assert by_file["deploy/web.yaml"] is by_file["web/Dockerfile"] is not by_file["deploy/operator.yaml"]
    assert _isolation_problems(tmp_path) == []
    found = _found(project, "K014")
    assert [(f.location.path, f.location.line) for f in found] == [("deploy/web.yaml", 6)]


def test_the_rbac_that_grants_a_watch_joins_the_controller_it_shows_elects_no_leader(tmp_path: Path) -> None:
    """K014 warns, without a count to set, of one replica of a controller whose ServiceAccount may
    watch the API and which elects no leader; K020 asks it no HPA. Its ClusterRole and binding, in
    files of their own, are in its unit."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "operator.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: operator\nspec:\n  replicas: 1\n"
        "  selector:\n    matchLabels: {app: operator}\n  template:\n    metadata:\n"
        "      labels: {app: operator}\n    spec:\n      serviceAccountName: operator\n"
        "      containers:\n        - name: manager\n          image: registry/operator:1.0\n"
    )
    _write_rbac(
        deploy,
        "ClusterRole",
        "  - apiGroups: [example.com]\n    resources: [widgets]\n    verbs: [get, list, watch]\n"
        "  - apiGroups: [example.com]\n    resources: [widgets/status]\n    verbs: [update, patch]\n",
    )
    project = _project(tmp_path)
    by_file = _units_by_file(project)
    assert by_file["deploy/role.yaml"] is by_file["deploy/binding.yaml"] is by_file["deploy/operator.yaml"]
    assert _isolation_problems(tmp_path) == []
    assert _found(project, "K020") == []
    [finding] = _found(project, "K014")
    where = (finding.location.path, finding.location.line, finding.severity.name)
    assert where == ("deploy/operator.yaml", 6, "WARNING"), where
    assert "may watch widgets and change widgets through ClusterRole 'controller'" in finding.message
