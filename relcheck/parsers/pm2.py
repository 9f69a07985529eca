"""PM2 ecosystem files: JavaScript read as a syntax tree (never run), JSON and YAML as data."""

from __future__ import annotations

from typing import Any

from relcheck.artifacts.pm2 import Pm2App
from relcheck.model import ParseProblem
from relcheck.syntax.javascript import Converter, parse, text_of, top_level_consts
from relcheck.syntax.jsvalues import JsObject
from relcheck.syntax.positions import Positions


def parse_pm2(path: str, text: str) -> tuple[list[Pm2App], list[ParseProblem]]:
    if path.lower().endswith((".json", ".yml", ".yaml")):
        root, positions, problem = _data_file(text)
    else:
        root, positions, problem = _script(path, text)
    if problem is not None:
        return [], [problem]
    if isinstance(root, dict) and isinstance(root.get("apps"), list):
        apps, base = root["apps"], ("apps",)
    elif isinstance(root, list):
        apps, base = root, ()
    else:
        return [], []
    return [
        Pm2App(path, app, positions, (*base, index), index) for index, app in enumerate(apps) if isinstance(app, dict)
    ], []


def _data_file(text: str) -> tuple[Any, Positions, ParseProblem | None]:
    from relcheck.syntax.yaml import YamlError, compose_all, to_python

    positions = Positions({}, {})
    try:
        documents = [d for d in compose_all(text) if d is not None]
        return (to_python(documents[0], positions) if documents else None), positions, None
    except YamlError as exc:
        return None, positions, ParseProblem(exc.code, exc.message, exc.line, exc.column)


def _script(path: str, text: str) -> tuple[Any, Positions, ParseProblem | None]:
    positions = Positions({}, {})
    tree, problem = parse(path, text)
    if problem is not None:
        return None, positions, problem
    root = tree.root_node
    converter = Converter(top_level_consts(root), positions)
    exported = None
    apps_node = None
    for statement in root.named_children:
        if statement.type == "expression_statement" and statement.named_children:
            expression = statement.named_children[0]
            if expression.type != "assignment_expression":
                continue
            left = "".join(text_of(expression.child_by_field_name("left")).split())
            right = expression.child_by_field_name("right")
            if left in ("module.exports", "exports"):
                exported = right
            elif left in ("module.exports.apps", "exports.apps"):
                apps_node = right
        elif statement.type == "export_statement" and any(c.type == "default" for c in statement.children):
            exported = statement.child_by_field_name("value") or statement.child_by_field_name("declaration")
    if apps_node is not None:
        root_value = JsObject(apps=converter.convert(apps_node, ("apps",)))
        return root_value, positions, None
    if exported is None:
        return None, positions, None
    return converter.convert(exported), positions, None
