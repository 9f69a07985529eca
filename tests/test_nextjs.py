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
