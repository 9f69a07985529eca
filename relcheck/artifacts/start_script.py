"""A shell script an image starts with (`ENTRYPOINT ["/docker-entrypoint.sh"]`), read from the
repository where the Dockerfile copies it from: whether it hands PID 1 to a program (`exec nginx
-g 'daemon off;'`, `exec "$@"`) or handles SIGTERM itself (`trap on_term TERM`)."""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable

from relcheck.artifacts.dockerfile import Instruction, Stage
from relcheck.scan.discovery import SourceFile

# Script files are read whole up to this size; a larger one is not a start script.
MAX_SCRIPT_BYTES = 256 * 1024
_SCRIPT_SUFFIXES = (".sh", ".bash")
_TRAP_LINE = re.compile(r"^[ \t]*trap[ \t]", re.MULTILINE)
_SIGTERM_NAMES = frozenset({"TERM", "SIGTERM", "15"})


def is_script(program: str) -> bool:
    return program.endswith(_SCRIPT_SUFFIXES) or "entrypoint" in posixpath.basename(program).lower()


def copied_script(
    dockerfile_path: str,
    instructions: Iterable[Instruction],
    program: str,
    files: dict[str, SourceFile],
    stages: Iterable[Stage] = (),
    final: Stage | None = None,
) -> SourceFile | None:
    """The repository file the image's `program` was copied from, found below the Dockerfile's
    folder or one above it (the build context is one of them): a COPY or ADD from the build
    context of a file with the program's name, or to that name; or, given the Dockerfile's
    `stages` and its `final` stage, the file at the program's path traced back through the COPYs
    that put it there, from other stages too (trigger.dev: `COPY --from=builder /triggerdotdev/
    scripts ./scripts`, where the builder stage did `COPY docker/scripts ./scripts`). None when no
    such file is among `files`."""
    name = posixpath.basename(program)
    folder = posixpath.dirname(dockerfile_path)
    sources: list[str] = []
    for instruction in instructions:
        if instruction.keyword not in ("COPY", "ADD") or instruction.flag("from") is not None:
            continue
        *copied, destination = instruction.args or ("",)
        for source in copied:
            if posixpath.basename(source.rstrip("/")) == name or posixpath.basename(destination) == name:
                sources.append(source)
            elif source.rstrip("/") in (".", "") and destination:
                sources.append(name)  # the whole context: the script's name in its top folder
    if final is not None and "/" in program:  # a bare name is looked up on PATH
        path = posixpath.normpath(posixpath.join(_workdir(final.chain()), program))
        sources += context_paths(stages, final, path)  # the surest: after the copies matched by name
    for source in reversed(sources):  # the last copy is what the image holds
        base = folder
        while True:
            path = posixpath.normpath(posixpath.join(base, source.lstrip("/"))) if base else posixpath.normpath(source)
            found = files.get(path)
            if found is not None:
                return found
            if not base:
                break
            base = posixpath.dirname(base)
    return None


def context_paths(stages: Iterable[Stage], stage: Stage, path: str) -> list[str]:
    """The build-context paths that the file or folder at the absolute `path` of `stage`'s image
    may come from, through the COPYs that put it there (_traced), in the order they run."""
    named = {key: s for s in stages for key in (s.alias, str(s.index)) if key}
    return [posixpath.normpath(source) for source in _traced(stage.chain(), path, named, 0)]


def _workdir(chain: list[Stage]) -> str:
    workdir = "/"
    for stage in chain:
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR" and instruction.args:
                workdir = posixpath.normpath(posixpath.join(workdir, instruction.args[0]))
    return workdir


# Stages copied from stages copied from...: how far a file is traced back.
_MAX_TRACE = 8


def _traced(chain: list[Stage], path: str, named: dict[str, Stage], depth: int) -> list[str]:
    """The build-context paths the file at the absolute `path` of the image `chain` builds may come
    from, in the order its COPYs run (the caller keeps the last one in the repository): a COPY of
    the file itself, to its name or into a folder, or of a folder above it (`COPY . .` in the
    WORKDIR); one from another stage (`--from=builder`, a path from that stage's root) is followed
    into that stage. Nothing when a RUN or an image made it."""
    if depth > _MAX_TRACE:
        return []
    workdir = "/"
    found: list[str] = []
    for stage in chain:
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR" and instruction.args:
                workdir = posixpath.normpath(posixpath.join(workdir, instruction.args[0]))
            if instruction.keyword not in ("COPY", "ADD") or len(instruction.args) < 2:
                continue
            *copied, destination = instruction.args
            target = posixpath.normpath(posixpath.join(workdir, destination))
            origin = instruction.flag("from")
            for source in copied:
                if path == target or path == posixpath.join(target, posixpath.basename(source.rstrip("/"))):
                    inside = source  # the file itself
                elif path.startswith(target.rstrip("/") + "/"):
                    inside = posixpath.join(source, posixpath.relpath(path, target))  # inside a copied folder
                else:
                    continue
                if origin is None:
                    found.append(inside)
                elif origin in named:
                    source_path = posixpath.normpath(posixpath.join("/", inside))  # from that stage's root
                    found += _traced(named[origin].chain(), source_path, named, depth + 1)
    return found


def written_script(instructions: Iterable[Instruction], program: str) -> str | None:
    """The text of the script when the Dockerfile writes it itself (`COPY <<EOF /entrypoint.sh`),
    the last such COPY winning; None otherwise."""
    name = posixpath.basename(program)
    found = None
    for instruction in instructions:
        if instruction.keyword not in ("COPY", "ADD") or not instruction.heredocs or not instruction.args:
            continue
        if posixpath.basename(instruction.args[-1]) == name and len(instruction.heredocs) == 1:
            found = instruction.heredocs[0]
    return found


def last_commands(text: str, args: list[str] | None = None) -> list[list[str]] | None:
    """The words of the command the script runs last, one for each branch of an `if` or a `case`
    it ends in, through its own functions (relcheck.syntax.shell.last_steps; `args`, the script's
    arguments where known, pick a `case` branch); None when one of them is not a single command or
    does not split into words."""
    from relcheck.syntax.shell import last_steps

    found = []
    for step in last_steps(text, args) or ():
        try:
            words = shlex.split(step.replace("\\\n", " "), comments=True, posix=True)
        except ValueError:
            return None
        if not words:
            return None
        found.append(words)
    return found or None


def handoff(text: str, args: list[str] | None = None) -> str | None:
    """The program the script execs as its last step (`exec nginx -g ...` gives 'nginx', `exec "$@"`
    gives '$@'; every branch of an `if` or a `case` it ends in execing that one, or the `case`
    branch its first argument picks, `args` being the arguments where known), or None when it ends
    otherwise and the shell stays PID 1."""
    programs = {_exec_target(words) for words in last_commands(text, args) or [[]]}
    return programs.pop() if len(programs) == 1 else None


def _exec_target(words: list[str]) -> str | None:
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words = words[1:]
    if len(words) < 2 or words[0] != "exec":
        return None
    words = words[1:]
    while words and words[0].startswith("-"):  # exec's own options: -c, -l, -a name
        words = words[2:] if words[0] == "-a" else words[1:]
    return words[0] if words else None


def traps_sigterm(text: str) -> bool:
    """Whether the script sets a handler for SIGTERM (`trap on_term TERM`, `trap 'kill $child'
    SIGTERM INT`): it then decides what SIGTERM does as PID 1. `trap - TERM` (the default again)
    and `trap '' TERM` (ignored) are no handler."""
    for match in _TRAP_LINE.finditer(text):
        end = text.find("\n", match.start())
        try:
            words = shlex.split(text[match.start() : end if end >= 0 else None], comments=True, posix=True)
        except ValueError:
            continue
        if len(words) >= 3 and words[1] not in ("-", "") and _SIGTERM_NAMES & set(words[2:]):
            return True
    return False


def read_script(source: SourceFile) -> str | None:
    text, _ = source.read(MAX_SCRIPT_BYTES)
    return text


# Programs that run a command as another user, and how each names the user: the word after them,
# or the value of an option.
_STEP_DOWN_PROGRAMS = frozenset({"gosu", "su-exec", "s6-setuidgid"})
_STEP_DOWN_OPTIONS = {"setpriv": ("--reuid",), "runuser": ("-u", "--user"), "chpst": ("-u",)}
_STEP_DOWN_NAMES = (*_STEP_DOWN_PROGRAMS, *_STEP_DOWN_OPTIONS)  # a line without one is not read further
_ROOT_USERS = frozenset({"root", "0"})
# What may come right before a command's program on a line.
_COMMAND_STARTS = frozenset({"exec", "then", "do", "else", "&&", "||", ";", "|", "(", "!", "nohup"})


def steps_down(text: str) -> tuple[str | None, str, int] | None:
    """The first command of the script that runs a program as another user than root: (the user,
    None when a variable names it; the program, `gosu`, `su-exec`, `setpriv`...; its line), or
    None when there is none. An entrypoint that starts as root to prepare volumes, then runs the
    server as `postgres` (`exec gosu postgres "$BASH_SOURCE" "$@"`), runs no server as root."""
    for number, line in enumerate(text.splitlines(), 1):
        if not any(program in line for program in _STEP_DOWN_NAMES):
            continue
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words = list(lexer)
        except ValueError:
            continue
        for index, word in enumerate(words):
            if index and words[index - 1] not in _COMMAND_STARTS:
                continue  # an argument (`echo gosu`), not the program a command runs
            program = posixpath.basename(word)
            user = _named_user(program, words[index + 1 :])
            if user is not None:
                name = user if "$" not in user else None
                if name is None or name.split(":", 1)[0] not in _ROOT_USERS:  # `root:app` is root
                    return name, program, number
    return None


def _named_user(program: str, rest: list[str]) -> str | None:
    if program in _STEP_DOWN_PROGRAMS:
        return next((word for word in rest if not word.startswith("-")), None)
    for option in _STEP_DOWN_OPTIONS.get(program, ()):
        for index, word in enumerate(rest):
            if word == option and index + 1 < len(rest):
                return rest[index + 1]
            if word.startswith(f"{option}="):
                return word.split("=", 1)[1]
    return None
