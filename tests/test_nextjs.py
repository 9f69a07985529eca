"""Services Next.js serves with its own server (relcheck.artifacts.nextjs)."""

from __future__ import annotations

import pytest

from relcheck.artifacts.nextjs import file_routes, serves_itself

NEXT = {"dependencies": {"next": "15.1.0"}}


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("web/pages/api/health.ts", "/api/health"),
        ("web/pages/api/index.ts", "/api"),
        ("web/pages/api/products/[id].ts", "/api/products/:id"),
        ("web/pages/api/files/[...path].js", "/api/files/:path"),
        ("web/src/pages/api/cart/index.tsx", "/api/cart"),
        ("web/app/route.ts", "/"),
        ("web/app/health/liveness/route.ts", "/health/liveness"),
        ("web/app/(ops)/health/readiness/route.js", "/health/readiness"),
        ("web/src/app/[[...slug]]/route.mts", "/:slug"),
        ("web/app/@modal/login/route.ts", "/login"),
    ],
)
def test_a_route_file_serves_its_path(path: str, route: str) -> None:
    assert [r.path for r in file_routes("web", [path])] == [route]


@pytest.mark.parametrize(
    "path", ["web/pages/index.tsx", "web/pages/cart/[id].tsx", "web/app/page.tsx", "web/app/api/route.css", "web/x.ts"]
)
def test_pages_and_other_files_are_not_api_routes(path: str) -> None:
    assert file_routes("web", [path]) == []


def test_who_serves_the_service() -> None:
    assert serves_itself({**NEXT, "scripts": {"start": "next start -p 3000"}}, entry_in_repository=True)
    assert serves_itself(NEXT, entry_in_repository=False)  # the standalone server.js is build output
    assert not serves_itself(NEXT, entry_in_repository=True)  # a custom server of the repository
    assert not serves_itself({"dependencies": {"express": "4"}}, entry_in_repository=False)
    # A workspace's app whose `next` is the root package.json's: its start script says it.
    assert serves_itself({"scripts": {"start": "dotenv -e ../../.env -- next start -p 4200"}}, entry_in_repository=True)
    assert not serves_itself({"scripts": {"start": "node next-server.js"}}, entry_in_repository=False)
    assert not serves_itself({"devDependencies": {"next": "15"}}, entry_in_repository=False)
    assert not serves_itself(["not", "a", "manifest"], entry_in_repository=False)


def test_who_nitro_serves() -> None:
    """Nuxt 3 and later, TanStack Start, SolidStart: Nitro's server (relcheck.artifacts.nitro)."""
    from relcheck.artifacts import nitro

    start = {"dependencies": {"@tanstack/react-start": "1.1"}, "scripts": {"start": "node .output/server/index.mjs"}}
    assert nitro.serves_itself(start, entry_in_repository=True)
    assert nitro.serves_itself({"dependencies": {"nuxt": "^3.14.0"}}, entry_in_repository=False)
    assert nitro.serves_itself({"dependencies": {"nuxt": "^4.0.0"}, "scripts": {"start": "nuxt start"}}, True)
    assert not nitro.serves_itself({"dependencies": {"nuxt": "^2.17.0"}}, entry_in_repository=False)  # its own server
    assert not nitro.serves_itself({"dependencies": {"nuxt": "^3.14.0"}}, entry_in_repository=True)  # a custom server
    assert not nitro.serves_itself({"devDependencies": {"nuxt": "^3"}}, entry_in_repository=False)


def test_a_nitro_server_handles_signals_and_crashes_unless_its_shutdown_is_disabled(tmp_path) -> None:
    """unkey's portal, a TanStack Start app: `node .output/server/index.mjs` runs Nitro's server,
    which shuts down on SIGTERM and SIGINT and traps uncaught errors; its source is routes and
    components. With `NITRO_SHUTDOWN_DISABLED` the signals are the app's to handle."""
    from relcheck.config.loader import Config
    from relcheck.scan.engine import scan

    (tmp_path / "package.json").write_text(
        '{"name": "portal", "scripts": {"start": "node .output/server/index.mjs"},\n'
        ' "dependencies": {"@tanstack/react-start": "1.168.6", "react": "19.2.4"}}\n'
    )
    (tmp_path / "src" / "routes").mkdir(parents=True)
    (tmp_path / "src" / "routes" / "index.tsx").write_text("export const Route = { path: '/' };\n")
    result = scan([tmp_path], Config(), select=["S001", "S002"])
    assert [s.runtime for s in result.services] == ["node"] and result.findings == []
    (tmp_path / "Dockerfile").write_text(
        'FROM node:22-slim\nENV NITRO_SHUTDOWN_DISABLED=1\nCOPY .output .output\nUSER node\n'
        'CMD ["node", ".output/server/index.mjs"]\n'
    )
    result = scan([tmp_path], Config(), select=["S001", "S002"])
    assert [(f.code, f.location.path, f.location.line) for f in result.findings] == [("S001", "package.json", 2)]


def test_who_react_router_serves() -> None:
    """`react-router-serve` (@react-router/serve) and `remix-serve` (@remix-run/serve) run the
    app's build in their own server (relcheck.artifacts.routerserve)."""
    from relcheck.artifacts import routerserve

    manifest = {"dependencies": {"@react-router/serve": "7.9.0"}}
    assert routerserve.serves_itself(manifest, ["PORT=3002 react-router-serve ./build/server/index.js"])
    assert routerserve.serves_itself(manifest, ["", "npx react-router-serve ./build/server/index.js"])
    assert not routerserve.serves_itself(manifest, ["node server.js"])  # a custom Express server
    assert not routerserve.serves_itself({"dependencies": {"react-router": "7"}}, ["react-router-serve build"])
    assert routerserve.server({"dependencies": {"@remix-run/serve": "2"}}) == "remix-serve"


def test_react_router_serve_closes_on_signals_but_traps_no_crash(tmp_path) -> None:
    """plane's `apps/space`: its image runs `npx react-router-serve ./build/server/index.js`, which
    closes the server on SIGTERM and SIGINT; its source is routes and components, so S001 was
    placed at a component. Nothing traps uncaught errors: S002 stands, at the dependency."""
    from relcheck.config.loader import Config
    from relcheck.scan.engine import scan

    (tmp_path / "package.json").write_text(
        '{"name": "space", "scripts": {"build": "react-router build"},\n'
        ' "dependencies": {"@react-router/node": "7.9.0", "@react-router/serve": "7.9.0", "react": "19.2.0"}}\n'
    )
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "index.ts").write_text("export * from './auth';\n")
    (tmp_path / "Dockerfile").write_text(
        'FROM node:22-alpine\nCOPY build ./build\nUSER node\n'
        'CMD ["npx", "react-router-serve", "./build/server/index.js"]\n'
    )
    result = scan([tmp_path], Config(), select=["S001", "S002"])
    assert [s.runtime for s in result.services] == ["node"]
    assert [(f.code, f.location.path, f.location.line) for f in result.findings] == [("S002", "package.json", 2)]
    (tmp_path / "Dockerfile").write_text('FROM node:22-alpine\nCOPY . .\nUSER node\nCMD ["node", "build/server.js"]\n')
    result = scan([tmp_path], Config(), select=["S001"])
    assert [f.code for f in result.findings] == ["S001"]
