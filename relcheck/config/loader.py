"""Configuration: .relcheck.yaml at the scan root, --config FILE, or [tool.relcheck] in pyproject.toml."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relcheck.config.errors import json_type as _json_type
from relcheck.config.errors import schema_problem as _schema_problem
from relcheck.model import RuleMeta
from relcheck.ruleset.selectors import UnknownRuleError, resolve
from relcheck.scan.discovery import DEFAULT_MAX_FILE_SIZE

CONFIG_NAMES = (".relcheck.yaml", ".relcheck.yml")
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.json"


class ConfigError(Exception):
    """A bad configuration: one line naming the file, the key and what is wrong."""

    def __init__(self, source: str, key: str, problem: str, line: int | None = None, column: int | None = None) -> None:
        where = source if line is None else f"{source}:{line}:{column or 1}"
        keypart = f" {key}:" if key else ""
        super().__init__(" ".join(f"{where}:{keypart} {problem}".split()))  # always one line


@dataclass
class Config:
    source: str | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    # The default excludes (discovery.DEFAULT_EXCLUDES) apply unless `exclude` is set in the config
    # (it replaces them) or --no-default-excludes turns them off; `extend-exclude` adds to them.
    exclude_set: bool = False
    extend_exclude: list[str] = field(default_factory=list)
    default_excludes: bool = True
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    fail_on: str | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    services: dict[str, dict] = field(default_factory=dict)
    rule_dirs: list[str] = field(default_factory=list)
    render: bool = True  # render Helm charts and kustomize overlays (`render`, `--no-render`)
    helm: dict[str, Any] = field(default_factory=dict)  # the `helm` table: timeout, charts
    # Where keys are, for messages about rule names checked once custom rules are known.
    locate: Any = field(default=None, repr=False, compare=False)
    ruleset: Any = field(default=None, repr=False, compare=False)  # set once the scan's rules are loaded


MAX_CONFIG_BYTES = 1024 * 1024


def default_excludes(config: Config) -> list[str]:
    """The default excludes in force: none when the config's `exclude` replaces them or they are off."""
    from relcheck.scan.discovery import DEFAULT_EXCLUDES

    return [] if config.exclude_set or not config.default_excludes else list(DEFAULT_EXCLUDES)


def find_config(root: Path) -> Path | None:
    """The scan root's config file. The repository may be anyone's: a config that is a link out of
    the root is a ConfigError, and pyproject.toml is read under the same size cap as a config."""
    for name in CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return confined(root, candidate, name)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        confined(root, pyproject, "pyproject.toml")
        text, _ = _read_config_text(pyproject, "pyproject.toml")
        if "[tool.relcheck" in text:
            return pyproject
    return None


def config_root(start: Path) -> Path:
    """The folder a scan of `start` takes its config from, as ruff finds its own: the nearest
    folder from `start` up to the repository's root (the one holding `.git`) with a relcheck config.
    Paths in that config, and in the report, are relative to it. Outside a repository, or with no
    config on the way, `start` itself."""
    start = start.resolve()
    if not any((folder / ".git").exists() for folder in (start, *start.parents)):
        return start
    for folder in (start, *start.parents):
        if find_config(folder) is not None:
            return folder
        if (folder / ".git").exists():
            break
    return start


def confined(root: Path, path: Path, label: str) -> Path:
    """`path` when it (after links) stays inside `root`; otherwise a ConfigError that names the
    path as written and never the target's content."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ConfigError(label, "", "a broken or looping link; not read") from None
    if not resolved.is_relative_to(root.resolve()):
        raise ConfigError(label, "", "leads outside the repository (a link?); relcheck reads nothing outside it")
    return resolved


def _read_config_text(path: Path, source: str) -> tuple[str, None]:
    from relcheck.scan.discovery import read_text

    text, problem = read_text(path, MAX_CONFIG_BYTES)
    if text is None:
        raise ConfigError(source, "", problem.message if problem else "cannot read")
    return text, None


def load_config(path: Path | None, rules: list[RuleMeta] | None, label: str | None = None) -> Config:
    if path is None:
        return Config()
    source = label or path.name
    if path.name == "pyproject.toml":
        data, locate = _load_pyproject(path, source)
    else:
        data, locate = _load_yaml(path, source)
    if data is None:
        return Config(source=source)
    _validate_schema(data, source, locate)
    config = Config(
        source=source,
        select=data.get("select"),
        ignore=list(data.get("ignore", [])),
        severity=dict(data.get("severity", {})),
        params={k: dict(v) for k, v in data.get("params", {}).items()},
        exclude=list(data.get("exclude", [])),
        exclude_set="exclude" in data,
        extend_exclude=list(data.get("extend-exclude", [])),
        per_file_ignores={k: list(v) for k, v in data.get("per-file-ignores", {}).items()},
        fail_on=data.get("fail-on"),
        max_file_size=data.get("max-file-size", DEFAULT_MAX_FILE_SIZE),
        services={k: dict(v) for k, v in data.get("services", {}).items()},
        rule_dirs=list(data.get("rule-dirs", [])),
        render=data.get("render", True),
        helm=dict(data.get("helm", {})),
        locate=locate,
    )
    if rules is not None:
        _validate_rules(config, rules, locate)
    return config


def validate_rule_names(config: Config, rules: list[RuleMeta]) -> None:
    """Rule names in the config must name rules of the scan (built-in, plugin or custom)."""
    if config.source is not None:
        _validate_rules(config, rules, config.locate or (lambda path, key=False: (None, None)))


def _load_yaml(path: Path, source: str):
    from relcheck.syntax.yaml import YamlError, load_one

    text, _ = _read_config_text(path, source)
    try:
        data, positions = load_one(text)
    except YamlError as exc:
        raise ConfigError(source, "", exc.message, exc.line, exc.column) from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(source, "", "expected a mapping of options at the top level", 1, 1)

    def locate(key_path: tuple, key: bool = False) -> tuple[int | None, int | None]:
        return positions.of(key_path, key=key)

    return data, locate


def _load_pyproject(path: Path, source: str):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    text, _ = _read_config_text(path, source)
    try:
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(source, "", f"invalid TOML: {exc}") from None
    data = document.get("tool", {}).get("relcheck")
    if data is not None and not isinstance(data, dict):
        raise ConfigError(source, "tool.relcheck", "expected a table")

    def locate(key_path: tuple, key: bool = False) -> tuple[int | None, int | None]:
        return None, None

    return data, locate


def _key_name(path) -> str:
    return ".".join(str(part) for part in path)


def _validate_schema(data: dict, source: str, locate) -> None:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if not errors:
        return
    error = errors[0]
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        key = extra[0] if extra else "?"
        import difflib

        close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        line, column = locate((*path, key), key=True)
        raise ConfigError(source, _key_name((*path, key)), f"unknown key{hint}", line, column)
    line, column = locate(path)
    raise ConfigError(source, _key_name(path) or "(top level)", _schema_problem(error), line, column)


def _validate_rules(config: Config, rules: list[RuleMeta], locate) -> None:
    """Every rule name must name a rule, and every parameter must exist with the right type."""
    source = config.source or "config"

    def check_name(name: str, key_path: tuple, key: bool = False) -> list[str]:
        try:
            return resolve(name, rules)
        except UnknownRuleError as exc:
            line, column = locate(key_path, key=key)
            raise ConfigError(source, _key_name(key_path), str(exc), line, column) from None

    for field_name in ("select", "ignore"):
        for index, name in enumerate(getattr(config, field_name) or []):
            check_name(name, (field_name, index))
    for name in config.severity:
        check_name(name, ("severity", name), key=True)
    for pattern, names in config.per_file_ignores.items():
        for index, name in enumerate(names):
            check_name(name, ("per-file-ignores", pattern, index))
    by_code = {rule.code: rule for rule in rules}
    for name, values in config.params.items():
        codes = check_name(name, ("params", name), key=True)
        if len(codes) != 1:
            line, column = locate(("params", name), key=True)
            raise ConfigError(source, f"params.{name}", "name one rule (a code or slug), not a prefix", line, column)
        rule = by_code[codes[0]]
        defaults = rule.param_defaults()
        for param, value in values.items():
            key_path = ("params", name, param)
            if param not in defaults:
                line, column = locate(key_path, key=True)
                known = ", ".join(defaults) or "none"
                raise ConfigError(
                    source, _key_name(key_path), f"unknown parameter of {rule.code} (known: {known})", line, column
                )
            if not _same_type(defaults[param], value):
                line, column = locate(key_path)
                raise ConfigError(
                    source,
                    _key_name(key_path),
                    f"expected {_json_type(defaults[param])}, got {_json_type(value)} {json.dumps(value)}",
                    line,
                    column,
                )


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))
