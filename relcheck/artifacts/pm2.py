"""PM2 apps as checks see them, with PM2's own defaults for absent keys."""

from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from relcheck.model import Location
from relcheck.syntax.jsvalues import UNKNOWN, JsObject
from relcheck.syntax.positions import Positions
from relcheck.units.numbers import ascii_int, finite_int

# PM2's defaults when a key is absent (lib/API/schema.json and Common.determineExecMode).
DEFAULT_KILL_TIMEOUT_MS = 1600
ALL_CPUS = "all"
_HEAP_FLAG = re.compile(r"--max[-_]old[-_]space[-_]size(?:=|\s+)([0-9]{1,9})(?![0-9])")
_MEMORY = re.compile(r"^\s*([0-9]{1,15}(?:\.[0-9]{1,9})?)\s*([kmg]?)b?\s*$", re.IGNORECASE)
# The interpreter PM2 picks for a script when none is given (lib/API/interpreter.json): Node.js for
# .js, Bun for .ts; bash, python, ruby, php or perl for theirs; a binary (a .jar, a compiled
# program) PM2 runs itself. Cluster mode, `wait_ready` (a `process.send('ready')`) and NODE_ENV
# are Node.js's (and Bun's).
_NODE_SCRIPTS = frozenset({".js", ".cjs", ".mjs", ".ts", ".tsx", ".mts", ".cts", ".coffee"})
_OTHER_SCRIPTS = frozenset({".sh", ".bash", ".py", ".rb", ".php", ".pl", ".jar", ".exe", ".bin"})
# Programs on PATH that are Node.js scripts themselves (`script: 'npm', args: 'start'`).
_NODE_PROGRAMS = frozenset({"node", "nodejs", "bun", "npm", "npx", "yarn", "pnpm", "ts-node", "tsx", "nest", "next"})

# The keys PM2 reads from an app (lib/API/schema.json, with their aliases). It ignores any other
# key without a word, so a misspelt one (`wate_ready`, camel-case `killTimeout`) leaves PM2's
# default in force.
PM2_OPTIONS = frozenset(
    {
        "append_env_to_name", "args", "automation", "autorestart", "autostart", "cron_restart", "cwd",
        "deep_monitoring", "disable_logs", "disable_source_map_support", "disable_trace", "env", "error_file",
        "event_loop_inspector", "exec_interpreter", "exec_mode", "execute_command", "exp_backoff_restart_delay",
        "filter_env", "force", "gid", "ignore_watch", "increment_var", "install_url", "instance_var", "instances",
        "io", "kill_retry_time", "kill_timeout", "listen_timeout", "log_date_format", "log_file", "log_type",
        "max_memory_restart", "max_restarts", "merge_logs", "min_uptime", "name", "name_prefix", "namespace",
        "node_args", "out_file", "pid_file", "pmx", "port", "post_update", "restart_delay", "script",
        "shutdown_with_message", "source_map_support", "stop_exit_codes", "time", "trace", "treekill", "uid",
        "username", "v8", "vizion", "wait_ready", "watch", "watch_delay", "watch_options", "windowsHide", "write",
        # aliases
        "combine_logs", "cron", "err", "err_file", "err_log", "error", "exec", "interpreter", "interpreterArgs",
        "interpreter_args", "log", "out", "out_log", "output", "pid", "user",
    }
)
_MISSPELT = 0.8  # difflib's ratio from which an unknown key reads as the option misspelt


@dataclass
class Pm2App:
    path: str
    data: dict
    positions: Positions
    keys: tuple  # where the app sits in its file, e.g. ("apps", 0)
    index: int
    # Started by a Dockerfile's command line (`pm2-runtime server.js`), with no ecosystem file:
    # `path` is the Dockerfile's, and there is no entry to edit (relcheck.parsers.pm2_command).
    from_command: bool = False
    # Options of `pm2 start` the command gives pm2-runtime, which reads none of them: app key → option.
    ignored_options: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The app's name as PM2 shows it: an unnamed app takes its script's file name without the
        extension (Common.renderApplicationName), else its place in the file."""
        name = self.data.get("name")
        if isinstance(name, str):
            return name
        script = self.data.get("script")
        base = posixpath.basename(script.rstrip("/")) if isinstance(script, str) else ""
        dot = base.rfind(".")
        return (base[:dot] if dot > 0 else base) or self._place

    @property
    def _place(self) -> str:
        return f"#{self.index + 1}"

    @property
    def identity(self) -> str:
        # By place when unnamed: two unnamed apps may run one script, and fingerprints stay stable.
        name = self.data.get("name")
        return f"pm2:{name if isinstance(name, str) else self._place}"

    @property
    def display(self) -> str:
        if self.from_command:
            return f"PM2 app '{self.name}' (started by the image's command, no ecosystem file)"
        return f"PM2 app '{self.name}'"

    # As a finding's subject (relcheck.scan.context.Subject): the app's lines; PM2 has no annotations.
    @property
    def scope(self) -> tuple[int, int] | None:
        return self.positions.span(self.keys)

    @property
    def ignore_source(self) -> str:
        return self.display

    def ignore_names(self) -> tuple[str, ...]:
        return ()

    @property
    def open(self) -> bool:
        """A spread or computed key may set keys we cannot see: absence proves nothing."""
        return isinstance(self.data, JsObject) and self.data.open

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def scheduled_job(self) -> bool:
        """A job PM2 runs on a schedule: `cron_restart` with `autorestart: false` (PM2's restart
        strategies: the script runs, exits and waits for the next cron start). It serves nothing,
        and staying down after it exits is what it is for."""
        return isinstance(self.data.get("cron_restart"), str) and self.data.get("autorestart") is False

    def node_env(self, block: str) -> Any:
        """NODE_ENV as an env block sets it: a value, None when unset, UNKNOWN when unreadable."""
        env = self.data.get(block)
        if env is UNKNOWN or (isinstance(env, dict) and getattr(env, "open", False)):
            return UNKNOWN
        return env.get("NODE_ENV") if isinstance(env, dict) else None

    def absent(self, key: str) -> bool:
        return key not in self.data and not self.open

    def misspelling_of(self, option: str) -> str | None:
        """A key of the app that PM2 does not read and that looks like `option` misspelt
        (`wate_ready`, `killTimeout`), or None."""
        wanted = option.replace("_", "")
        for key in self.data:
            if not isinstance(key, str) or key in PM2_OPTIONS or key.startswith("env_"):
                continue
            plain = key.replace("_", "").replace("-", "").lower()
            if plain == wanted or difflib.SequenceMatcher(None, plain, wanted).ratio() >= _MISSPELT:
                return key
        return None

    def loc(self, *keys: Any) -> Location:
        line, column = self.positions.of((*self.keys, *keys))
        return Location(self.path, line, column)

    def key_loc(self, *keys: Any) -> Location:
        """The key if present, else the app's `name` (or its first line)."""
        for probe in ((*self.keys, *keys), (*self.keys, "name")):
            if probe in self.positions.key_marks:
                line, column = self.positions.key_marks[probe]
                return Location(self.path, line, column)
        return self.loc()

    def instances(self) -> Any:
        """An int, ALL_CPUS for 'max'/0/-1, or UNKNOWN."""
        value = self.data.get("instances", 1)
        if isinstance(value, str) and ascii_int(value.strip().removeprefix("-")) is not None:
            value = int(value)
        if isinstance(value, bool) or value is UNKNOWN:
            return UNKNOWN
        if value == "max" or value in (0, -1):
            return ALL_CPUS
        return value if isinstance(value, int) and value > 0 else UNKNOWN

    def runs_node(self) -> Any:
        """True when PM2 runs the app with Node.js (or Bun), False for another interpreter or a
        binary (`interpreter: 'none'`, a `.py` script), UNKNOWN when the file cannot tell (a
        non-literal interpreter; a script without an extension, which may be a Node script like
        `bin/www` or a compiled program). A script that is not a literal (`path.join(__dirname,
        'dist/main.js')`) runs with PM2's default interpreter, Node.js."""
        interpreter = self.data.get("interpreter", self.data.get("exec_interpreter"))
        if interpreter is not None:
            if not isinstance(interpreter, str):
                return UNKNOWN
            name = posixpath.basename(interpreter.strip()).lower()
            return name.startswith(("node", "bun"))
        script = self.data.get("script")
        if not isinstance(script, str) or not script.strip():
            return True
        program = posixpath.basename(script.split()[0])
        extension = posixpath.splitext(program)[1].lower()
        if extension in _NODE_SCRIPTS or program in _NODE_PROGRAMS:
            return True
        if extension in _OTHER_SCRIPTS:
            return False
        return UNKNOWN

    def script_is_node(self) -> bool:
        """Whether the script is itself a Node.js program or script (`npx` with `args: 'next start'`,
        `server.js`), whatever PM2 starts it with: `interpreter: 'none'` runs it directly, and it is
        still Node.js that runs."""
        script = self.data.get("script")
        if not isinstance(script, str) or not script.strip():
            return False
        program = posixpath.basename(script.split()[0])
        return posixpath.splitext(program)[1].lower() in _NODE_SCRIPTS or program in _NODE_PROGRAMS

    def run_folder(self) -> str | None:
        """The folder PM2 runs the app in, relative to the scan root: the ecosystem file's, through
        `cwd` when it is a literal relative path; None when `cwd` is absolute or not a literal."""
        folder, cwd = posixpath.dirname(self.path), self.data.get("cwd")
        if cwd is None or cwd == "":
            return posixpath.normpath(folder) if folder else "."
        if not isinstance(cwd, str) or cwd.startswith(("/", "~", "$")):
            return None
        return posixpath.normpath(posixpath.join(folder, cwd))

    def script_path(self) -> str | None:
        """The script's repository path (through a relative `cwd`), when both are literal and relative."""
        folder, script = self.run_folder(), self.data.get("script")
        if folder is None or not isinstance(script, str) or not script.strip() or script.startswith(("/", "~", "$")):
            return None
        path = posixpath.normpath(posixpath.join(folder, script.split()[0]))
        return None if path.startswith("..") else path

    def exec_mode(self, node: Any = None) -> Any:
        """'cluster', 'fork' or UNKNOWN. PM2 picks cluster when `instances` is set and exec_mode is
        not, for a Node.js (or Bun) app (`node`, by default `runs_node()`); another interpreter runs
        in fork mode."""
        mode = self.data.get("exec_mode")
        if mode is None:
            if self.open:
                return UNKNOWN
            if "instances" not in self.data:
                return "fork"
            node = self.runs_node() if node is None else node
            return "cluster" if node is True else "fork" if node is False else UNKNOWN
        if not isinstance(mode, str):
            return UNKNOWN
        return "cluster" if mode.startswith("cluster") else "fork" if mode.startswith("fork") else UNKNOWN

    def heap_mib(self) -> tuple[int, tuple] | None:
        """`--max-old-space-size` (MiB) from node_args, interpreter_args or env NODE_OPTIONS, with its key."""
        for key in ("node_args", "interpreter_args"):
            found = _heap_in(self.data.get(key))
            if found is not None:
                return found, (key,)
        for env in ("env", "env_production"):
            block = self.data.get(env)
            if isinstance(block, dict):
                found = _heap_in(block.get("NODE_OPTIONS"))
                if found is not None:
                    return found, (env, "NODE_OPTIONS")
        return None


def _heap_in(value: Any) -> int | None:
    if isinstance(value, list):
        value = " ".join(v for v in value if isinstance(v, str))
    if not isinstance(value, str):
        return None
    match = _HEAP_FLAG.search(value)
    return int(match.group(1)) if match else None


def memory_bytes(value: Any) -> int | None:
    """`max_memory_restart` as bytes: a number of bytes, or '300K', '512M', '1G' (powers of 1024)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return finite_int(value)
    if not isinstance(value, str):
        return None
    match = _MEMORY.match(value)
    if not match:
        return None
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)
