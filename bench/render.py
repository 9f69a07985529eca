"""What rendering costs: `python bench/render.py [--charts 50] [--runs 3]`.

Scans the test charts (tests/fixtures/render/helm: three charts made as `helm create` makes them,
one with a `ci/` values file, one that fails to render) and the kustomize fixture, printing the
time of each render; then a repository of N copies of the `api` chart, scanned with and without
rendering (`--no-render`), so that the difference is what N charts cost. Prints which engines ran;
without an engine the Helm part says so and is skipped (exit 0).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relcheck.config.loader import Config  # noqa: E402
from relcheck.render.engines import helm_engine, kustomize_command  # noqa: E402
from relcheck.scan.engine import scan  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "render"


def _best(paths: list[Path], config: Config, runs: int) -> tuple[float, dict[str, float]]:
    best, renders = float("inf"), {}
    for _ in range(runs):
        started = time.perf_counter()
        result = scan(paths, config)
        elapsed = time.perf_counter() - started
        if elapsed < best:
            best, renders = elapsed, result.renders
    return best, renders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    engine = helm_engine()
    command = kustomize_command()
    print(f"Helm engine: {engine.name if engine else 'none'}; kustomize: {' '.join(command) if command else 'none'}")
    if engine is not None:
        engine.close()
    for tree in ("helm", "kustomize", "gitops"):
        total, renders = _best([FIXTURES / tree], Config(), args.runs)
        for label, seconds in sorted(renders.items()):
            print(f"  {tree:<10} {label:<45} {seconds * 1000:8.1f} ms")
        print(f"  {tree:<10} {'whole scan':<45} {total * 1000:8.1f} ms")
    if engine is None:
        print("no Helm engine: install the helm extra (pip install '.[helm]') to time charts")
        return
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch) / "repo"
        for number in range(args.charts):
            target = repo / "charts" / f"svc{number:03d}"
            shutil.copytree(FIXTURES / "helm" / "charts" / "api", target)
            chart_yaml = target / "Chart.yaml"
            chart_yaml.write_text(chart_yaml.read_text().replace("name: api", f"name: svc{number:03d}"))
        rendered, renders = _best([repo], Config(), args.runs)
        plain, _ = _best([repo], Config(render=False), args.runs)
        each = sorted(renders.values())
        median = each[len(each) // 2] if each else 0.0
        print(
            f"  {args.charts} charts: scan {rendered:.2f} s with rendering, {plain:.2f} s without "
            f"(+{rendered - plain:.2f} s, {(rendered - plain) / args.charts * 1000:.1f} ms a chart); "
            f"engine time per render: median {median * 1000:.1f} ms, max {max(each, default=0) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
