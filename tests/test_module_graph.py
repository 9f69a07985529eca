"""The package's modules import each other without a cycle: every import that runs (at the top of a
module or inside a function) points down the pipeline (discovery, parsing, project, services,
engine, checks, suppression, reporters). Imports for type checkers only are left out."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "relcheck"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def module_graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            graph[name].update(t for t in targets if t in graph and t != name)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    graph = module_graph()
    assert len(graph) > 60
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_checks_and_reporters_do_not_import_the_engine() -> None:
    below_the_engine = ("relcheck.checks", "relcheck.reporters", "relcheck.ruleset.registry", "relcheck.ruleset.custom")
    for name, targets in module_graph().items():
        if name.startswith(below_the_engine):
            assert "relcheck.scan.engine" not in targets, name


def test_no_check_reads_a_file(monkeypatch) -> None:
    """Everything a check needs is parsed before checks run (the parse stage reads; checks look)."""
    from relcheck.config.loader import Config
    from relcheck.ruleset.load import builtin
    from relcheck.scan import discovery
    from relcheck.scan.engine import scan

    checking = [False]
    real_read, real_read_text = discovery.SourceFile.read, discovery.read_text

    def guarded(real):
        def read(*args, **kwargs):
            assert not checking[0], "a check read a file"
            return real(*args, **kwargs)

        return read

    monkeypatch.setattr(discovery.SourceFile, "read", guarded(real_read))
    monkeypatch.setattr(discovery, "read_text", guarded(real_read_text))

    def watched(check):
        def run(ctx):
            checking[0] = True
            try:
                return list(check(ctx))
            finally:
                checking[0] = False

        return run

    ruleset = builtin()
    ruleset.checks = {code: watched(check) for code, check in ruleset.checks.items()}
    root = PACKAGE.parent / "examples"
    result = scan([root / "legacy-service", root / "enterprise-service"], Config(), ruleset=ruleset)
    assert not [f for f in result.findings if "internal error" in f.message]
    assert {f.code for f in result.findings} >= {"D001", "D012", "K003", "P003", "R001", "S001", "X001"}


def test_every_subject_speaks_the_subject_vocabulary() -> None:
    """Whatever a finding is about offers the same members (relcheck.api.Subject)."""
    from relcheck.artifacts.alerts import PromRule
    from relcheck.artifacts.dockerfile import DockerfileSpot
    from relcheck.artifacts.kubernetes import Container, K8sObject, Workload
    from relcheck.artifacts.pm2 import Pm2App

    members = ("identity", "display", "scope", "ignore_source", "ignore_names", "key_loc", "loc")
    for subject in (K8sObject, Workload, Container, Pm2App, PromRule, DockerfileSpot):
        assert all(hasattr(subject, member) for member in members), subject.__name__
