"""TypeScript/JavaScript service source: one syntax-tree walk per file collects the app facts."""

from __future__ import annotations

import re
from typing import Any

from relcheck.artifacts.app import (
    PM2_SHUTDOWN_MESSAGE,
    SHUTDOWN_TIMEOUT_NAME,
    AppFacts,
    Connection,
    Evidence,
    Mount,
    Route,
    ShutdownTimeout,
    join_route,
    timeout_ms,
)
from relcheck.model import Location, ParseProblem
from relcheck.syntax.javascript import (
    Converter,
    nodes_of_types,
    parse_in_dialect,
    point,
    property_key,
    string_value,
    text_of,
    top_level_consts,
)
from relcheck.syntax.jsvalues import UNKNOWN, JsObject
from relcheck.units.numbers import ascii_int

PROCESS_EVENTS = ("SIGTERM", "SIGINT", "SIGHUP", "uncaughtException", "unhandledRejection")
# The 'shutdown' string a handler of PM2's stop message compares the message with.
_SHUTDOWN_MESSAGE = re.compile(r"""(['"`])shutdown\1""")
# The global events of Deno and the web platform that stand for Node's crash events.
_GLOBAL_CRASH_EVENTS = {"unhandledrejection": "unhandledRejection", "error": "uncaughtException"}
LISTENER_METHODS = frozenset({"on", "once", "addListener", "prependListener", "prependOnceListener"})
# Packages whose functions make an endpoint that Express mounts at a path: express-healthcheck's
# `app.use('/healthz', healthcheck())`, @cloudnative/health-connect's `LivenessEndpoint(checker)`.
HEALTH_ENDPOINT_PACKAGES = frozenset({"express-healthcheck", "@cloudnative/health-connect"})
TERMINUS = "@godaddy/terminus"
# The paths lightship's `createLightship()` serves on a server of its own (src/factories/createLightship.ts).
LIGHTSHIP_ROUTES = ("/health", "/live", "/ready")
LIGHTSHIP_DEFAULT_PORT = 9000  # unless LIGHTSHIP_PORT is set
# Libraries whose call's options say which signals they handle (`signals`), else their defaults.
_SIGNALS_FROM_OPTIONS = frozenset({TERMINUS, "lightship"})
# Libraries that register process handlers themselves once called (their import is the evidence):
# close-with-grace closes on SIGTERM, SIGINT and the crash events (fastify-cli's `start` uses it);
# @godaddy/terminus on SIGTERM, unless its call's `signal` and `signals` options say which
# (_Walker._terminus); lightship on SIGTERM, SIGHUP and SIGINT, unless its `signals` option says
# which; prexit on the signals and the crash events; exit-hook, async-exit-hook,
# http-graceful-shutdown and node-graceful-shutdown on SIGTERM and SIGINT.
SIGNAL_LIBRARIES = {
    "close-with-grace": ("SIGTERM", "SIGINT", "uncaughtException", "unhandledRejection"),
    "@godaddy/terminus": ("SIGTERM",),
    "lightship": ("SIGTERM", "SIGHUP", "SIGINT"),
    "prexit": ("SIGTERM", "SIGINT", "SIGHUP", "uncaughtException", "unhandledRejection"),
    "exit-hook": ("SIGTERM", "SIGINT"),
    "async-exit-hook": ("SIGTERM", "SIGINT"),
    "http-graceful-shutdown": ("SIGTERM", "SIGINT"),
    "node-graceful-shutdown": ("SIGTERM", "SIGINT"),
    # Sails lowers the app (closes its servers) on both when it lifts (lib/app/private/initialize.js).
    "sails": ("SIGTERM", "SIGINT"),
}
ROUTE_METHODS = frozenset({"get", "all", "head"})
# `axios.get('/health')` requests a path; it serves none.
HTTP_CLIENTS = frozenset({"axios", "http", "https", "got", "superagent", "ky", "needle", "request", "undici", "fetch"})
# The types and factories of HTTP clients whose methods share route methods' names.
_CLIENT_TYPES = r"(?:AxiosInstance|AxiosStatic|Got|KyInstance|SuperAgentStatic|HttpClient)"
_CLIENT_FACTORIES = r"(?:axios\.create|got\.extend|ky\.(?:create|extend)|wretch)"
NEST_ROUTE_DECORATORS = {"Get": "GET", "All": "ALL", "Head": "HEAD"}
# The class decorators that give a controller's routes their prefix: NestJS's `@Controller('users')`,
# and routing-controllers' `@Controller` and `@JsonController('/users')`, whose method decorators
# (`@Get('/me')`) read as Nest's do.
CONTROLLER_DECORATORS = frozenset({"Controller", "JsonController"})
# A controller's prefix that is not written out in its file (`@Controller(routesV1.version)`).
_UNREAD_PATH = "\0unread"
# An inline request handler, the last argument of a route call: a function whose parameters are a
# request and a response (`(req, res) => ...`), not a client's callback (`(err, data) => ...`:
# `redisClient.get(id, (err, data) => ...)`, fbgraph's `graph.get(url, (err, res) => ...)`).
_HANDLER_TYPES = frozenset({"arrow_function", "function_expression", "function"})
_REQUEST_PARAMETER = re.compile(r"^_?(?:req|request|ctx|context)$")
# A router a class holds in a field (`public router = Router()`), its routes declared on
# `this.router.get(`${this.path}/health`, ...)`, as typescript-express-starter's route classes do.
_THIS_FIELD = re.compile(r"^this\.([A-Za-z_$][\w$]*)$")
_ROUTER_FACTORIES = frozenset({"Router", "express.Router", "Express.Router"})
# The service definition a gRPC server adds for the health checking protocol, loaded from its
# proto (`healthProto.Health.service`, `grpc.health.v1.Health.service`): Kubernetes' `grpc` probes ask it.
_GRPC_HEALTH_SERVICE = re.compile(r"(?:^|\.)Health\.service$|health\.v1\b", re.IGNORECASE)
_CLASS_TYPES = frozenset({"class_declaration", "class", "abstract_class_declaration"})
_FIELD_TYPES = frozenset({"public_field_definition", "field_definition"})
MONGO_CALLS = frozenset(
    {
        "mongoose.connect",
        "mongoose.createConnection",
        "MongooseModule.forRoot",
        "MongooseModule.forRootAsync",
        "MongoClient.connect",
        "new MongoClient",
    }
)
REDIS_CONSTRUCTORS = frozenset({"Redis", "IORedis", "Redis.Cluster", "Cluster", "IORedis.Cluster"})
REDIS_CALLS = frozenset({"createClient", "redis.createClient", "RedisModule.forRoot", "RedisModule.forRootAsync"})
METRIC_CLASSES = frozenset({"Counter", "Gauge", "Histogram", "Summary"})
METRIC_PROVIDERS = frozenset(
    {"makeCounterProvider", "makeGaugeProvider", "makeHistogramProvider", "makeSummaryProvider"}
)
RETRY_NAME = re.compile(r"retry", re.I)
BREAKER_NAME = re.compile(r"circuit[_-]?breaker", re.I)
# Handled nodes (calls, imports, declarations...) per file, at most.
MAX_NODES = 500_000


PARTIAL = "parsed in part"


def was_read(problem: ParseProblem | None) -> bool:
    """Whether `collect` read the file (fully, or in part) despite the problem it returned."""
    return problem is None or problem.message.startswith(PARTIAL)


def collect(path: str, text: str, facts: AppFacts) -> ParseProblem | None:
    """Add what `path` shows to `facts`; returns the problem that stopped it, if any."""
    tree, dialect, problem = parse_in_dialect(path, text)
    if tree is None:
        return problem
    _Walker(path, tree.root_node, facts, text).visit(nodes_of_types(tree, dialect, _HANDLED_TYPES))
    _keep_known_clients(facts)
    if problem is not None and problem.code == "E001":
        # Code the compiler accepts can still be more than the tree-sitter grammar reads (generic
        # arrow functions in .tsx, styled-components templates, some JSX entities): not the
        # user's error. The rest of the file was read.
        line_text = text.split("\n")[problem.line - 1].strip() if problem.line >= 1 else ""
        shown = f" ('{line_text[:60]}')" if line_text else ""
        return ParseProblem(
            "E002",
            f"{PARTIAL}: the JavaScript/TypeScript grammar could not read the code at line {problem.line}"
            f"{shown}; the rest of the file was read, so S rules may miss what is written there",
            problem.line,
            problem.column,
        )
    return problem


# Calls and constructors whose names other libraries use too: a Redis client only where the file
# imports the Redis library they come from (Supabase's `createClient` is no Redis client).
_AMBIGUOUS_REDIS = {
    "createClient": ("redis", "@redis/client"),
    "new Cluster": ("ioredis",),
}


def _keep_known_clients(facts: AppFacts) -> None:
    facts.connections = [
        c
        for c in facts.connections
        if c.call not in _AMBIGUOUS_REDIS or any(m in facts.modules for m in _AMBIGUOUS_REDIS[c.call])
    ]


def _request_handler(node) -> bool:
    """Whether the node is an inline function whose first parameter is a request (or Koa's context)."""
    if node.type not in _HANDLER_TYPES:
        return False
    parameters = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
    if parameters is None:
        return False
    names = [parameters] if parameters.type == "identifier" else parameters.named_children
    first = names[0] if names else None
    if first is not None and first.type in ("required_parameter", "optional_parameter"):
        first = first.child_by_field_name("pattern") or first
    return first is not None and _REQUEST_PARAMETER.match(text_of(first)) is not None


class _Walker:
    def __init__(self, path: str, root, facts: AppFacts, text: str = "") -> None:
        self.path = path
        self.root = root
        self.facts = facts
        self.text = text
        # Names the file binds to an HTTP client, by name (see _declares_client).
        self.clients: dict[str, bool] = {}
        self.converter = Converter(top_level_consts(root))
        # Names bound to the repository's own modules (`const mongoose = require('./config/mongoose')`):
        # `mongoose.connect()` on one of them calls the project's wrapper, not the driver.
        self.local_names: set[str] = set()
        # Which of them name a module, for routers mounted by name (`app.use('/api', api)`).
        self.local_modules: dict[str, str] = {}
        # The fields of the classes routes were declared in, by the class node's id.
        self.class_fields: dict[int, dict[str, Any]] = {}
        # Imports of libraries whose calls' options say which signals they handle, and those read.
        self.signal_imports: dict[str, Any] = {}
        self.signals_read: set[str] = set()
        self.file_modules: set[str] = set()  # the modules this file imports or requires
        self.package_names: dict[str, str] = {}  # names bound to a package: `healthcheck` -> 'express-healthcheck'

    def location(self, node) -> Location:
        return Location(self.path, *point(node))

    def _declares_client(self, name: str) -> bool:
        """Whether the file binds `name` to an HTTP client, whose `get('/pods')` calls a server
        rather than declaring a route: a parameter typed as one (`k8sInstance: AxiosInstance`,
        kube-scheduler-simulator's API modules) or a client a library makes (`const api =
        axios.create(...)`, `got.extend(...)`, `ky.create(...)`)."""
        if name not in self.clients:
            escaped = re.escape(name)
            self.clients[name] = bool(
                re.search(rf"(?<![\w$]){escaped}\??\s*:\s*{_CLIENT_TYPES}\b", self.text)
                or re.search(rf"(?<![\w$.]){escaped}\s*=\s*{_CLIENT_FACTORIES}\s*\(", self.text)
            )
        return self.clients[name]

    def evidence(self, node, detail: str) -> Evidence:
        return Evidence(self.location(node), detail)

    def visit(self, nodes: list) -> None:
        """Each node with a handler, in document order (the tree is searched in C)."""
        handlers = {name: getattr(self, f"on_{name}") for name in _HANDLED_TYPES}
        for node in nodes[:MAX_NODES]:
            handlers[node.type](node)
        self.finish()

    # -- imports ------------------------------------------------------------------------------
    def on_import_statement(self, node) -> None:
        source = node.child_by_field_name("source")
        name = string_value(source) if source is not None else None
        if name:
            self._module(node, name, f"import '{name}'")
            clause = next((c for c in node.named_children if c.type == "import_clause"), None)
            bound = _bound_names(clause)
            if name.startswith("."):
                self.local_names.update(bound)
                self.local_modules.update(dict.fromkeys(bound, name))
            else:
                self.package_names.update(dict.fromkeys(bound, name))

    def _module(self, node, name: str, detail: str) -> None:
        self.facts.modules.setdefault(name, []).append(self.evidence(node, detail))
        self.file_modules.add(name)
        if name in _SIGNALS_FROM_OPTIONS:
            self.signal_imports.setdefault(name, node)  # its signals are its call's options, where read
            return
        for event in SIGNAL_LIBRARIES.get(name, ()):
            self.facts.signals.setdefault(event, []).append(self.evidence(node, f"{name} handles {event}"))

    def finish(self) -> None:
        """What the whole file shows: a library's default signals where no call's options said which."""
        for name, node in self.signal_imports.items():
            if name in self.signals_read:
                continue
            for event in SIGNAL_LIBRARIES[name]:
                self.facts.signals.setdefault(event, []).append(self.evidence(node, f"{name} handles {event}"))

    def _option_signals(self, node, library: str, signals: Any, call: str) -> None:
        """The signals a library's call handles, where its options name them all (a list of strings)."""
        if not isinstance(signals, list) or not all(isinstance(s, str) for s in signals):
            return
        self.signals_read.add(library)
        for event in dict.fromkeys(signals):
            if event in PROCESS_EVENTS:
                self.facts.signals.setdefault(event, []).append(self.evidence(node, f"{call} handles {event}"))

    def _lightship(self, node, argument) -> None:
        """`createLightship({port})`: a server of lightship's own answers /health, /live and /ready,
        on `port`, else LIGHTSHIP_PORT, else 9000 (0 here: a port the source does not write out)."""
        for path in LIGHTSHIP_ROUTES:
            self.facts.routes.append(Route("GET", path, self.location(node)))
        options = self._options_object(argument) if argument is not None else {}
        port: Any = 0
        if isinstance(options, dict) and not getattr(options, "open", False):
            port = options.get("port", LIGHTSHIP_DEFAULT_PORT)
            if "signals" in options:
                self._option_signals(node, "lightship", options["signals"], "createLightship")
        port = port if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536 else 0
        self.facts.side_ports.append((port, self.evidence(node, f"lightship's server on {port or 'its port'}")))

    def _terminus(self, node, argument) -> None:
        """`createTerminus(server, {healthChecks, signal, signals})`: terminus serves each path of
        `healthChecks` on the server, and stops it on `signals` plus `signal` (default SIGTERM)."""
        options = self._options_object(argument)
        if not isinstance(options, dict) or getattr(options, "open", False):
            return
        checks = options.get("healthChecks")
        for path in checks if isinstance(checks, dict) else ():
            if isinstance(path, str) and path.startswith("/"):
                self.facts.routes.append(Route("GET", join_route("", path), self.location(node)))
        signal, signals = options.get("signal", "SIGTERM"), options.get("signals", [])
        if isinstance(signal, str) and isinstance(signals, list):
            self._option_signals(node, TERMINUS, [*signals, signal], "createTerminus")

    # -- calls --------------------------------------------------------------------------------
    def on_call_expression(self, node) -> None:
        function = node.child_by_field_name("function")
        if function is not None and function.type == "await_expression" and function.named_children:
            # `await client.get<T>('/x')`: with type arguments the grammar reads the `await` as part
            # of what is called.
            function = function.named_children[0]
        if function is None:
            return
        callee = "".join(text_of(function).split())
        method = callee.rsplit(".", 1)[-1]
        target = callee.rsplit(".", 1)[0] if "." in callee else ""
        if method in ("listen", "createServer") and target:
            self.facts.server_calls.append(self.evidence(node, f"{callee}(...)"))
        # Most calls are none of the ones below: their arguments are not looked at.
        wanted = (
            callee == "require"
            or (target == "process" and method in LISTENER_METHODS)
            or (target == "Deno" and method == "addSignalListener")
            or (target == "globalThis" and method == "addEventListener")
            or method == "enableShutdownHooks"
            or (method in ROUTE_METHODS and target and "." not in target and target not in HTTP_CLIENTS)
            or (method in ROUTE_METHODS and "." in target)
            or (method == "route" and target and "." not in target)
            or callee in MONGO_CALLS
            or callee in REDIS_CALLS
            or callee in METRIC_PROVIDERS
            or method in METRIC_PROVIDERS
            or (method == "listen" and bool(target))
            or (method in ("use", "register") and bool(target) and "." not in target)
            or (method == "addService" and bool(target))
            or method in ("createTerminus", "createLightship")
        )
        arguments = _arguments(node) if wanted else []
        if callee == "require" and arguments:
            name = string_value(arguments[0])
            if name:
                self._module(node, name, f"require('{name}')")
                if node.parent is not None and node.parent.type == "variable_declarator":
                    bound = _bound_names(node.parent.child_by_field_name("name"))
                    if name.startswith("."):
                        self.local_names.update(bound)
                        self.local_modules.update(dict.fromkeys(bound, name))
                    else:
                        self.package_names.update(dict.fromkeys(bound, name))
            return
        # Deno's own signal API (`Deno.addSignalListener('SIGTERM', stop)`) beside Node's.
        listens = (target == "process" and method in LISTENER_METHODS) or (
            target == "Deno" and method == "addSignalListener"
        )
        if listens and arguments:
            for event in self._event_names(arguments[0]):
                if event in PROCESS_EVENTS:
                    detail = f"{target}.{method}('{event}')"
                    self.facts.signals.setdefault(event, []).append(self.evidence(node, detail))
                elif (
                    event == "message"
                    and target == "process"
                    and len(arguments) > 1
                    and _SHUTDOWN_MESSAGE.search(text_of(arguments[1]))
                ):
                    # PM2's stop message (`shutdown_with_message`): `process.on('message', (msg) =>
                    # { if (msg === 'shutdown') ... })`, the handler written where it is registered.
                    detail = f"process.{method}('message') for 'shutdown'"
                    self.facts.signals.setdefault(PM2_SHUTDOWN_MESSAGE, []).append(self.evidence(node, detail))
        elif target == "globalThis" and method == "addEventListener" and arguments:
            # Deno's (and the web's) global events: `unhandledrejection`, and `error` for an
            # exception nothing caught.
            event = _GLOBAL_CRASH_EVENTS.get(string_value(arguments[0]) or "")
            if event is not None:
                detail = f"globalThis.addEventListener('{string_value(arguments[0])}')"
                self.facts.signals.setdefault(event, []).append(self.evidence(node, detail))
        elif method == "route" and target and "." not in target and arguments:
            self._declared_routes(node, arguments[0])
        elif method == "enableShutdownHooks":
            signals = self._string_list(arguments[0]) if arguments else None
            detail = ",".join(signals) if signals else "SIGTERM,SIGINT,SIGHUP,all"
            self.facts.shutdown_hooks.append(self.evidence(node, detail))
        elif method in ROUTE_METHODS and target and "." not in target and target not in HTTP_CLIENTS and arguments:
            route = string_value(arguments[0])
            if route and route.startswith("/") and not self._declares_client(target):
                self.facts.routes.append(Route(method.upper(), join_route("", route), self.location(node)))
            elif (
                route is None
                and len(arguments) >= 2
                and _request_handler(arguments[-1])
                and not self._declares_client(target)
            ):
                # `app.get(env.app.routePrefix, (req, res) => ...)`: a handler at a path held elsewhere.
                self.facts.unread_routes.append(self.evidence(node, f"{callee}({text_of(arguments[0])[:60]}, ...)"))
        elif method in ROUTE_METHODS and arguments and (field := _THIS_FIELD.match(target)) is not None:
            self._field_router_route(node, method, field.group(1), arguments)
        elif method in ROUTE_METHODS and "." in target and len(arguments) >= 2 and _request_handler(arguments[-1]):
            # An app another object holds, with a request handler in place (bluesky's PDS:
            # `pds.app.get('/tls-check', (req, res) => ...)`); a client's callback is `(err, data)`.
            self._handled_route(node, method, callee, arguments[0])
        elif method == "listen" and target and arguments:
            self._listen_port(node, arguments[0])
        elif method in ("use", "register") and target and "." not in target and len(arguments) >= 2:
            self._mount(method, arguments)
        elif method == "createTerminus" and TERMINUS in self.signal_imports and len(arguments) >= 2:
            self._terminus(node, arguments[1])
        elif method == "createLightship" and "lightship" in self.file_modules:
            self._lightship(node, arguments[0] if arguments else None)
        elif method == "addService" and target and arguments and _GRPC_HEALTH_SERVICE.search(text_of(arguments[0])):
            self.facts.grpc_health.append(self.evidence(node, f"{callee}({text_of(arguments[0])}, ...)"))
        if method == "register" and target and arguments:
            self._plugin_route(node, arguments)
        if target.split(".", 1)[0] in self.local_names:
            pass
        elif callee in MONGO_CALLS:
            self._connection("mongodb", callee, node, arguments)
        elif callee in REDIS_CALLS:
            self._connection("redis", callee, node, arguments)
        elif callee in METRIC_PROVIDERS or method in METRIC_PROVIDERS:
            self._metric(node, arguments)
        if callee.startswith(("retry", "pRetry")) or callee in ("backOff", "retryWithBackoff"):
            self.facts.retry_helpers.append(self.evidence(node, f"{callee}(...)"))
        if callee in ("circuitBreaker", "cockatiel.circuitBreaker"):
            self.facts.circuit_breakers.append(self.evidence(node, f"{callee}(...)"))

    def on_new_expression(self, node) -> None:
        constructor = node.child_by_field_name("constructor")
        if constructor is None:
            return
        name = "".join(text_of(constructor).split())
        arguments = _arguments(node)
        short = name.rsplit(".", 1)[-1]
        if name == "MongoClient":
            self._connection("mongodb", "new MongoClient", node, arguments)
        elif name in REDIS_CONSTRUCTORS:
            self._connection("redis", f"new {name}", node, arguments)
        elif short in METRIC_CLASSES:
            self._metric(node, arguments)
        elif BREAKER_NAME.search(short):
            self.facts.circuit_breakers.append(self.evidence(node, f"new {name}(...)"))

    def _metric(self, node, arguments) -> None:
        if not arguments or arguments[0].type != "object":
            return
        options = self.converter.convert(arguments[0])
        name = options.get("name") if isinstance(options, dict) else None
        if isinstance(name, str) and name:
            self.facts.metric_names.setdefault(name, self.evidence(node, name))

    def _mount(self, method: str, arguments: list) -> None:
        """A router of another file mounted at a path: Express's `app.use('/api', api)` (the module
        by a name bound to it, or `require('./api')` in place), Fastify's `fastify.register(health,
        {prefix: '/health'})`."""
        if method == "use":
            prefix, routers = string_value(arguments[0]), arguments[1:]
        else:
            options = self.converter.convert(arguments[1])
            prefix = options.get("prefix") if isinstance(options, dict) else None
            routers = arguments[:1]
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            return
        for router in routers:
            module = self._module_named(router)
            if module is not None:
                self.facts.mounts.append(Mount(prefix, module, self.path))
        if method == "use" and routers and self._answers(routers[-1]):
            self.facts.routes.append(Route("ALL", join_route("", prefix), self.location(routers[-1])))

    def _plugin_route(self, node, arguments: list) -> None:
        """`fastify.register(require('fastify-healthcheck'), {healthcheckUrl})`: the plugin serves
        GET `healthcheckUrl` (default /health) unless `healthcheckUrlDisable` is set."""
        if self._package_of(arguments[0]) != "fastify-healthcheck":
            return
        options = self.converter.convert(arguments[1]) if len(arguments) > 1 else {}
        if not isinstance(options, dict) or getattr(options, "open", False) or options.get("healthcheckUrlDisable"):
            return
        url = options.get("healthcheckUrl", "/health")
        if isinstance(url, str) and url.startswith("/"):
            self.facts.routes.append(Route("GET", join_route("", url), self.location(node)))

    def _answers(self, handler) -> bool:
        """Whether what `app.use(path, handler)` mounts answers the path itself: a request handler
        that takes no `next` (`(req, res) => res.send('ok')`), or the endpoint a health-check package
        makes (`healthcheck()` of express-healthcheck, health-connect's `LivenessEndpoint(checker)`)."""
        if _request_handler(handler):
            parameters = _parameters(handler)
            count = 1 if parameters.type == "identifier" else len(parameters.named_children)
            return count <= 2  # `(req, res, next)` may pass the request on
        function = handler.child_by_field_name("function") if handler.type == "call_expression" else None
        if function is None:
            return False
        if function.type == "member_expression":  # `health.LivenessEndpoint(checker)`
            function = function.child_by_field_name("object")
        return self._package_of(function) in HEALTH_ENDPOINT_PACKAGES

    def _package_of(self, node) -> str | None:
        """The package a name or an inline `require('pkg')` stands for (not the repository's own)."""
        if node is None:
            return None
        if node.type == "identifier":
            return self.package_names.get(text_of(node))
        if node.type == "call_expression" and text_of(node.child_by_field_name("function")) == "require":
            inner = _arguments(node)
            name = string_value(inner[0]) if inner else None
            return name if name and not name.startswith(".") else None
        return None

    def _field_router_route(self, node, method: str, field: str, arguments: list) -> None:
        """A route on a router the enclosing class holds in a field, its path a literal or a
        template of the class's string fields (`${this.path}/health`), or on any field with a
        request handler in place (`this.app.get('/health', (req, res) => ...)`, the field set in the
        constructor). Another field's `get` (an injected HTTP client's `this.http.get('/users')`)
        requests a path and serves none."""
        fields = self._class_fields(node)
        router = fields.get(field)
        handled = len(arguments) >= 2 and _request_handler(arguments[-1])
        if (router is None or not _creates_router(router)) and not handled:
            return
        argument = arguments[0]
        route = string_value(argument)
        if route is None and argument.type == "template_string":
            route = _template_of_fields(argument, fields)
        if route and route.startswith("/"):
            self.facts.routes.append(Route(method.upper(), join_route("", route), self.location(node)))
        elif route is None and handled:
            detail = f"this.{field}.{method}({text_of(argument)[:60]}, ...)"
            self.facts.unread_routes.append(self.evidence(node, detail))

    def _handled_route(self, node, method: str, callee: str, argument) -> None:
        """A route call with a request handler in place: its path, or an unread route where the
        path is held elsewhere."""
        route = string_value(argument)
        if route and route.startswith("/"):
            self.facts.routes.append(Route(method.upper(), join_route("", route), self.location(node)))
        elif route is None:
            self.facts.unread_routes.append(self.evidence(node, f"{callee}({text_of(argument)[:60]}, ...)"))

    def _class_fields(self, node) -> dict[str, Any]:
        """The enclosing class's fields with an initial value, by name (none outside a class)."""
        owner = node.parent
        while owner is not None and owner.type not in _CLASS_TYPES:
            owner = owner.parent
        if owner is None:
            return {}
        fields = self.class_fields.get(owner.id)
        if fields is None:
            fields = {}
            body = owner.child_by_field_name("body")
            for member in body.named_children if body is not None else []:
                if member.type not in _FIELD_TYPES:
                    continue
                name = member.child_by_field_name("name") or member.child_by_field_name("property")
                value = member.child_by_field_name("value")
                if name is not None and value is not None:
                    fields[text_of(name)] = value
            self.class_fields[owner.id] = fields
        return fields

    def _module_named(self, node) -> str | None:
        """The relative module an argument stands for: a name bound to one, or `require('./x')`."""
        if node.type == "identifier":
            return self.local_modules.get(text_of(node))
        if node.type == "call_expression" and text_of(node.child_by_field_name("function")) == "require":
            inner = _arguments(node)
            module = string_value(inner[0]) if inner else None
            return module if module and module.startswith(".") else None
        return None

    def _declared_routes(self, node, argument) -> None:
        """Routes declared as objects, `fastify.route({method: 'GET', url})` and Hapi's
        `server.route({method, path})` (or a list of them), and Express's chained
        `app.route('/health').get(handler)`."""
        value = self.converter.convert(argument)
        if isinstance(value, str):
            method = self._chained_method(node) if value.startswith("/") else None
            if method is not None:
                self.facts.routes.append(Route(method, join_route("", value), self.location(node)))
            return
        for declared in value if isinstance(value, list) else [value]:
            if not isinstance(declared, dict):
                continue
            path = declared.get("url", declared.get("path"))
            methods = declared.get("method")
            methods = methods if isinstance(methods, list) else [methods]
            verbs = {m.upper() for m in methods if isinstance(m, str)}
            if isinstance(path, str) and path.startswith("/") and verbs & {"GET", "HEAD", "*"}:
                verb = "GET" if "GET" in verbs else "ALL" if "*" in verbs else "HEAD"
                self.facts.routes.append(Route(verb, join_route("", path), self.location(node)))

    @staticmethod
    def _chained_method(node) -> str | None:
        """The first GET, HEAD or ALL handler chained on `app.route(path)`, as Express chains them."""
        current = node
        for _ in range(8):
            member = current.parent
            if member is None or member.type != "member_expression":
                return None
            name = member.child_by_field_name("property")
            call = member.parent
            if name is None or call is None or call.type != "call_expression":
                return None
            if text_of(name) in ROUTE_METHODS:
                return text_of(name).upper()
            current = call
        return None

    def _connection(self, kind: str, call: str, node, arguments) -> None:
        connection = Connection(kind, call, self.location(node))
        first: Any = None
        for index, argument in enumerate(arguments):
            options = self._options_object(argument)
            if options is None:
                value = self.converter.convert(argument)
                if index == 0:
                    first = value
                if isinstance(value, str):
                    connection.uri = value
                elif index and _options_position(kind, index, first):
                    connection.options_unknown = True  # `mongoose.connect(config.url, config.options)`
                elif connection.uri is None:
                    connection.uri = UNKNOWN
                    connection.uri_source = "".join(text_of(argument).split())
                continue
            if options is UNKNOWN or getattr(options, "open", False):
                connection.options_unknown = True
            if isinstance(options, dict):
                connection.option_keys |= _deep_keys(options)
                uri = options.get("uri") or options.get("url")
                if isinstance(uri, str):
                    connection.uri = uri
        self.facts.connections.append(connection)

    def _options_object(self, argument) -> Any:
        """An options object argument (also the object a NestJS `useFactory` returns); None if not one."""
        if argument.type == "object":
            value = self.converter.convert(argument)
            factory = _factory_result(argument)
            if factory is not None:
                produced = self.converter.convert(factory)
                if isinstance(produced, dict):
                    merged = JsObject({k: v for k, v in value.items() if k != "useFactory"})
                    merged.update(produced)
                    merged.open = getattr(produced, "open", False)
                    return merged
                return UNKNOWN
            if isinstance(value, dict) and ("useClass" in value or "useExisting" in value):
                return UNKNOWN
            return value
        if argument.type == "identifier":
            value = self.converter.convert(argument)
            return value if isinstance(value, dict) else (UNKNOWN if value is UNKNOWN else None)
        return None

    def _event_names(self, argument) -> list[str]:
        """The events a listener is registered for: a string, or each string of the array a loop
        or a `forEach` binds the name to (`for (const signal of ['SIGINT', 'SIGTERM'])`,
        `['SIGINT', 'SIGTERM'].forEach((signal) => process.on(signal, stop))`, a loop over a
        parameter whose default is such an array, as atproto's `PDS.run()` does)."""
        event = string_value(argument)
        if event is not None:
            return [event]
        if argument.type != "identifier":
            return []
        name, node = text_of(argument), argument.parent
        while node is not None:
            if node.type == "for_in_statement" and name in _bound_names(node.child_by_field_name("left")):
                return self._strings_of(node.child_by_field_name("right"), 0) or []
            if node.type in _FUNCTIONS and name in _bound_names(_parameters(node)):
                call = node.parent.parent if node.parent is not None and node.parent.type == "arguments" else None
                function = call.child_by_field_name("function") if call is not None else None
                if function is not None and function.type == "member_expression":
                    member = function.child_by_field_name("property")
                    if member is not None and text_of(member) == "forEach":
                        return self._strings_of(function.child_by_field_name("object"), 0) or []
                return []  # a parameter: its value is the caller's
            node = node.parent
        return []

    def _strings_of(self, node, depth: int) -> list[str] | None:
        """The strings of an array literal, or of the array a name is declared with (a local
        `const`, a parameter's default, a module's top-level `const`)."""
        if node is None or depth > 3:
            return None
        if node.type == "array":
            values = [string_value(item) for item in node.named_children if item.type != "comment"]
            return [v for v in values if v is not None] if values and None not in values else None
        if node.type == "identifier":
            declared = _declared_value(text_of(node), node)
            return self._strings_of(declared, depth + 1) if declared is not None else self._string_list(node)
        return None

    def _string_list(self, node) -> list[str] | None:
        value = self.converter.convert(node)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        return None

    # -- declarations -------------------------------------------------------------------------
    def on_class_declaration(self, node) -> None:
        name_node = node.child_by_field_name("name")
        name = text_of(name_node) if name_node is not None else ""
        if BREAKER_NAME.search(name):
            self.facts.circuit_breakers.append(self.evidence(node, f"class {name}"))
        if RETRY_NAME.search(name):
            self.facts.retry_helpers.append(self.evidence(node, f"class {name}"))
        prefix = self._controller_prefix(node)
        if prefix is None:
            return
        body = node.child_by_field_name("body")
        pending: list = []
        for member in body.named_children if body is not None else []:
            if member.type == "decorator":
                pending.append(member)
                continue
            if member.type == "method_definition":
                for decorator in pending + [c for c in member.named_children if c.type == "decorator"]:
                    route = self._decorator_route(decorator)
                    if route is None:
                        continue
                    method, path = route
                    if path is None or prefix is _UNREAD_PATH:
                        # `@Controller(routesV1.version)`, `@Get(routesV1.user.root)`: a path held
                        # elsewhere, which this file does not show.
                        self.facts.unread_routes.append(self.evidence(decorator, " ".join(text_of(decorator).split())))
                    else:
                        self.facts.routes.append(Route(method, join_route(prefix, path), self.location(decorator)))
            pending = []

    def _controller_prefix(self, node) -> str | None:
        decorators = [c for c in node.named_children if c.type == "decorator"]
        parent = node.parent
        if parent is not None and parent.type == "export_statement":
            decorators += [c for c in parent.named_children if c.type == "decorator"]
        for decorator in decorators:
            call = decorator.named_children[0] if decorator.named_children else None
            if call is None:
                continue
            if call.type == "identifier" and text_of(call) in CONTROLLER_DECORATORS:
                return ""
            function = call.child_by_field_name("function") if call.type == "call_expression" else None
            if function is None or text_of(function) not in CONTROLLER_DECORATORS:
                continue
            arguments = _arguments(call)
            if not arguments:
                return ""
            value = self.converter.convert(arguments[0])
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("path"), str):
                return value["path"]
            if isinstance(value, dict) and "path" not in value and not getattr(value, "open", False):
                return ""  # `@Controller({host: 'api.example.com'})`: options without a path
            return _UNREAD_PATH
        return None

    def _decorator_route(self, decorator) -> tuple[str, str | None] | None:
        """(method, path) of a route decorator (`@Get('/me')`), the path None where it is not
        written out (`@Get(routes.me)`); None for any other decorator."""
        call = decorator.named_children[0] if decorator.named_children else None
        if call is None:
            return None
        if call.type == "identifier" and text_of(call) in NEST_ROUTE_DECORATORS:
            return NEST_ROUTE_DECORATORS[text_of(call)], ""
        if call.type != "call_expression":
            return None
        name = text_of(call.child_by_field_name("function"))
        if name not in NEST_ROUTE_DECORATORS:
            return None
        arguments = _arguments(call)
        value = self.converter.convert(arguments[0]) if arguments else ""
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        return NEST_ROUTE_DECORATORS[name], value if isinstance(value, str) else None

    def on_decorator(self, node) -> None:
        call = node.named_children[0] if node.named_children else None
        function = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else call
        name = text_of(function) if function is not None else ""
        if RETRY_NAME.search(name):
            self.facts.retry_helpers.append(self.evidence(node, f"@{name}"))
        elif BREAKER_NAME.search(name):
            self.facts.circuit_breakers.append(self.evidence(node, f"@{name}"))

    def on_function_declaration(self, node) -> None:
        self._named_definition(node.child_by_field_name("name"), node)

    def on_variable_declarator(self, node) -> None:
        value = node.child_by_field_name("value")
        name_node = node.child_by_field_name("name")
        if value is not None and name_node is not None and SHUTDOWN_TIMEOUT_NAME.search(text_of(name_node)):
            self._shutdown_timeout(text_of(name_node), value)
        if value is not None and value.type in ("arrow_function", "function_expression", "function"):
            self._named_definition(node.child_by_field_name("name"), node)

    def on_method_definition(self, node) -> None:
        self._named_definition(node.child_by_field_name("name"), node)

    def _shutdown_timeout(self, name: str, value_node) -> None:
        """`const SHUTDOWN_TIMEOUT_MS = 30000`, or the literal fallback of `Number(env.X ?? 30000)`."""
        candidates = [value_node]
        while candidates:
            node = candidates.pop(0)
            value = self.converter.convert(node)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                self.facts.shutdown_timeouts.append(
                    ShutdownTimeout(timeout_ms(name, value), self.evidence(node, f"{name} = {value}"))
                )
                return
            candidates.extend(_fallbacks(node))

    def _listen_port(self, node, argument) -> None:
        """The port of `server.listen(3000)`, `app.listen(PORT)` with `const PORT = process.env.PORT
        || 3000`, `app.listen(Number(process.env.PORT ?? 3000))` or `fastify.listen({ port: 3000 })`:
        the literal, or the fallback used when PORT is not set."""
        candidates, seen = [argument], 0
        while candidates and seen < 16:
            current, seen = candidates.pop(0), seen + 1
            if current.type == "identifier" and text_of(current) in self.converter.consts:
                candidates.append(self.converter.consts[text_of(current)])
                continue
            if current.type == "object":
                pairs = [c for c in current.named_children if c.type in ("pair", "shorthand_property_identifier")]
                for pair in pairs:
                    if pair.type == "shorthand_property_identifier" and text_of(pair) == "port":
                        candidates.append(pair)
                    elif pair.type == "pair" and pair.child_by_field_name("value") is not None:
                        key = pair.child_by_field_name("key")
                        if key is not None and property_key(key) == "port":
                            candidates.append(pair.child_by_field_name("value"))
                continue
            if current.type == "shorthand_property_identifier":
                value = self.converter.resolve(text_of(current), (), 0)
            else:
                value = self.converter.convert(current)
            port = ascii_int(value) if isinstance(value, str) else value
            if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
                self.facts.listen_ports.append((port, self.evidence(node, f"listen({port})")))
                return
            candidates.extend(_fallbacks(current, first_argument=True))

    def _named_definition(self, name_node, node) -> None:
        if name_node is None:
            return
        name = text_of(name_node)
        if RETRY_NAME.search(name):
            self.facts.retry_helpers.append(self.evidence(node, f"{name}()"))
        elif BREAKER_NAME.search(name):
            self.facts.circuit_breakers.append(self.evidence(node, f"{name}()"))


def _fallbacks(node, first_argument: bool = False) -> list:
    """Where a value may still be literal: the fallback of `env.X ?? 30000` (or `||`), the
    arguments of `Number(...)` / `parseInt(...)` (the first only, if asked), a parenthesized value."""
    operator = node.child_by_field_name("operator") if node.type == "binary_expression" else None
    if operator is not None and text_of(operator) in ("??", "||"):
        return [node.child_by_field_name("right")]
    if node.type in ("call_expression", "parenthesized_expression"):
        arguments = node.child_by_field_name("arguments")
        children = arguments.named_children if arguments is not None else node.named_children
        return children[:1] if first_argument else children
    return []


# The node types the walker has an on_<type> handler for.
_HANDLED_TYPES = tuple(sorted(name[3:] for name in vars(_Walker) if name.startswith("on_")))


def _bound_names(node) -> list[str]:
    """The identifiers an import clause or a declarator's name binds (default, namespace, named,
    destructured); the local name where one is renamed."""
    if node is None:
        return []
    if node.type in ("identifier", "shorthand_property_identifier_pattern"):
        return [text_of(node)]
    if node.type in ("import_specifier", "pair_pattern"):
        bound = node.child_by_field_name("alias") or node.child_by_field_name("value")
        return _bound_names(bound if bound is not None else node.child_by_field_name("name"))
    return [name for child in node.named_children for name in _bound_names(child)]


_FUNCTIONS = frozenset(
    {"arrow_function", "function_expression", "function", "function_declaration", "method_definition"}
)


def _parameters(function):
    return function.child_by_field_name("parameters") or function.child_by_field_name("parameter")


def _declared_value(name: str, at):
    """The value `name` is declared with in a scope around `at`: `const name = value` in an
    enclosing block, or a default of the enclosing function's parameters (`name = value`,
    `{ name = value }`). None when not found there."""
    node = at.parent
    while node is not None:
        if node.type in _FUNCTIONS:
            for pattern in _patterns(_parameters(node)):
                left = pattern.child_by_field_name("left") or pattern.child_by_field_name("pattern")
                right = pattern.child_by_field_name("right") or pattern.child_by_field_name("value")
                if left is not None and right is not None and text_of(left) == name:
                    return right
        if node.type in ("statement_block", "program"):
            for statement in node.named_children:
                if statement.type not in ("lexical_declaration", "variable_declaration"):
                    continue
                for declarator in statement.named_children:
                    bound = declarator.child_by_field_name("name") if declarator.type == "variable_declarator" else None
                    if bound is not None and bound.type == "identifier" and text_of(bound) == name:
                        return declarator.child_by_field_name("value")
        node = node.parent
    return None


def _patterns(node):
    """The `name = default` patterns of a parameter list, also inside destructuring."""
    if node is None:
        return
    for child in node.named_children:
        if child.type in ("assignment_pattern", "object_assignment_pattern"):
            yield child
        elif child.type in ("object_pattern", "array_pattern", "formal_parameters"):
            yield from _patterns(child)
        elif child.type in ("required_parameter", "optional_parameter"):
            if child.child_by_field_name("value") is not None:
                yield child  # TypeScript's `signals: string[] = [...]`
            yield from _patterns(child)  # and `{ signals = [...] }: Options = {}`


def _arguments(node) -> list:
    arguments = node.child_by_field_name("arguments")
    return [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []


def _factory_result(options_node):
    """The object a `useFactory: () => ({...})` (or `{ return {...} }`) returns, as a node."""
    for pair in options_node.named_children:
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        if key is None or text_of(key) != "useFactory":
            continue
        function = pair.child_by_field_name("value")
        body = function.child_by_field_name("body") if function is not None else None
        if body is None:
            return None
        if body.type == "parenthesized_expression" and body.named_children:
            return body.named_children[0]
        if body.type == "object":
            return body
        if body.type == "statement_block":
            for statement in body.named_children:
                if statement.type == "return_statement" and statement.named_children:
                    returned = statement.named_children[0]
                    if returned.type == "parenthesized_expression" and returned.named_children:
                        returned = returned.named_children[0]
                    return returned
        return None
    return None


def _deep_keys(options: dict, depth: int = 0) -> set[str]:
    keys = set(options)
    if depth < 4:
        for value in options.values():
            if isinstance(value, dict):
                keys |= _deep_keys(value, depth + 1)
    return keys


def _options_position(kind: str, index: int, first: Any) -> bool:
    """Whether a value we cannot read, at this argument position, may be the client's options: after
    the URI of a MongoDB client; for ioredis, anything after the first argument but the host after a
    literal port (`new Redis(6379, process.env.REDIS_HOST)`)."""
    if kind == "mongodb":
        return index >= 1
    return index >= 2 or not isinstance(first, int)


def _creates_router(value) -> bool:
    """Whether a field's initial value makes a router: `Router()`, `express.Router()`, `new Router()`."""
    if value.type not in ("call_expression", "new_expression"):
        return False
    function = value.child_by_field_name("function") or value.child_by_field_name("constructor")
    return function is not None and "".join(text_of(function).split()) in _ROUTER_FACTORIES


def _template_of_fields(template, fields: dict[str, Any]) -> str | None:
    """A template string whose substitutions are all string fields of the class (`${this.path}`)."""
    parts = []
    for child in template.named_children:
        if child.type == "string_fragment":
            parts.append(text_of(child))
        elif child.type == "template_substitution":
            inner = child.named_children[0] if child.named_child_count == 1 else None
            field = _THIS_FIELD.match(text_of(inner)) if inner is not None else None
            value = fields.get(field.group(1)) if field is not None else None
            text = string_value(value) if value is not None else None
            if text is None:
                return None
            parts.append(text)
        else:
            return None
    return "".join(parts)
