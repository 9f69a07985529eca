"""Entry point. `relcheck --version` answers before the CLI framework is imported."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from relcheck import __version__

        sys.stdout.write(f"relcheck {__version__}\n")
        return
    from relcheck.cli import app

    app(prog_name="relcheck")


if __name__ == "__main__":
    main()
