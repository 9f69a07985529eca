"""D rules: Dockerfiles. Each check reads parsed Dockerfiles from the Project, never files."""

from __future__ import annotations

import itertools
import posixpath
import re
import shlex
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from relcheck.artifacts.dockerfile import (
    INIT_PROGRAMS,
    PM2_RUNTIMES,
    SHELL_PROGRAMS,
    SHELLLESS_LACKS,
    TEST_FOLDERS,
    Dockerfile,
    Instruction,
    Stage,
    command_argv,
    env_pairs,
    is_base_image,
    is_command_image,
    is_idle_image,
    is_tool_image,
    runs_a_service,
    shell_commands,
    shellless_base,
    substitute,
)
from relcheck.artifacts.start_script import (
    context_paths,
    copied_script,
    handoff,
    is_script,
    read_script,
    steps_down,
    traps_sigterm,
    written_script,
)
from relcheck.model import Finding, Location, Related, Severity
from relcheck.ruleset.registry import check
from relcheck.scan.runtime import NODE, dockerfile_runtime, starts_pm2
from relcheck.scan.services import running_containers
from relcheck.units.durations import format_seconds, parse_go_duration
from relcheck.units.images import (
    hub_repository,
    image_reference,
    image_shell,
    is_official_image,
    is_placeholder_image,
    self_contained_server,
    stepped_down_user,
    unpinned_reason,
)

if TYPE_CHECKING:
    from relcheck.scan.context import CheckContext
    from relcheck.scan.project import Project
    from relcheck.scan.services import Service

SMALL_BASE_MARKERS = ("alpine", "slim", "distroless", "minimal", "micro", "chiseled", "busybox")
NODE_PROGRAMS = frozenset({"node", "nodejs", "npm", "yarn", "pnpm", "pm2", "pm2-runtime", "npx"})
PRODUCTION_FLAGS = frozenset(
    {"--omit=dev", "--only=production", "--only=prod", "--production", "--production=true", "--prod", "-P"}
)
_BUILD_STEP = re.compile(
    r"^(?:(?:npm|pnpm)\s+run(?:-script)?\s+build\S*|(?:yarn|pnpm)\s+(?:run\s+)?build\S*|"
    r"(?:npx\s+)?tsc\b.*|(?:npx\s+)?nest\s+build\b.*|(?:npx\s+)?ng\s+build\b.*|(?:npx\s+)?next\s+build\b.*|"
    r"(?:npx\s+)?vite\s+build\b.*|(?:npx\s+)?webpack\b.*|go\s+build\b.*|cargo\s+build\b.*|"
    r"mvn\s+.*\b(?:package|install)\b.*|(?:\./)?gradlew?\s+.*\bbuild\b.*)$"
)


# The pack's fix hints show Node.js (the standard's runtime); a Dockerfile that runs Go, Java,
# Python... gets these instead, so that no hint recommends a Node image or npm to it.
RUNTIME_NEUTRAL_FIXES = {
    "D001": "Add `USER <uid>` (a numeric UID such as `USER 10001`, or the image's non-root user) to the final stage, "
    "after the steps that need root.",
    "D002": 'Start through a small init: `ENTRYPOINT ["tini", "--"]` (or dumb-init) before the service\'s command.',
    "D003": 'Write the command as a JSON array (`ENTRYPOINT ["/server"]`), or end a shell script with '
    "`exec <program>`.",
    "D006": "Split the Dockerfile: a build stage with the toolchain, and a small final stage that copies only the "
    "built artifact (`COPY --from=build`).",
    "D009": "Pin the image to a version tag, or better a digest (`image:1.2.3@sha256:<digest>`).",
    "D010": "Base the final stage on a small image: a slim or alpine variant, distroless, or scratch for a "
    "static binary.",
    "D012": "Add a `.dockerignore` to the build context (beside the Dockerfile) with at least `.git`.",
}


def neutral_fixes(findings: list[Finding], project: Project) -> None:
    """Give findings on a Dockerfile that runs another runtime than Node fix hints without Node."""
    other = set()
    pm2_other = pm2_runs_other(project)
    for dockerfile in project.dockerfiles:
        runtime = dockerfile_runtime(dockerfile)
        if runtime not in (NODE, None) or dockerfile.path in pm2_other:
            other.add(dockerfile.path)
            other.add(posixpath.join(posixpath.dirname(dockerfile.path), ".dockerignore"))
    for finding in findings:
        if finding.location.path in other and finding.code in RUNTIME_NEUTRAL_FIXES:
            if finding.value == "no USER, steps down":
                continue  # its hint names no runtime already
            finding.fix = RUNTIME_NEUTRAL_FIXES[finding.code]


def _last(instructions: list[Instruction], keyword: str) -> Instruction | None:
    for instruction in reversed(instructions):
        if instruction.keyword == keyword:
            return instruction
    return None


def _variables_before(dockerfile: Dockerfile, target: Instruction | None) -> dict[str, str | None]:
    """ARG/ENV values known when `target` runs (global ARG defaults, then the final chain's ARG/ENV)."""
    variables = dict(dockerfile.global_args)
    for instruction in dockerfile.final_instructions():
        if instruction is target:
            break
        for key, value in env_pairs(instruction):
            if instruction.keyword == "ARG" and not value:
                variables.setdefault(key, variables.get(key))
            else:
                variables[key] = substitute(value, variables) if value else value
    return variables


def _final(ctx: CheckContext) -> Iterator[tuple[Dockerfile, Stage]]:
    for dockerfile in ctx.project.dockerfiles:
        if dockerfile.final is not None:
            yield dockerfile, dockerfile.final


def _program(word: str) -> str:
    return posixpath.basename(word)


def _owners(ctx: CheckContext) -> dict[int, list[Service]]:
    """The services each Dockerfile (by identity) is built for."""
    owners: dict[int, list[Service]] = {}
    for service in ctx.project.services:
        for owned in service.dockerfiles:
            owners.setdefault(id(owned), []).append(service)
    return owners


def _entrypoint_steps_down(dockerfile: Dockerfile, base: str) -> str | None:
    """The user an official database image's own entrypoint runs the server as, when this Dockerfile
    keeps that entrypoint and runs the server (or only passes it flags); else None."""
    known = stepped_down_user(base)
    if known is None:
        return None
    user, servers = known
    instructions = dockerfile.final_instructions()
    if _last(instructions, "ENTRYPOINT") is not None:
        return None  # an entrypoint of its own (or `ENTRYPOINT []`): the image's step down does not run
    cmd = _last(instructions, "CMD")
    argv = command_argv(cmd) if cmd is not None else []
    if argv and not (argv[0].startswith("-") or _program(argv[0]) in servers):
        return None
    return user


def _own_entrypoint_steps_down(ctx: CheckContext, dockerfile: Dockerfile) -> tuple[str | None, str, Location] | None:
    """Where the image's own start script (its ENTRYPOINT's, else its CMD's, copied from the
    repository or written by the Dockerfile) runs the server as another user than root (`exec gosu
    postgres "$@"`, `su-exec`, `setpriv --reuid`, `runuser -u`...): (the user, the program, where)."""
    instructions = dockerfile.final_instructions()
    starter = _last(instructions, "ENTRYPOINT") or _last(instructions, "CMD")
    argv = command_argv(starter) if starter is not None and starter.json_form else []
    if argv and _program(argv[0]) in ("sh", "bash", "dash", "ash") and len(argv) > 1:
        argv = argv[1:]  # `sh /entrypoint.sh`
    if not argv or not is_script(argv[0]):
        return None
    text, path = _image_script(ctx, dockerfile, argv[0])
    found = steps_down(text) if text is not None else None
    if found is None:
        return None
    user, program, line = found
    where = Location(path, line, 1) if path is not None else Location(dockerfile.path, starter.line, 1)
    return user, program, where


# No automatic fix where the start script steps down: which of its steps need root (a volume's
# owner, which fsGroup can set instead) only its author knows.
_STEP_DOWN_FIX = (
    "Set `USER` to the user the start script steps down to, once its steps that need root can go "
    "(Kubernetes' `fsGroup` gives a volume to the pod's group), and drop the step down."
)


def _stepping_down(own_step: tuple[str | None, str, Location]) -> tuple[str, tuple[Related, ...]]:
    """What the start script does, for the message, and where it steps down."""
    user, program, where = own_step
    who = f"as '{user}'" if user is not None else "as another user"
    how = (
        f"runs the server {who} ({program}), so only that script runs as root; Kubernetes' runAsNonRoot "
        "refuses the image as it is"
    )
    return how, (Related(where, f"{program} runs the server {who}"),)


@check("D001")
def non_root_user(ctx: CheckContext) -> Iterator[Finding]:
    owners = _owners(ctx)
    for dockerfile, final in _runtime_final(ctx):
        user_instruction = _last(dockerfile.final_instructions(), "USER")
        if user_instruction is None:
            base = final.base_image() or ""
            if "nonroot" in base.lower() or self_contained_server(base) is not None:
                continue  # the base image's own user is not root (prom/prometheus: nobody)
            root_from = final.chain()[0].from_instruction
            stepped = _entrypoint_steps_down(dockerfile, base)
            own_step = _own_entrypoint_steps_down(ctx, dockerfile) if stepped is None else None
            related: tuple[Related, ...] = ()
            if own_step is not None:
                # The server does not run as root: the image's own start script drops to another user.
                how, related = _stepping_down(own_step)
                message = f"final stage sets no USER: the container starts as root and its start script then {how}"
                severity = Severity.WARNING if ctx.severity == Severity.ERROR else ctx.severity
            elif stepped is not None:
                # The server does not run as root; the entrypoint does, and runAsNonRoot refuses the image.
                message, severity = (
                    f"final stage sets no USER: {base} starts as root and its entrypoint then runs the server as "
                    f"'{stepped}'; with `USER {stepped}` (which the image supports) nothing in it runs as root"
                ), Severity.WARNING if ctx.severity == Severity.ERROR else ctx.severity
            elif base.lower() == "scratch" or is_official_image(base):
                message, severity = (
                    f"final stage sets no USER, so the container runs as the base image's user "
                    f"({base}, root unless the image says otherwise)"
                ), None
            else:
                # Another publisher's image (or one a variable names) may set a user of its own.
                message = (
                    f"final stage sets no USER, so the container runs as whatever user the base image sets "
                    f"({base or 'unknown'}; root unless that image sets USER), which this Dockerfile does not show"
                )
                severity = Severity.WARNING if ctx.severity == Severity.ERROR else ctx.severity
            deployed_as = _deployed_user(owners.get(id(dockerfile), []), dockerfile)
            if deployed_as is not None:
                # Kubernetes' runAsUser replaces the image's user: root only where the image runs elsewhere.
                uid, where = deployed_as
                message += f"; its workloads run it with runAsUser: {uid}, so in Kubernetes it does not run as root"
                severity = Severity.INFO
                related = (Related(where, f"runAsUser: {uid}"),)
            finding = ctx.report(
                dockerfile.spot(final, root_from),
                message,
                what="USER",
                at=dockerfile.spot(final, final.from_instruction).loc(),
                # No fix is offered where the start script steps down: which of its steps need root
                # (a volume's owner, which fsGroup can set instead) only its author knows.
                value="no USER" if own_step is None else "no USER, steps down",
                severity=severity,
                related=related,
            )
            if own_step is not None:
                finding.fix = _STEP_DOWN_FIX
            yield finding
            continue
        user = substitute(user_instruction.args[0], _variables_before(dockerfile, user_instruction))
        if user is None:
            continue  # a variable we cannot resolve: do not guess
        name = user.split(":", 1)[0]
        if name in ("root", "0"):
            own_step = _own_entrypoint_steps_down(ctx, dockerfile)
            if own_step is None:
                yield ctx.report(
                    dockerfile.spot(final, user_instruction),
                    f"final stage runs as root (USER {user})",
                    what="USER",
                    value=user,
                )
                continue
            # `USER root` so that the start script can give a volume to the server's user, then
            # drop to it (memos: `exec su-exec "$MEMOS_UID:$MEMOS_GID" "$0" "$@"`).
            how, related = _stepping_down(own_step)
            finding = ctx.report(
                dockerfile.spot(final, user_instruction),
                f"final stage runs as root (USER {user}) and its start script then {how}",
                what="USER",
                value=f"{user}, steps down",
                severity=Severity.WARNING if ctx.severity == Severity.ERROR else ctx.severity,
                related=related,
            )
            finding.fix = _STEP_DOWN_FIX
            yield finding


def _deployed_user(services: list[Service], dockerfile: Dockerfile) -> tuple[int, Location] | None:
    """The UID above 0 that every container running this Dockerfile's image is given by its
    securityContext (the container's runAsUser, else the pod's), with where the first sets it; None
    when the image runs in no known container, or one that may run it sets no such UID."""
    running = running_containers(services, dockerfile)
    if running is None:
        return None
    found: tuple[int, Location] | None = None
    for workload, container in running:
        own = container.get("securityContext")
        pod = workload.pod_spec.get("securityContext")
        own = own if isinstance(own, dict) else {}
        pod = pod if isinstance(pod, dict) else {}
        uid = own.get("runAsUser", pod.get("runAsUser"))
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            return None
        if found is None:
            where = (
                container.key_loc("securityContext", "runAsUser")
                if "runAsUser" in own
                else workload.obj.key_loc(*workload.pod_spec_keys, "securityContext", "runAsUser")
            )
            found = (uid, where)
    return found


def _unless_replaced(
    ctx: CheckContext, findings: Iterator[Finding], sound: Callable[[list[str]], bool]
) -> Iterator[Finding]:
    """Findings about how an image starts, as infos where every container of the service's workloads
    that runs the image sets a `command` that is `sound` for the rule: Kubernetes then runs that,
    not the image's ENTRYPOINT or CMD (the image still starts that way under `docker run` or Compose)."""
    owners = _owners(ctx)
    by_path = {d.path: d for d in ctx.project.dockerfiles}
    replaced: dict[str, Location | None] = {}
    for finding in findings:
        dockerfile = by_path.get(finding.location.path)
        if dockerfile is not None and dockerfile.path not in replaced:
            replaced[dockerfile.path] = _deployed_command(owners.get(id(dockerfile), []), dockerfile, sound)
        where = replaced.get(finding.location.path)
        if where is not None:
            finding.message += "; in Kubernetes its workloads' `command` replaces the image's ENTRYPOINT and CMD"
            finding.severity = Severity.INFO
            finding.related = (*finding.related, Related(where, "command"))
        yield finding


def _deployed_command(
    services: list[Service], dockerfile: Dockerfile, sound: Callable[[list[str]], bool]
) -> Location | None:
    """Where the first of the containers running this image sets `command`, when every one sets a
    command of literal words that `sound` accepts."""

    def literal_and_sound(command: object) -> bool:
        words = command if isinstance(command, list) else []
        return bool(words) and all(isinstance(w, str) for w in words) and sound(words)

    return _set_by_every_container(services, dockerfile, "command", literal_and_sound)


def _set_by_every_container(
    services: list[Service], dockerfile: Dockerfile, key: str, accepted: Callable[[object], bool]
) -> Location | None:
    """Where the first of the containers running this image sets `key`, when every one sets a value
    `accepted` takes; else None."""
    running = running_containers(services, dockerfile)
    if running is None or not all(accepted(container.get(key)) for _, container in running):
        return None
    return running[0][1].key_loc(key)


def _starts_with_init(command: list[str]) -> bool:
    program = posixpath.basename(command[0])
    return program in INIT_PROGRAMS or program in SUPERVISING_SERVERS


def _starts_without_shell(command: list[str]) -> bool:
    return posixpath.basename(command[0]) not in SHELL_PROGRAMS


def _starts_without_package_manager(command: list[str]) -> bool:
    return not _package_manager_start(command)


def _deployed_liveness(services: list[Service], dockerfile: Dockerfile) -> Location | None:
    """Where the first of the containers running this image sets its livenessProbe, when every one
    does (Kubernetes runs that probe and ignores the image's HEALTHCHECK); else None."""
    return _set_by_every_container(services, dockerfile, "livenessProbe", lambda probe: isinstance(probe, dict))


def _start_instruction(dockerfile: Dockerfile) -> tuple[Instruction | None, Instruction | None]:
    """The ENTRYPOINT and CMD in force; `ENTRYPOINT []` / `CMD []` reset them, so count as none."""
    entrypoint, cmd = dockerfile.start_instructions
    return (entrypoint if entrypoint is None or entrypoint.args else None), (cmd if cmd is None or cmd.args else None)


def _runtime_final(ctx: CheckContext) -> Iterator[tuple[Dockerfile, Stage]]:
    """Final stages that run a service. An export stage (`FROM scratch` holding only copied artifacts
    for `docker build --output`) runs nothing, and an image of a code generator or a test suite
    (relcheck.artifacts.dockerfile.is_tool_image) is run by a build, never deployed, and a base image
    whose command is a bare interpreter (`CMD ["node"]`, is_base_image) is built FROM, and a
    development container idles (`tail -f /dev/null`, is_idle_image), and an image on a plain OS
    image that only holds another stage's output has no command (is_artifact_image): the rules
    about the image that runs (D001-D007, D010, D011) do not apply to them."""
    for dockerfile, final in _final(ctx):
        if not runs_a_service(dockerfile):
            continue
        if (final.base_image() or "").lower() == "scratch" and _exports_only(dockerfile):
            continue
        yield dockerfile, final


# Packages and archives: no kernel runs one, and `scratch` has no program that could.
_ARCHIVE_SUFFIXES = (
    ".apk", ".aab", ".ipa", ".zip", ".jar", ".war", ".ear", ".tar", ".tgz", ".gz", ".xz", ".deb", ".rpm", ".whl",
)


def _exports_only(dockerfile: Dockerfile) -> bool:
    """A scratch image that runs nothing: no ENTRYPOINT or CMD, or one that names an archive (an
    `.apk` or `.jar` left as the command of an image built only to be exported)."""
    entrypoint, cmd = _start_instruction(dockerfile)
    start = entrypoint or cmd
    if start is None:
        return True
    argv = command_argv(start) if start.json_form else []
    return bool(argv) and argv[0].lower().endswith(_ARCHIVE_SUFFIXES)


def _argv(instruction: Instruction) -> list[str]:
    argv = command_argv(instruction)
    if not instruction.json_form and argv and argv[0] == "exec":
        argv = argv[1:]
    return argv


_STEP_SEPARATORS = frozenset({";", "&&", "||", "&", ";;"})
# Words that make a step more than a plain simple command: the shell runs those itself.
_COMPOUND_WORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "select",
     "function", "{", "}", "!", "[[", "]]", "time", "coproc"}
)
# Builtins a shell runs in itself (`exec` is read on its own): never the program PID 1 is handed to.
_BUILTINS = frozenset(
    {"wait", "eval", ".", "source", ":", "true", "false", "set", "export", "cd", "trap", "read", "shift",
     "ulimit", "umask", "unset", "return", "exit", "break", "continue", "command", "builtin"}
)


def _script_steps(script: str) -> list[tuple[list[str], str]] | None:
    """The script's steps, each with the separator after it (`;` at the end); None when it does
    not split (unbalanced quotes: the shell would fail too)."""
    lexer = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return None
    steps: list[tuple[list[str], str]] = []
    words: list[str] = []
    for token in tokens:
        if token in _STEP_SEPARATORS:
            steps.append((words, token))
            words = []
        else:
            words.append(token)
    steps.append((words, ";"))
    return [(words, end) for words, end in steps if words]


def _is_punctuation(token: str) -> bool:
    return bool(token) and all(char in "();<>|&" for char in token)


def _handoff(script: str, shell: str | None) -> str | None:
    """The program a shell script hands PID 1 to, or None when the shell stays PID 1 and runs it as
    a child. Every shell replaces itself with `exec prog`, its last step (`envsubst < t > c && exec
    envoy -c c`). BusyBox ash (`shell` 'busybox') and bash ('bash') also exec a last step that is a
    plain simple command in place of forking it: `node dist/main.js`, or `cd /app && node main.js`
    (bash only without a redirection, and for a list of steps only from bash 5.1). Debian's dash
    (`shell` None, like a shell the image's name does not tell) never does. A script that ends with
    an `if` or a `{ }` group hands off when every branch ends that way: with `exec prog` in any
    shell, or with a plain command in BusyBox, which execs the last command of the branch it takes
    (bash forks it)."""
    steps = _script_steps(script)
    if not steps:
        return None
    # A subshell or a function of the script's own: its last step is no plain command (an `exec` still is).
    plain = not any(_is_punctuation(word) for words, _ in steps for word in words if "(" in word or ")" in word)
    if steps[-1][0] in (["fi"], ["}"]):
        return _compound_handoff(steps, shell, plain and shell == "busybox")
    return _step_handoff(*steps[-1], shell, plain)


def _step_handoff(last: list[str], separator: str, shell: str | None, plain: bool = True) -> str | None:
    """The program one step hands PID 1 to when the shell has nothing left to run after it: `exec
    prog` in any shell; a plain simple command in BusyBox and bash, unless `plain` is False (the
    script has a subshell or a function; bash inside a compound)."""
    if separator == "&" or "|" in last:
        return None  # backgrounded, or one end of a pipe (a subshell): the shell stays
    while last and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", last[0]):
        last = last[1:]  # `FOO=1 prog` runs prog with FOO set
    if len(last) >= 2 and last[0] == "exec" and not _is_punctuation(last[1]):
        return last[1]
    if not plain or shell not in ("busybox", "bash") or not last or last[0] in _BUILTINS or last[0] == "exec":
        return None
    if any(word in _COMPOUND_WORDS for word in last):
        return None
    if shell == "bash" and any(_is_punctuation(word) for word in last):
        return None  # bash forks a command with a redirection
    return last[0]


def _compound_start(steps: list[tuple[list[str], str]]) -> int:
    """The index of the step that opens the compound the script's last step closes."""
    depth = 0
    for index in range(len(steps) - 1, -1, -1):
        for word in reversed(steps[index][0]):
            depth += {"fi": 1, "}": 1, "if": -1, "{": -1}.get(word, 0)
            if depth == 0:
                return index
    return 0


# Words that open a branch's body in an `if` or a `{ }` group, and words that close one.
_BRANCH_OPENERS = frozenset({"then", "else", "{"})
_BRANCH_CLOSERS = frozenset({"elif", "else", "fi", "}"})
_LOOP_WORDS = frozenset({"for", "while", "until", "select", "do", "done", "case", "esac"})


def _compound_handoff(steps: list[tuple[list[str], str]], shell: str | None, plain: bool) -> str | None:
    """The program a script ending with an `if ... fi` or `{ ...; }` hands PID 1 to: the last
    command of every branch (the step before `elif`, `else`, `fi` or `}`) must hand off, and one
    at least must run a program (`exit 1` in an error branch runs none). Loops and `case` stay
    unread: the shell stays."""
    steps = steps[_compound_start(steps) :]
    if any(word in _LOOP_WORDS for words, _ in steps for word in words):
        return None
    handed: list[str] = []
    for (words, separator), (following, _) in itertools.pairwise(steps):
        if following[0] not in _BRANCH_CLOSERS:
            continue
        body = words
        while body and body[0] in _BRANCH_OPENERS:
            body = body[1:]
        if body in (["fi"], ["}"]):
            continue  # a nested compound: its own branches are read where they end
        if not body or any(word in _COMPOUND_WORDS for word in body):
            return None
        if body[0] in _BUILTINS:
            continue  # `exit 1`, `:`: this branch runs no program
        program = _step_handoff(body, separator, shell, plain)
        if program is None:
            return None
        handed.append(program)
    return handed[0] if handed else None


def _shell_script(instruction: Instruction) -> str | None:
    """The script a shell runs as PID 1: the shell form's line, or `["sh", "-c", script]`."""
    if not instruction.json_form:
        return instruction.text
    argv = instruction.args
    if len(argv) >= 3 and _program(argv[0]) in SHELL_PROGRAMS and argv[1].startswith("-") and "c" in argv[1]:
        return argv[2]
    return None


def _shell_kind(program: str, image: str | None) -> str | None:
    """'busybox', 'bash' or None (dash, zsh, unknown) for a shell program in an image."""
    if program == "bash":
        return "bash"
    if program == "ash":
        return "busybox"
    if program == "sh":
        return image_shell(image)
    return None


def _script_shell(dockerfile: Dockerfile, final: Stage, instruction: Instruction) -> str | None:
    """Which shell runs the instruction's script: the exec form's program, else the SHELL in force
    where the instruction stands (`/bin/sh` by default), told apart by the final image's name."""
    image = final.base_image()
    if instruction.json_form:
        return _shell_kind(_program(instruction.args[0]), image) if instruction.args else None
    shell = "sh"
    for earlier in dockerfile.final_instructions():
        if earlier is instruction:
            break
        if earlier.keyword == "SHELL" and earlier.json_form and earlier.args:
            shell = _program(earlier.args[0])
    return _shell_kind(shell, image)


def _pid1(dockerfile: Dockerfile, final: Stage, instruction: Instruction) -> tuple[str, bool]:
    """The program that ends up as PID 1, and whether it is a shell that stays there."""
    script = _shell_script(instruction)
    if script is None:
        if not instruction.args:
            return "", False
        return _node_script_runtime(instruction.args) or _program(instruction.args[0]), False
    handed = _handoff(script, _script_shell(dockerfile, final, instruction))
    if handed is not None:
        return _program(handed), False
    shell = _program(instruction.args[0]) if instruction.json_form else "sh"
    return shell, True


def _node_script_runtime(argv: list[str]) -> str | None:
    """PM2's runtime when node runs its script by path (growthbook's `node
    node_modules/pm2/bin/pm2-runtime start ecosystem.config.js`, for a shell-less image where the
    `.bin` shim cannot run): the program is pm2-runtime, as if started by name."""
    if not argv or _program(argv[0]) not in ("node", "nodejs"):
        return None
    script = next((word for word in argv[1:] if not word.startswith("-")), None)
    name = posixpath.basename(script) if script else None
    return name if name in PM2_RUNTIMES else None


# Servers that need no init as PID 1: supervisors, which handle SIGTERM (or the STOPSIGNAL their
# official image sets) and wait on any child, and the databases that run as one process (mysqld,
# mongod), which shut down cleanly on SIGTERM and leave no child to reap. Supervisor's supervisord
# stops its programs on SIGTERM and reaps with waitpid(-1), any child of its own or orphan alike.
SUPERVISING_SERVERS = frozenset(
    {
        "nginx", "nginx-debug", "openresty", "httpd", "apache2", "apache2-foreground", "php-fpm", "haproxy",
        "redis-server", "postgres", "gunicorn", "mysqld", "mariadbd", "mongod", "caddy", "supervisord",
    }
)
# Official images whose own command ends in one of those servers, their entrypoint script exec'ing
# it (php's only in its apache and fpm variants).
_SUPERVISING_IMAGES = re.compile(
    r"^(nginx|nginx-unprivileged|openresty|httpd|haproxy|redis|postgres|mysql|mariadb|mongo|caddy)$"
)
# Images whose own ENTRYPOINT starts an init (`tini -- /bin/entrypoint.sh`): a Dockerfile on them
# that sets only CMD still starts through it. Elastic's images since 7.0 too (Elasticsearch's
# `/bin/tini -- /usr/local/bin/docker-entrypoint.sh`, Kibana's `/bin/tini --`), on Docker Hub and
# on Elastic's registry.
_INIT_ENTRYPOINT_IMAGES = frozenset(
    {"fluentd", "fluent/fluentd", "jenkins/jenkins", "elasticsearch", "kibana"}
    | {"docker.elastic.co/elasticsearch/elasticsearch", "docker.elastic.co/kibana/kibana"}
)
# Image families whose ENTRYPOINT is s6-overlay's `/init` (linuxserver.io's base and app images,
# jlesage's base images), or whose command is phusion's `my_init`: an init that reaps and forwards.
_INIT_IMAGE_FAMILIES = re.compile(r"^(?:(?:ghcr|lscr)\.io/)?(?:linuxserver/|jlesage/baseimage|phusion/baseimage)")


def _serves_as_pid1(base: str | None) -> bool:
    """Whether the base image's own command is a supervising server (FROM nginx with no CMD)."""
    if not base:
        return False
    repository, tag = image_reference(base)[:2]
    name = repository.rsplit("/", 1)[-1].lower()
    return bool(_SUPERVISING_IMAGES.match(name)) or (name == "php" and any(v in (tag or "") for v in ("apache", "fpm")))


def _init_entrypoint(base: str | None) -> bool:
    """Whether the base image's own ENTRYPOINT starts an init (fluentd's, Jenkins's and Elastic's
    run tini, linuxserver.io's s6-overlay)."""
    if not base:
        return False
    repository = hub_repository(base)
    return repository in _INIT_ENTRYPOINT_IMAGES or bool(_INIT_IMAGE_FAMILIES.match(repository))


def _only_options(cmd: Instruction) -> bool:
    """A CMD of options for the base image's ENTRYPOINT (`["--config.file=/etc/prometheus.yml"]`)."""
    return cmd.json_form and bool(cmd.args) and cmd.args[0].startswith("-")


@check("D002")
def init_process(ctx: CheckContext) -> Iterator[Finding]:
    yield from _unless_replaced(ctx, _init_process(ctx), _starts_with_init)


def _init_process(ctx: CheckContext) -> Iterator[Finding]:
    for dockerfile, final in _runtime_final(ctx):
        entrypoint, cmd = _start_instruction(dockerfile)
        starter = entrypoint or cmd
        if entrypoint is None and _init_entrypoint(final.base_image()):
            continue
        if entrypoint is None and self_contained_server(final.base_image()) and (cmd is None or _only_options(cmd)):
            continue  # the base image's server handles SIGTERM as PID 1 (Prometheus, Grafana)
        if starter is None:
            if _serves_as_pid1(final.base_image()):
                continue
            yield ctx.report(
                dockerfile.spot(final, final.from_instruction),
                "no ENTRYPOINT or CMD: the base image's command runs as PID 1 without an init "
                "(dumb-init or tini) to forward signals",
                what="init",
                value="no command",
            )
            continue
        shellless = shellless_base(dockerfile)
        if shellless is not None and (not starter.json_form or _shell_script(starter) is not None):
            continue  # no shell to be PID 1: the container does not start at all (D003 says so)
        if shellless is not None and starter.json_form and starter.args:
            init = _program(starter.args[0])
            if init in INIT_PROGRAMS and shellless_base(dockerfile, ("/sh", "busybox", init)) is not None:
                yield ctx.report(
                    dockerfile.spot(final, starter),
                    f"{starter.keyword} starts through '{init}', which the final image ({shellless}) does not "
                    "have: the container fails to start; COPY a static build of it into the image",
                    what="init",
                    value=init,
                )
                continue
        first, _ = _pid1(dockerfile, final, starter)
        script, handed = first, None
        if is_script(first):
            verdict = _through_script(ctx, dockerfile, starter, cmd, first)
            if verdict is _HANDLES_SIGTERM:
                continue
            handed = verdict
            first = _program(handed) if handed else first
        if first in INIT_PROGRAMS or first in SUPERVISING_SERVERS:
            continue
        module = _go_module(ctx, dockerfile) if first not in NODE_PROGRAMS else None
        if module is not None and _go_handles_sigterm(ctx, dockerfile, module):
            continue
        if module is not None and _go_program(ctx, dockerfile, module, first):
            # Go's runtime catches SIGTERM itself and, with no handler asked for, exits (as PID 1,
            # where the kernel ignores the signal it raises again, with exit(2)): the signal does
            # reach the program, which stops at once. An init would change nothing; a handler would.
            finding = ctx.report(
                dockerfile.spot(final, starter),
                f"{starter.keyword} starts '{first}', a Go program that asks for no SIGTERM: it does stop on "
                "the kubelet's SIGTERM as PID 1 (Go's runtime exits), but at once, dropping the work in "
                "flight (a server's open requests); an init would not change that",
                what="init",
                value=first,
            )
            finding.fix = _GO_SIGTERM_FIX
            yield finding
            continue
        handles = _HANDLE_SIGTERM_AS_PID1.get(first)
        if handles is not None and not (first == "java" and _words_include(starter, cmd, "-Xrs")):
            # The runtime installs a SIGTERM handler of its own, so the kernel's PID 1 rule (no
            # default action) does not apply; reaping orphans is the one thing an init would add.
            yield ctx.report(
                dockerfile.spot(final, starter),
                f"{starter.keyword} starts '{first}' as PID 1 without an init: {handles}, so the signal "
                "is not lost on PID 1, but it does not reap orphaned processes (exited children of "
                "processes it starts); dumb-init or tini would",
                what="init",
                value=first,
                severity=Severity.INFO,
            )
            continue
        if first in PM2_RUNTIMES:
            # pm2-runtime stops its apps on SIGTERM and SIGINT (with PM2_KILL_SIGNAL and their
            # kill_timeout), but Node.js does not reap the orphans reparented to PID 1.
            yield ctx.report(
                dockerfile.spot(final, starter),
                f"{starter.keyword} starts '{first}' as PID 1 without an init: it stops its apps on SIGTERM, "
                "but as a Node.js process it does not reap orphaned processes (an app's exited children); "
                "dumb-init or tini would",
                what="init",
                value=first,
                severity=Severity.INFO,
            )
            continue
        if starter is cmd and _only_options(starter):
            # Options, not a program: they go to the base image's ENTRYPOINT (distroless's node).
            what_runs = f"passes '{starter.args[0]}' to the base image's ENTRYPOINT, which runs"
        elif handed:
            what_runs = f"starts '{script}', which execs '{first}',"
        else:
            what_runs = f"starts '{first or starter.text}'"
        yield ctx.report(
            dockerfile.spot(final, starter),
            f"{starter.keyword} {what_runs} as PID 1 without an init "
            "(dumb-init or tini), so signals may not reach the service and zombies are not reaped",
            what="init",
            value=first,
        )


_HANDLES_SIGTERM = "trap"

# Programs whose runtime handles SIGTERM itself, so that as PID 1 they stop cleanly: HotSpot installs
# a handler that runs the shutdown hooks (Spring Boot's graceful shutdown is one) unless `-Xrs`
# reduces its signal use; uvicorn handles SIGINT and SIGTERM with a graceful shutdown.
_HANDLE_SIGTERM_AS_PID1 = {
    "java": "the JVM runs its shutdown hooks on SIGTERM",
    "uvicorn": "uvicorn shuts down gracefully on SIGTERM",
}


def _words_include(starter: Instruction, cmd: Instruction | None, word: str) -> bool:
    instructions = [i for i in (starter, cmd) if i is not None and i.json_form]
    return any(word in i.args for i in instructions)


def _through_script(
    ctx: CheckContext, dockerfile: Dockerfile, starter: Instruction, cmd: Instruction | None, script: str
) -> str | None:
    """What a start script the image holds leaves as PID 1: the program its last step execs (`exec
    nginx ...`; with `exec "$@"`, the arguments after the script, then CMD's), _HANDLES_SIGTERM
    when it traps SIGTERM itself, or None when that is not known. The script is the Dockerfile's
    own heredoc, or a file it copies, read only among the own files of the services built from
    the Dockerfile: those are in the check's unit however the scan is split, and a change to them
    re-checks this."""
    argv = list(starter.args) if starter.json_form else []
    position = next((index for index, word in enumerate(argv) if _program(word) == script), None)
    # The script as the command names it (`./scripts/entrypoint.sh`): its path in the image.
    text, _ = _image_script(ctx, dockerfile, argv[position] if position is not None else script)
    if text is None:
        return None
    if traps_sigterm(text):
        return _HANDLES_SIGTERM
    after = None
    if position is not None:
        after = argv[position + 1 :]
        if starter is not cmd and cmd is not None:
            after += list(cmd.args) if cmd.json_form else ["sh"]  # CMD's shell form runs under /bin/sh -c
    handed = handoff(text, after)
    if handed not in ("$@", "$*"):
        return handed if handed and "$" not in handed else None
    return after[0] if after and "$" not in after[0] else None


def _image_script(ctx: CheckContext, dockerfile: Dockerfile, script: str) -> tuple[str | None, str | None]:
    """The text of a script the image holds, and the repository file it was copied from (None for
    the Dockerfile's own heredoc): read only among the own files of the services built from the
    Dockerfile, which are in the check's unit however the scan is split."""
    text = written_script(dockerfile.final_instructions(), script)
    if text is not None:
        return text, None
    builders = [s for s in ctx.project.services if any(d is dockerfile for d in s.dockerfiles)]
    owned = frozenset().union(*(service.own_files for service in builders))
    files = {f.path: f for f in ctx.project.files if f.path in owned and is_script(f.path)}
    source = copied_script(
        dockerfile.path, dockerfile.final_instructions(), script, files, dockerfile.stages, dockerfile.final
    )
    return (read_script(source), source.path) if source is not None else (None, None)


# A Go program that asks for SIGTERM (os/signal's Notify or NotifyContext, controller-runtime's
# SetupSignalHandler) gets it as PID 1 too: the kernel drops only the signals PID 1 has no handler for.
_GO_SIGNAL_HANDLER = re.compile(r"\bsignal\.Notify(?:Context)?\(|\bSetupSignalHandler\(")
_GO_SIGTERM = re.compile(r"\b(?:syscall|unix)\.SIGTERM\b|\bSetupSignalHandler\(")
# At most this many Go files of a module are read looking for the handler (main packages first).
_MAX_GO_FILES = 400


_GO_SIGTERM_FIX = (
    "Handle SIGTERM in the program: `ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)`, then "
    "`server.Shutdown(...)` with a deadline under terminationGracePeriodSeconds."
)


def _go_module(ctx: CheckContext, dockerfile: Dockerfile) -> str | None:
    """The folder of the go.mod in the Dockerfile's folder or above ("" for the root), else the
    module its `go build` runs in, or None."""
    folder = posixpath.dirname(dockerfile.path)
    while not ctx.project.exists(posixpath.join(folder, "go.mod") if folder else "go.mod"):
        if not folder:
            return _built_module(ctx, dockerfile)
        folder = posixpath.dirname(folder)
    return folder


def _built_module(ctx: CheckContext, dockerfile: Dockerfile) -> str | None:
    """The module a `go build` runs in: its stage's WORKDIR traced back through the COPYs to a
    folder of the build context with a go.mod (Dokploy's root `Dockerfile.monitoring` copies the
    repository to /app and builds in `/app/apps/monitoring`: `apps/monitoring`)."""
    context = dockerfile.context_folder
    for stage in dockerfile.stages:
        workdir = "/"
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR" and instruction.args:
                workdir = posixpath.normpath(posixpath.join(workdir, instruction.args[-1]))
            elif instruction.keyword == "RUN" and any(_go_builds(instruction)):
                for source in reversed(context_paths(dockerfile.stages, stage, workdir)):  # the last copy wins
                    folder = posixpath.normpath(posixpath.join(context, source))
                    if ctx.project.exists(f"{folder}/go.mod" if folder != "." else "go.mod"):
                        return "" if folder == "." else folder
    return None


def _go_builds(instruction: Instruction) -> Iterator[list[str]]:
    """The words of each `go build` and `go install` a RUN runs (`CGO_ENABLED=0` left out)."""
    for command in _run_commands(instruction):
        words, _ = _strip_env_prefix(command)
        if len(words) > 1 and _program(words[0]) == "go" and words[1] in ("build", "install"):
            yield words


def _go_program(ctx: CheckContext, dockerfile: Dockerfile, folder: str, program: str) -> bool:
    """Whether PID 1's program is the own of the Go module in `folder`: a binary the Dockerfile's
    `go build -o` (or `go install`) makes, or one named as the module (node_exporter's image copies
    in the binary `promu` built) or as one of its `cmd/` programs."""
    if not program:
        return False
    built = _go_binaries(dockerfile)
    # `-o recommender-$TARGETARCH`, copied in as /recommender (the vertical pod autoscaler's images).
    if program in built or program in {_VARIABLE_PART.sub("", name) for name in built}:
        return True
    prefix = f"{folder}/" if folder else ""
    source = ctx.project.file(f"{prefix}go.mod")
    text = source.read()[0] if source is not None else None
    declared = re.search(r"^module\s+(\S+)", text or "", re.MULTILINE)
    if declared and declared.group(1).rstrip("/").rsplit("/", 1)[-1] == program:
        return True
    return ctx.project.exists(f"{prefix}cmd/{program}/main.go")


# A build argument in a binary's name (`recommender-$TARGETARCH`, `app_${VERSION}`).
_VARIABLE_PART = re.compile(r"[-_.]?\$(?:\{\w+\}|\w+)")


def _go_build_commands(dockerfile: Dockerfile) -> Iterator[list[str]]:
    """The words of each `go build` and `go install` the Dockerfile runs (`CGO_ENABLED=0` left out)."""
    for stage in dockerfile.stages:
        for instruction in stage.instructions:
            if instruction.keyword == "RUN":
                yield from _go_builds(instruction)


def _go_binaries(dockerfile: Dockerfile) -> set[str]:
    """The names of the binaries the Dockerfile's `go build` and `go install` make: the `-o`
    output's name, else the last folder of each package named (`./cmd/server` makes `server`)."""
    names: set[str] = set()
    for words in _go_build_commands(dockerfile):
        output = next((words[i + 1] for i, w in enumerate(words[:-1]) if w == "-o"), None)
        output = output or next((w[3:] for w in words if w.startswith("-o=")), None)
        if output and not output.endswith("/"):
            names.add(posixpath.basename(output))
        else:
            packages = [w.rstrip("/").removesuffix("/...") for w in words[2:] if w.startswith("./")]
            # (`go build ./cmd/server/main.go` names its binary for the first file: `main`)
            names.update(posixpath.basename(p).removesuffix(".go") for p in packages if p not in (".", ""))
    return names


def _go_handles_sigterm(ctx: CheckContext, dockerfile: Dockerfile, folder: str) -> bool:
    """Whether the source of the Go module in `folder` (the go.mod in the Dockerfile's folder or
    above) handles SIGTERM in the scan's service: then the program stops cleanly as PID 1 without
    an init. The source files are the service's own (its unit's), so a change to them re-checks this."""
    prefix = f"{folder}/" if folder else ""
    built = _go_packages_built(dockerfile)
    sources = [
        f
        for f in ctx.project.files
        if f.path.endswith(".go")
        and not f.path.endswith("_test.go")
        and f.path.startswith(prefix)
        and "/vendor/" not in f"/{f.path}"
        and _may_hold_the_handler(f.path[len(prefix) :], built)
    ]
    sources.sort(key=lambda f: ("/cmd/" not in f"/{f.path}" and f.name != "main.go", f.path))
    return any(_handles_sigterm(f.read()[0]) for f in sources[:_MAX_GO_FILES])


def _go_packages_built(dockerfile: Dockerfile) -> list[str]:
    """The package folders a `go build ./cmd/server` in the Dockerfile names, relative to the module
    (a file named, `go build ./cmd/server/main.go`, builds its folder's package)."""
    packages = [
        posixpath.dirname(word) if word.endswith(".go") else word
        for words in _go_build_commands(dockerfile)
        for word in (w.removeprefix("./").rstrip("/") for w in words[2:] if w.startswith("./"))
    ]
    return [p.removesuffix("/...") for p in packages if p and p != "."]


def _may_hold_the_handler(path: str, built: list[str]) -> bool:
    """Another program's main package (`cmd/other/`) does not handle this one's signals, nor does
    a test's or a tool's (Reloader's `test/loadtest/` asks for SIGTERM, its manager does not); the
    packages the built one imports (outside `cmd/`) may."""
    if set(path.split("/")[:-1]) & _NOT_THE_PROGRAM:
        return False
    if not built or not path.startswith("cmd/"):
        return True
    return any(path.startswith(f"{package}/") for package in built)


_NOT_THE_PROGRAM = TEST_FOLDERS | {"testdata", "testing", "testutil", "hack", "tools", "examples", "example", "scripts"}


def _handles_sigterm(text: str | None) -> bool:
    return bool(text) and bool(_GO_SIGNAL_HANDLER.search(text)) and bool(_GO_SIGTERM.search(text))


@check("D003")
def exec_form_command(ctx: CheckContext) -> Iterator[Finding]:
    yield from _unless_replaced(ctx, _exec_form_command(ctx), _starts_without_shell)


def _exec_form_command(ctx: CheckContext) -> Iterator[Finding]:
    """A shell that stays PID 1: the shell form, or `sh -c` in exec form, unless the script's last
    step is `exec prog` (the shell replaces itself with the program, which then gets SIGTERM)."""
    for dockerfile, final in _runtime_final(ctx):
        entrypoint, cmd = _start_instruction(dockerfile)
        for instruction in (entrypoint, cmd):
            if instruction is None:
                continue
            runs_first = instruction is entrypoint or entrypoint is None
            if instruction.json_form and not runs_first:
                continue  # exec-form arguments of an ENTRYPOINT: never run as a command themselves
            if instruction is cmd and entrypoint is not None and not entrypoint.json_form:
                continue  # a shell-form ENTRYPOINT ignores CMD: it is reported, not CMD
            script = _shell_script(instruction)
            if script is None:
                continue
            if not instruction.json_form and instruction is entrypoint and cmd is not None:
                yield ctx.report(
                    dockerfile.spot(final, instruction),
                    "ENTRYPOINT uses the shell form: Docker then ignores CMD (and the arguments of `docker run`), "
                    "so the image never runs its CMD",
                    what=instruction.keyword,
                    value=instruction.text,
                )
                continue
            shellless = shellless_base(dockerfile)
            if shellless is not None:
                # Docker runs `/bin/sh -c "..."` (or the exec form names a shell), and there is no
                # shell: the container never starts, whatever the script would hand over to.
                runs = (
                    f"runs '{instruction.args[0]}'"
                    if instruction.json_form
                    else "uses the shell form, which Docker runs with /bin/sh -c,"
                )
                yield ctx.report(
                    dockerfile.spot(final, instruction),
                    f"{instruction.keyword} {runs} and the final image ({shellless}) has no shell: the container "
                    "fails to start unless a command replaces it",
                    what=instruction.keyword,
                    value=instruction.text,
                )
                continue
            # A broken JSON array runs as a shell line whatever the shell does with it: always reported.
            broken_json = not instruction.json_form and instruction.text.lstrip().startswith("[")
            if not broken_json and _handoff(script, _script_shell(dockerfile, final, instruction)) is not None:
                continue
            init = _init_of(entrypoint) if instruction is cmd else None
            if init is not None and _signals_the_group(entrypoint.args):
                continue  # dumb-init, `tini -g`: SIGTERM reaches every process of the child's group
            if init is not None:
                message = (
                    f"CMD uses the shell form: {init} forwards SIGTERM to /bin/sh only, which does not pass it "
                    "to the service; use the exec form, or "
                    f"{'`tini -g`' if init.startswith('tini') else 'dumb-init without --single-child'}, which "
                    "signals the whole process group"
                )
            elif not instruction.json_form:
                hint = (
                    " (it looks like a JSON array but is not valid JSON, so Docker runs it as shell form)"
                    if broken_json
                    else ""
                )
                message = (
                    f"{instruction.keyword} uses the shell form{hint}: /bin/sh becomes PID 1 and does not "
                    "forward SIGTERM to the service"
                )
            else:
                message = (
                    f"{instruction.keyword} runs '{instruction.args[0]} {instruction.args[1]}' as PID 1: the shell "
                    "runs the service as a child and does not forward SIGTERM to it; end the script with "
                    "`exec <program>`"
                )
            yield ctx.report(
                dockerfile.spot(final, instruction), message, what=instruction.keyword, value=instruction.text
            )


def _init_of(entrypoint: Instruction | None) -> str | None:
    """The init an exec-form ENTRYPOINT starts (`["dumb-init", "--"]`, `["/sbin/tini", "-g", "--"]`),
    which runs CMD as its child; None otherwise."""
    if entrypoint is None or not entrypoint.json_form or not entrypoint.args:
        return None
    program = _program(entrypoint.args[0])
    return program if program in INIT_PROGRAMS else None


# Init options followed by a value (tini's `-p SIGKILL`, `-e 143`; dumb-init's `-r 15:3`).
_INIT_OPTIONS_WITH_VALUES = frozenset({"-p", "-e", "-r", "--rewrite"})


def _signals_the_group(argv: list[str]) -> bool:
    """Whether the init sends the signals it gets to its child's whole process group, so that the
    program a shell runs gets SIGTERM too: dumb-init does unless `-c`/`--single-child`; tini with
    `-g`. (Observed: `dumb-init -- sh -c 'prog'` and `tini -g -- sh -c 'prog'` deliver SIGTERM to
    prog under dash; `dumb-init -c` and plain tini stop at the shell.)"""
    program = _program(argv[0])
    options: list[str] = []
    words = iter(argv[1:])
    for word in words:
        if word == "--" or not word.startswith("-"):
            break
        options.append(word)
        if word in _INIT_OPTIONS_WITH_VALUES:
            next(words, None)
    if program == "dumb-init":
        return not any(o in ("-c", "--single-child") for o in options)
    if program in ("tini", "tini-static"):
        return any(o == "-g" or (not o.startswith("--") and "g" in o[1:]) for o in options)
    return False


def _package_manager_start(argv: list[str]) -> str | None:
    for index, word in enumerate(argv):
        program = _program(word)
        following = argv[index + 1] if index + 1 < len(argv) else ""
        if program == "npm" and following in ("start", "run", "run-script", "restart"):
            return f"npm {following}"
        if program in ("yarn", "pnpm"):
            return f"{program} {following}".strip()
    return None


@check("D004")
def no_package_manager_start(ctx: CheckContext) -> Iterator[Finding]:
    yield from _unless_replaced(ctx, _no_package_manager_start(ctx), _starts_without_package_manager)


def _no_package_manager_start(ctx: CheckContext) -> Iterator[Finding]:
    for dockerfile, final in _runtime_final(ctx):
        entrypoint, cmd = _start_instruction(dockerfile)
        for instruction in (entrypoint, cmd):
            if instruction is None:
                continue
            words = (
                [w for c in shell_commands(instruction.text) for w in c]
                if not instruction.json_form
                else list(instruction.args)
            )
            found = _package_manager_start(words)
            if found:
                yield ctx.report(
                    dockerfile.spot(final, instruction),
                    f"{instruction.keyword} starts the service through '{found}', which does not reliably "
                    "forward SIGTERM; start node directly",
                    what=instruction.keyword,
                    value=found,
                )


# Docker's HEALTHCHECK defaults, used when an option is absent.
_HEALTHCHECK_DEFAULTS = {"interval": "30s", "timeout": "30s", "start-period": "0s", "retries": "3"}


@check("D005")
def healthcheck(ctx: CheckContext) -> Iterator[Finding]:
    owners = _owners(ctx)
    for dockerfile, final in _runtime_final(ctx):
        instruction = _last(dockerfile.final_instructions(), "HEALTHCHECK")
        if instruction is None:
            message = "final stage has no HEALTHCHECK, so runtimes outside Kubernetes never notice a hung process"
            severity, related = None, ()
            probe = _deployed_liveness(owners.get(id(dockerfile), []), dockerfile)
            if probe is not None:
                # The kubelet ignores HEALTHCHECK: in Kubernetes the livenessProbe is the check.
                message += "; in Kubernetes its workloads' livenessProbe does this (the kubelet ignores HEALTHCHECK)"
                severity, related = Severity.INFO, (Related(probe, "livenessProbe"),)
            yield ctx.report(
                dockerfile.spot(final, final.from_instruction),
                message,
                what="HEALTHCHECK",
                value="none",
                severity=severity,
                related=related,
            )
            continue
        if instruction.args and instruction.args[0].upper() == "NONE":
            yield ctx.report(
                dockerfile.spot(final, instruction),
                "HEALTHCHECK NONE disables the health check",
                what="HEALTHCHECK",
                value="NONE",
            )
            continue
        missing = _healthcheck_program_missing(dockerfile, instruction)
        if missing is not None:
            program, base = missing
            runs = f"runs '{program}'" if instruction.json_form else "in shell form runs '/bin/sh -c'"
            yield ctx.report(
                dockerfile.spot(final, instruction),
                f"HEALTHCHECK {runs}, which the image does not have (FROM {base}: no shell, no system "
                "programs): every check fails, so Docker marks the container unhealthy, and Compose's "
                "`service_healthy` and Swarm's restarts act on that",
                what="HEALTHCHECK",
                value=program,
            )
            continue
        differences = list(_healthcheck_differences(instruction, ctx.params))
        if differences:
            yield ctx.report(
                dockerfile.spot(final, instruction),
                "HEALTHCHECK options differ from the standard: " + "; ".join(differences),
                what="HEALTHCHECK",
                value="; ".join(differences),
                severity=Severity.INFO,
            )


def _healthcheck_program_missing(dockerfile: Dockerfile, instruction: Instruction) -> tuple[str, str] | None:
    """(program, base) where the HEALTHCHECK's command needs a program the shell-less image lacks:
    a shell for the shell form (`CMD curl -f ...` runs `/bin/sh -c`), else its own first word."""
    words = instruction.args[1:] if instruction.args and instruction.args[0].upper() == "CMD" else ()
    if not words:
        return None
    program = _program(words[0]) if instruction.json_form else "sh"
    if program not in SHELLLESS_LACKS:
        return None
    base = shellless_base(dockerfile, ("/sh", "busybox", f"/{program}"))
    return (program, base) if base is not None else None


def _healthcheck_differences(instruction: Instruction, params: dict) -> Iterator[str]:
    for option, param in (("interval", "interval"), ("timeout", "timeout"), ("start-period", "start_period")):
        written = instruction.flag(option)
        actual = parse_go_duration(written or _HEALTHCHECK_DEFAULTS[option])
        expected = parse_go_duration(str(params[param]))
        if actual is None or expected is None or actual == expected:
            continue
        source = written or f"{_HEALTHCHECK_DEFAULTS[option]} (Docker's default)"
        yield f"--{option} {source}, expected {format_seconds(expected)}"
    written = instruction.flag("retries")
    try:
        retries = int(written or _HEALTHCHECK_DEFAULTS["retries"])
    except ValueError:
        return
    if retries != int(params["retries"]):
        yield f"--retries {retries}, expected {params['retries']}"


def _run_commands(instruction: Instruction) -> list[list[str]]:
    text = instruction.text
    if instruction.heredocs:
        text = "\n".join(instruction.heredocs)
    if instruction.json_form:
        return [list(instruction.args)]
    return shell_commands(text)


_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _strip_env_prefix(words: list[str]) -> tuple[list[str], dict[str, str]]:
    """`NODE_ENV=production npm ci` -> (['npm', 'ci'], {'NODE_ENV': 'production'})."""
    env: dict[str, str] = {}
    index = 0
    while index < len(words) and _ENV_ASSIGNMENT.match(words[index]):
        key, _, value = words[index].partition("=")
        env[key] = value
        index += 1
    return words[index:], env


@check("D006")
def multi_stage_build(ctx: CheckContext) -> Iterator[Finding]:
    for dockerfile in ctx.project.dockerfiles:
        if len(dockerfile.stages) != 1 or is_tool_image(dockerfile.path):
            continue
        if is_base_image(dockerfile) or is_idle_image(dockerfile) or is_command_image(dockerfile):
            continue  # it runs no service: a base to build FROM or copy from (outline's `Dockerfile.base`)
        stage = dockerfile.stages[0]
        for instruction in stage.instructions:
            if instruction.keyword != "RUN":
                continue
            for words in _run_commands(instruction):
                words, _ = _strip_env_prefix(words)
                command = " ".join(words)
                if _BUILD_STEP.match(command):
                    yield ctx.report(
                        dockerfile.spot(stage, instruction),
                        f"the only stage both builds ('{command}') and runs the service; build in a separate stage",
                        what="build",
                        value=command,
                    )
                    break
            else:
                continue
            break


def _dependency_install(words: list[str]) -> tuple[str, bool] | None:
    """(command, omits dev dependencies) when `words` installs the project's dependencies."""
    words, env = _strip_env_prefix(words)
    if not words:
        return None
    program = _program(words[0])
    rest = words[1:]
    flags = [w for w in rest if w.startswith("-")]
    positional = [w for w in rest if not w.startswith("-")]
    prod = (
        any(f in PRODUCTION_FLAGS for f in flags)
        or env.get("NODE_ENV") == "production"
        or ("--omit" in rest and rest.index("--omit") + 1 < len(rest) and rest[rest.index("--omit") + 1] == "dev")
    )
    if program == "npm" and positional and positional[0] in ("install", "i", "ci", "add"):
        if "-g" in flags or "--global" in flags or (positional[0] != "ci" and len(positional) > 1):
            return None
        return f"npm {positional[0]}", prod
    if program == "yarn" and (not positional or positional[0] == "install"):
        if "global" in positional:
            return None
        return "yarn install", prod
    if program == "pnpm" and positional and positional[0] in ("install", "i"):
        if "-g" in flags or "--global" in flags or len(positional) > 1:
            return None
        return f"pnpm {positional[0]}", prod
    return None


def _is_prune(words: list[str]) -> bool:
    words, _ = _strip_env_prefix(words)
    return (
        bool(words)
        and _program(words[0]) in ("npm", "pnpm")
        and "prune" in words
        and any(w in PRODUCTION_FLAGS or w == "dev" for w in words)
    )


def _omitting_dev(command: str) -> tuple[str, str, str]:
    """How the installer that runs `command` leaves dev dependencies out: its flag, what prunes them
    after a build, and the advice (npm's `--omit=dev`, pnpm's `--prod`, Yarn 1's `--production`;
    Yarn 2 and later install everything and focus a workspace instead)."""
    if command.startswith("yarn"):
        return (
            "--production",
            "`yarn install --production` again",
            "add --production, or set NODE_ENV=production first (Yarn 1; from Yarn 2 on, "
            "`yarn workspaces focus --production`)",
        )
    if command.startswith("pnpm"):
        return "--prod", "`pnpm prune --prod`", "add --prod (or set NODE_ENV=production first)"
    return "--omit=dev", "`npm prune --omit=dev`", "add --omit=dev (or set NODE_ENV=production first)"


@check("D007")
def production_dependencies(ctx: CheckContext) -> Iterator[Finding]:
    for dockerfile, final in _runtime_final(ctx):
        if not _declares_dev_dependencies(ctx, dockerfile):
            continue  # the package.json beside it has none: an install adds nothing the service does not use
        instructions = dockerfile.final_instructions()
        # True once NODE_ENV is production, or a build argument's value no one can know here.
        node_env_production = False
        pending: list[tuple[Instruction, str]] = []
        build: str | None = None  # a build step after the installs, which needs their dev dependencies
        for instruction in instructions:
            if instruction.keyword == "ENV":
                for key, value in env_pairs(instruction):
                    if key == "NODE_ENV":
                        variables = _variables_before(dockerfile, instruction)
                        node_env_production = substitute(value, variables) in (None, "production")
            if instruction.keyword != "RUN":
                continue
            for words in _run_commands(instruction):
                if _is_prune(words):
                    pending.clear()
                    build = None
                    continue
                install = _dependency_install(words)
                if install and not install[1] and not node_env_production:
                    pending.append((instruction, install[0]))
                command = " ".join(_strip_env_prefix(words)[0])
                if pending and build is None and _BUILD_STEP.match(command):
                    build = command
        for instruction, command in pending:
            flag, prune, advice = _omitting_dev(command)
            if build is not None:
                # Omitting them alone would break the build (TypeScript, a bundler are dev dependencies).
                advice = (
                    f"the build after it ('{build}') needs them, so build in an earlier stage and install "
                    f"with {flag} here, or run {prune} after the build"
                )
            yield ctx.report(
                dockerfile.spot(final, instruction),
                f"'{command}' in the final image installs dev dependencies; {advice}",
                what="install",
                value=command,
            )


def _declares_dev_dependencies(ctx: CheckContext, dockerfile: Dockerfile) -> bool:
    """Whether the package.json beside the Dockerfile (its usual build context) lists
    devDependencies; True when there is none to read (nothing says the install is harmless)."""
    manifest = ctx.project.package_json(posixpath.dirname(dockerfile.path))
    if not isinstance(manifest, dict):
        return True
    if "devDependencies" not in manifest:
        return False
    dev = manifest["devDependencies"]
    return bool(dev) or not isinstance(dev, dict)  # a value that is no mapping: not known to be empty


def _copies_whole_context(instruction: Instruction) -> bool:
    if instruction.keyword not in ("COPY", "ADD") or instruction.flag("from") is not None:
        return False
    sources = list(instruction.args[:-1])
    return any(source in (".", "./") for source in sources)


@check("D008")
def dependency_layer_caching(ctx: CheckContext) -> Iterator[Finding]:
    for dockerfile in ctx.project.dockerfiles:
        for stage in dockerfile.stages:
            copy_all: Instruction | None = None
            for instruction in stage.instructions:
                if copy_all is None and _copies_whole_context(instruction):
                    copy_all = instruction
                elif copy_all is not None and instruction.keyword == "RUN":
                    install = next((i for w in _run_commands(instruction) if (i := _dependency_install(w))), None)
                    if install:
                        yield ctx.report(
                            dockerfile.spot(stage, copy_all),
                            f"'{copy_all.keyword} {copy_all.text}' comes before '{install[0]}' (line "
                            f"{instruction.line}), so every source change reinstalls all dependencies",
                            what="copy-before-install",
                            value=install[0],
                        )
                        break


@check("D009")
def pinned_base_image(ctx: CheckContext) -> Iterator[Finding]:
    for dockerfile in ctx.project.dockerfiles:
        aliases: set[str] = set()
        for stage in dockerfile.stages:
            resolved = stage.resolved_image
            if (
                resolved is not None
                and resolved.lower() not in aliases
                and resolved.lower() != "scratch"
                and not is_placeholder_image(resolved)  # replaced before the build: no tag to judge
            ):
                what = unpinned_reason(resolved)
                if what is not None:
                    shown = resolved if resolved == stage.image else f"{stage.image} = {resolved}"
                    yield ctx.report(
                        dockerfile.spot(stage, stage.from_instruction),
                        f"base image '{shown}' has {what}; pin a version tag or a digest",
                        what="FROM",
                        value=resolved,
                    )
            if stage.alias:
                aliases.add(stage.alias.lower())


@check("D010")
def small_base_image(ctx: CheckContext) -> Iterator[Finding]:
    for dockerfile, final in _runtime_final(ctx):
        root = final.chain()[0]
        image = root.resolved_image
        if image is None or is_placeholder_image(image):
            continue
        lower = image.lower()
        if lower == "scratch" or "chainguard" in lower or any(marker in lower for marker in SMALL_BASE_MARKERS):
            continue
        if lower.startswith("dhi.io/") and "-dev" not in lower:
            continue  # Docker Hardened Images: minimal, distroless-style runtime variants (`-dev` has a shell)
        message = (
            f"final image is based on '{image}', a full distribution image; use a slim, alpine or distroless variant"
        )
        if not _distribution_image(lower):  # a project's own image: its size is not known here
            message = (
                f"final image is based on '{image}', which is not known to be small (no slim, alpine or distroless "
                "variant): check its size, or base the final stage on a small image"
            )
        yield ctx.report(dockerfile.spot(final, root.from_instruction), message, what="base", value=image)


# Distributions, by a word of the image's name (`ubuntu`, linuxserver's `baseimage-ubuntu`).
_DISTRIBUTION_WORD = re.compile(
    r"(?:^|[/_-])(?:debian|ubuntu|centos|fedora|rockylinux|almalinux|amazonlinux|ubi\d*)(?:$|[/_-])"
)


_DISTRIBUTION_TAG = re.compile(
    r"(?:^|[._-])(?:debian|ubuntu|bookworm|bullseye|buster|trixie|jammy|noble|focal|centos|fedora)(?:$|[._\d-])"
)


def _distribution_image(image: str) -> bool:
    """Whether the image is an official image (Docker Hub's library: `node`, `python`, `debian`), a
    Red Hat UBI, or names a distribution in its name or tag (fluentd's `v1.19-debian-1`); not a
    project's own image (`louislam/uptime-kuma:base2`)."""
    repository, tag = image_reference(image)[:2]
    names_one = _DISTRIBUTION_WORD.search(repository) or _DISTRIBUTION_TAG.search(tag or "")
    return is_official_image(image) or bool(names_one)


def pm2_runs_other(project: Project) -> set[str]:
    """The Dockerfiles whose command starts PM2 on programs that are not Node.js (a Flask app under
    `pm2-runtime`, relcheck.scan.runtime.pm2_apps_runtime): PM2 is Node, the service is not."""
    return {
        dockerfile.path
        for service in project.services
        if service.pm2_apps and service.runtime not in (NODE, None)
        for dockerfile in service.dockerfiles
        if starts_pm2(dockerfile)
    }


def _is_node_stage(dockerfile: Dockerfile, final: Stage) -> bool:
    image = (final.base_image() or "").lower()
    repository = image_reference(image)[0].rsplit("/", 1)[-1]
    if "node" in repository:
        return True
    entrypoint, cmd = _start_instruction(dockerfile)
    for instruction in (entrypoint, cmd):
        if instruction is not None and any(_program(w) in NODE_PROGRAMS for w in _argv(instruction)[:3]):
            return True
    return False


@check("D011")
def node_env_production(ctx: CheckContext) -> Iterator[Finding]:
    pm2_other = pm2_runs_other(ctx.project)
    for dockerfile, final in _runtime_final(ctx):
        if not _is_node_stage(dockerfile, final) or dockerfile.path in pm2_other:
            continue  # (NODE_ENV reaches PM2's apps, which are not Node there)
        value: str | None = ""
        for instruction in dockerfile.final_instructions():
            if instruction.keyword != "ENV":
                continue
            for key, raw in env_pairs(instruction):
                if key == "NODE_ENV":
                    value = substitute(raw, _variables_before(dockerfile, instruction))
        if value is None or value == "production":
            continue  # unknown (a build argument) or set
        detail = f"sets NODE_ENV={value}" if value else "never sets NODE_ENV"
        yield ctx.report(
            dockerfile.spot(final, final.from_instruction),
            f"Node.js final stage {detail}; set ENV NODE_ENV=production",
            what="NODE_ENV",
            value=value or "unset",
        )


def _folders_with_packages(ctx: CheckContext) -> set[str]:
    """Every folder at or above a package.json (below the root): a build context there may hold a
    node_modules."""
    folders: set[str] = set()
    for path in ctx.project.settings:  # every package.json is read as settings
        if posixpath.basename(path) != "package.json":
            continue
        folder = posixpath.dirname(path)
        while folder and folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    return folders


def _folders_with_content(ctx: CheckContext) -> set[str]:
    """Folders with a file of their own other than a Dockerfile or a .dockerignore."""
    return {
        posixpath.dirname(source.path)
        for source in ctx.project.files
        if "dockerfile" not in source.name.lower() and not source.name.endswith(".dockerignore")
    }


def _holds_git(ctx: CheckContext, folder: str) -> bool:
    """A checkout of its own in the folder: a `.git` folder (its HEAD) or a submodule's `.git` file."""
    return ctx.project.exists(f"{folder}/.git") or ctx.project.exists(f"{folder}/.git/HEAD")


@check("D012")
def dockerignore(ctx: CheckContext) -> Iterator[Finding]:
    from relcheck.syntax.dockerignore import excludes_directory

    node = {id(d) for s in ctx.project.services if s.runtime == NODE for d in s.dockerfiles}
    pm2_other = pm2_runs_other(ctx.project)
    npm_folders, content_folders = _folders_with_packages(ctx), _folders_with_content(ctx)
    for dockerfile in ctx.project.dockerfiles:
        # node_modules matters only where a Node build makes one.
        runs_node = id(dockerfile) in node or (
            dockerfile_runtime(dockerfile) == NODE and dockerfile.path not in pm2_other
        )
        wanted = ("node_modules", ".git") if runs_node else (".git",)
        context = dockerfile.build_context
        folder = dockerfile.context_folder
        # Taken for the context when it holds files to copy: a folder of Dockerfiles alone
        # (`.deploy/api/Dockerfile` with `COPY . .`) is built from a folder above it.
        if folder and folder in content_folders:
            # A context below the repository root holds no .git (unless it is a checkout of its own),
            # and no node_modules unless a package.json there is installed (docker-node's version
            # folders: a Dockerfile and its entrypoint script).
            wanted = tuple(
                entry
                for entry in wanted
                if (entry == ".git" and _holds_git(ctx, folder)) or (entry == "node_modules" and folder in npm_folders)
            )
            if not wanted:
                continue
        found = dockerfile.ignore_file  # found and parsed when the project was built
        if found is None:
            where = (
                "beside the Dockerfile"
                if context is None or context == posixpath.dirname(dockerfile.path)
                else f"in its build context, {context + '/' if context else 'the repository root'} (where the files it "
                "copies are)"
            )
            yield ctx.finding(
                Location(dockerfile.path, 1, 1),
                f"no .dockerignore {where}: {' and '.join(wanted)} {'go' if len(wanted) > 1 else 'goes'} into the "
                "build context",
                identity="dockerignore",
                value="missing",
            )
            continue
        missing = [entry for entry in wanted if not excludes_directory(dockerfile.ignore_patterns, entry)]
        if missing:
            yield ctx.finding(
                Location(found, 1, 1),
                f"{posixpath.basename(found)} does not exclude {' and '.join(missing)}",
                identity="dockerignore",
                value=",".join(missing),
            )
