"""Which JavaScript/TypeScript files are the server: the folder of its entry point, and whatever the
entry reaches through relative imports. A browser script, a tool config or a second app elsewhere
in the service's folder is not the server, so its code (or its lack of a SIGTERM handler) does not
count. Files inside the entry's own folder always count: path aliases and dependency injection
reach them in ways the import graph does not show, and dropping one would make S rules report
what the service does have."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

SOURCE_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
# Build output folders whose files come from src/ (dist/main.js is built from src/main.ts).
_BUILT = re.compile(r"^(?:dist|build|out|lib)/")
_SCRIPT = re.compile(r"[\w./@-]+\.(?:[cm]?[jt]sx?)\b")


# The script node runs, with or without an extension (`node ./bin/www`, Express's generator).
_NODE_SCRIPT = re.compile(
    r"(?:^|[\s;&|/])(?:node|nodejs|nodemon)\s+(?:-[-\w]+(?:=\S+)?\s+)*(?P<script>[\w.@-][\w./@-]*)"
)


def entry_candidates(commands: Iterable[str]) -> list[str]:
    """Script paths named in commands (`node dist/main.js`, `node ./bin/www`, a PM2 `script`,
    package.json `main`)."""
    found = []
    for command in commands:
        found += [match.group().removeprefix("./") for match in _SCRIPT.finditer(command)]
        found += [m.group("script").removeprefix("./") for m in _NODE_SCRIPT.finditer(command)]
    return list(dict.fromkeys(found))


def _variants(path: str) -> list[str]:
    stem, extension = posixpath.splitext(path)
    stems = [stem]
    if _BUILT.match(stem):
        stems.append(_BUILT.sub("src/", stem))
    return [candidate for s in stems for candidate in [s + extension, *(s + e for e in SOURCE_EXTENSIONS)]]


def find_entry(root: str, sources: Iterable[str], entries: list[str]) -> str | None:
    """The first of `entries` (script paths relative to the service's root, built ones mapped back
    to their source) that is a source file of the repository."""
    for candidate in entries:
        for relative in _in_repository(posixpath.normpath(candidate)):
            for variant in _variants(relative):
                full = posixpath.normpath(posixpath.join(root, variant)) if root else variant
                if full in sources:
                    return full
    return None


def _in_repository(path: str) -> list[str]:
    """Where a script path may be in the service's folder: as written, or, for a path in the image
    (`/usr/src/app/aio_run.mjs`, copied there from the build context), each of its tails, longest
    first."""
    if not path.startswith("/"):
        return [path]
    parts = path.strip("/").split("/")
    return ["/".join(parts[index:]) for index in range(len(parts))]


def server_files(root: str, sources: dict[str, list[str]], entries: list[str]) -> set[str] | None:
    """The source files of a service that are its server, or None when no entry point is known
    (then all of them count). `sources` maps each source file to the relative specifiers it
    imports; `entries` are script paths relative to the service's root."""
    entry = find_entry(root, sources, entries)
    if entry is None:
        return None
    home = posixpath.dirname(entry)
    if home == root:
        return None  # an entry at the service's root: its folder is the whole service
    reached = {entry}
    queue = [entry]
    while queue:
        current = queue.pop()
        folder = posixpath.dirname(current)
        for specifier in sources.get(current, ()):
            target = _resolve(posixpath.normpath(posixpath.join(folder, specifier)), sources, root)
            if target is not None and target not in reached:
                reached.add(target)
                queue.append(target)
    return {path for path in sources if path.startswith(f"{home}/") or path in reached}


def _resolve(base: str, sources: dict[str, list[str]], root: str = "") -> str | None:
    """The source file an import names; one of the build output (`require("../lib/cli/server")`
    from a `bin/` script, parse-server) is its source under `src/`."""
    bases = [base]
    relative = base[len(root) + 1 :] if root and base.startswith(f"{root}/") else base
    if _BUILT.match(relative):
        built = _BUILT.sub("src/", relative)
        bases.append(posixpath.join(root, built) if root else built)
    for stem in bases:
        indexes = (f"{stem}/index{e}" for e in SOURCE_EXTENSIONS)
        for candidate in (stem, *(stem + e for e in SOURCE_EXTENSIONS), *indexes):
            if candidate in sources:
                return candidate
    return None
