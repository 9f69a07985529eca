"""Baselines: a file of fingerprints of accepted findings. A fingerprint is built from the rule, the
file, the object (kind/namespace/name/container, stage, PM2 app, alert) and the offending value, so
moving code keeps a finding baselined while changing the value brings it back."""

from __future__ import annotations

import json
from pathlib import Path

from relcheck import __version__
from relcheck.reporters import jsonout
from relcheck.scan.result import ScanResult

BASELINE_VERSION = 1
DEFAULT_BASELINE = ".relcheck-baseline.json"


class BaselineError(Exception):
    pass


def render(result: ScanResult) -> str:
    entries = sorted(
        {
            f.fingerprint: {"fingerprint": f.fingerprint, "code": f.code, "path": f.location.path, "message": f.message}
            for f in result.active()
        }.values(),
        key=lambda e: (e["path"], e["code"], e["fingerprint"]),
    )
    document = {"version": BASELINE_VERSION, "tool": {"name": "relcheck", "version": __version__}, "findings": entries}
    return jsonout.dumps(document)


MAX_BASELINE_BYTES = 64 * 1024 * 1024


def load(path: Path) -> set[str]:
    from relcheck.scan.discovery import read_text

    # The same bounds as any file relcheck reads: a device or a 100,000-deep document is refused.
    text, problem = read_text(path, MAX_BASELINE_BYTES, follow=True)
    if text is None:
        reason = problem.message if problem is not None else "cannot read"
        raise BaselineError(f"cannot read baseline '{path}': {reason}")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BaselineError(f"{path}: not a relcheck baseline (invalid JSON: {exc})") from None
    if (
        not isinstance(document, dict)
        or document.get("version") != BASELINE_VERSION
        or not isinstance(document.get("findings"), list)
    ):
        raise BaselineError(f"{path}: not a relcheck baseline of version {BASELINE_VERSION}")
    return {
        entry["fingerprint"]
        for entry in document["findings"]
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str)
    }
