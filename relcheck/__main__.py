"""Entry point. `relcheck --version` answers before the CLI framework is imported."""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from relcheck import __version__

        sys.stdout.write(f"relcheck {__version__}\n")
        return
    _completion_for_named_shell(sys.argv[1:])
    import typer

    from relcheck.cli import app

    # Click's UsageError, from click itself or the copy a newer typer carries.
    usage_error = next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "UsageError")
    # The framework's own handling would print a usage box for a bad option; relcheck says what is
    # wrong on one line and exits 2, as for a bad config.
    try:
        code = app(prog_name="relcheck", standalone_mode=False)
    except usage_error as exc:
        message = exc.format_message().strip()
        if message:  # `relcheck` alone has shown its help already, with nothing to add
            sys.stderr.write(f"relcheck: error: {message}\n")
        raise SystemExit(2) from None
    except typer.Abort:
        raise KeyboardInterrupt from None
    raise SystemExit(code if isinstance(code, int) else 0)


def _completion_for_named_shell(args: list[str]) -> None:
    """`--show-completion zsh` prints zsh's script. The framework otherwise takes the option for a
    flag and asks the parent process which shell it is, ignoring the name: from bash the answer was
    bash's script, and where no shell runs relcheck (a Dockerfile's RUN, CI) "Shell  not supported".
    Its switch to options that take the shell's name (and refuse a shell it has no script for) is
    an environment variable read as the command line is built."""
    for option in ("--show-completion", "--install-completion"):
        if option in args[:-1] and not args[args.index(option) + 1].startswith("-"):
            os.environ["_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"] = "1"


def run() -> None:
    """The `relcheck` command: main(), then an exit that skips tearing down the scan's model.

    A large scan holds millions of objects; freeing them one by one at interpreter shutdown costs
    more than a small scan. Output is flushed first; nothing else needs the shutdown (reports are
    written atomically and worker processes have been joined).
    """
    import gc

    _without_working_folder()
    # No cycle collection in this process: everything a scan builds lives until the process exits,
    # and its garbage goes with reference counts (what the collector found in a 1,000-service scan
    # was 7,500 objects, under a megabyte), while each young collection walked the newest 100,000
    # objects of the model (0.08-0.15 s of that scan). The library's scan() keeps the collector on,
    # with raised thresholds (gcpause).
    gc.disable()
    # Reports name files by path; a name that is not UTF-8 is printed as its own bytes, as `ls`
    # prints it, whatever error handler the locale chose for stdout.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="surrogateescape")
    # A CI job cancelled sends SIGTERM: stop as Ctrl-C does (workers shut down, no temp files left),
    # with the code a shell gives for it.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = _exit_code(stop.code)
    except KeyboardInterrupt:  # Ctrl-C before the CLI framework took over: the shell's usual code
        code = 130
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`relcheck scan | head`)
        pass
    except OSError as exc:  # the report could not be written (a full disk): say so, never exit 0 or 1
        with contextlib.suppress(OSError):
            os.write(2, f"relcheck: error: cannot write the report to stdout: {exc.strerror or exc}\n".encode())
        code = 3
    os._exit(code)


def _without_working_folder() -> None:
    """`python -m relcheck` puts the working folder, most often the repository being scanned, first
    on the import path. A module there named like one relcheck imports, or a distribution's metadata
    there declaring a rule plugin, would then run: relcheck imports nothing from the repository.
    Not when relcheck itself comes from that folder (a checkout run in place), which is trusted."""
    if getattr(sys.flags, "safe_path", False) or not sys.path:
        return
    working = os.getcwd()
    if os.path.abspath(sys.path[0] or os.curdir) != working:
        return
    import relcheck

    own = os.path.dirname(os.path.dirname(os.path.abspath(relcheck.__file__ or "")))
    if own != working:
        del sys.path[0]


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


if __name__ == "__main__":
    run()
