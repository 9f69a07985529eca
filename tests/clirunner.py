"""The CLI runner every test uses: stdout and stderr apart with any click the floors allow."""

from __future__ import annotations

from typing import Any


def cli_runner() -> Any:
    from typer.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)  # click < 8.2 mixes stderr into stdout unless told
    except TypeError:  # click 8.2 and later keep them apart and took the argument away
        return CliRunner()
