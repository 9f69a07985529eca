"""Facts about the application read from its settings and source, extracted once for the S rules
and for the cross-file rules (routes, metric names, connection options, signal handlers)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from relcheck.model import Location

# PM2's stop message, sent instead of a signal to an app with `shutdown_with_message: true`
# (lib/God/Methods.js killProcess: `proc.send('shutdown')`), kept among the signals an app handles.
PM2_SHUTDOWN_MESSAGE = "shutdown"

# Files that are not the running service: tests, fixtures, load tests, build output.
NON_SERVICE_DIRS = frozenset(
    {
        "test",
        "tests",
        "__tests__",
        "__mocks__",
        "e2e",
        "e2e-tests",
        "e2e_tests",
        "integration-tests",
        "integration_tests",
        "integrationtest",
        "integrationtests",
        "spec",
        "fixtures",
        "dist",
        "build",
        "coverage",
        "vendor",
        "load-tests",
        "loadtests",
        "load-test",
        "loadtest",
        "k6",
        # A load generator's image runs Artillery or Locust: its JavaScript is their scenario code.
        "load-generator",
        "loadgenerator",
        "load-gen",
        "loadgen",
        "benchmarks",
        "chaos",
        "examples",
        "scripts",
        # Browser bundles and repository tooling, not the server.
        "public",
        "static",
        "assets",
        ".github",
        # Configuration of UI and browser-test tools (`.storybook/main.js`, `cypress/plugins/index.ts`).
        ".storybook",
        "cypress",
        "playwright",
        # A repository's own lint rules and code generator templates (growthbook's `eslint-rules/`).
        "eslint-rules",
        "eslint-plugin",
        "plop-templates",
    }
)
# Tool configurations that are JavaScript (the PM2 ecosystem file is classified before this).
TOOL_CONFIG_NAME = re.compile(
    r"^(?:\.?(?:eslint|renovate|webpack|vite|vitest|next|nuxt|babel|metro|jest|rollup|tailwind|postcss|prettier|"
    r"commitlint|lint-staged|svelte|astro|playwright|cypress|karma|stylelint|storybook|docusaurus|gatsby)"
    r"(?:rc)?(?:\.[\w-]+)*|[\w.-]+\.config|gulpfile|gruntfile|plopfile)\.[cm]?[jt]s$",
    re.I,
)
# A file that imports one of these is front-end code (a component), not the service.
FRONT_END_MODULES = (
    *("react", "react-dom", "vue", "@angular/core", "svelte", "preact", "solid-js", "next/"),
    # CSS-in-JS: a file of styled components (outline's `styled.span<{...}>` templates).
    *("styled-components", "@emotion/styled", "@emotion/react"),
)
# Tests, stories, minified bundles, type declarations, the helpers of a test suite kept beside
# the code (hyperdx's `src/fixtures.ts`, which only its tests import, connects to MongoDB), and a
# health check's own program (flowise's worker image starts `healthcheck.js`, a bare `/healthz`
# answerer, beside the worker: the worker is the service).
NON_SERVICE_NAME = re.compile(
    r"\.(spec|test|e2e-spec|e2e|stories)\.[cm]?[jt]sx?$|\.min\.js$|\.d\.[cm]?ts$"
    r"|^(?:fixtures?|test[-_]?utils|test[-_]?helpers?|setup[-_]?tests|health[-_]?check)\.[cm]?[jt]sx?$",
    re.I,
)
SHUTDOWN_TIMEOUT_NAME = re.compile(r"shutdown[_-]?timeout|graceful[_-]?(shutdown[_-]?)?timeout|drain[_-]?timeout", re.I)
ENTRY_NAMES = ("main.ts", "main.js", "server.ts", "server.js", "index.ts", "index.js", "app.ts", "app.js")


# The folder of Next.js's file routes: below it, folders are the route's URL segments (langfuse's
# `pages/api/public/health.ts` serves `/api/public/health`), not a bundle's or a test's folders.
_ROUTE_TREE = re.compile(r"(?:^|/)(?:pages/api|app)/")
_ROUTE_NAME = re.compile(r"^route\.[cm]?[jt]sx?$")


def is_service_source(path: str) -> bool:
    parts = path.lower().split("/")
    folders = parts[:-1]
    tree = _ROUTE_TREE.search(path.lower())
    if tree is not None and ("/pages/api/" in f"/{path.lower()}" or _ROUTE_NAME.match(parts[-1])):
        folders = path.lower()[: tree.end()].split("/")[:-1]
    if set(folders) & NON_SERVICE_DIRS or NON_SERVICE_NAME.search(parts[-1]):
        return False
    return not TOOL_CONFIG_NAME.search(parts[-1])


# Single-file components: only a front end's bundler imports these.
FRONT_END_FILES = (".svelte", ".vue", ".astro")


# Server frameworks and adapters: a package that uses one is more than a browser app.
SERVER_FRAMEWORKS = (
    "express", "fastify", "koa", "@nestjs/core", "@hapi/hapi", "hapi", "restify", "next", "nuxt",
    "@sveltejs/kit", "@remix-run/node", "@remix-run/serve", "@react-router/serve", "socket.io", "@astrojs/node",
    "polka", "h3", "micro", "sails", "strapi", "@strapi/strapi",
    # Nitro's server and the frameworks built on it (relcheck.artifacts.nitro).
    "nitropack", "nitro", "@tanstack/react-start", "@tanstack/solid-start", "@tanstack/start", "@solidjs/start",
    "@analogjs/platform", "vinxi",
)
# Imports that make a file a server's even beside a UI framework: server-side rendering
# (`react-dom/server` in an Express server) is the server's code.
SERVER_SIDE_MODULES = (
    "react-dom/server", "vue/server-renderer", "@vue/server-renderer", "http", "https", "node:http", "node:https",
)
# What a file's imports show of a server (a page importing `next` for its types is no server).
_SERVER_EVIDENCE = frozenset((*SERVER_FRAMEWORKS, *SERVER_SIDE_MODULES)) - {"next"}


def is_front_end(facts: AppFacts) -> bool:
    """Source that imports a UI framework or a single-file component (`import App from
    './App.svelte'`): a front end's code, not the server. Unless it shows itself a server: it
    handles process signals or imports a server framework, Node's http or a server renderer."""
    if facts.signals or facts.shutdown_hooks or not _SERVER_EVIDENCE.isdisjoint(facts.modules):
        return False
    return any(
        module == name or module.startswith(name if name.endswith("/") else f"{name}/")
        for module in facts.modules
        for name in FRONT_END_MODULES
    ) or any(module.lower().endswith(FRONT_END_FILES) for module in facts.modules)


@dataclass(frozen=True)
class Evidence:
    """Where something was seen, and what."""

    location: Location
    detail: str


@dataclass
class Connection:
    """A MongoDB or Redis client created in the source, with the options it was given."""

    kind: str  # "mongodb" or "redis"
    call: str  # e.g. "MongooseModule.forRootAsync", "new Redis"
    location: Location
    option_keys: set[str] = field(default_factory=set)
    options_unknown: bool = False  # an options argument we cannot read (a variable, a spread)
    uri: Any = None  # the literal URI, UNKNOWN, or None when not given
    uri_source: str = ""  # e.g. "process.env.MONGODB_URI"

    def uri_options(self, env: dict[str, str]) -> set[str] | None:
        """Query options of the URI: from the literal, or from a .env value it names; None if unseen."""
        uri = self.uri if isinstance(self.uri, str) else None
        if uri is None and self.uri_source:
            name = self.uri_source.rsplit(".", 1)[-1].strip("'\"[]")
            uri = env.get(name)
        if not uri or "://" not in uri:
            return None
        return {key for key, _ in parse_qsl(urlsplit(uri).query)}


@dataclass(frozen=True)
class ShutdownTimeout:
    """How long the app waits for in-flight work when it shuts down."""

    milliseconds: float
    evidence: Evidence


def timeout_ms(name: str, value: float) -> float:
    """A timeout's value in milliseconds, judged by its name (`..._MS`, `...Seconds`, `..._S`)."""
    lower = name.lower()
    if lower.endswith(("ms", "millis", "milliseconds")):
        return float(value)
    if lower.endswith(("_s", "sec", "secs", "seconds")):
        return float(value) * 1000
    return float(value) if value >= 1000 else float(value) * 1000  # 30 means seconds, 30000 milliseconds


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    location: Location


@dataclass(frozen=True)
class Mount:
    """A router of another file mounted at a path: Express's `app.use('/api', require('./api'))`,
    Fastify's `fastify.register(require('./health'), {prefix: '/health'})`."""

    prefix: str
    module: str  # as the file names it: './routes/health'
    file: str  # the file that mounts it


@dataclass
class AppFacts:
    source_files: list[str] = field(default_factory=list)
    entry: str | None = None
    signals: dict[str, list[Evidence]] = field(default_factory=dict)
    shutdown_hooks: list[Evidence] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    # Route declarations whose path is held elsewhere (`@Get(routesV1.user.root)`): not read.
    unread_routes: list[Evidence] = field(default_factory=list)
    modules: dict[str, list[Evidence]] = field(default_factory=dict)  # imported or required packages
    metric_names: dict[str, Evidence] = field(default_factory=dict)
    connections: list[Connection] = field(default_factory=list)
    retry_helpers: list[Evidence] = field(default_factory=list)
    circuit_breakers: list[Evidence] = field(default_factory=list)
    shutdown_timeouts: list[ShutdownTimeout] = field(default_factory=list)
    # Ports a server's `listen(...)` names: a literal, or the fallback of `process.env.PORT || 8080`.
    listen_ports: list[tuple[int, Evidence]] = field(default_factory=list)
    # Ports a library's own server listens on beside the app's (lightship's probes on 9000): 0 for
    # one the source does not write out.
    side_ports: list[tuple[int, Evidence]] = field(default_factory=list)
    # `x.listen(...)` and `x.createServer(...)` calls, whatever their arguments: a server's own.
    server_calls: list[Evidence] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    # `server.addService(healthProto.Health.service, ...)`: the gRPC health checking protocol
    # (grpc.health.v1.Health) served from its own proto, with no library.
    grpc_health: list[Evidence] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # from .env* files (never exported)
    env_locations: dict[str, Location] = field(default_factory=dict)
    # Where service-level findings go when the server is a framework's, not a file of the repository.
    anchor_at: Location | None = None

    @property
    def has_source(self) -> bool:
        return bool(self.source_files)

    def anchor(self) -> Location | None:
        if self.anchor_at is not None:
            return self.anchor_at
        if self.entry:
            return Location(self.entry, 1, 1)
        return Location(sorted(self.source_files)[0], 1, 1) if self.source_files else None

    def handles(self, signal: str) -> bool:
        return bool(self.signals.get(signal)) or any(signal in hook.detail for hook in self.shutdown_hooks)

    def uses_module(self, *names: str) -> list[Evidence]:
        return [e for name in names for e in self.modules.get(name, [])]


def join_route(prefix: str, path: str) -> str:
    parts = [p.strip("/") for p in (prefix, path) if p and p.strip("/")]
    return "/" + "/".join(parts)


def entry_rank(path: str) -> tuple[int, int, str]:
    """main.ts before server.ts before index.ts...; shallower before deeper."""
    name = path.rsplit("/", 1)[-1]
    return ENTRY_NAMES.index(name) if name in ENTRY_NAMES else len(ENTRY_NAMES), path.count("/"), path


_MODULE_SUFFIXES = ("", ".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx")


def _module_file(mount: Mount, files: set[str]) -> str | None:
    """The source file a mount's relative module names, as Node and bundlers resolve it."""
    base = posixpath.normpath(posixpath.join(posixpath.dirname(mount.file), mount.module))
    for candidate in (*(base + s for s in _MODULE_SUFFIXES), *(f"{base}/index{s}" for s in _MODULE_SUFFIXES[1:])):
        if candidate in files:
            return candidate
    return None


def mounted_routes(routes: list[Route], mounts: list[Mount], files: set[str]) -> list[Route]:
    """The routes with the paths they are served at: a mounted router's routes under each prefix
    it is mounted at, and under the prefixes the file that mounts it is mounted at in turn."""
    parents: dict[str, list[tuple[str, str]]] = {}  # router file -> (prefix, the file that mounts it)
    for mount in mounts:
        target = _module_file(mount, files)
        if target is not None and target != mount.file:
            parents.setdefault(target, []).append((mount.prefix, mount.file))

    def prefixes(path: str, seen: frozenset[str]) -> list[str]:
        if path not in parents or path in seen:
            return [""]
        return [
            join_route(outer, prefix)
            for prefix, parent in parents[path]
            for outer in prefixes(parent, seen | {path})
        ]

    served = []
    for route in routes:
        for prefix in prefixes(route.location.path, frozenset()) if route.location.path in parents else [""]:
            served.append(Route(route.method, join_route(prefix, route.path), route.location))
    return served


def merge_facts(parts: list[AppFacts]) -> AppFacts:
    """One service's facts from the facts of its files."""
    merged = AppFacts()
    for part in sorted(parts, key=lambda p: (p.source_files[:1], sorted(p.env_locations))):
        merged.source_files += part.source_files
        for signal, seen in part.signals.items():
            merged.signals.setdefault(signal, []).extend(seen)
        merged.shutdown_hooks += part.shutdown_hooks
        merged.routes += part.routes
        merged.unread_routes += part.unread_routes
        for module, seen in part.modules.items():
            merged.modules.setdefault(module, []).extend(seen)
        for name, seen in part.metric_names.items():
            merged.metric_names.setdefault(name, seen)
        merged.connections += part.connections
        merged.retry_helpers += part.retry_helpers
        merged.circuit_breakers += part.circuit_breakers
        merged.shutdown_timeouts += part.shutdown_timeouts
        merged.listen_ports += part.listen_ports
        merged.side_ports += part.side_ports
        merged.server_calls += part.server_calls
        merged.mounts += part.mounts
        merged.grpc_health += part.grpc_health
        for key, value in part.env.items():
            location = part.env_locations[key]
            # .env beats .env.example and friends when both define a key.
            if key not in merged.env or location.path.rsplit("/", 1)[-1] == ".env":
                merged.env[key] = value
                merged.env_locations[key] = location
    if merged.mounts:
        merged.routes = mounted_routes(merged.routes, merged.mounts, set(merged.source_files))
    entries = [path for path in merged.source_files if path.rsplit("/", 1)[-1] in ENTRY_NAMES]
    # A `client/` folder's entry is the browser's (a Meteor app's `client/main.js` beside
    # `server/main.js`): the server's start is another, where there is one.
    entries = [path for path in entries if "client" not in path.split("/")[:-1]] or entries
    if entries:
        # A module named like an entry deep in the tree (NodeBB's `src/database/mongo/main.js`) is
        # not the program's start beside a top-level `app.js`: only the shallowest two levels count.
        top = min(path.count("/") for path in entries) + 1
        merged.entry = min((path for path in entries if path.count("/") <= top), key=entry_rank)
    else:
        merged.entry = None
    return merged


# Series a histogram or summary adds to the metric its source defines.
METRIC_SUFFIXES = ("_bucket", "_count", "_sum", "_created")


def metric_bases(name: str) -> list[str]:
    """The metric names a series may come from: itself, and the histogram or summary it belongs to."""
    return [name, *(name[: -len(suffix)] for suffix in METRIC_SUFFIXES if name.endswith(suffix))]


def defines_metric(defined: set[str] | dict[str, Any], name: str) -> bool:
    """Whether the metric `name` (or the histogram or summary it is a series of) is among `defined`."""
    return any(base in defined for base in metric_bases(name))
