"""A Dockerfile as checks see it: stages of instructions, with lines and resolved variables."""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from relcheck.model import Location
from relcheck.units.images import hub_repository

SHELL_SPLIT = re.compile(r"&&|\|\||;|\||\n")
# Folders of code generation and tool images: a Dockerfile there builds nothing that is deployed.
BUILD_ONLY_FOLDERS = frozenset({"genproto", "proto", "protos", "protobuf", "codegen", "generated", "hack"})
# Images that run a test suite: built and run by CI, never deployed; so are benchmarks' servers
# (nocobase's `benchmark/koa-database`: a Koa app to measure the framework against).
TEST_FOLDERS = frozenset(
    {"test", "tests", "__tests__", "e2e", "e2e-tests", "e2e_tests", "integration-tests", "integration_tests"}
    | {"integration-test", "integration_test", "integrationtest", "integrationtests"}
    | {"cypress", "playwright", "benchmark", "benchmarks"}
)


def named_for_tests(folders: list[str]) -> bool:
    """Whether a folder of the path is a test folder, also with the underscore that keeps a
    folder out of a package's or a site's files (Sentry self-hosted's `_integration-test/`)."""
    return any(folder in TEST_FOLDERS or folder.lstrip("_") in TEST_FOLDERS for folder in folders)


# A repository's tools (airbyte's `tools/openapi2jsonschema/`, loki's `tools/stream-generator/`):
# images a developer or a build runs. Not `scripts/`: openreplay keeps its production images there.
TOOL_FOLDERS = frozenset({"tools", "tooling"})
# CI configuration and development containers: a Dockerfile or package.json there is an action of
# the CI system or a developer's environment (a dev container, Cursor's agents' `.cursor/`), never deployed.
CI_FOLDERS = frozenset({".github", ".gitlab", ".circleci", ".buildkite", ".devcontainer", ".cursor"})
# Inits that run as PID 1, forward signals to the program and reap (catatonit: Podman's).
# `init`: s6-overlay's `/init` (and a distribution's `/sbin/init`); `my_init`: phusion's baseimage.
INIT_PROGRAMS = frozenset({"dumb-init", "tini", "tini-static", "docker-init", "catatonit", "init", "my_init"})
# PM2's container runtime (`pm2-docker` is its former name): it handles SIGTERM and SIGINT as PID 1.
PM2_RUNTIMES = frozenset({"pm2-runtime", "pm2-docker"})
# A test suite's image, by a word of a folder's or the file's name (`e2e.Dockerfile`; elastic's
# helm-charts' `helpers/helm-tester/`, which runs its charts' tests).
_TEST_IMAGE_NAME = re.compile(r"(?:^|[.-])(?:test|tests|tester|e2e|cypress|playwright)(?:[.-]|$)", re.I)
# By the file's name only (logto's `Dockerfile.integration`, its integration tests' image; overleaf's
# `Dockerfile.frontend.ci`, which CI runs the front end's tests in): a folder named `integration` may
# hold a service that integrates with something.
_INTEGRATION_IMAGE_NAME = re.compile(r"(?:^|[.-])(?:integration|ci)(?:[.-]|$)", re.I)
# A Dockerfile named for building (`builder-go.dockerfile`, `Dockerfile.build`): an image that other
# builds run or start FROM, never deployed.
# Also one named for generating code (unkey's `bpf/Dockerfile.gen`, the pinned toolchain its eBPF
# objects are generated in; `Dockerfile.codegen`, `generate.Dockerfile`): a build runs it.
_BUILD_IMAGE_NAME = re.compile(r"(?:^|[.-])(?:build|builder|gen|codegen|generate)(?:[.-]|$)", re.I)
# A Dockerfile named for development (`Dockerfile.dev`, `dev.Dockerfile`, Tilt's `Dockerfile.tilt`,
# `Dockerfile.local`): a developer's live-reload image, never deployed; or for debugging
# (unleash-edge's and fluent-operator's `Dockerfile.debug`: the service with a shell, curl and jq,
# run to look into a problem, beside the image that is deployed). The name only: a `dev/` folder may
# hold the production build (Wiki.js's `dev/build/Dockerfile`).
_DEV_IMAGE_NAME = re.compile(r"(?:^|[.-])(?:dev|development|local|tilt|debug)(?:[.-]|$)", re.I)
# A folder that holds a build or development environment's image (chaos-mesh's `images/build-env/`
# and `images/dev-env/`: a toolchain that `make` runs the build in; optimism's `ops/docker/ci-builder/`,
# the image its CI jobs run their steps in), never deployed.
_ENVIRONMENT_FOLDER = re.compile(
    r"^(?:(?:build|dev|development|ci|test)[-_]?env(?:ironment)?|ci[-_](?:builder|image|runner))$"
)
# A Dockerfile named as a base (`Dockerfile.base`, `base.Dockerfile`): with no command of its own,
# an image other Dockerfiles build FROM.
_BASE_IMAGE_NAME = re.compile(r"(?:^|[.-])base(?:[.-]|$)", re.I)
_CAMEL_CASE_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper-case: FROM, RUN, CMD, ...
    args: tuple[str, ...]  # as BuildKit splits them (exec form: the JSON array items)
    flags: tuple[str, ...]  # --from=builder, --interval=30s, ...
    json_form: bool
    original: str  # the instruction text, continuations joined
    line: int  # 1-based first line
    end_line: int
    sub_keyword: str | None = None  # ONBUILD RUN ... -> "RUN"
    heredocs: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """Arguments as one string (shell form command line)."""
        return " ".join(self.args)

    def flag(self, name: str) -> str | None:
        prefix = f"--{name}="
        for flag in self.flags:
            if flag.lower().startswith(prefix):
                return flag[len(prefix) :]
        return None


@dataclass
class Stage:
    index: int
    from_instruction: Instruction
    image: str  # as written, e.g. node:${NODE_VERSION}-alpine
    resolved_image: str | None  # after ARG substitution; None when a variable stays unknown
    alias: str | None
    instructions: list[Instruction] = field(default_factory=list)
    parent: Stage | None = None  # the stage this one is built FROM, if any

    @property
    def name(self) -> str:
        return self.alias or str(self.index)

    def chain(self) -> list[Stage]:
        """This stage and the stages it is built FROM, oldest first."""
        stages: list[Stage] = []
        node: Stage | None = self
        while node is not None and node not in stages:
            stages.append(node)
            node = node.parent
        return list(reversed(stages))

    def base_image(self) -> str | None:
        """The external image at the root of the chain (None if unresolved)."""
        return self.chain()[0].resolved_image


# Stage names of a CI or development step, and of the image that runs (a whole name, any case).
_STEP_STAGE = re.compile(
    r"^(?:(?:unit-?|integration-?|e2e-?)?tests?|testing|lint(?:er|ing)?|ci|checks?|dev|development|debug"
    r"|(?:upload|publish|export)(?:-[\w-]+)?|artifacts?)$",
    re.IGNORECASE,
)
_PRODUCT_STAGE = re.compile(r"^(?:release|production|prod|runtime|final)$", re.IGNORECASE)


@dataclass
class Dockerfile:
    path: str
    stages: list[Stage]
    global_args: dict[str, str | None]
    lines: list[str] = field(default_factory=list, repr=False)
    # The .dockerignore that applies to its build context (`<name>.dockerignore` beside it, else
    # the context's `.dockerignore`), found and parsed when the project is built; None: there is none.
    ignore_file: str | None = None
    # The folder it is most likely built from (relcheck.scan.project._build_context).
    build_context: str | None = None
    ignore_patterns: list = field(default_factory=list, repr=False)

    @property
    def context_folder(self) -> str:
        """The build context's folder: the one found for it, else the Dockerfile's own."""
        return posixpath.dirname(self.path) if self.build_context is None else self.build_context

    @cached_property
    def final(self) -> Stage | None:
        """The stage whose image runs: the last, unless it is named for a step of CI or development
        (`upload-artifact`, `test`, `lint`, `dev`), built only with `--target`, and an earlier stage is
        named for the image that runs (`release`, `production`, `runtime`): uptime-kuma's
        `docker/dockerfile` ends in an `upload-artifact` stage after `release`."""
        if not self.stages:
            return None
        last = self.stages[-1]
        if last.alias and _STEP_STAGE.match(last.alias):
            products = [s for s in self.stages[:-1] if s.alias and _PRODUCT_STAGE.match(s.alias)]
            if products:
                return products[-1]
        return last

    def spot(self, stage: Stage, instruction: Instruction) -> DockerfileSpot:
        """An instruction of a stage as a finding's subject."""
        return DockerfileSpot(self, stage, instruction)

    def final_instructions(self) -> list[Instruction]:
        """Instructions that build the final image, through the stages it is based on."""
        return list(self._final_instructions)

    @cached_property
    def final_env(self) -> dict[str, str]:
        """The final image's ENV values, the last one of a name winning."""
        found: dict[str, str] = {}
        for instruction in self._final_instructions:
            if instruction.keyword == "ENV":
                found.update(env_pairs(instruction))
        return found

    @cached_property
    def start_instructions(self) -> tuple[Instruction | None, Instruction | None]:
        """The last ENTRYPOINT and the last CMD of the final image (None where there is none)."""
        instructions = self._final_instructions
        entrypoint = next((i for i in reversed(instructions) if i.keyword == "ENTRYPOINT"), None)
        cmd = next((i for i in reversed(instructions) if i.keyword == "CMD"), None)
        return entrypoint, cmd

    @cached_property
    def start_command(self) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        """The argv of the last ENTRYPOINT and the last CMD of the final image (None where there
        is none): asked of every Dockerfile by several rules."""
        entrypoint, cmd = self.start_instructions
        return (
            tuple(command_argv(entrypoint)) if entrypoint is not None else None,
            tuple(command_argv(cmd)) if cmd is not None else None,
        )

    @cached_property
    def _final_instructions(self) -> tuple[Instruction, ...]:
        # Many rules ask; the stages do not change once parsed.
        final = self.final
        if final is None:
            return ()
        return tuple(ins for stage in final.chain() for ins in stage.instructions)


@dataclass(frozen=True)
class DockerfileSpot:
    """A finding's subject in a Dockerfile (relcheck.context.Subject): an instruction of a stage.
    Fingerprints name the stage, not the line; a suppression comment on the instruction's lines, or
    on the line above, applies; Dockerfiles have no annotations."""

    dockerfile: Dockerfile
    stage: Stage
    instruction: Instruction

    @property
    def identity(self) -> str:
        return f"stage:{self.stage.name}"

    @property
    def display(self) -> str:
        return f"stage '{self.stage.name}'"

    @property
    def scope(self) -> tuple[int, int]:
        return self.instruction.line, self.instruction.end_line

    @property
    def ignore_source(self) -> str:
        return self.display

    def ignore_names(self) -> tuple[str, ...]:
        return ()

    def key_loc(self, *keys: object) -> Location:
        """The whole instruction, continuation lines included."""
        return self.loc()

    def loc(self, *keys: object) -> Location:
        instruction, lines = self.instruction, self.dockerfile.lines
        last = lines[instruction.end_line - 1] if 0 < instruction.end_line <= len(lines) else ""
        return Location(self.dockerfile.path, instruction.line, 1, instruction.end_line, max(len(last), 1) + 1)


def substitute(text: str, variables: dict[str, str | None]) -> str | None:
    """Expand $VAR / ${VAR} / ${VAR:-default}; None when a variable is unknown."""
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group("braced") or match.group("plain")
        whole = match.group(0)
        value = variables.get(name)
        if value is None:
            default = re.match(r"\$\{[^:}-]+:?-([^}]*)\}", whole)
            if default:
                return default.group(1)
            unknown = True
            return whole
        return value

    result = _VAR.sub(replace, text)
    return None if unknown else result


# Images with no shell and no other program: `scratch`, Google's distroless (but its `:debug` tags,
# which carry BusyBox), Chainguard's static image.
SHELLLESS_IMAGE = re.compile(
    r"^(?:scratch|(?:gcr\.io|docker\.io)/distroless/[^:@]+|cgr\.dev/chainguard/static)(?:[:@](?!.*debug).*)?$"
)


SHELL_PROGRAMS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
# Programs that probes, preStop hooks and HEALTHCHECKs commonly run and that an image with no shell
# lacks too: a distroless image holds the app and its runtime only.
SHELLLESS_LACKS = SHELL_PROGRAMS | frozenset(
    {"sleep", "curl", "wget", "cat", "test", "ls", "grep", "nc", "pgrep", "pidof", "ps", "stat"}
)


def shellless_base(dockerfile: Dockerfile, added: tuple[str, ...] = ("/sh", "busybox")) -> str | None:
    """The final image's base when it has no shell (nor `sleep`, nor any other program), and
    nothing in the Dockerfile sets one (`SHELL`) or copies in one whose path holds a word of
    `added`: else None."""
    final = dockerfile.final
    base = ((final.base_image() if final is not None else None) or "").lower()
    if not SHELLLESS_IMAGE.match(base):
        return None
    for instruction in dockerfile.final_instructions():
        if instruction.keyword == "SHELL" or (
            instruction.keyword in ("COPY", "ADD") and any(word in arg for arg in instruction.args for word in added)
        ):
            return None
    return base


def env_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    """ENV/ARG key-value pairs. BuildKit hands ENV over as flat (key, value) pairs, ARG as `K=V` words."""
    keyword = instruction.keyword
    if keyword == "ENV":
        args = instruction.args
        return [(key, _unquote(value)) for key, value in zip(args[0::2], args[1::2], strict=False)]
    if keyword == "ARG":
        pairs = []
        for arg in instruction.args:
            key, sep, value = arg.partition("=")
            pairs.append((key, _unquote(value) if sep else ""))
        return pairs
    return []


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def command_argv(instruction: Instruction) -> list[str]:
    """The argv of CMD/ENTRYPOINT/RUN: the JSON array, or the shell line split into words."""
    if instruction.json_form:
        return list(instruction.args)
    return shell_words(instruction.text)


# Text shlex would treat differently from str.split(): quotes, escapes, whitespace that one of them
# does not count as whitespace, and anything outside ASCII.
_NOT_PLAIN_WORDS = re.compile(r"[\'\"\\\x0b\x0c\x1c-\x1f]|[^\x00-\x7f]")


def shell_words(text: str) -> list[str]:
    """A shell line's words as POSIX shlex splits them (most RUN lines need no shlex at all)."""
    if not _NOT_PLAIN_WORDS.search(text):
        return text.split()
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def shell_commands(text: str) -> list[list[str]]:
    """A shell line split on && || ; | and newlines into word lists (good enough for RUN lines)."""
    commands = []
    for part in SHELL_SPLIT.split(text):
        words = shell_words(part)
        if words:
            commands.append(words)
    return commands



# Programs that, started with no argument, run no application: a REPL or an interactive shell.
_BARE_PROGRAMS = frozenset(
    {"node", "nodejs", "python", "python3", "ruby", "irb", "php", "bun", "deno", "iex", "erl", "bash", "sh", "ash",
     "zsh", "pwsh", "jshell"}
)
# What runs before the command and hands over to it: init processes and entrypoint scripts.
_HANDS_OVER = frozenset({"tini", "dumb-init", "--", "-g", "-s"})


def _once_per_dockerfile(judge: Callable[[Dockerfile], bool]) -> Callable[[Dockerfile], bool]:
    """Each rule on Dockerfiles asks whether one is a base or a development image: judged once."""
    name = f"_{judge.__name__}"

    def judged(dockerfile: Dockerfile) -> bool:
        if name not in dockerfile.__dict__:
            dockerfile.__dict__[name] = judge(dockerfile)
        return dockerfile.__dict__[name]

    judged.__doc__, judged.__name__ = judge.__doc__, judge.__name__
    return judged


@_once_per_dockerfile
def is_base_image(dockerfile: Dockerfile) -> bool:
    """An image made to be built FROM, not run: its command is a bare interpreter or shell
    (`ENTRYPOINT ["docker-entrypoint.sh"]` + `CMD ["node"]`, `CMD ["python3"]`), which starts a
    REPL, not an application; or it is named as a base (`Dockerfile.base`, outline's dependencies
    and build, which its Dockerfile copies from; `base/Dockerfile`, `base-java/Dockerfile`) and
    sets no command, or only an init with nothing to start (docker-jitsi-meet's `base/`:
    `ENTRYPOINT ["/init"]`, s6-overlay's, for the images built FROM it to add their services). The
    image built from it sets the command that runs."""
    entrypoint, cmd = dockerfile.start_command
    named = _BASE_IMAGE_NAME.search(posixpath.basename(dockerfile.path))
    # Or in a folder named as a base (strimzi's `docker-images/base/`, docker-jitsi-meet's
    # `base-java/`, which its other images build FROM).
    in_base_folder = _BASE_IMAGE_NAME.search(posixpath.basename(posixpath.dirname(dockerfile.path)))
    words = [*(entrypoint or ()), *(cmd or ())]
    if (named or in_base_folder) and all(
        posixpath.basename(word) in INIT_PROGRAMS or word in _HANDS_OVER for word in words
    ):
        return True
    while words and (
        posixpath.basename(words[0]) in _HANDS_OVER or words[0].endswith(".sh") or "entrypoint" in words[0].lower()
    ):
        words = words[1:]
    return len(words) == 1 and posixpath.basename(words[0]) in _BARE_PROGRAMS


def _past_hand_over(words: list[str]) -> list[str]:
    """A command's words past an init that hands over to what follows (`tini --`, `dumb-init`)."""
    while words and posixpath.basename(words[0]) in _HANDS_OVER:
        words = words[1:]
    return words


def _start_words(dockerfile: Dockerfile) -> list[str]:
    """The words of the final image's ENTRYPOINT and CMD, past an init that hands over."""
    entrypoint, cmd = dockerfile.start_command
    return _past_hand_over([*(entrypoint or ()), *(cmd or ())])


# Commands that only keep a container alive for someone to exec into.
_IDLE_COMMANDS = (["tail", "-f", "/dev/null"], ["sleep", "infinity"], ["sleep", "inf"])


@_once_per_dockerfile
def is_idle_image(dockerfile: Dockerfile) -> bool:
    """A development container: its command only keeps the container alive (`tail -f /dev/null`,
    `sleep infinity`) for a developer to exec into and start the app by hand (Wiki.js's
    `dev/containers/Dockerfile`). It never serves, so the rules about a service's image do not apply."""
    words = _start_words(dockerfile)
    if len(words) == 3 and posixpath.basename(words[0]) in ("sh", "bash") and words[1] == "-c":
        words = shell_words(words[2])
    return bool(words) and [posixpath.basename(words[0]), *words[1:]] in _IDLE_COMMANDS


# Command-line programs that do one job and exit: an image whose ENTRYPOINT is one is a tool that
# scripts and CI jobs run (`docker compose run --rm jq ...`), not a service.
_ONE_SHOT_PROGRAMS = frozenset(
    {"jq", "yq", "curl", "wget", "envsubst", "git", "kubectl", "helm", "kustomize", "terraform", "tofu"}
    | {"aws", "gcloud", "gsutil", "az", "openssl", "rsync", "mc", "s3cmd"}
    # A build or test target (skipper's fuzzing image: `ENTRYPOINT ["/usr/bin/make", "fuzz"]`), and
    # load generators that fire their requests and print a report (ApacheBench, hey).
    | {"make", "ab", "hey"}
    # Linters and checkers a repository's CI runs in an image of their own (VictoriaMetrics'
    # helm-charts `codespell/Dockerfile`: `ENTRYPOINT ["codespell"]`).
    | {"codespell", "shellcheck", "hadolint", "yamllint", "markdownlint", "markdownlint-cli2", "helm-docs"}
    | {"kubeconform", "kubeval", "ct", "pre-commit"}
    # Prose and code linters (grafana's k8s-monitoring-helm `scripts/textlint/`: `ENTRYPOINT ["textlint"]`).
    | {"textlint", "vale", "cspell", "lychee", "markdown-link-check", "actionlint", "eslint", "prettier"}
    # Schema migration tools: they apply the migrations and exit (trigger.dev's ClickHouse image,
    # `CMD ["goose", "up"]`, run before the services start).
    | {"goose", "migrate", "dbmate", "flyway", "liquibase", "atlas", "alembic", "sqitch"}
)


# A command-line interface's image, by the file's name (vcluster's `Dockerfile.cli`, testkube's
# `cli.Dockerfile`) or its folder's (linkerd's `cli/`, tempo's `cmd/tempo-cli/`).
_CLI_IMAGE_NAME = re.compile(r"(?:^|[.-])cli(?:[.-]|$)", re.I)
_CLI_FOLDER = re.compile(r"^(?:.+[-_])?cli$", re.I)


@_once_per_dockerfile
def is_command_image(dockerfile: Dockerfile) -> bool:
    """An image of a command-line program, and it exposes no port: its ENTRYPOINT (past an init),
    or CMD where it sets none, runs one that does one job and exits (getsentry/self-hosted's
    `jq/Dockerfile`, `ENTRYPOINT ["jq"]`, which its install scripts run), or it is named for a
    command-line interface
    (vcluster's `Dockerfile.cli`, `CMD /usr/local/bin/vcluster`; tempo's `cmd/tempo-cli/`).
    Operators and scripts run it for one command; nothing deploys it as a service."""
    if any(instruction.keyword == "EXPOSE" for instruction in dockerfile.final_instructions()):
        return False
    *folders, name = dockerfile.path.split("/")
    if _CLI_IMAGE_NAME.search(name) or (folders and _CLI_FOLDER.match(folders[-1])):
        return True
    entrypoint, cmd = dockerfile.start_command
    # The program that runs: the ENTRYPOINT's, else CMD's (`CMD ["goose", "up"]`).
    words = _past_hand_over(list(entrypoint if entrypoint is not None else cmd or ()))
    return bool(words) and (posixpath.basename(words[0]) in _ONE_SHOT_PROGRAMS or _runs_migrations(words))


# A package script named for migrations and nothing else (`migrate`, `db:migrate`, `migrate:deploy`;
# not `migrate:start` or `start:migrate`, which may go on to serve).
_MIGRATION_SCRIPT = re.compile(
    r"^(?:(?:db|prisma|typeorm|knex|sequelize|drizzle):)?migrat(?:e|ions?)(?::(?:deploy|up|latest|run|prod))?$", re.I
)
# How a command runs a package's script: `npm run X`, `yarn X`, `pnpm X`, `bun run X`, `deno task X`.
_SCRIPT_RUNNERS = {"npm": ("run", "run-script"), "yarn": ("run",), "pnpm": ("run",), "bun": ("run",), "deno": ("task",)}
# Runners that take a script's name alone (`yarn build`), and npm's own shorthands (`npm start`).
_SHORTHAND_RUNNERS = frozenset({"yarn", "pnpm", "bun"})
_NPM_SHORTHANDS = frozenset({"start", "stop", "restart", "test"})


def package_scripts(words: list[str]) -> list[str]:
    """The package scripts a command's words run, in order (`yarn install && yarn generate` gives
    install and generate: which are scripts, the package.json tells)."""
    found: list[str] = []
    for index, word in enumerate(words[:-1]):
        runner = posixpath.basename(word)
        verbs = _SCRIPT_RUNNERS.get(runner)
        if verbs is None:
            continue
        name = words[index + 1]
        if name in verbs:
            found += words[index + 2 : index + 3]
        elif runner in _SHORTHAND_RUNNERS or (runner == "npm" and name in _NPM_SHORTHANDS):
            found.append(name)
    return found


def _runs_migrations(words: list[str]) -> bool:
    """Whether the command runs a package script that applies migrations and exits (openstatus's
    database image: `ENTRYPOINT ["deno", "task", "migrate"]`)."""
    if posixpath.basename(words[0]) not in _SCRIPT_RUNNERS:
        return False
    scripts = package_scripts(words)
    return bool(scripts) and bool(_MIGRATION_SCRIPT.match(scripts[0]))


@_once_per_dockerfile
def runs_no_service(dockerfile: Dockerfile) -> bool:
    """An image that runs no service: a base to build FROM, a development container, an image that
    only holds another stage's output, an operator's bundle of manifests or a mobile app's package,
    a command-line tool's image, a developer's workstation or mail catcher, or a cloud marketplace's
    deployer."""
    return (
        is_base_image(dockerfile)
        or is_idle_image(dockerfile)
        or is_artifact_image(dockerfile)
        or is_bundle_image(dockerfile)
        or is_command_image(dockerfile)
        or is_device_package_image(dockerfile)
        or is_workstation_image(dockerfile)
        or is_mail_catcher_image(dockerfile)
        or is_marketplace_tool_image(dockerfile)
    )


# SMTP servers that catch a development environment's mail and show it in a web page: never deployed
# as a service (MailDev, MailHog, Mailpit, MailCatcher, smtp4dev).
_MAIL_CATCHERS = frozenset({"maildev", "mailhog", "mailpit", "mailcatcher", "smtp4dev"})


def is_mail_catcher_image(dockerfile: Dockerfile) -> bool:
    """An image that runs a development mail catcher (brocoders' nestjs-boilerplate's
    `maildev.Dockerfile`: `RUN npm i -g maildev`, `CMD maildev`), the program its command starts."""
    words = _start_words(dockerfile)
    if len(words) >= 3 and posixpath.basename(words[0]) in ("sh", "bash") and words[1] == "-c":
        words = shell_words(words[2])
    return bool(words) and posixpath.basename(words[0]).lower() in _MAIL_CATCHERS


# Google Cloud Marketplace's tools: the deployer images an app's deployer builds on (a Job that
# installs the app's chart) and the test runner of its tests.
_MARKETPLACE_TOOLS = re.compile(r"^(?:gcr\.io|marketplace\.gcr\.io)/cloud-marketplace-tools/")


def is_marketplace_tool_image(dockerfile: Dockerfile) -> bool:
    """A Google Cloud Marketplace app's deployer or tester (percona-helm-charts' `gcp-marketplace/*/deployer`,
    `FROM gcr.io/cloud-marketplace-tools/k8s/deployer_helm`): it installs or tests the app once."""
    return bool(_MARKETPLACE_TOOLS.match(_written_base(dockerfile)))


def _written_base(dockerfile: Dockerfile) -> str:
    """The image the final stage builds on, as written and in lower case (its tag may be an ARG that
    stays unknown); "" when the final stage builds on another stage."""
    final = dockerfile.final
    if final is None or final.parent is not None:
        return ""
    return final.chain()[0].image.lower()


# The images development environments are built on: Dev Containers', Gitpod's workspaces, Google
# Cloud Workstations' predefined images (Sentry self-hosted's `workstation/postinstall/Dockerfile`).
_WORKSTATION_IMAGE = re.compile(
    r"^(?:mcr\.microsoft\.com/(?:vscode/)?devcontainers/|gitpod/workspace-|[^/]+/cloud-workstations-images/)"
)


def is_workstation_image(dockerfile: Dockerfile) -> bool:
    """A developer's environment: the final stage builds on a development environment's image. A
    developer works in it; nothing deploys it as a service."""
    return bool(_WORKSTATION_IMAGE.match(_written_base(dockerfile)))


# Packages that phones install; no kernel runs one as a program.
_DEVICE_PACKAGES = (".apk", ".aab", ".ipa")


def is_device_package_image(dockerfile: Dockerfile) -> bool:
    """An image that carries a mobile app's package out of its build (the OpenTelemetry demo's
    `android.Dockerfile`: `FROM scratch`, the APK copied from the build stage, and the APK as its
    ENTRYPOINT, which no container could start): the build is exported, not run."""
    final = dockerfile.final
    if final is None or final.parent is not None or (final.base_image() or "").lower() != "scratch":
        return False
    entrypoint, cmd = dockerfile.start_command
    command = entrypoint or cmd
    if not command or not command[0].lower().endswith(_DEVICE_PACKAGES):
        return False
    return all(i.keyword in _FILE_HOLDING or i.keyword in ("ENTRYPOINT", "CMD") for i in final.instructions)


# The label every Operator Lifecycle Manager bundle image carries (operator-sdk's `bundle.Dockerfile`).
_BUNDLE_LABEL = "operators.operatorframework.io.bundle.mediatype.v1"


def is_bundle_image(dockerfile: Dockerfile) -> bool:
    """An Operator Lifecycle Manager bundle: `FROM scratch`, the bundle's labels and a COPY of its
    manifests and metadata, no command. OLM reads its files; nothing runs in it (loki's and
    every operator-sdk project's `bundle.Dockerfile`)."""
    final = dockerfile.final
    if final is None or final.parent is not None or dockerfile.start_instructions != (None, None):
        return False
    if (final.base_image() or "").lower() != "scratch":
        return False
    instructions = final.instructions
    labelled = any(i.keyword == "LABEL" and _BUNDLE_LABEL in i.text for i in instructions)
    return labelled and all(i.keyword in _FILE_HOLDING for i in instructions)


def runs_a_service(dockerfile: Dockerfile) -> bool:
    """An image that is deployed to run a service: not a tool's, a test suite's or a developer's
    image (is_tool_image, by its path), nor one that runs no service (runs_no_service)."""
    return not is_tool_image(dockerfile.path) and not runs_no_service(dockerfile)


# Plain operating-system images: their own command is a shell, which exits at once without a terminal.
_OS_IMAGES = frozenset(
    {"debian", "ubuntu", "alpine", "busybox", "centos", "fedora", "rockylinux", "almalinux", "amazonlinux"}
    | {"oraclelinux", "opensuse/leap", "redhat/ubi8", "redhat/ubi9", "archlinux"}
)
# What an image that only holds files is made of, beside the COPY of another stage's output.
_FILE_HOLDING = frozenset({"COPY", "ADD", "WORKDIR", "ENV", "ARG", "LABEL"})


def is_artifact_image(dockerfile: Dockerfile) -> bool:
    """An image that only holds what an earlier stage built or a download, to be exported or copied
    from (ever-gauzy's desktop apps: `FROM debian:buster-slim`, then `COPY --from=linux
    .../desktop-packages`; OpenTelemetry's auto-instrumentation images, whose files an init
    container copies into the pod: `ADD https://.../opentelemetry-javaagent.jar` on busybox): its
    final stage on a plain operating-system image sets no ENTRYPOINT, no CMD or one that prints and
    exits (`cat`, `echo`), brings in another stage's output or a download, and runs nothing but
    file moves (`chmod`, `cp`, `ln`...). Started, it would run the image's shell, which exits."""
    final = dockerfile.final
    if final is None or final.parent is not None:
        return False
    entrypoint, cmd = dockerfile.start_command
    if entrypoint is not None or (cmd is not None and (not cmd or posixpath.basename(cmd[0]) not in _PRINTS_AND_EXITS)):
        return False
    if hub_repository(final.resolved_image or "") not in _OS_IMAGES:
        return False
    delivered = any(
        (i.keyword == "COPY" and any(f.startswith("--from=") for f in i.flags))
        or (i.keyword == "ADD" and any(a.startswith(("http://", "https://")) for a in i.args))
        for i in final.instructions
    )
    return delivered and all(_only_holds_files(i) for i in final.instructions)


# Programs a stage that only holds files may run: they move and mark files, and start nothing.
_FILE_COMMANDS = frozenset({"chmod", "chown", "chgrp", "mkdir", "cp", "ln", "rm", "mv", "touch"})
# A CMD that prints a line and exits: the image is not meant to be run (`CMD ["cat", "Just
# delivering the Opentelemetry Apache/Nginx agent"]`).
_PRINTS_AND_EXITS = frozenset({"cat", "echo", "true"})


def _only_holds_files(instruction: Instruction) -> bool:
    if instruction.keyword in _FILE_HOLDING or instruction.keyword == "CMD":
        return True
    if instruction.keyword != "RUN":
        return False
    commands = shell_commands(" ".join(instruction.args) if instruction.json_form else instruction.text)
    return bool(commands) and all(c and posixpath.basename(c[0]) in _FILE_COMMANDS for c in commands)


@lru_cache(maxsize=8192)  # asked about each Dockerfile by every rule and by service discovery
def is_tool_image(path: str) -> bool:
    """A Dockerfile of an image that runs a tool or a test suite, not a service: in a code
    generation or tools folder (`genproto/Dockerfile`, `tools/openapi2jsonschema/Dockerfile`), a
    test folder (`test/telemetry/Dockerfile`) or a CI folder (`.github/actions/docs/Dockerfile`,
    `.devcontainer/Dockerfile`), Gitpod's `.gitpod.Dockerfile`, or named for tests
    (`Dockerfile.cypress`, `Dockerfile.integration`, `e2e.Dockerfile`,
    `images/e2e-test-echo/rootfs/Dockerfile`), for building (`builder-go.dockerfile`,
    `Dockerfile.build`) or for generating code (`Dockerfile.gen`), or for development
    (`Dockerfile.dev`, `Dockerfile.tilt`), or in a build or development environment's folder
    (`images/build-env/Dockerfile`)."""
    *folders, _ = path.lower().split("/")
    # Words of a CamelCase name apart (dockge's `BuildHealthCheck.Dockerfile` builds a health check).
    name = _CAMEL_CASE_WORD.sub("-", path.rsplit("/", 1)[-1]).lower()
    if set(folders) & (BUILD_ONLY_FOLDERS | CI_FOLDERS | TOOL_FOLDERS) or named_for_tests(folders):
        return True
    if name.startswith(".gitpod."):
        return True  # `.gitpod.Dockerfile`: a cloud development environment's image
    if _BUILD_IMAGE_NAME.search(name) or _DEV_IMAGE_NAME.search(name) or _INTEGRATION_IMAGE_NAME.search(name):
        return True
    if any(_ENVIRONMENT_FOLDER.match(folder) for folder in folders):
        return True
    return any(_TEST_IMAGE_NAME.search(part) for part in (*folders, name))
