"""Custom rules as data: YAML files whose `condition` is a JSON Schema a target must satisfy (as
Polaris does). Targets: Kubernetes objects, containers, pod specs, Dockerfile stages and
instructions, PM2 apps, alert rules and .env settings."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relcheck.model import Finding, Location, RuleMeta, Severity

if TYPE_CHECKING:
    from relcheck.scan.context import CheckContext

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "custom-rule.schema.json"
_FIELD = re.compile(r"\{([\w.\-/]+)\}")


class CustomRuleError(Exception):
    """A custom rule that cannot be used: file, line and reason, for one line on stderr and exit 2."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(" ".join(f"{where}: {reason}".split()))  # always one line


@dataclass(frozen=True)
class Target:
    """One thing a custom rule looks at: its data, where it is, and what it belongs to."""

    data: Any
    locate: Callable[[tuple], Location]
    identity: str
    scope: tuple[int, int] | None = None
    ignores: tuple[str, ...] = ()
    owner: str = ""


@dataclass
class CustomRule:
    meta: RuleMeta
    source: str
    target: dict
    condition: dict
    when: dict | None
    message: str

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        import jsonschema

        condition = repository_validator(self.condition)
        when = repository_validator(self.when) if self.when else None
        for target in targets(ctx, self.target):
            if when is not None and not when.is_valid(target.data):
                continue
            error = jsonschema.exceptions.best_match(condition.iter_errors(target.data))
            if error is None:
                continue
            path = tuple(error.absolute_path)
            yield ctx.finding(
                target.locate(path),
                render(self.message, target.data, error.message),
                identity=f"{self.meta.code}/{target.identity}",
                value=".".join(map(str, path)) or error.message,
                scope=target.scope,
                ignores=target.ignores,
                ignore_source=target.owner,
            )


def render(template: str, data: Any, error: str) -> str:
    def lookup(match: re.Match[str]) -> str:
        if match.group(1) == "error":
            return error
        value: Any = data
        for part in match.group(1).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return "?" if value is None else str(value)

    return _FIELD.sub(lookup, template)


# Target kinds read one file whole (a Dockerfile's stages, a settings file's variables); the others
# one object, container, app or rule: the scope a custom rule gets.
FILE_TARGETS = frozenset({"dockerfile-stage", "dockerfile-instruction", "env"})


def targets(ctx: CheckContext, spec: dict) -> Iterator[Target]:
    """A custom rule's targets, walked by the same iterators as the built-in checks'."""
    from relcheck.scan import targets as walk

    kind = spec["kind"]
    kinds = set(spec.get("kinds") or [])
    project = ctx.project
    final_only = bool(spec.get("final-stage-only"))
    if kind == "kubernetes":
        for obj in walk.objects(project, kinds):
            yield Target(
                obj.data,
                lambda path, o=obj: o.key_loc(*path) if path else o.loc(),
                obj.identity,
                obj.span,
                obj.ignore_names(),
                obj.display,
            )
    elif kind == "pod-spec":
        for workload in walk.workloads(project, kinds):
            obj, keys = workload.obj, workload.pod_spec_keys
            yield Target(
                workload.pod_spec,
                lambda path, o=obj, k=keys: o.key_loc(*k, *path),
                obj.identity,
                obj.span,
                workload.ignore_names(),
                obj.display,
            )
    elif kind == "container":
        for container in walk.containers(project, kinds):
            yield Target(
                container.spec,
                lambda path, c=container: c.key_loc(*path) if path else c.key_loc(),
                container.identity,
                container.scope,
                container.ignore_names(),
                container.ignore_source,
            )
    elif kind == "dockerfile-stage":
        for dockerfile, stage in walk.stages(project, final_only):
            data = {
                "name": stage.name,
                "image": stage.resolved_image or stage.image,
                "final": stage is dockerfile.final,
                "instructions": [i.keyword for s in stage.chain() for i in s.instructions],
            }
            where = Location(dockerfile.path, stage.from_instruction.line, 1)
            yield Target(data, lambda path, w=where: w, f"{dockerfile.path}/stage:{stage.name}")
    elif kind == "dockerfile-instruction":
        wanted = {k.upper() for k in spec.get("instructions") or []}
        for dockerfile, stage, ins in walk.instructions(project, wanted, final_only):
            data = {
                "keyword": ins.keyword,
                "args": list(ins.args),
                "text": ins.text,
                "flags": list(ins.flags),
                "json": ins.json_form,
                "stage": stage.name,
                "final": stage is dockerfile.final,
            }
            where = Location(dockerfile.path, ins.line, 1)
            yield Target(
                data,
                lambda path, w=where: w,
                f"{dockerfile.path}/{stage.name}/{ins.keyword}",
                (ins.line, ins.end_line),
            )
    elif kind == "pm2-app":
        for app in walk.pm2_apps(project):
            yield Target(app.data, lambda path, a=app: a.key_loc(*path), app.identity)
    elif kind == "alert-rule":
        for rule in walk.prom_rules(project, alerts_only=True):
            yield Target(
                rule.data,
                lambda path, r=rule: r.key_loc(*path) if path else r.key_loc("alert"),
                rule.identity,
                rule.scope,
            )
    elif kind == "env":
        for path, facts in sorted(project.app_facts.items()):
            if facts.env_locations:
                first = Location(path, 1, 1)
                yield Target(
                    dict(facts.env),
                    lambda keys, f=facts, w=first: f.env_locations.get(keys[0], w) if keys else w,
                    f"env:{path}",
                )


def load_custom_rules(directories: list[Path], root: Path, confine: bool = True) -> list[CustomRule]:
    """Custom rules of the folders named. With `confine` (folders named by the repository's own
    config), a folder or rule file whose path leads outside the root, through `..` or a link, is an
    error that names the path as written and reads nothing there."""
    rules: list[CustomRule] = []
    for directory in directories:
        if confine:
            _inside(directory, root)
        if not directory.is_dir():
            raise CustomRuleError(_label(directory, root), None, "rule directory does not exist")
        for path in sorted(directory.glob("*.y*ml")):
            if confine:
                _inside(path, root)
            rules.extend(_load_file(path.resolve(), _label(path, root)))
    return rules


def _inside(path: Path, root: Path) -> None:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        raise CustomRuleError(
            str(path.relative_to(root)) if path.is_relative_to(root) else str(path), None, "a looping link; not read"
        ) from None
    if not resolved.is_relative_to(root.resolve()):
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        raise CustomRuleError(shown, None, "leads outside the repository; relcheck reads no rules from outside it")


def _label(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _load_file(path: Path, label: str) -> list[CustomRule]:
    import jsonschema

    from relcheck.config.errors import schema_problem
    from relcheck.scan.discovery import read_text
    from relcheck.syntax.positions import Positions
    from relcheck.syntax.yaml import YamlError, compose_all, to_python

    text, problem = read_text(path, 1024 * 1024)
    if text is None:
        raise CustomRuleError(label, None, problem.message if problem else "cannot read")
    positions = Positions({}, {})
    try:
        documents = [d for d in compose_all(text) if d is not None]
        data = to_python(documents[0], positions, max_nodes=100_000) if documents else None
    except YamlError as exc:
        raise CustomRuleError(label, exc.line, exc.message) from None
    if isinstance(data, dict) and "rules" in data and "code" not in data:
        entries, base = data["rules"], ("rules",)
    elif isinstance(data, list):
        entries, base = data, ()
    else:
        entries, base = [data], None
    if not isinstance(entries, list):
        raise CustomRuleError(label, positions.of(("rules",))[0], "`rules` must be a list of rules")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    found = []
    for index, entry in enumerate(entries):
        prefix = () if base is None else (*base, index)
        error = jsonschema.exceptions.best_match(validator.iter_errors(entry))
        if error is not None:
            where = (*prefix, *error.absolute_path)
            key = ".".join(map(str, error.absolute_path)) or "(rule)"
            raise CustomRuleError(label, positions.of(where)[0], f"{key}: {schema_problem(error)}")
        for field in ("condition", "when"):
            if field in entry:
                try:
                    jsonschema.Draft202012Validator.check_schema(entry[field])
                except jsonschema.SchemaError as exc:
                    raise CustomRuleError(
                        label, positions.of((*prefix, field))[0], f"{field} is not a valid JSON Schema: {exc.message}"
                    ) from None
                problem = unsafe_schema(entry[field])
                if problem is not None:
                    raise CustomRuleError(label, positions.of((*prefix, field))[0], f"{field}: {problem}")
        meta = RuleMeta(
            code=entry["code"],
            slug=entry["slug"],
            title=entry["title"],
            severity=Severity.parse(entry["severity"]),
            area="custom",
            checklist=entry.get("checklist"),
            rationale=entry.get("rationale", entry["title"]),
            fix=entry.get("fix", ""),
            scope="file" if entry["target"]["kind"] in FILE_TARGETS else "object",
        )
        found.append(CustomRule(meta, label, entry["target"], entry["condition"], entry.get("when"), entry["message"]))
    return found


# A custom rule's schema is the repository's: bounded in size and depth, its references kept inside
# the document, its regular expressions matched within a time limit (see relcheck.syntax.saferegex).
MAX_SCHEMA_NODES = 10_000
MAX_SCHEMA_DEPTH = 32
MAX_ENUM = 1_000
_REFERENCE_KEYS = ("$ref", "$dynamicRef")


def unsafe_schema(schema: Any) -> str | None:
    """Why a condition cannot be evaluated safely, or None."""
    from relcheck.syntax.saferegex import UnsafePattern, compile_pattern

    nodes = 0
    has_pattern_properties = False
    has_unevaluated = False
    stack: list[tuple[Any, int, str]] = [(schema, 0, "")]
    while stack:
        node, depth, where = stack.pop()
        nodes += 1
        if nodes > MAX_SCHEMA_NODES:
            return f"the schema has more than {MAX_SCHEMA_NODES} nodes"
        if depth > MAX_SCHEMA_DEPTH:
            return f"the schema nests deeper than {MAX_SCHEMA_DEPTH} levels (at {where or 'the top'})"
        if isinstance(node, list):
            stack.extend((item, depth + 1, f"{where}[{index}]") for index, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        for key in _REFERENCE_KEYS:
            reference = node.get(key)
            if isinstance(reference, str) and not reference.startswith("#"):
                return (
                    f"{key} {reference!r} at {where or 'the top'} leaves the rule's own schema; only references "
                    "inside it (`#/...`) are resolved: nothing is fetched or read"
                )
            if isinstance(reference, str) and not _resolves(schema, reference[1:]):
                return f"{key} {reference!r} at {where or 'the top'} points at nothing in the schema"
        if "$id" in node:
            return f"$id at {where or 'the top'}: a custom rule's schema cannot name other documents"
        for key in ("enum", "examples"):
            if isinstance(node.get(key), list) and len(node[key]) > MAX_ENUM:
                return f"{key} at {where or 'the top'} lists more than {MAX_ENUM} values"
        patterns = []
        if isinstance(node.get("pattern"), str):
            patterns.append(node["pattern"])
        if isinstance(node.get("patternProperties"), dict):
            has_pattern_properties = True
            patterns.extend(str(key) for key in node["patternProperties"])
        has_unevaluated = has_unevaluated or "unevaluatedProperties" in node
        for pattern in patterns:
            try:
                compile_pattern(pattern)
            except UnsafePattern as exc:
                return f"pattern {pattern!r} at {where or 'the top'}: {exc}"
        stack.extend((value, depth + 1, f"{where}.{key}" if where else str(key)) for key, value in node.items())
    if has_pattern_properties and has_unevaluated:
        return "unevaluatedProperties together with patternProperties is not supported"
    return None


def _resolves(schema: Any, fragment: str) -> bool:
    """Whether `#fragment` names something in `schema`: a JSON pointer, or an anchor it declares."""
    from urllib.parse import unquote

    if not fragment.startswith("/") and fragment:
        return _declares_anchor(schema, fragment)
    node = schema
    for part in fragment.split("/")[1:] if fragment else []:
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return isinstance(node, (dict, bool))


def _declares_anchor(schema: Any, name: str) -> bool:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if name in (node.get("$anchor"), node.get("$dynamicAnchor")):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def repository_validator(schema: dict) -> Any:
    """A Draft 2020-12 validator for a schema the repository wrote: references resolve only inside
    it (the registry retrieves nothing: no URL, no file), and `pattern`, `patternProperties` and
    the properties `additionalProperties` sees through them are matched within a time limit."""
    from referencing import Registry

    return _validator_class()(schema, registry=Registry(retrieve=_retrieve_nothing))


def _retrieve_nothing(uri: str) -> Any:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)


@functools.lru_cache(maxsize=1)
def _validator_class() -> Any:
    import jsonschema
    from jsonschema import ValidationError, validators

    from relcheck.syntax.saferegex import search

    # jsonschema calls keyword functions as (validator, value of the keyword, instance, schema).
    def pattern(validator, expected, instance, schema):
        if validator.is_type(instance, "string") and not search(expected, instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    def pattern_properties(validator, expected, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        for regex, subschema in expected.items():
            for key, value in instance.items():
                if search(regex, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=regex)

    def additional_properties(validator, extra_schema, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        known = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        extras = [key for key in instance if key not in known and not any(search(p, key) for p in patterns)]
        if validator.is_type(extra_schema, "object"):
            for key in extras:
                yield from validator.descend(instance[key], extra_schema, path=key)
        elif extra_schema is False and extras:
            listed = ", ".join(repr(key) for key in sorted(extras, key=str))
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(f"Additional properties are not allowed ({listed} {verb} unexpected)")

    return validators.extend(
        jsonschema.Draft202012Validator,
        {"pattern": pattern, "patternProperties": pattern_properties, "additionalProperties": additional_properties},
    )
