"""PM2 apps an image starts from its command line, with no ecosystem file: `CMD ["pm2-runtime",
"dist/server.js", "-i", "max"]`. PM2 then runs the script with its defaults (a kill_timeout of
1600 ms, fork mode, no memory limit) and what the command's options change; the P rules judge that
app as they judge one an ecosystem file describes, at the line of the command."""

from __future__ import annotations

import posixpath
import re

from relcheck.artifacts.dockerfile import (
    INIT_PROGRAMS,
    PM2_RUNTIMES,
    Dockerfile,
    Instruction,
    command_argv,
    is_tool_image,
    shell_words,
)
from relcheck.artifacts.pm2 import Pm2App
from relcheck.syntax.jsvalues import UNKNOWN
from relcheck.syntax.positions import END, KEY, VALUE, Positions

# What PM2 reads as an ecosystem file rather than a script (lib/Common.js knonwConfigFileExtensions,
# matched anywhere in the name as PM2 matches them).
_CONFIG_MARKS = (".json", ".yml", ".yaml", ".config.js", ".config.cjs", ".config.mjs")
# pm2-runtime's options that take a value (lib/binaries/Runtime4Docker.js), long and short.
_VALUED = frozenset(
    {"-i", "--instances", "--secret", "--stop-exit-codes", "--node-args", "-n", "--name", "--max-memory-restart",
     "-c", "--cron", "--interpreter", "--public", "--machine-name", "--delay", "--only", "--env", "--error",
     "--output", "--web"}
)
# Option → the ecosystem key it sets.
_KEYS = {
    "-i": "instances", "--instances": "instances", "-n": "name", "--name": "name",
    "--max-memory-restart": "max_memory_restart", "--node-args": "node_args", "--interpreter": "interpreter",
    "-c": "cron_restart", "--cron": "cron_restart",
}
# `pm2 start --no-daemon`'s options beyond those (lib/binaries/CLI.js), which the app's config takes
# by name (Config.filterOptions): pm2-runtime has none of them, and ignores them (allowUnknownOption).
_CLI_VALUED_KEYS = {
    "-k": "kill_timeout", "--kill-timeout": "kill_timeout", "--listen-timeout": "listen_timeout",
    "--restart-delay": "restart_delay", "--exp-backoff-restart-delay": "exp_backoff_restart_delay",
    "--interpreter-args": "node_args", "--cron-restart": "cron_restart",
}
_CLI_FLAGS = {"--wait-ready": "wait_ready", "--shutdown-with-message": "shutdown_with_message"}
_NUMBERS = frozenset({"kill_timeout", "listen_timeout", "restart_delay", "exp_backoff_restart_delay", "max_restarts"})
# An init before the command, and its own options (`tini -g --`).
_BEFORE_COMMAND = INIT_PROGRAMS | {"--", "-g", "-s"}


def apps_from_command(dockerfile: Dockerfile) -> list[Pm2App]:
    """The app PM2 starts from the final image's command, when it starts a script (not an
    ecosystem file) through pm2-runtime or `pm2 start --no-daemon`; none otherwise."""
    if is_tool_image(dockerfile.path):
        return []
    instruction, argv = _start(dockerfile)
    if instruction is None:
        return []
    while argv and posixpath.basename(argv[0]) in _BEFORE_COMMAND:
        argv = argv[1:]
    if argv and posixpath.basename(argv[0]) == "npx":
        argv = argv[1:]
    if not argv:
        return []
    program = posixpath.basename(argv[0])
    # pm2-runtime always stays in the foreground; `pm2 start` does with --no-daemon.
    if program == "pm2" and len(argv) > 1 and argv[1] == "start" and "--no-daemon" in argv:
        argv = argv[1:]
    elif program not in PM2_RUNTIMES:
        return []
    ignored: dict[str, str] = {}
    data = _options(argv[1:], cli=program == "pm2", ignored=ignored)
    script = data.get("script")
    if not isinstance(script, str) or "$" in script or any(mark in script for mark in _CONFIG_MARKS):
        return []
    data.setdefault("name", posixpath.splitext(posixpath.basename(script))[0] or script)
    environment = dockerfile.final_env
    if "NODE_ENV" in environment:  # PM2 passes the container's environment on to the app
        node_env = environment["NODE_ENV"]
        data["env"] = {"NODE_ENV": UNKNOWN if "$" in node_env else node_env}
    timeout = environment.get("PM2_KILL_TIMEOUT")  # PM2's default kill_timeout, read from the environment
    if timeout is not None:
        data["kill_timeout"] = int(timeout) if timeout.isdigit() else UNKNOWN
    app = Pm2App(dockerfile.path, data, _at(instruction, data), ("apps", 0), 0, from_command=True)
    app.ignored_options = ignored
    return [app]


def starts_pm2(dockerfile: Dockerfile) -> bool:
    """Whether the final image's command starts PM2 (`pm2-runtime start ecosystem.config.js`)."""
    return _start(dockerfile)[0] is not None


def script_starts_pm2(command: str) -> bool:
    """Whether a package.json script starts PM2 (`pm2-runtime start ecosystem.config.js`)."""
    return _names_pm2_in(shell_words(command))


def _start(dockerfile: Dockerfile) -> tuple[Instruction | None, list[str]]:
    """The instruction that names the command PM2 runs in (CMD, or ENTRYPOINT), and the whole
    command: ENTRYPOINT's words, then CMD's when ENTRYPOINT is in exec form."""
    entrypoint, cmd = dockerfile.start_instructions
    argv: list[str] = []
    if entrypoint is not None:
        argv = _words(entrypoint)
        if not entrypoint.json_form:
            return entrypoint, argv  # the shell form ignores CMD
    if cmd is not None:
        argv += _words(cmd)
    runtime = next((i for i in (cmd, entrypoint) if i is not None and _names_pm2(i)), None)
    return runtime, argv


def _words(instruction: Instruction) -> list[str]:
    words = command_argv(instruction)
    if len(words) == 3 and posixpath.basename(words[0]) in ("sh", "bash") and words[1] == "-c":
        words = shell_words(words[2])
    if words and words[0] == "exec":
        words = words[1:]
    return words


def _names_pm2(instruction: Instruction) -> bool:
    return _names_pm2_in(_words(instruction))


def _names_pm2_in(words: list[str]) -> bool:
    return any(posixpath.basename(word) in ("pm2", *PM2_RUNTIMES) for word in words)


def _options(words: list[str], cli: bool = False, ignored: dict[str, str] | None = None) -> dict:
    """The ecosystem keys the command line sets, and its script (`start` before it is optional):
    pm2-runtime's options, or with `cli` those of `pm2 start`. pm2-runtime ignores `pm2 start`'s
    other options: each one that names an app option goes into `ignored` (key → option)."""
    data: dict = {}
    ignored = {} if ignored is None else ignored
    if words and words[0] == "start":
        words = words[1:]
    index = 0
    while index < len(words):
        word = words[index]
        option, _, attached = word.partition("=") if word.startswith("--") else (word, "", "")
        cli_key = _CLI_VALUED_KEYS.get(option)
        if option in _VALUED or cli_key is not None:
            value = attached if attached else (words[index + 1] if index + 1 < len(words) else "")
            index += 1 if attached else 2
            key = _KEYS.get(option)
            if cli_key is not None and not cli:
                ignored[cli_key] = option  # pm2-runtime reads no such option
            elif cli_key is not None:
                data[cli_key] = int(value) if cli_key in _NUMBERS and value.isdigit() else value
            elif key == "instances":
                data[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
            elif key is not None:
                data[key] = value
            continue
        if option in _CLI_FLAGS:
            if cli:
                data[_CLI_FLAGS[option]] = True
            else:
                ignored[_CLI_FLAGS[option]] = option
        elif option == "--max-restarts":
            # An optional count: `--max-restarts 10`.
            following = words[index + 1] if index + 1 < len(words) else ""
            if attached or following.isdigit():
                count = attached or following
                index += 0 if attached else 1
                if cli:
                    data["max_restarts"] = int(count) if count.isdigit() else count
                else:
                    ignored["max_restarts"] = option
        elif option == "--no-autorestart":
            data["autorestart"] = False
        elif not word.startswith("-") and "script" not in data:
            data["script"] = word
        index += 1
    return data


def _at(instruction: Instruction, data: dict) -> Positions:
    """Every key of the app at the command's first line: there is no other place to show it."""
    positions = Positions()
    for path in (("apps",), ("apps", 0), *(("apps", 0, key) for key in data)):
        positions.set(path, VALUE, instruction.line, 1)
        positions.set(path, KEY, instruction.line, 1)
    positions.set(("apps", 0), END, instruction.end_line)
    return positions
