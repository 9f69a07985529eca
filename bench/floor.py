"""What a scan costs before any rule runs: `python bench/floor.py [PATH] [--runs 3]`.

Times, on every file of the tree (the generated 1,000-service monorepo by default), only the work
that relcheck hands to other code: starting the interpreter with relcheck's parsers imported,
reading and decoding the files, the Dockerfile reader, and the parser libraries' own calls (ruamel's
C composer, tree-sitter, promql-parser). Where BuildKit's Go binding is installed (`pip install
dockerfile`), its time on the same Dockerfiles is printed beside ours, outside the sum. Building
the model, the checks and the report come on top. The sum is a floor for `--jobs 1` with these
libraries; with workers, the parsing part can be shared out, the rest cannot. Best of `--runs` per part.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import default_tree

from relcheck.scan.discovery import FileKind, classify, discover
from relcheck.scan.parse_one import needs_parsing, parse_file


def _best(work: Callable[[], None], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _startup(runs: int) -> float:
    code = "import relcheck.cli, relcheck.scan.engine, relcheck.syntax.yaml, tree_sitter, promql_parser"
    return _best(lambda: subprocess.run([sys.executable, "-c", code], check=True), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, nargs="?")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    tree = options.path or default_tree()

    import promql_parser

    from relcheck.scan.discovery import read_text
    from relcheck.syntax.dockerfile import parse as read_dockerfile
    from relcheck.syntax.javascript import _parser, dialect_for
    from relcheck.syntax.yaml import compose_all

    files = discover([tree], []).files
    classify(files, 10**7)
    parsed = [source for source in files if needs_parsing(source)]
    texts = {source.path: source.read(10**7)[0] or "" for source in files}
    by_kind: dict[str, list[str]] = {}
    for source in parsed:
        by_kind.setdefault(source.kind, []).append(source.path)
    expressions = [
        str(rule.data["expr"])
        for source in by_kind.get(FileKind.PROMETHEUS_RULES, [])
        for rules in parse_file(next(s for s in parsed if s.path == source), 10**7).prom_rule_files
        for rule in rules.rules
        if isinstance(rule.data.get("expr"), str)
    ]
    yaml_kinds = (FileKind.KUBERNETES, FileKind.PROMETHEUS_RULES, FileKind.APP_SETTINGS)
    yaml_texts = [texts[p] for kind in yaml_kinds for p in by_kind.get(kind, []) if not p.endswith((".json", ".env"))]
    scripts = [(p, texts[p].encode()) for kind in (FileKind.PM2, FileKind.APP_SOURCE) for p in by_kind.get(kind, [])]

    def parse_yaml() -> None:
        for text in yaml_texts:
            compose_all(text)

    dockerfiles = [texts[path] for path in by_kind.get(FileKind.DOCKERFILE, [])]

    def parse_dockerfiles() -> None:
        for text in dockerfiles:
            read_dockerfile(text)

    def parse_scripts() -> None:
        for path, data in scripts:
            _parser(dialect_for(path)).parse(data)

    def parse_promql() -> None:
        for expression in expressions:
            promql_parser.parse(expression)

    def read_files() -> None:
        for source in files:
            read_text(source.abs_path, 10**7)

    parts = [
        ("interpreter start and imports", _startup(options.runs)),
        (f"reading and decoding {len(files):,} files", _best(read_files, options.runs)),
        (f"YAML composed into nodes ({len(yaml_texts):,} files)", _best(parse_yaml, options.runs)),
        (
            f"Dockerfile reader ({len(dockerfiles):,} files)",
            _best(parse_dockerfiles, options.runs),
        ),
        (f"tree-sitter ({len(scripts):,} JS/TS files)", _best(parse_scripts, options.runs)),
        (f"promql-parser ({len(expressions):,} expressions)", _best(parse_promql, options.runs)),
    ]
    print(f"tree: {tree} ({len(files):,} files)")
    print("| part | seconds |")
    print("|---|---|")
    for name, seconds in parts:
        print(f"| {name} | {seconds:.2f} |")
    print(f"| **floor before relcheck's own work** | **{sum(seconds for _, seconds in parts):.2f}** |")
    try:
        import dockerfile as buildkit
    except ImportError:
        return
    seconds = _best(lambda: [buildkit.parse_string(text) for text in dockerfiles], options.runs)
    print(f"BuildKit's Go parser on the same {len(dockerfiles):,} Dockerfiles: {seconds:.2f} s (not in the table)")


if __name__ == "__main__":
    main()
