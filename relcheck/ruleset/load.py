"""All the rules of a scan: the built-in pack, rule packs installed as plugins (entry point group
`relcheck.rules`) and custom rules kept as data in the repository (`.relcheck/rules/`, `rule-dirs`).
A code or slug may be defined once: a clash is a configuration error naming both places."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relcheck.model import RuleMeta, Severity
from relcheck.ruleset.custom import CustomRuleError, load_custom_rules
from relcheck.ruleset.pack import load_pack
from relcheck.ruleset.registry import ENGINE_CODES
from relcheck.ruleset.selectors import resolve, resolve_all

if TYPE_CHECKING:
    from relcheck.config.loader import Config

DEFAULT_RULE_DIR = Path(".relcheck") / "rules"
ENTRY_POINT_GROUP = "relcheck.rules"


@dataclass
class RuleSet:
    rules: list[RuleMeta]
    checks: dict[str, Callable] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # code -> "relcheck", "plugin 'x'" or a file

    def origin(self, code: str) -> str:
        return self.origins.get(code, "relcheck")


def builtin() -> RuleSet:
    from relcheck.ruleset.registry import load_checks

    return RuleSet(list(load_pack()), dict(load_checks()))


def load_ruleset(root: Path, rule_dirs: list[str] | None = None, confine: bool = True) -> RuleSet:
    """The built-in pack plus plugins plus the custom rules of the scan root; raises CustomRuleError.
    `confine`: the rule folders come from the repository's config, so they must stay inside it."""
    ruleset = builtin()
    seen = {key: "relcheck" for rule in ruleset.rules for key in (rule.code, rule.slug)}

    def add(meta: RuleMeta, check: Callable, origin: str, line_hint: str = "") -> None:
        for key in (meta.code, meta.slug):
            if key in seen:
                raise CustomRuleError(origin, None, f"{key} is already defined by {seen[key]}{line_hint}")
            seen[key] = origin
        ruleset.rules.append(meta)
        ruleset.checks[meta.code] = check
        ruleset.origins[meta.code] = origin

    for name, rules in _plugins():
        for rule in rules:
            add(rule.meta(f"plugin:{name}"), rule.check, f"plugin '{name}'")
    directories = [root / d for d in rule_dirs] if rule_dirs else []
    if not rule_dirs and (root / DEFAULT_RULE_DIR).is_dir():
        directories = [root / DEFAULT_RULE_DIR]
    for custom in load_custom_rules(directories, root, confine):
        add(custom.meta, custom.check, custom.source)
    return ruleset


def _plugins() -> list[tuple[str, list]]:
    if not _may_declare_plugins():
        return []
    from importlib.metadata import entry_points

    found = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            factory = entry.load()
            rules = list(factory())
        except Exception as exc:
            raise CustomRuleError(
                f"plugin '{entry.name}'", None, f"could not load its rules ({type(exc).__name__}: {exc})"
            ) from None
        found.append((entry.name, rules))
    return found


def _may_declare_plugins() -> bool:
    """Whether an installed distribution may declare an entry point of the group: False only when
    every import path is a folder and none of their distributions' `entry_points.txt` names it.
    importlib.metadata reads every distribution's metadata and costs a pre-commit run more than
    this look does; it still reads the entry points wherever one may be declared."""
    import os

    for folder in sys.path:
        try:
            entries = list(os.scandir(folder or "."))
        except NotADirectoryError:  # a zip archive on the path: only importlib.metadata reads it
            return True
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith((".dist-info", ".egg-info")) or entry.name == "EGG-INFO":
                try:
                    with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8", errors="replace") as f:
                        if ENTRY_POINT_GROUP in f.read():
                            return True
                except OSError:
                    continue
    return False


# What a scan runs, and how: the rules selected, their severities and parameters after the config.


def selected_codes(rules: Sequence[RuleMeta], select: Sequence[str] | None, ignore: Sequence[str]) -> set[str]:
    """Codes to run. E codes run unless ignored by name, whatever `select` says."""
    codes = {r.code for r in rules} if not select else resolve_all(select, rules) | set(ENGINE_CODES)
    return codes - resolve_all(ignore, rules)


def effective_severities(rules: Sequence[RuleMeta], overrides: dict[str, str]) -> dict[str, Severity]:
    severities = {r.code: r.severity for r in rules}
    # Broader names first, so that `K: warning` with `K001: error` gives K001 error.
    for name in sorted(overrides, key=lambda n: len(resolve(n, rules)), reverse=True):
        for code in resolve(name, rules):
            severities[code] = Severity.parse(overrides[name])
    return severities


def effective_params(rule: RuleMeta, config: Config) -> dict[str, Any]:
    params = rule.param_defaults()
    for name, values in config.params.items():
        if _names_rule(name, rule):
            params.update(values)
    return params


def _names_rule(name: str, rule: RuleMeta) -> bool:
    return name.upper() == rule.code or name.lower() == rule.slug
