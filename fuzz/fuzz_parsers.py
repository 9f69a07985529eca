"""A coverage-guided fuzz target for atheris: every parser entry point, on the same bytes.

    pip install atheris
    python fuzz/fuzz_parsers.py -max_total_time=600 -rss_limit_mb=2048 fuzz/corpus

A crash or an uncaught exception stops the run and leaves the input as `crash-*` in the current
folder; turn it into a test in tests/test_properties.py before fixing it.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from relcheck.artifacts.app import AppFacts
    from relcheck.config.loader import ConfigError, load_config
    from relcheck.parsers import settings
    from relcheck.parsers.alerts import parse_prom_rule_file
    from relcheck.parsers.dockerfile import parse_dockerfile
    from relcheck.parsers.kubernetes import parse_manifests
    from relcheck.parsers.pm2 import parse_pm2
    from relcheck.parsers.source import collect
    from relcheck.ruleset.custom import CustomRuleError, load_custom_rules, repository_validator
    from relcheck.ruleset.pack import load_pack
    from relcheck.syntax.dockerignore import parse_dockerignore
    from relcheck.syntax.promql import parse as parse_promql
    from relcheck.syntax.yaml import YamlError, load_one

PACK = list(load_pack())


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    choice = provider.ConsumeIntInRange(0, 12)
    text = provider.ConsumeUnicodeNoSurrogates(len(data))
    if choice == 0:
        parse_dockerfile("Dockerfile", text)
    elif choice == 1:
        parse_manifests("k8s.yaml", text)
    elif choice == 2:
        parse_pm2("ecosystem.config.js", text)
    elif choice == 3:
        parse_pm2("process.json", text)
    elif choice == 4:
        for source in parse_prom_rule_file("alerts.yaml", text)[0]:
            for rule in source.rules:
                parse_promql(rule.get("expr"))
    elif choice == 5:
        collect("src/main.ts", text, AppFacts())
    elif choice == 6:
        settings.parse_env(".env", text)
        settings.parse_data("config/app.json", text)
    elif choice == 7:
        parse_dockerignore(text)
    elif choice == 8:
        parse_promql(text)
    elif choice in (10, 11):
        # The repository's own config, as .relcheck.yaml or pyproject.toml: loads or says why in one line.
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / (".relcheck.yaml" if choice == 10 else "pyproject.toml")
            path.write_text(text, encoding="utf-8")
            with contextlib.suppress(ConfigError):
                load_config(path, PACK)
    elif choice == 12:
        # A custom rule: loads (and evaluates) or says why in one line.
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "rules").mkdir()
            (Path(folder) / "rules" / "rule.yaml").write_text(text, encoding="utf-8")
            try:
                rules = load_custom_rules([Path(folder) / "rules"], Path(folder))
            except CustomRuleError:
                return
        for rule in rules:
            list(repository_validator(rule.condition).iter_errors({"kind": "Deployment", "metadata": {}}))
    else:
        with contextlib.suppress(YamlError):
            load_one(text)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
