"""Custom rules as data: YAML files whose `condition` is a JSON Schema a target must satisfy (as
Polaris does). Targets: Kubernetes objects, containers, pod specs, Dockerfile stages and
instructions, PM2 apps, alert rules and .env settings."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relcheck.model import Finding, Location, RuleMeta, Severity

if TYPE_CHECKING:
    from relcheck.engine import CheckContext

SCHEMA_PATH = Path(__file__).parent / "schemas" / "custom-rule.schema.json"
_FIELD = re.compile(r"\{([\w.\-/]+)\}")


class CustomRuleError(Exception):
    """A custom rule that cannot be used: file, line and reason, for one line on stderr and exit 2."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {reason}")


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

        condition = jsonschema.Draft202012Validator(self.condition)
        when = jsonschema.Draft202012Validator(self.when) if self.when else None
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


def targets(ctx: CheckContext, spec: dict) -> Iterator[Target]:
    kind = spec["kind"]
    kinds = set(spec.get("kinds") or [])
    project = ctx.project
    if kind == "kubernetes":
        for obj in project.kube.objects:
            if not kinds or obj.kind in kinds:
                yield Target(
                    obj.data,
                    lambda path, o=obj: o.key_loc(*path) if path else o.loc(),
                    obj.identity,
                    obj.span,
                    obj.ignore_names(),
                    obj.display,
                )
    elif kind in ("container", "pod-spec"):
        for workload in project.kube.workloads:
            if kinds and workload.kind not in kinds:
                continue
            obj = workload.obj
            if kind == "pod-spec":
                keys = workload.pod_spec_keys
                yield Target(
                    workload.pod_spec,
                    lambda path, o=obj, k=keys: o.key_loc(*k, *path),
                    obj.identity,
                    obj.span,
                    workload.ignore_names(),
                    obj.display,
                )
                continue
            for container in workload.containers():
                yield Target(
                    container.spec,
                    lambda path, c=container: c.key_loc(*path) if path else c.key_loc(),
                    container.identity,
                    obj.span,
                    workload.ignore_names(),
                    obj.display,
                )
    elif kind == "dockerfile-stage":
        for dockerfile in project.dockerfiles:
            for stage in dockerfile.stages:
                if spec.get("final-stage-only") and stage is not dockerfile.final:
                    continue
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
        for dockerfile in project.dockerfiles:
            for stage in dockerfile.stages:
                if spec.get("final-stage-only") and stage is not dockerfile.final:
                    continue
                for ins in [stage.from_instruction, *stage.instructions]:
                    if wanted and ins.keyword not in wanted:
                        continue
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
        for app in project.pm2_apps:
            yield Target(app.data, lambda path, a=app: a.key_loc(*path), app.identity)
    elif kind == "alert-rule":
        for source in project.rule_sources:
            for rule in source.rules:
                if rule.is_alert:
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

    from relcheck.discovery import read_text
    from relcheck.parsers.yaml import YamlError, compose_all, to_python
    from relcheck.positions import Positions
    from relcheck.schema_errors import schema_problem

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
        meta = RuleMeta(
            code=entry["code"],
            slug=entry["slug"],
            title=entry["title"],
            severity=Severity.parse(entry["severity"]),
            area="custom",
            checklist=entry.get("checklist"),
            rationale=entry.get("rationale", entry["title"]),
            fix=entry.get("fix", ""),
        )
        found.append(CustomRule(meta, label, entry["target"], entry["condition"], entry.get("when"), entry["message"]))
    return found
