"""The start scripts an image copies from the repository (D002): the program their last step
execs, whether they trap SIGTERM, and which repository file a COPY took them from."""

from __future__ import annotations

import pytest

from relcheck.artifacts.dockerfile import Instruction
from relcheck.artifacts.start_script import copied_script, handoff, traps_sigterm
from relcheck.scan.discovery import SourceFile


@pytest.mark.parametrize(
    ("script", "program"),
    [
        ('#!/bin/sh\nset -e\nexec "$@"\n', "$@"),
        ("exec nginx -g 'daemon off;'\n\n# done\n", "nginx"),
        ("exec \\\n  java -jar app.jar\n", "java"),
        ("exec -a server /usr/bin/node main.js\n", "/usr/bin/node"),
        ("NODE_ENV=production exec node main.js\n", "node"),
        # Without `else`, the script ends when the condition fails: nothing is left as PID 1.
        ("if [ -n \"$X\" ]; then\n  exec node a.js\nfi\n", "node"),
        ("if [ -n \"$X\" ]; then\n  exec node a.js\nelse\n  exec nginx\nfi\n", None),  # branches disagree
        ('if [ -n "$X" ]; then exec node a.js; elif [ -n "$Y" ]; then exec node b.js; else exec node c.js; fi', "node"),
        # docker-library's entrypoints: `_main` execs what follows the script, called from an `if`.
        ("_main() {\n  setup\n  exec \"$@\"\n}\nif ! _is_sourced; then\n  _main \"$@\"\nfi\n", "$@"),
        ("main() { main; }\nmain\n", None),  # a function that calls itself
        ("exec node server.js 2>&1 | tee log\n", None),  # a pipeline: the shell stays
        ("node server.js &\nwait\n", None),
        ("node main.js\n", None),
        ("exec node 'unbalanced\n", None),
        ("", None),
    ],
)
def test_the_program_a_script_execs_last(script: str, program: str | None):
    assert handoff(script) == program


_DISPATCH = (
    'run() {\n  exec supervisord -n\n}\ncase "$1" in\n  app:run|serve)\n    run\n    ;;\n'
    '  app:init)\n    setup\n    ;;\n  app:*)\n    exec "app-$1"\n    ;;\nesac\n'
)


@pytest.mark.parametrize(
    ("args", "program"),
    [
        (["app:run"], "supervisord"),
        (["serve", "--port", "80"], "supervisord"),  # a pattern of several alternatives
        (["app:init"], None),  # its branch execs nothing: the shell stays
        (["app:backup"], "app-$1"),  # a glob pattern, after the names before it
        (["other"], None),  # no branch: the script ends
        (None, None),  # arguments unknown: the branches disagree
    ],
)
def test_a_case_on_the_first_argument_takes_the_branch_it_picks(args: list[str] | None, program: str | None):
    assert handoff(_DISPATCH, args) == program


@pytest.mark.parametrize(
    ("script", "traps"),
    [
        ("trap on_term TERM INT\n", True),
        ("stop() {\n  exit 0\n}\n\n\ntrap stop TERM\n\nwhile true; do sleep 5; done\n", True),
        ("  trap 'kill -TERM $child' SIGTERM\n", True),
        ("trap cleanup 15\n", True),
        ("trap cleanup EXIT\n", False),
        ("trap '' TERM\n", False),  # ignored, not handled
        ("trap - TERM\n", False),  # the default again
        ("# trap on_term TERM\n", False),
        ("echo trap on_term TERM\n", False),
    ],
)
def test_whether_a_script_traps_sigterm(script: str, traps: bool):
    assert traps_sigterm(script) is traps


def _copy(*args: str, flags: tuple[str, ...] = ()) -> Instruction:
    return Instruction("COPY", args, flags, False, "COPY " + " ".join(args), 3, 3)


def _files(*paths: str) -> dict[str, SourceFile]:
    return {path: SourceFile(path, f"/nowhere/{path}") for path in paths}


def test_a_script_is_found_where_the_build_context_holds_it():
    files = _files("svc/entrypoint.sh", "src/load/entrypoint.sh", "other/entrypoint.sh")
    # Beside the Dockerfile (the context is its folder), and renamed on the way.
    renamed = [_copy("entrypoint.sh", "/docker-entrypoint.sh")]
    found = copied_script("svc/Dockerfile", renamed, "/docker-entrypoint.sh", files)
    assert found is not None and found.path == "svc/entrypoint.sh"
    # Named from the repository's root (the context is the root).
    found = copied_script("src/load/Dockerfile", [_copy("./src/load/entrypoint.sh", ".")], "./entrypoint.sh", files)
    assert found is not None and found.path == "src/load/entrypoint.sh"
    # Copied from another stage, or not copied at all: not the repository's file.
    built = [_copy("/app/entrypoint.sh", "/", flags=("--from=build",))]
    assert copied_script("svc/Dockerfile", built, "/entrypoint.sh", files) is None
    assert copied_script("svc/Dockerfile", [], "/entrypoint.sh", files) is None
