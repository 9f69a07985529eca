"""A release is one version everywhere a user pins it: the package, the changelog's newest entry,
the Action and pre-commit examples (a tag, never a branch) and the pip example."""

from __future__ import annotations

import re
from pathlib import Path

from relcheck import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_the_changelog_starts_with_this_version() -> None:
    entries = re.findall(r"^## (\d+\.\d+\.\d+) — (\d{4}-\d{2}-\d{2})$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert entries and entries[0][0] == __version__


def test_readme_examples_pin_this_release() -> None:
    readme = (ROOT / "README.md").read_text()
    uses = re.findall(r"uses: relcheck/relcheck@(\S+)", readme)
    revs = re.findall(r"^\s+rev: (\S+)$", readme, re.M)
    pins = re.findall(r"pip install relcheck-lint==(\S+)", readme)
    assert uses == [f"v{__version__}"] and revs == [f"v{__version__}"] and pins == [__version__]
    assert "@main" not in readme and "rev: main" not in readme
