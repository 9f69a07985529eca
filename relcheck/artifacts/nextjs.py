"""Services that Next.js serves with its own server: `next start`, or the standalone `server.js`
that `next build` writes (build output, not in the repository). That server, not the repository's
code, is the process: Next.js registers its own SIGTERM and SIGINT handlers (it closes the server,
then exits) unless `NEXT_MANUAL_SIG_HANDLE` is set, and logs uncaught exceptions and unhandled
rejections instead of crashing. Its HTTP routes are files: `pages/api/**` and `app/**/route.ts`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from relcheck.artifacts.app import AppFacts, Evidence, Route
from relcheck.model import Location

# What Next.js's server handles itself, and whether `NEXT_MANUAL_SIG_HANDLE` turns it off.
FRAMEWORK_HANDLED = {"SIGTERM": True, "SIGINT": True, "uncaughtException": False, "unhandledRejection": False}
MANUAL_SIGNALS = "NEXT_MANUAL_SIG_HANDLE"
_ROUTE_FILE = re.compile(
    r"^(?:src/)?(?:pages/(?P<api>api(?:/.*)?)/(?P<page>[^/]+)|app/(?:(?P<app>.*)/)?route)\.(?:[cm]?[jt]sx?)$"
)
NEXT_START = re.compile(r"(?:^|[\s;&|])next\s+start\b")
_DYNAMIC = re.compile(r"^\[{1,2}(?:\.\.\.)?(?P<name>[^\]]+)\]{1,2}$")


def next_version(manifest: Any) -> str | None:
    """The `next` dependency a package.json declares (its version range), or None."""
    if not isinstance(manifest, dict):
        return None
    dependencies = manifest.get("dependencies")
    version = dependencies.get("next") if isinstance(dependencies, dict) else None
    return version if isinstance(version, str) else None


def serves_itself(manifest: Any, entry_in_repository: bool) -> bool:
    """Next.js's own server runs the service: `next start` is how it starts (a workspace's app may
    take `next` from the root package.json: postiz's `apps/frontend`), or it depends on Next.js and
    no entry point of its commands is a file of the repository (the standalone `server.js` is build
    output; a custom server would be a file of the repository)."""
    if not isinstance(manifest, dict):
        return False
    scripts = manifest.get("scripts")
    start = scripts.get("start") if isinstance(scripts, dict) else None
    if isinstance(start, str) and NEXT_START.search(start):
        return True
    return next_version(manifest) is not None and not entry_in_repository


def file_routes(root: str, source_files: Iterable[str]) -> list[Route]:
    """The API routes Next.js serves from files of the service (`pages/api/health.ts` is
    `/api/health`, `app/health/live/route.ts` is `/health/live`)."""
    routes = []
    for path in sorted(source_files):
        relative = path[len(root) + 1 :] if root and path.startswith(f"{root}/") else path
        match = _ROUTE_FILE.match(relative)
        if match is None:
            continue
        if match.group("api") is not None:
            page = match.group("page")
            segments = [*match.group("api").split("/"), *([] if page == "index" else [page])]
        else:
            segments = (match.group("app") or "").split("/")
        routes.append(Route("ANY", _route_path(segments), Location(path, 1, 1)))
    return routes


def _route_path(segments: list[str]) -> str:
    parts = []
    for segment in segments:
        if not segment or (segment.startswith("(") and segment.endswith(")")) or segment.startswith("@"):
            continue  # route groups and parallel-route slots are not part of the URL
        dynamic = _DYNAMIC.match(segment)
        parts.append(f":{dynamic.group('name')}" if dynamic else segment)
    return "/" + "/".join(parts)


def add_framework_facts(
    facts: AppFacts,
    where: Location,
    manual_signals: bool,
    routes: list[Route],
    server: str = "Next.js's server",
    handled: dict[str, bool] = FRAMEWORK_HANDLED,
) -> None:
    """What the framework's server does (`handled`: the events it handles, and whether the manual
    setting turns that off), as evidence at the package.json line that depends on it; the
    service's findings are placed there too (its source files are pages and components)."""
    for event, manual_turns_off in handled.items():
        if manual_signals and manual_turns_off:
            continue  # the service handles these itself, or nothing does
        facts.signals.setdefault(event, []).append(Evidence(where, f"{server} handles {event}"))
    known = {(route.path, route.location.path) for route in facts.routes}
    facts.routes += [route for route in routes if (route.path, route.location.path) not in known]
    facts.anchor_at = where
