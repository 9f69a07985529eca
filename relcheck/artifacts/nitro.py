"""Services that Nitro's Node server runs: Nuxt 3 and later, TanStack Start, SolidStart, Analog,
Vinxi and Nitro itself build to `.output/server/index.mjs`, which `node` runs (or `nuxt start`,
`vinxi start`). That server, not the repository's code, is the process. Its node-server runtime
shuts down gracefully on SIGTERM and SIGINT (closing the listener, waiting up to
`NITRO_SHUTDOWN_TIMEOUT`, 30 s by default) unless `NITRO_SHUTDOWN_DISABLED` is set, and logs
uncaught exceptions and unhandled rejections (`trapUnhandledNodeErrors`) instead of crashing."""

from __future__ import annotations

import re
from typing import Any

# The frameworks whose production server is Nitro's (Nuxt from version 3 on).
NITRO_FRAMEWORKS = (
    "nuxt", "nitropack", "nitro", "@tanstack/react-start", "@tanstack/solid-start", "@tanstack/start",
    "@solidjs/start", "@analogjs/platform", "vinxi",
)
FRAMEWORK_HANDLED = {"SIGTERM": True, "SIGINT": True, "uncaughtException": False, "unhandledRejection": False}
MANUAL_SIGNALS = "NITRO_SHUTDOWN_DISABLED"
SERVER = "Nitro's server"
_STARTS_NITRO = re.compile(r"\.output/server/index\.mjs|(?:^|[\s;&|])(?:nuxt|nuxi|vinxi)\s+(?:start|preview)\b")


def framework(manifest: Any) -> str | None:
    """The Nitro-based framework a package.json depends on (Nuxt 2, which has its own server, is not one)."""
    if not isinstance(manifest, dict):
        return None
    dependencies = manifest.get("dependencies")
    for name in NITRO_FRAMEWORKS if isinstance(dependencies, dict) else ():
        version = dependencies.get(name)
        if not isinstance(version, str):
            continue
        major = re.search(r"\d+", version)
        if name == "nuxt" and major is not None and int(major.group()) < 3:
            continue
        return name
    return None


def serves_itself(manifest: Any, entry_in_repository: bool) -> bool:
    """Nitro's server runs the service: it depends on a Nitro-based framework, and its start script
    runs the built server (`node .output/server/index.mjs`, `nuxt start`) or no entry point of its
    commands is a file of the repository (the server is build output)."""
    if framework(manifest) is None:
        return False
    scripts = manifest.get("scripts")
    start = scripts.get("start") if isinstance(scripts, dict) else None
    if isinstance(start, str) and _STARTS_NITRO.search(start):
        return True
    return not entry_in_repository
