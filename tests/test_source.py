"""Facts read from the service's source: routes, handlers, metrics, connections."""

from __future__ import annotations

import time
from pathlib import Path

from relcheck.artifacts.app import AppFacts, is_service_source, merge_facts
from relcheck.config.loader import Config
from relcheck.parsers.source import collect
from relcheck.scan.engine import scan

ENTERPRISE = Path(__file__).resolve().parent.parent / "examples" / "enterprise-service"


def _facts(files: dict[str, str]) -> AppFacts:
    facts = AppFacts()
    for path, text in files.items():
        assert collect(path, text, facts) is None
        facts.source_files.append(path)
    return facts


def test_enterprise_example_facts() -> None:
    facts = AppFacts()
    for path in sorted((ENTERPRISE / "src").rglob("*.ts")):
        rel = path.relative_to(ENTERPRISE).as_posix()
        assert collect(rel, path.read_text(), facts) is None
    assert {(r.method, r.path) for r in facts.routes} == {
        ("GET", "/health/liveness"),
        ("GET", "/health/readiness"),
        ("GET", "/metrics"),
    }
    assert facts.handles("SIGTERM") and facts.handles("SIGINT")
    assert {"enterprise_service_http_requests_total", "enterprise_service_event_loop_lag_seconds"} <= set(
        facts.metric_names
    )
    mongo = [c for c in facts.connections if c.kind == "mongodb"]
    assert len(mongo) == 1 and {"maxPoolSize", "minPoolSize"} <= mongo[0].option_keys
    assert mongo[0].location.path == "src/app.module.ts"
    assert facts.retry_helpers and facts.circuit_breakers


def test_routes_are_joined_and_located() -> None:
    facts = _facts(
        {
            "src/a.controller.ts": (
                "@Controller('api/v1')\nclass A {\n  @Get()\n  root() {}\n  @Get(':id')\n  one() {}\n}\n"
                "router.get('/ping', h);\nhttp.get(`${base}/x`);\nclient.get('relative');\n"
            )
        }
    )
    assert sorted((r.path, r.location.line) for r in facts.routes) == [("/api/v1", 3), ("/api/v1/:id", 5), ("/ping", 8)]


def test_an_http_clients_requests_are_not_routes() -> None:
    """kube-scheduler-simulator's Nuxt app calls the simulator's API through an axios instance it is
    handed (`k8sInstance: AxiosInstance`), often as `await k8sInstance.get<V1NodeList>('/nodes')`,
    which the grammar reads with the `await` in what is called: requests to a server, not routes
    it serves. So are a client a library makes (`axios.create()`, `got.extend()`); a router of the
    same file still declares its routes."""
    text = (
        "import axios, { AxiosInstance } from 'axios';\n"
        "const api = axios.create({ baseURL: '/api' });\n"
        "export default function nodeAPI(k8sInstance: AxiosInstance) {\n"
        "  return {\n"
        "    list: async () => (await k8sInstance.get<V1NodeList>('/nodes', {})).data,\n"
        "    apply: (n: V1Node) => k8sInstance.post('/nodes?force=true', n),\n"
        "    reset: () => api.put('/reset', {}),\n"
        "  };\n"
        "}\n"
        "router.get('/health/liveness', async () => (await pool.query<Row>('SELECT 1')).rows);\n"
    )
    facts = AppFacts()
    assert collect("web/api/v1/node.ts", text, facts) is None
    assert [(r.method, r.path, r.location.line) for r in facts.routes] == [("GET", "/health/liveness", 10)]


def test_routes_on_a_router_a_class_holds_in_a_field() -> None:
    """`this.router.get(...)` declares a route when the class's `router` field makes a router
    (`Router()`, `express.Router()`, `new Router()`), its path a literal or a template of the
    class's string fields; a field holding anything else (an HTTP client) serves nothing."""
    text = (
        "class A {\n"
        "  path = '/health';\n"
        "  router = express.Router();\n"
        "  other = new Router();\n"
        "  http = axios.create();\n"
        "  count = 2;\n"
        "  init() {\n"
        "    this.router.get(`${this.path}/liveness`, h);\n"
        "    this.other.get('/ready', h);\n"
        "    this.router.head(`${this.count}/x`, h);\n"
        "    this.router.get(`${this.missing}/y`, h);\n"
        "    this.http.get('/health/readiness');\n"
        "  }\n"
        "}\n"
        "function f() { this.router.get('/outside', h); }\n"
    )
    for path in ("src/a.js", "src/a.ts"):
        facts = AppFacts()
        assert collect(path, text, facts) is None
        routes = [(r.method, r.path, r.location.line) for r in facts.routes]
        assert routes == [("GET", "/health/liveness", 8), ("GET", "/ready", 9)], path


def test_a_grpc_health_service_added_from_its_proto() -> None:
    """`server.addService(healthProto.Health.service, ...)` serves the gRPC health checking
    protocol; another service's definition does not."""
    text = (
        "server.addService(healthProto.Health.service, {check});\n"
        "server.addService(grpc.health.v1.Health.service, impl);\n"
        "server.addService(shop.CurrencyService.service, {});\n"
        "addService(HealthImpl);\n"
    )
    facts = AppFacts()
    assert collect("src/server.js", text, facts) is None
    assert [e.location.line for e in facts.grpc_health] == [1, 2]


def test_mounted_routers_serve_under_their_prefixes() -> None:
    """A router's routes are served where it is mounted, through every level, whatever form the
    mount takes (a bound name, `require` in place, an ES import, Fastify's `prefix`)."""
    files = {
        "src/server.js": (
            "const health = require('./health');\n"
            "app.use('/health', health);\n"
            "app.use('/api', require('./api'));\n"
            "fastify.register(require('./status/index.js'), {prefix: '/status'});\n"
            "app.use(express.json());\n"
        ),
        "src/health.js": "router.get('/liveness', h);\nrouter.get('/readiness', h);\n",
        "src/api.ts": "import v1 from './v1';\napi.use('/v1', v1);\napi.get('/', h);\n",
        "src/v1.ts": "v1.get('/orders/:id', h);\n",
        "src/status/index.js": "fastify.get('/', h);\n",
        # Two files that mount each other: each is served under the other's prefix, once.
        "src/a.js": "const b = require('./b');\na.use('/b', b);\na.get('/x', h);\n",
        "src/b.js": "const a = require('./a');\nb.use('/a', a);\nb.get('/y', h);\n",
    }
    parts = []
    for path, text in files.items():
        part = AppFacts()
        assert collect(path, text, part) is None
        part.source_files.append(path)
        parts.append(part)
    served = {(r.path, r.location.path) for r in merge_facts(parts).routes}
    assert served == {
        ("/health/liveness", "src/health.js"),
        ("/health/readiness", "src/health.js"),
        ("/api", "src/api.ts"),
        ("/api/v1/orders/:id", "src/v1.ts"),
        ("/status", "src/status/index.js"),
        ("/b/a/x", "src/a.js"),
        ("/a/b/y", "src/b.js"),
    }


def test_non_literal_options_are_unknown() -> None:
    facts = _facts({"db.js": "const opts = load();\nmongoose.connect(uri, opts);\nnew Redis({...shared});\n"})
    assert [(c.kind, c.options_unknown) for c in facts.connections] == [("mongodb", True), ("redis", True)]


def test_service_source_excludes_tests_and_build_output() -> None:
    assert is_service_source("src/main.ts")
    assert not is_service_source("src/main.spec.ts")
    assert not is_service_source("test/app.e2e-spec.ts")
    assert not is_service_source("dist/main.js")
    assert not is_service_source("load-tests/k6.js")
    assert not is_service_source("src/types.d.ts")
    assert not is_service_source("packages/app/integration-tests/api.ts")
    # A repository's lint rules and code generator (growthbook's): tooling, not the server.
    assert not is_service_source("eslint-rules/no-alert-classname.mjs")
    assert not is_service_source("plopfile.js")
    assert not is_service_source("plop-templates/model.ts")
    assert is_service_source("src/lint-results.ts")
    # A test suite's helpers beside the code (hyperdx's `src/fixtures.ts`).
    assert not is_service_source("src/fixtures.ts")
    assert not is_service_source("src/testUtils.tsx")
    assert not is_service_source("src/setupTests.js")
    assert is_service_source("src/fixtures-loader.ts")
    # Below Next.js's route folders, folders are URL segments (langfuse's `/api/public/health`).
    assert is_service_source("web/src/pages/api/public/health.ts")
    assert is_service_source("web/src/app/api/public/ready/route.ts")
    assert not is_service_source("web/public/sw.js") and not is_service_source("web/tests/pages/api/x.ts")
    # A health check's own program (flowise's worker image runs `healthcheck.js` beside the worker).
    assert not is_service_source("docker/worker/healthcheck/healthcheck.js")
    assert not is_service_source("src/health-check.ts")
    assert is_service_source("src/health.ts")


def test_bad_source_files_are_findings(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.ts").write_text("process.on('SIGTERM', stop);\nconst x = {\n  a: 1\n  b: 2\n};\n")
    (tmp_path / "src" / "vendor.js").write_text("var a=" + "[1,2,3]," * 600_000 + "1;")
    started = time.perf_counter()
    result = scan([tmp_path], Config(), select=["E", "S001"])
    assert time.perf_counter() - started < 3
    found = sorted((f.code, f.location.path, f.location.line) for f in result.findings)
    # A syntax error in source is read around (an info: the build, not relcheck, judges the syntax).
    assert found == [("E002", "src/main.ts", 4), ("E002", "src/vendor.js", 1), ("S001", "src/main.ts", 1)]


def test_shutdown_timeouts_from_source_env_and_config(tmp_path: Path) -> None:
    from relcheck.scan.discovery import discover
    from relcheck.scan.project import build_project

    (tmp_path / "src").mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "src" / "main.ts").write_text(
        "const SHUTDOWN_TIMEOUT_MS = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 25000);\n"
        "const gracefulShutdownTimeoutSeconds = 40;\n"
    )
    (tmp_path / ".env").write_text("SHUTDOWN_TIMEOUT_MS=30000\nPORT=3000\n")
    (tmp_path / "config" / "default.yaml").write_text("server:\n  port: 3000\n  shutdownTimeout: 20\n")
    project, problems = build_project(discover([tmp_path]), 5 * 2**20)
    assert problems == []
    found = sorted(
        (t.evidence.location.path, t.evidence.location.line, t.milliseconds)
        for t in project.services[0].app.shutdown_timeouts
    )
    assert found == [
        (".env", 1, 30000.0),
        ("config/default.yaml", 3, 20000.0),
        ("src/main.ts", 1, 25000.0),
        ("src/main.ts", 2, 40000.0),
    ]


def test_typescript_the_grammar_reads_in_part_is_an_info_not_a_parse_error() -> None:
    case = Path(__file__).parent / "fixtures" / "rules" / "E002" / "fail" / "ts-the-grammar-reads-in-part"
    result = scan([case], Config())
    problems = [(f.code, f.severity.label, f.location.line) for f in result.findings if f.code.startswith("E")]
    assert problems == [("E002", "info", 5)]
    (message,) = [f.message for f in result.findings if f.code == "E002"]
    assert "could not read the code at line 5" in message and "missing" not in message


_FLOW_SERVER = """// @flow
import type { Config } from './Config';
import express from 'express';

export function start(config: Config, port: number): void {
  const app = express();
  app.get('/health/liveness', (req, res) => res.send('ok'));
  const server = app.listen(port);
  process.on('SIGTERM', () => server.close());
}
"""


def test_javascript_with_flow_types_is_read_whole() -> None:
    """Babel strips Flow's annotations (`import type`, `x: string`) before Node runs the file: the
    TypeScript grammar reads what the JavaScript one cannot, so the file is read whole, not in part.
    Where neither grammar reads a file, the JavaScript grammar's first error is the one told."""
    facts = _facts({"src/server.js": _FLOW_SERVER})
    assert facts.handles("SIGTERM") and [(r.method, r.path) for r in facts.routes] == [("GET", "/health/liveness")]
    broken = collect("src/broken.js", "import type { A } from './a';\nconst x = ?;\n", AppFacts())
    assert broken is not None and broken.code == "E002" and broken.line == 1
