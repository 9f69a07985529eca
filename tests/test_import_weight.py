"""`relcheck --version` and `relcheck rules` stay fast: they import no parser."""

from __future__ import annotations

import json
import subprocess
import sys

PARSERS = [
    "dockerfile",
    "ruamel",
    "tree_sitter",
    "promql_parser",
    "relcheck.parsers",
    "relcheck.syntax.yaml",
    "relcheck.syntax.javascript",
    "relcheck.syntax.promql",
    "relcheck.syntax.dockerfile",
    "relcheck.syntax.dockerignore",
    "jsonschema",
    "pathspec",
]

PROBE = """
import io, json, sys, contextlib
sys.argv = ["relcheck", *{args!r}]
from relcheck.__main__ import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def _modules(*args: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def _loaded(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_version_imports_neither_parsers_nor_the_cli_framework() -> None:
    modules = _modules("--version")
    assert not [p for p in [*PARSERS, "typer", "rich"] if _loaded(modules, p)]


def test_rules_and_explain_import_no_parser() -> None:
    for args in (("rules",), ("explain", "D003")):
        modules = _modules(*args)
        assert _loaded(modules, "relcheck.checks")  # the statuses come from the real implementations
        assert not [p for p in PARSERS if _loaded(modules, p)], args


def test_a_scan_does_not_import_pydantic() -> None:
    # typer 0.29 validates every option through pydantic: ~0.15 s a run, for a hook on every commit.
    from pathlib import Path

    legacy = Path(__file__).resolve().parent.parent / "examples" / "legacy-service"
    modules = _modules("scan", str(legacy), "-q")
    assert _loaded(modules, "relcheck.checks") and _loaded(modules, "typer")
    assert not _loaded(modules, "pydantic")


def test_a_small_scan_starts_no_process_machinery() -> None:
    from pathlib import Path

    legacy = Path(__file__).resolve().parent.parent / "examples" / "legacy-service"
    modules = _modules("scan", str(legacy), "-q", "--jobs", "2")  # too few files for workers
    assert _loaded(modules, "relcheck.scan.parsepool") and _loaded(modules, "relcheck.parsers")
    assert not [m for m in ("multiprocessing", "concurrent.futures") if _loaded(modules, m)]
