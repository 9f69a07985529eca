"""Which runtime a service speaks: Node rules (signal handlers in source, NODE_ENV, heap size, the
event-loop alert) apply to Node services only, not to a Go, Java, Python or .NET service that
happens to carry a package.json for its front-end tooling.

Evidence, strongest first: what the service's Dockerfile runs as its final command, the final
stage's base image, a build stage's toolchain image (but a final image with no interpreter that
runs a file copied from a Node or Python stage runs a compiled program: `native`); a PM2 file
(an image or a service that PM2 starts speaks what PM2 runs: Python for a Flask app under
`pm2-runtime`); then the build files in the service's folder (go.mod, pom.xml, *.csproj, mix.exs,
Gemfile, composer.json, pyproject.toml/requirements*.txt, package.json). None when nothing tells. A final stage on a web
server's image (nginx, httpd, Caddy), or whose command is a static file server (`http-server`,
`npx serve`), serves files: its JavaScript runs in browsers, so it is `web-server`, even when an
earlier stage builds the bundle with Node. A package.json of a static
site generator or a browser app (Astro without a server adapter, Gatsby, Create React App, React
without a server framework...), or whose `start` runs a bundler (`webpack --watch`), with no image
or PM2 file to say otherwise is `static-site`, and so is a package with no image, PM2 app or
workload of its own that another runtime's image builds in a Node stage and copies the output of
(mealie's Nuxt front end: `yarn generate` in a build stage, its `dist/` served by the Python
image; relcheck.scan.services). An image
built on a data store (FROM mongo, mysql, redis...) is `data-store`: the JavaScript it copies is for
the store's shell (`/docker-entrypoint-initdb.d/*.js`), not a Node service. A package with a
wrangler config (`wrangler.toml`, `wrangler.json`, `wrangler.jsonc`) in its folder and no image is a
Cloudflare Worker, `cloudflare-worker`: workerd runs its code, not Node.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from relcheck.artifacts.app import PM2_SHUTDOWN_MESSAGE, SERVER_FRAMEWORKS

if TYPE_CHECKING:
    from relcheck.artifacts.dockerfile import Dockerfile
    from relcheck.artifacts.pm2 import Pm2App
    from relcheck.scan.services import Service

NODE = "node"
GO = "go"
JAVA = "java"
PYTHON = "python"
DOTNET = "dotnet"
RUBY = "ruby"
ELIXIR = "elixir"
RUST = "rust"
PHP = "php"
# A program built in an earlier stage and run by a final image with no interpreter: compiled, in
# a language the image does not tell (uptime-kuma's push client, a Go binary a Node stage installs).
NATIVE = "native"
# Runtimes whose programs need their interpreter in the final image.
_INTERPRETED = frozenset({NODE, PYTHON, RUBY, PHP})
# A web server that serves files (a browser bundle built in an earlier stage): no application runtime.
WEB_SERVER = "web-server"
# A static site generator's project: its JavaScript runs at build time and in browsers.
STATIC_SITE = "static-site"
# A database or broker image (FROM mongo): JavaScript beside it is for its shell (init scripts).
DATA_STORE = "data-store"
# A Cloudflare Worker (a wrangler config beside its code, no image): its code runs in workerd's
# isolates, which have no process to signal, no port of its own to listen on and no Prometheus
# to scrape it.
EDGE_WORKER = "cloudflare-worker"
WRANGLER_CONFIGS = frozenset({"wrangler.toml", "wrangler.json", "wrangler.jsonc"})
# Generators whose output is files, and the toolchains of browser apps (Create React App, Vue CLI,
# Angular): static unless a server framework or adapter is a dependency too.
STATIC_GENERATORS = (
    "astro", "gatsby", "@docusaurus/core", "vitepress", "vuepress", "@11ty/eleventy", "hexo",
    "react-scripts", "@vue/cli-service", "@angular/core",
)
# UI frameworks, and the servers that would make a package that uses one more than a browser app.
UI_FRAMEWORKS = ("react", "vue", "svelte", "preact", "solid-js")

_PROGRAMS = {
    NODE: ("node", "nodejs", "npm", "npx", "yarn", "pnpm", "pm2", "pm2-runtime", "pm2-docker", "bun", "deno"),
    JAVA: ("java",),
    PYTHON: ("python", "python3", "gunicorn", "uvicorn", "celery", "flask", "django-admin", "hypercorn", "daphne"),
    DOTNET: ("dotnet",),
    RUBY: ("ruby", "bundle", "rails", "puma", "rackup"),
    ELIXIR: ("mix", "elixir", "iex"),
    PHP: ("php", "php-fpm", "apache2-foreground", "frankenphp"),
    WEB_SERVER: ("nginx", "httpd", "caddy", "openresty", "lighttpd"),
}
# An image's repository (last path segment, or a well-known full name) to a runtime.
# Red Hat's images carry the version in the name (`ubi9/nodejs-20-minimal`, `ubi10/nginx-126`).
_VERSIONED = r"(?:-[\d.]+)?(?:-minimal)?$"
_IMAGES = (
    (re.compile(rf"(^|/)(node|nodejs|bun|deno){_VERSIONED}"), NODE),
    (re.compile(r"(^|/)(golang|go|go-toolset)$"), GO),
    (re.compile(rf"(^|/)(python|pypy){_VERSIONED}"), PYTHON),
    (re.compile(r"(^|/)(eclipse-temurin|openjdk|amazoncorretto|ibmjava|maven|gradle|sapmachine|java)$|jre|jdk"), JAVA),
    (re.compile(r"mcr\.microsoft\.com/dotnet/"), DOTNET),
    (re.compile(rf"(^|/)ruby{_VERSIONED}"), RUBY),
    (re.compile(r"(^|/)elixir$"), ELIXIR),
    (re.compile(r"(^|/)rust$"), RUST),
    (re.compile(rf"(^|/)(php|composer|frankenphp){_VERSIONED}"), PHP),
    (re.compile(rf"(^|/)(nginx|nginx-unprivileged|httpd|caddy|openresty|lighttpd){_VERSIONED}"), WEB_SERVER),
)
# Build files in the service's folder; package.json last, as a Go or Java service often has one
# for its front-end tooling.
_BUILD_FILES = (
    # Or a Go command's `main.go` (jaeger's `cmd/jaeger/`, under the repository's one go.mod).
    (lambda name: name in ("go.mod", "main.go"), GO),
    (lambda name: name in ("pom.xml", "build.gradle", "build.gradle.kts"), JAVA),
    (lambda name: name.endswith((".csproj", ".fsproj")), DOTNET),
    (lambda name: name == "mix.exs", ELIXIR),
    (lambda name: name == "Gemfile", RUBY),
    (lambda name: name == "Cargo.toml", RUST),
    (lambda name: name == "composer.json", PHP),
    (lambda name: name in ("pyproject.toml", "setup.py", "Pipfile") or name.startswith("requirements"), PYTHON),
    (lambda name: name == "package.json", NODE),
)


def image_runtime(image: str | None) -> str | None:
    if not image:
        return None
    from relcheck.units.images import data_store, image_reference

    repository = image_reference(image)[0].lower()
    for pattern, runtime in _IMAGES:
        if pattern.search(repository):
            return runtime
    return DATA_STORE if data_store(image) else None


def dockerfile_runtime(dockerfile: Dockerfile) -> str | None:
    """What the image runs: its final command's program, else its final base image, else the
    toolchain of a stage it is built from (a Go binary copied into scratch or distroless)."""
    from relcheck.artifacts.dockerfile import command_argv

    final = dockerfile.final
    if final is None:
        return None
    for instruction in reversed(dockerfile.final_instructions()):
        if instruction.keyword in ("ENTRYPOINT", "CMD") and instruction.args:
            words = command_argv(instruction)[:4]
            if static_file_server(words):
                return WEB_SERVER  # `npx http-server dist`: Node serves files, it runs none of them
            for word in words:
                program = posixpath.basename(word)
                for runtime, programs in _PROGRAMS.items():
                    if program in programs:
                        return runtime
            break
    found = image_runtime(final.base_image())
    if found is not None:
        return found
    for stage in reversed(dockerfile.stages[:-1]):
        found = image_runtime(stage.resolved_image)
        if found is not None:
            # A Go stage's binary runs anywhere; a Node stage's script needs node in the final image,
            # so a copied file the image runs directly is a compiled program.
            return NATIVE if found in _INTERPRETED and _runs_a_copied_file(dockerfile) else found
    return None


def _runs_a_copied_file(dockerfile: Dockerfile) -> bool:
    """Whether the final image's command runs a binary copied from another stage (`COPY --from=build
    /home/kuma/uptime-kuma-push ./` with `ENTRYPOINT ["/home/kuma/uptime-kuma-push"]`)."""
    from relcheck.artifacts.dockerfile import command_argv

    entrypoint, cmd = dockerfile.start_instructions
    start = entrypoint or cmd
    argv = command_argv(start) if start is not None else []
    if not argv or dockerfile.final is None:
        return False
    program = posixpath.basename(argv[0])
    if "." in program:
        return False  # a script (`start.sh`, `server.js`) that may run the interpreter, not a binary
    copies = [i for i in dockerfile.final.instructions if i.keyword == "COPY"]
    return any(
        any(flag.startswith("--from=") for flag in copy.flags)
        and program in {posixpath.basename(arg.rstrip("/")) for arg in copy.args}
        for copy in copies
    )


# The programs of those packages, run directly or through a package runner.
_STATIC_SERVER_PROGRAMS = ("http-server", "serve", "sirv", "live-server")
_PACKAGE_RUNNERS = ("npx", "pnpx", "bunx")


def static_file_server(words: list[str]) -> bool:
    """Whether a command starts a static file server (`http-server`, `npx -y serve -s build`,
    `pnpm exec sirv`; not `yarn serve`, which runs the package.json script of that name)."""
    return first_program(words) in _STATIC_SERVER_PROGRAMS


def service_runtime(service: Service) -> str | None:
    from relcheck.artifacts.dockerfile import is_tool_image, runs_no_service

    def rank(dockerfile: Dockerfile) -> tuple[bool, int, str]:
        # The image that runs the service first, then the base it is built from (or a tool's image).
        aside = runs_no_service(dockerfile)
        return aside, dockerfile.path.count("/"), dockerfile.path

    # A builder's or a tool's image (uptime-kuma's Go `builder-go.dockerfile`, which compiles a
    # health check; wekan's `.gitpod.Dockerfile` on a MongoDB workspace image) only when it is all there is.
    images = [d for d in service.dockerfiles if not is_tool_image(d.path)] or service.dockerfiles
    for dockerfile in sorted(images, key=rank):
        found = dockerfile_runtime(dockerfile)
        if found == NODE and starts_pm2(dockerfile):
            found = pm2_apps_runtime(service.pm2_apps) or found  # PM2 is Node; what it runs may not be
        if found is not None:
            return found
    root = service.root if not service.root.startswith("@") else ""
    near = [p for p in service.files if posixpath.dirname(p) == root or posixpath.dirname(posixpath.dirname(p)) == root]
    if not images and any(posixpath.dirname(p) == root and posixpath.basename(p) in WRANGLER_CONFIGS for p in near):
        return EDGE_WORKER  # (under PM2 too: it runs `wrangler dev`, which runs the code in workerd)
    if service.pm2_apps:
        return pm2_apps_runtime(service.pm2_apps) or NODE
    names = {posixpath.basename(p) for p in near}
    for matches, runtime in _BUILD_FILES:
        if any(matches(name) for name in names):
            return runtime
    return None


def starts_pm2(dockerfile: Dockerfile) -> bool:
    """Whether the image's command runs PM2 (`pm2-runtime ecosystem.config.js`)."""
    from relcheck.artifacts.dockerfile import command_argv

    entrypoint, cmd = dockerfile.start_instructions
    return any(
        instruction is not None and _names_pm2(command_argv(instruction)[:3]) for instruction in (entrypoint, cmd)
    )


# What PM2 runs an app with, when it is not Node.js: its interpreter, else its script's extension.
_INTERPRETER_RUNTIMES = (("python", PYTHON), ("pypy", PYTHON), ("ruby", RUBY), ("php", PHP), ("java", JAVA))
_SCRIPT_RUNTIMES = {".py": PYTHON, ".rb": RUBY, ".php": PHP, ".jar": JAVA, ".exe": NATIVE, ".bin": NATIVE}


def pm2_apps_runtime(apps: list[Pm2App]) -> str | None:
    """The runtime of the programs PM2 runs, where none of them is Node.js and each one tells
    (`interpreter: 'python3'`, `script: 'app.py'`, `interpreter: 'none'` for a binary), else None:
    PM2 itself is a Node.js program, but a Flask app it supervises speaks Python, so Node rules
    (signal handlers in its JavaScript, NODE_ENV) say nothing of it."""
    runtimes = [_pm2_app_runtime(app) for app in apps]
    if not runtimes or any(runtime is None or runtime == NODE for runtime in runtimes):
        return None
    return runtimes[0]


def _pm2_app_runtime(app: Pm2App) -> str | None:
    node = app.runs_node()
    if node is True or app.script_is_node():
        return NODE  # (`script: 'npx', args: 'next start'` with `interpreter: 'none'` runs Node too)
    if node is not False:
        return None  # it cannot tell (a script without an extension, a computed interpreter)
    interpreter = app.data.get("interpreter", app.data.get("exec_interpreter"))
    name = posixpath.basename(interpreter.strip()).lower() if isinstance(interpreter, str) else ""
    for prefix, runtime in _INTERPRETER_RUNTIMES:
        if name.startswith(prefix):
            return runtime
    script = app.data.get("script")
    program = posixpath.basename(script.split()[0]) if isinstance(script, str) and script.strip() else ""
    found = _SCRIPT_RUNTIMES.get(posixpath.splitext(program)[1].lower())
    if found is None and name == "none" and program and "." not in program:
        return NATIVE  # `interpreter: 'none'` runs the script as a program: a binary
    return found


def builds_static_site(manifest: object) -> bool:
    """Whether a package.json is a static site's or a browser app's project: it depends on a static
    site generator or a browser app's toolchain (Astro, Gatsby, Docusaurus, Create React App...),
    or on a UI framework (React, Vue, Svelte...), and on no server framework or adapter."""
    if not isinstance(manifest, dict):
        return False
    names: set[str] = set()
    for field_name in ("dependencies", "devDependencies"):
        block = manifest.get(field_name)
        if isinstance(block, dict):
            names.update(str(name) for name in block)
    if names & set(SERVER_FRAMEWORKS):
        return False
    return bool(names & {*STATIC_GENERATORS, *UI_FRAMEWORKS}) or _starts_a_bundler(manifest, names)


# Bundlers: a package whose `start` runs one (`webpack --watch`) builds files for browsers.
BUNDLERS = ("webpack", "rollup", "parcel", "esbuild", "browserify")


def _starts_a_bundler(manifest: dict, names: set[str]) -> bool:
    """`"start": "NODE_ENV=development webpack --watch"` with webpack among its dependencies:
    starting the package rebuilds a bundle (postgres-operator's UI, which Python serves)."""
    from relcheck.artifacts.dockerfile import shell_words

    scripts = manifest.get("scripts")
    start = scripts.get("start") if isinstance(scripts, dict) else None
    program = first_program(shell_words(start)) if isinstance(start, str) else None
    return program in BUNDLERS and program in names


# Static file servers: an image that starts one over a browser app's build serves files, it runs
# none of the app's JavaScript on the server.
STATIC_FILE_SERVERS = ("http-server", "serve", "sirv-cli", "live-server")


def serves_files(manifest: object) -> bool:
    """Whether a package.json depends on a static file server (`http-server build -p 4200`)."""
    if not isinstance(manifest, dict):
        return False
    return any(
        isinstance(block, dict) and any(name in block for name in STATIC_FILE_SERVERS)
        for block in (manifest.get("dependencies"), manifest.get("devDependencies"))
    )


# The development servers and previews of browser toolchains: they bundle the app's source and
# serve it to browsers; none of it runs in the server's process.
BROWSER_DEV_SERVERS = (
    "ng", "react-scripts", "vue-cli-service", "vite", "webpack", "webpack-dev-server", "parcel", "gatsby",
    "astro", "docusaurus", "vitepress", "vuepress", "eleventy", "hexo",
)


def runs_browser_dev_server(service: Service, manifest: object) -> bool:
    """Whether the service's image starts a browser toolchain's server: directly (`ng serve`,
    `npx vite`) or through the package.json script it runs (`npm start` → `react-scripts start`)."""
    from relcheck.artifacts.dockerfile import command_argv, shell_words

    scripts = manifest.get("scripts") if isinstance(manifest, dict) else None
    for dockerfile in service.dockerfiles:
        commands = [i for i in dockerfile.final_instructions() if i.keyword in ("CMD", "ENTRYPOINT") and i.args]
        if not commands:
            continue
        words = command_argv(commands[-1])
        script = npm_script(words)
        if script is not None:
            text = scripts.get(script) if isinstance(scripts, dict) else None
            words = shell_words(text) if isinstance(text, str) else []
        if first_program(words) in BROWSER_DEV_SERVERS:
            return True
    return False


# Programs that set variables and run the rest of the line (`cross-env ENVIRONMENT=local rollup -w`).
_ENVIRONMENT_SETTERS = ("cross-env", "env")


def first_program(words: list[str]) -> str | None:
    """The program a command runs, past a package runner (`npx vite`, `pnpm exec ng`) and a
    program that sets variables for it (`cross-env NODE_ENV=development webpack --watch`)."""
    programs = [posixpath.basename(w) for w in words if not w.startswith("-") and "=" not in w]
    while programs and programs[0] in _ENVIRONMENT_SETTERS:
        programs = programs[1:]
    if programs and programs[0] in _PACKAGE_RUNNERS:
        programs = programs[1:]
    elif len(programs) > 1 and programs[0] in ("npm", "yarn", "pnpm") and programs[1] in ("exec", "dlx"):
        programs = programs[2:]
    return programs[0] if programs else None


def speaks_node(service: Service) -> bool:
    """Node rules apply: the service runs Node, or nothing says which runtime it is and it has
    JavaScript/TypeScript source."""
    runtime = service.runtime
    return runtime == NODE or (runtime is None and service.app.has_source)


PM2_PROGRAMS = ("pm2", "pm2-runtime", "pm2-docker")


def runs_under_pm2(service: Service) -> bool:
    """Whether PM2 starts the service: it has PM2 apps, and its image runs pm2, or runs the
    package.json `start` script that does (`yarn start` → `pm2 start ecosystem.config.json`), or
    sets no command of its own while that script does (the command then comes from whoever runs
    the image, and the project says it is started with PM2). With no image, the ecosystem file is
    how it is started."""
    from relcheck.artifacts.dockerfile import command_argv, shell_words

    if not service.pm2_apps:
        return False
    if not service.dockerfiles or _pods_run_pm2(service):
        return True
    start_runs_pm2 = _names_pm2(shell_words(service.start_script))
    for dockerfile in service.dockerfiles:
        commands = [i for i in dockerfile.final_instructions() if i.keyword in ("CMD", "ENTRYPOINT")]
        if not commands and start_runs_pm2:
            return True
        for instruction in commands:
            words = command_argv(instruction)
            if _names_pm2(words) or (start_runs_pm2 and npm_script(words) == "start"):
                return True
    return False


def _pods_run_pm2(service: Service) -> bool:
    """Whether a pod of the service starts PM2 in its container's own command, whatever the image
    says (`command: ["pm2-runtime"]`, `args: ["start", "./pm2-processes/production.json"]`)."""
    for workload in service.workloads:
        for container in workload.containers(include_init=False):
            words = container.argv
            if words and _names_pm2(words[:1] if container.spec.get("command") else words[:2]):
                return True
    return False


def _names_pm2(words: list[str]) -> bool:
    return any(word.rsplit("/", 1)[-1] in PM2_PROGRAMS for word in words)


def npm_script(words: list[str]) -> str | None:
    """The package.json script a command runs (`npm start`, `yarn run start:prod`), if any."""
    for index, word in enumerate(words):
        following = words[index + 1 : index + 3]
        if word.rsplit("/", 1)[-1] in ("npm", "yarn", "pnpm") and following:
            if following[0] in ("start", "restart"):
                return "start"
            if following[0] in ("run", "run-script") and len(following) > 1:
                return following[1]
    return None


# The PM2 daemon's stop signal: the environment variable it reads once, when it starts
# (constants.js `KILL_SIGNAL: process.env.PM2_KILL_SIGNAL || 'SIGINT'`). PM2 has no option of an
# app for it: a `kill_signal` key in an ecosystem file is ignored. An app with
# `shutdown_with_message: true`, or every app where PM2_KILL_USE_MESSAGE is set (to any text), is
# sent a 'shutdown' message instead (lib/God/Methods.js killProcess).
PM2_KILL_SIGNAL = "PM2_KILL_SIGNAL"
PM2_KILL_USE_MESSAGE = "PM2_KILL_USE_MESSAGE"
# And the kill_timeout of an app that sets none (constants.js `KILL_TIMEOUT`, 1600 ms unless set).
PM2_KILL_TIMEOUT = "PM2_KILL_TIMEOUT"
# And the listen_timeout of an app that sets none (constants.js `GRACEFUL_LISTEN_TIMEOUT`, 3000 ms).
PM2_GRACEFUL_LISTEN_TIMEOUT = "PM2_GRACEFUL_LISTEN_TIMEOUT"
UNKNOWN_VALUE = object()


def pm2_stop_signals(service: Service) -> set[str]:
    """What PM2 stops the service's apps with: PM2_KILL_SIGNAL where the image's ENV or the pod's
    env sets it, else SIGINT; `shutdown` (the message) for an app told to use it. Empty when PM2
    does not run the service, or a value the pod sets is not written out (`valueFrom`)."""
    if not runs_under_pm2(service):
        return set()
    environment = pm2_daemon_env(service)
    signal = environment.get(PM2_KILL_SIGNAL)
    message = environment.get(PM2_KILL_USE_MESSAGE)
    if signal is UNKNOWN_VALUE or message is UNKNOWN_VALUE:
        return set()
    signals = set()
    for app in service.pm2_apps or [None]:
        if message or (app is not None and app.get("shutdown_with_message") is True):
            signals.add(PM2_SHUTDOWN_MESSAGE)
        else:
            signals.add(_signal_name(signal) if isinstance(signal, str) and signal else "SIGINT")
    return signals


def pm2_daemon_env(service: Service) -> dict[str, object]:
    """PM2's own variables in the environment its daemon starts with: the pod's env, else the
    images' ENV (the value an image sets last); a value the pod takes from elsewhere is unknown."""
    names = (PM2_KILL_SIGNAL, PM2_KILL_USE_MESSAGE, PM2_KILL_TIMEOUT, PM2_GRACEFUL_LISTEN_TIMEOUT)
    found: dict[str, object] = {}
    for workload in service.workloads:
        for container in workload.containers(include_init=False):
            env = container.get("env")
            for item in env if isinstance(env, list) else []:
                if isinstance(item, dict) and item.get("name") in names:
                    value = item.get("value")
                    found[item["name"]] = value if isinstance(value, str) else UNKNOWN_VALUE
    for dockerfile in service.running_images:
        for name in names:
            value = dockerfile.final_env.get(name)
            if value is not None and name not in found:
                found[name] = value
    return found


_SIGNAL_NUMBERS = {"1": "SIGHUP", "2": "SIGINT", "3": "SIGQUIT", "15": "SIGTERM"}


def _signal_name(value: str) -> str:
    """`SIGTERM`, `sigterm`, `TERM` and `15` alike, as Node.js's process.kill takes them."""
    name = value.strip().upper()
    if name in _SIGNAL_NUMBERS:
        return _SIGNAL_NUMBERS[name]
    return name if name.startswith("SIG") else f"SIG{name}"
