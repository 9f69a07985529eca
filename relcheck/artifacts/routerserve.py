"""Services that React Router's or Remix's own server runs: `react-router-serve build/server/index.js`
(@react-router/serve) and `remix-serve build/index.js` (@remix-run/serve) start an Express server
around the app's build, and that server, not the repository's code, is the process. It closes its
listener on SIGTERM and on SIGINT (`process.once(signal, () => server.close())`); it handles no
uncaught exception or unhandled rejection."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

SERVE_PACKAGES = ("@react-router/serve", "@remix-run/serve")
# The events the server handles, each with whether a setting turns that off (none does).
FRAMEWORK_HANDLED = {"SIGTERM": False, "SIGINT": False}
_STARTS_SERVE = re.compile(r"(?:^|[\s;&|/])(?:react-router-serve|remix-serve)(?:\s|$)")


def serve_package(manifest: Any) -> str | None:
    """The serve package a package.json depends on."""
    dependencies = manifest.get("dependencies") if isinstance(manifest, dict) else None
    if not isinstance(dependencies, dict):
        return None
    return next((name for name in SERVE_PACKAGES if name in dependencies), None)


def serves_itself(manifest: Any, commands: Iterable[str]) -> bool:
    """The package's serve program runs the service: the package depends on it, and its start
    script or the image's command starts it (`npx react-router-serve ./build/server/index.js`)."""
    if serve_package(manifest) is None:
        return False
    return any(_STARTS_SERVE.search(command) for command in commands)


def server(manifest: Any) -> str:
    """How the findings and evidence name the server."""
    return "react-router-serve" if serve_package(manifest) == "@react-router/serve" else "remix-serve"
