"""PM2 ecosystem files: JavaScript read as a syntax tree (never run), JSON and YAML as data."""

from __future__ import annotations

from typing import Any

from relcheck.artifacts.pm2 import Pm2App
from relcheck.model import ParseProblem
from relcheck.syntax.javascript import Converter, nodes_of_types, parse_in_dialect, text_of, top_level_consts
from relcheck.syntax.jsvalues import UNKNOWN, JsObject
from relcheck.syntax.positions import Positions

# The keys PM2 takes an app's program from (`exec` is an alias of `script`; `cmd` and `command` are
# moved to `script` when it is absent).
SCRIPT_KEYS = ("script", "exec", "cmd", "command")


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
    found, problems = [], []
    for index, app in enumerate(apps):
        if not isinstance(app, dict):
            continue
        entry = Pm2App(path, app, positions, (*base, index), index)
        if entry.open or any(key in app for key in SCRIPT_KEYS):
            found.append(entry)
            continue
        # PM2 skips it ("No script path - aborting") and starts the others: nothing runs to check.
        line, column = positions.of((*base, index))
        message = f"{entry.display} has no script (nor exec, cmd or command): PM2 does not start it; not checked"
        problems.append(ParseProblem("E002", message, line, column))
    return found, problems


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
    tree, dialect, problem = parse_in_dialect(path, text)
    if problem is not None:
        return None, positions, problem
    root = tree.root_node
    consts = top_level_consts(root)
    converter = Converter(consts, positions)
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
    written = apps_node if apps_node is not None else exported
    if written is None:
        return None, positions, None
    if apps_node is not None:
        value: Any = JsObject(apps=converter.convert(apps_node, ("apps",)))
    else:
        value = converter.convert(exported)
    changed = _changed_later(tree, dialect, written, {name for name in consts if name in text_of(written)})
    if changed is not None:
        _unknown(value, changed)
    return value, positions, None


_EXPORTS = ("module.exports", "exports")


def _changed_later(tree, dialect: str, written, names: set[str]) -> set[str] | None:
    """The keys that code elsewhere in the file sets on the exported configuration, or None when
    nothing changes it: assignments (`module.exports.apps[0].max_restarts = 15` under an `if`,
    `config.apps[0].env = ...` before `module.exports = config`), and calls that may change its
    apps (`config.apps.forEach(app => { app.kill_timeout = ... })`, `apps.push(...)`,
    `Object.assign(config.apps[0], ...)`), whose assignments count whatever they assign to. An
    empty set: something changes it, through keys that cannot be read."""
    roots = (*_EXPORTS, *names)
    keys: set[str] | None = None
    types = ("assignment_expression", "augmented_assignment_expression", "call_expression")
    changing_calls: list = []
    for node in nodes_of_types(tree, dialect, types):
        if node.type == "call_expression":
            if _changes_the_configuration(node, roots):
                changing_calls.append(node)
                keys = keys if keys is not None else set()
            continue
        if node.child_by_field_name("right") == written:
            continue  # the export itself
        left = node.child_by_field_name("left")
        target = "".join(text_of(left).split()) if left is not None else ""
        root = next((r for r in roots if target.startswith((f"{r}.", f"{r}["))), None)
        inside_call = any(c.start_byte <= node.start_byte < c.end_byte for c in changing_calls)
        if not inside_call and (target in _EXPORTS or root is None or target[len(root) :].startswith(".deploy")):
            continue  # not the configuration, or its `deploy` section, which no rule reads
        keys = keys if keys is not None else set()
        key = left.child_by_field_name("property") if left is not None and left.type == "member_expression" else None
        if key is not None and key.type == "property_identifier":
            keys.add(text_of(key))
    return keys


_MUTATING_METHODS = frozenset({"forEach", "map", "push", "unshift", "splice", "fill"})


def _changes_the_configuration(call, roots: tuple[str, ...]) -> bool:
    """`<config>.apps.forEach(...)`, `<config>.apps.push(...)`, `Object.assign(<config>..., ...)`."""
    function = call.child_by_field_name("function")
    callee = "".join(text_of(function).split()) if function is not None else ""
    if callee == "Object.assign":
        arguments = call.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        target = "".join(text_of(first).split()) if first is not None else ""
        return any(target == r or target.startswith((f"{r}.", f"{r}[")) for r in roots)
    method = callee.rsplit(".", 1)[-1]
    receiver = callee.rsplit(".", 1)[0] if "." in callee else ""
    return method in _MUTATING_METHODS and any(
        receiver == r or receiver.startswith((f"{r}.", f"{r}[")) for r in roots
    )


def _unknown(value: Any, keys: set[str]) -> None:
    """Every app's `keys` become unknown, and each app open: later code may set any key."""
    apps = value.get("apps") if isinstance(value, dict) else value
    for app in apps if isinstance(apps, list) else []:
        if isinstance(app, JsObject):
            app.open = True
            for key in keys & set(app):
                app[key] = UNKNOWN
