"""All the rules of a scan: the built-in pack, rule packs installed as plugins (entry point group
`relcheck.rules`) and custom rules kept as data in the repository (`.relcheck/rules/`, `rule-dirs`).
A code or slug may be defined once: a clash is a configuration error naming both places."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from relcheck.custom import CustomRuleError, load_custom_rules
from relcheck.model import RuleMeta
from relcheck.pack import load_pack

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
    from relcheck.registry import load_checks

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
