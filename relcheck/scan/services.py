"""Services: which files and objects of a scan make up each service.

The heuristic, in order:
1. Config `services: {name: {paths: [globs], workloads: [names]}}` names services explicitly.
2. Every folder that holds an app (a package.json that is not a workspace root, a Dockerfile, or a
   PM2 ecosystem file) is a service root; a file belongs to the nearest service root above it.
3. A Kubernetes workload outside every service root belongs to the service whose name (package.json
   `name` or folder name) matches its image's repository name or its own name; failing that, to
   the only service if there is one.
4. A scan with no service root but with workloads, PM2 apps or service source is one service at the
   scan root.
Files under no service root (a shared runbook or alert file at the top of a monorepo) are shared:
they count as evidence for every service.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from relcheck.artifacts.app import SERVER_FRAMEWORKS, AppFacts, Evidence, merge_facts
from relcheck.artifacts.dockerfile import (
    BUILD_ONLY_FOLDERS,
    CI_FOLDERS,
    is_tool_image,
    named_for_tests,
    runs_a_service,
    runs_no_service,
)
from relcheck.artifacts.skaffold import built_from_folders
from relcheck.model import Location
from relcheck.scan.discovery import PM2_FOLDER as _PM2_FOLDER
from relcheck.scan.runtime import (
    NODE,
    STATIC_SITE,
    builds_static_site,
    dockerfile_runtime,
    image_runtime,
    runs_browser_dev_server,
    serves_files,
    service_runtime,
)
from relcheck.units.images import image_reference

if TYPE_CHECKING:
    from relcheck.artifacts.alerts import PromRuleFile
    from relcheck.artifacts.dockerfile import Dockerfile
    from relcheck.artifacts.kubernetes import Container, Workload
    from relcheck.artifacts.pm2 import Pm2App
    from relcheck.artifacts.repo import RepoFacts
    from relcheck.scan.project import Project

WORKSPACE_FILES = ("pnpm-workspace.yaml", "lerna.json", "nx.json", "turbo.json")


@dataclass
class Service:
    name: str
    root: str  # folder relative to the scan root ("" for the root itself)
    files: list[str] = field(default_factory=list)
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    pm2_apps: list[Pm2App] = field(default_factory=list)
    prom_rule_files: list[PromRuleFile] = field(default_factory=list)
    shared_rule_sources: list[PromRuleFile] = field(default_factory=list)
    app: AppFacts = field(default_factory=AppFacts)
    # Files that count as its evidence: its own, and those no service owns (one set for all services).
    own_files: frozenset[str] = frozenset()
    shared_files: frozenset[str] = frozenset()
    repo: RepoFacts | None = None  # the scan's repository evidence; `owns` says which is this service's
    runtime: str | None = None  # "node", "go", "java"... (relcheck.scan.runtime); None when nothing tells
    start_script: str = ""  # what `npm start` runs, from the package.json in its root
    # False for a workspace root whose image and `npm start` run no file of its own (a workspace
    # package's command, nocobase's `nocobase-v1 start`): its own files are scripts, not the server.
    runs_own_code: bool = True
    # Files of workspace packages it depends on whose signal handling runs in its process
    # (atproto's `services/pds` calls `PDS.run()`, which `packages/pds` wrote to stop on SIGTERM).
    borrowed_files: list[str] = field(default_factory=list)
    # Facts that rules derive from the service and share (computed on first use, once per scan).
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def anchor(self) -> Location | None:
        """The file that stands for the service in service-level findings."""
        return self._anchor

    @property
    def running_images(self) -> list[Dockerfile]:
        """The images that run the service: not a developer's live-reload or debugger image, a test
        suite's or a tool's (is_tool_image: external-secrets' `tilt.debug.dockerfile`, which exposes
        a debugger's port), nor a base, idle or artifact image (runs_no_service)."""
        return [d for d in self.dockerfiles if runs_a_service(d)]

    @cached_property
    def _anchor(self) -> Location | None:
        # Many rules ask, and the service is complete by then.
        for candidates in (
            [d.path for d in self.dockerfiles],
            [w.obj.path for w in self.workloads if w.long_running],
            [a.path for a in self.pm2_apps],
            [f for f in self.files if posixpath.basename(f) == "package.json"],
        ):
            if candidates:
                return Location(sorted(candidates, key=lambda p: (p.count("/"), p))[0], 1, 1)
        return None

    def owns(self, path: str) -> bool:
        return path in self.own_files or path in self.shared_files

    def owns_any(self, paths: set[str]) -> bool:
        return not (self.own_files.isdisjoint(paths) and self.shared_files.isdisjoint(paths))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "root": self.root or ".",
            "runtime": self.runtime,
            "files": sorted(self.files),
            "objects": sorted(w.obj.identity for w in self.workloads),
            "pm2_apps": sorted(a.name for a in self.pm2_apps),
        }


def shared_files(services: list[Service]) -> frozenset[str]:
    """The files no service owns (every service holds the same set; none without services)."""
    return services[0].shared_files if services else frozenset()


def _dir(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _has_start_script(manifest: object) -> bool:
    scripts = manifest.get("scripts") if isinstance(manifest, dict) else None
    return isinstance(scripts, dict) and bool(scripts.get("start"))


def _is_workspace_root(project: Project, directory: str) -> bool:
    manifest = project.package_json(directory)
    if isinstance(manifest, dict) and "workspaces" in manifest:
        return True
    return any(project.file(posixpath.join(directory, name) if directory else name) for name in WORKSPACE_FILES)


# package.json fields that publish a package for others to import (or declare what it plugs into).
LIBRARY_FIELDS = ("exports", "module", "types", "typings", "files", "peerDependencies", "publishConfig")
# Fields only a package published for browsers or stylesheets has (Font Awesome's `style`, a CDN's `unpkg`).
BROWSER_LIBRARY_FIELDS = ("style", "unpkg", "jsdelivr")
# Of those, the ones that only say what `npm publish` ships: a server published as a starter
# (sclorg's nodejs-ex, `"files"` beside `"start": "node ."`) has them too.
PUBLISHING_FIELDS = frozenset({"files", "publishConfig"})
# A start script that runs Node on the package's own code (`node .`, `NODE_ENV=production node server.js`).
_STARTS_NODE = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:node|nodejs|bun|ts-node|tsx)\s+(?!--watch)\S")
# Folders whose packages are, by their name, libraries of the monorepo's services.
LIBRARY_FOLDERS = frozenset({"libs", "libraries"})
# Fields npm (up to version 4) wrote into the package.json of a package it installed.
INSTALLED_FIELDS = ("_resolved", "_from", "_id", "_inCache")
# Shared configuration packages, by name: imported by tools, never run.
CONFIG_PACKAGE = re.compile(
    r"^(?:eslint-config|eslint-plugin|prettier-config|stylelint-config|commitlint-config|babel-preset|tsconfig)\b"
)


def _starts_node(start: object) -> bool:
    return isinstance(start, str) and bool(_STARTS_NODE.match(start.strip()))


def _is_library(project: Project, directory: str) -> bool:
    """A package made to be imported or run as a command, not served: its package.json says what it
    exports (`types`, `module`, `exports`), publishes (`files`, `publishConfig`) or plugs into
    (`peerDependencies`), unless it only says what it publishes, has no `bin`, and its `start`
    script runs Node on its own code (a server published as a starter); npm installed it
    (`_resolved`, `_from`: a dependency copied into the repository); a package above publishes its
    folder (`files`); it is a shared configuration (`eslint-config-*`, `tsconfig`); it is a
    command-line tool (`bin`, and no `start` script or one that runs a `bin` file); a front-end
    package (`style`, `unpkg`) or, inside another package, one with no dependencies, either without
    a `start` script; it sits in a `libs/` or `libraries/` folder and has no `start` script; or it
    is an Angular workspace of libraries only.
    It makes no service of its own: a monorepo's libraries are not asked for probes, runbooks and
    alerts (a Dockerfile or PM2 file beside it still makes it one), nor is a package of a test
    suite (`integration-tests/api`)."""
    manifest = project.package_json(directory)
    if not isinstance(manifest, dict):
        return False
    scripts = manifest.get("scripts")
    started = isinstance(scripts, dict) and scripts.get("start")
    if not started and any(field in manifest for field in BROWSER_LIBRARY_FIELDS):
        return True  # a vendored copy of a published front-end package (wekan's fontawesome-free)
    nested = next(_packages_above(project, directory), None) is not None
    if nested and not started and not manifest.get("dependencies") and not manifest.get("bin"):
        return True  # a local module the package above loads (wekan's webpack loader in npm-packages/)
    library_fields = {field for field in LIBRARY_FIELDS if field in manifest}
    # With a `bin`, `node .` starts a command-line tool (logto's `packages/cli`), not a server,
    # unless the package is built on a server framework: The Lounge's `thelounge start` (`"start":
    # "node index start"`) is its web server, published to npm as a command.
    serves = _built_on_a_server_framework(manifest)
    published_server = library_fields <= PUBLISHING_FIELDS and _starts_node(started)
    published_server = published_server and (not manifest.get("bin") or serves)
    if library_fields and not published_server:
        return True
    if _published_by_a_package_above(project, directory):
        return True  # Ghost-CLI's `extensions/mysql`: shipped inside the CLI's own package
    if any(field in manifest for field in INSTALLED_FIELDS):
        return True  # a dependency as npm installed it, copied into the repository
    name = manifest.get("name")
    if isinstance(name, str) and CONFIG_PACKAGE.match(name.rsplit("/", 1)[-1]):
        return True
    if manifest.get("bin") and (not started or (_starts_a_bin(manifest, started) and not serves)):
        return True  # a command-line tool, even when `npm start` runs it (anything-llm's `open-computer/cli`)
    if posixpath.basename(_dir(directory)).lower() in LIBRARY_FOLDERS and not started:
        return True  # overleaf's `libraries/fetch-utils`, Nx's `libs/*`: imported by the services
    if _angular_library_workspace(project, directory):
        return True
    return _in_test_folder(directory)


def _angular_library_workspace(project: Project, directory: str) -> bool:
    """An Angular workspace whose projects are all libraries (`angular.json`, every `projectType:
    library`): ng-packagr builds them for npm, and its `ng serve` has no application to serve
    (novu's `packages/notification-center-angular`)."""
    source = project.file(posixpath.join(directory, "angular.json") if directory else "angular.json")
    text = source.read(1024 * 1024)[0] if source is not None else None
    if not text:
        return False
    try:
        workspace = json.loads(text)
    except ValueError:
        return False
    projects = workspace.get("projects") if isinstance(workspace, dict) else None
    if not isinstance(projects, dict) or not projects:
        return False
    return all(isinstance(spec, dict) and spec.get("projectType") == "library" for spec in projects.values())


def _built_on_a_server_framework(manifest: dict) -> bool:
    dependencies = manifest.get("dependencies")
    return isinstance(dependencies, dict) and any(name in dependencies for name in SERVER_FRAMEWORKS)


def _starts_a_bin(manifest: dict, start: object) -> bool:
    """Whether the `start` script runs Node on one of the files the package's `bin` installs as
    commands (`"bin": {"open-computer": "./dist/open-computer"}`, `"start": "node dist/open-computer"`)."""
    bins = manifest.get("bin")
    targets = bins.values() if isinstance(bins, dict) else [bins]
    names = {posixpath.normpath(t) for t in targets if isinstance(t, str) and t.strip()}
    if not (_starts_node(start) and names):
        return False
    words = str(start).split()
    script = next((w for w in words[1:] if not w.startswith("-") and "=" not in w), "")
    return bool(script) and posixpath.normpath(script) in names


# Folders of examples for readers: `examples/`, uptime-kuma's `extra/push-examples/`.
_EXAMPLE_FOLDER = re.compile(r"^(?:examples?|samples?)$|[-_](?:examples?|samples?)$")


def _in_package_source(project: Project, directory: str) -> bool:
    """Whether the folder is inside the `src/` folder of a package above it: a code generator's
    templates (amplication's data-service-generator keeps the package.json, Dockerfile and server
    of the services it generates in `src/server/`), which its code reads as data. No project keeps
    a service it deploys inside another package's source."""
    parts = directory.split("/") if directory else []
    # `src` must be a folder above this one, not the folder itself (Electron keeps an app's
    # package.json in `src/`): the package is in the folder that holds that `src`, and it is a
    # program's (it has dependencies): a repository root whose package.json only holds tools
    # (OpenTelemetry's demo: a linter) keeps its services in `src/`.
    for index in range(len(parts) - 1):
        if parts[index] != "src":
            continue
        above = "/".join(parts[:index])
        manifest = project.package_json(above)
        if isinstance(manifest, dict) and manifest.get("dependencies") and not _is_workspace_root(project, above):
            return True
    return False


def _is_example(project: Project, directory: str) -> bool:
    """A package in a folder of examples (uptime-kuma's `extra/push-examples/javascript-fetch`, a
    script that shows how to call its push API): code for readers to copy, not a service of the
    repository. A Dockerfile or PM2 file beside it still makes one (a demo that is deployed)."""
    return any(_EXAMPLE_FOLDER.search(folder) for folder in directory.lower().split("/") if folder)


# Dependency versions that point at a folder: `"meteor-node-stubs": "file:npm-packages/meteor-node-stubs"`.
_LOCAL_DEPENDENCY = re.compile(r"^(?:file|link):(.+)$")


def _installed_by(installed: frozenset[str], project: Project, directory: str) -> bool:
    """Whether another package of the repository depends on this folder's package (by a `file:` or
    `link:` path, or by its name), and it has no `start` script: a library, however it is written
    (wekan's fork of meteor-node-stubs in `npm-packages/`, openstatus's `packages/notifications/*`)."""
    return not _has_start_script(project.package_json(directory)) and directory in installed


def _local_dependencies(project: Project) -> frozenset[str]:
    """The folders of the repository's packages that another of its packages (not a workspace root)
    depends on: by a `file:` or `link:` path, or by name (`"@openstatus/db": "workspace:*"`, the
    name a workspace member's package.json gives)."""
    folders: set[str] = set()
    by_name: dict[str, str] = {}
    wanted: list[tuple[str, str]] = []  # (the depending folder, a name it depends on)
    for source in project.files:
        if source.name != "package.json":
            continue
        directory = _dir(source.path)
        manifest = project.package_json(directory)
        if not isinstance(manifest, dict):
            continue
        if isinstance(manifest.get("name"), str):
            by_name.setdefault(manifest["name"], directory)
        if _is_workspace_root(project, directory):
            continue  # a workspace root links its members (etherpad's `"admin": "link:admin"`)
        for field_name in ("dependencies", "devDependencies", "optionalDependencies"):
            block = manifest.get(field_name)
            for name, version in block.items() if isinstance(block, dict) else ():
                match = _LOCAL_DEPENDENCY.match(version.strip()) if isinstance(version, str) else None
                if match:
                    folders.add(posixpath.normpath(posixpath.join(directory, match.group(1))).removeprefix("./"))
                else:
                    wanted.append((directory, name))
    folders.update(by_name[name] for directory, name in wanted if by_name.get(name, directory) != directory)
    return frozenset(folders - {"."})


def _in_test_folder(directory: str) -> bool:
    """Whether a folder is, or is inside, a test or benchmark folder (nocobase's
    `benchmark/koa-database/`), or an end-to-end test app named after the app it tests (Nx's and
    Angular's `apps/<app>-e2e`: ever-gauzy's `apps/gauzy-e2e`, a Cypress suite): code there is no
    service's, and the service's process never runs it."""
    folders = directory.lower().split("/")
    return named_for_tests(folders) or any(folder.endswith(("-e2e", "_e2e")) for folder in folders)


def _packages_above(project: Project, directory: str) -> Iterator[tuple[str, dict]]:
    """The folders above `directory` that hold a package.json, nearest first, with it parsed."""
    folder = directory
    while folder:
        folder = _dir(folder)
        manifest = project.package_json(folder)
        if isinstance(manifest, dict):
            yield folder, manifest


def _published_by_a_package_above(project: Project, directory: str) -> bool:
    """Whether a package above publishes this folder as part of itself: its package.json `files`
    names the folder or one above it (`"files": ["bin", "lib", "extensions"]`)."""
    for folder, manifest in _packages_above(project, directory):
        files = manifest.get("files")
        inside = directory[len(folder) + 1 :] if folder else directory
        for entry in files if isinstance(files, list) else []:
            name = entry.strip("/").removeprefix("./") if isinstance(entry, str) else ""
            if name and (inside == name or inside.startswith(f"{name}/")):
                return True
    return False


# Fields a package.json may hold only to tell Node how to load the files of its folder.
MODULE_MARKER_FIELDS = frozenset({"type", "imports", "sideEffects", "private", "$schema"})


def _is_module_marker(manifest: object) -> bool:
    """A package.json that is no package: `{"type": "commonjs"}` in a folder of migrations, so that
    Node loads its files as CommonJS. No name, dependencies, scripts or entry point."""
    return isinstance(manifest, dict) and set(manifest) <= MODULE_MARKER_FIELDS


# What a package.json needs to install or start anything of its own.
RUNNABLE_FIELDS = (
    *("dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "scripts"),
    *("main", "bin", "exports", "module", "workspaces"),
)


def _is_placeholder(project: Project, directory: str) -> bool:
    """A package.json that names a folder and nothing more (a name, a version, a description),
    inside a package above it: Vercel's `api/package.json`, which its build needs while the root's
    dependencies and `main` run the code. Its folder belongs to the package above."""
    manifest = project.package_json(directory)
    if not isinstance(manifest, dict) or any(key in manifest for key in RUNNABLE_FIELDS):
        return False
    return next(_packages_above(project, directory), None) is not None


def _is_root_template(project: Project, directory: str) -> bool:
    """A package.json kept in a folder for the repository root, which has none: what it runs (its
    `main`, the file its `start` script gives node) is not in its folder but at the root. NodeBB's
    `install/package.json` (`"main": "app.js"`, `"start": "node loader.js"`), which its image and
    its setup copy to the root. Its folder's files belong to the root's service."""
    manifest = project.package_json(directory)
    if not directory or not isinstance(manifest, dict) or isinstance(project.package_json(""), dict):
        return False
    from relcheck.artifacts.reach import entry_candidates

    named = [manifest.get("main"), *entry_candidates([_start_script(manifest)])]
    named = [name for name in named if isinstance(name, str) and name.strip()]
    return bool(named) and all(
        not _main_exists(project, directory, name) and _main_exists(project, "", name) for name in named
    )


# Folders that by convention hold a repository's commands and maintenance scripts.
SCRIPT_FOLDERS = frozenset({"bin", "scripts", "tools", "tooling", "release", "releases"})


def _is_tooling(project: Project, directory: str) -> bool:
    """A package.json that only holds a repository's tooling: development dependencies or scripts
    (linters, formatters, release scripts), and no dependencies, no `start` script, no `main` or
    `bin`; or the package of a `bin/`, `scripts/` or `tools/` folder, or of one below it, without a
    `start` script (etherpad's `bin/`: `checkPad`, `repairPad`, `migrateDB`, each a one-off
    command); or a package that runs nothing but test runners. It runs nothing in production (a
    Dockerfile or PM2 file beside it still makes a service)."""
    manifest = project.package_json(directory)
    if not isinstance(manifest, dict):
        return False
    scripts = manifest.get("scripts")
    if set(directory.lower().split("/")) & SCRIPT_FOLDERS:
        # Also below one: unkey's `web/tools/local`, a command for development setups.
        return not _has_start_script(manifest)
    runs_nothing = (
        not _has_start_script(manifest)
        and not _main_exists(project, directory, manifest.get("main"))
        and not manifest.get("bin")
    )
    if runs_nothing and isinstance(scripts, dict) and scripts and all(_runs_tests(c) for c in scripts.values()):
        return True  # a test suite's package (rallly's `packages/screenshots`: `playwright test`)
    return runs_nothing and bool(manifest.get("devDependencies") or scripts) and not manifest.get("dependencies")


# Test runners: a package whose every script runs one is a test suite. `start-server-and-test`
# (and its `server-test` alias) starts the app only to run the tests against it.
_TEST_RUNNER = re.compile(
    r"^(?:npx\s+)?(?:playwright\s+test|jest|vitest|mocha|cypress\s+run|ava|tap"
    r"|start-server-and-test|server-test|start-test)\b"
)
# What comes before the program: `NAME=value` assignments (a quoted value may hold spaces:
# `NODE_OPTIONS='--import tsx' playwright test`) and `cross-env`, which sets them on Windows too.
_ENVIRONMENT_PREFIX = re.compile(r"""^(?:(?:cross-env\s+)?[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|\S*)\s+)+""")


def _runs_tests(command: object) -> bool:
    if not isinstance(command, str):
        return False
    program = _ENVIRONMENT_PREFIX.sub("", command.strip())
    return bool(_TEST_RUNNER.match(program))


def _main_exists(project: Project, directory: str, main: object) -> bool:
    """Whether `main` names a file of the package, as Node resolves it (`index` → `index.js`, a
    folder → its `index.js`). `npm init` writes `"main": "index.js"` into every package.json, so a
    `main` naming nothing there says nothing (anything-llm's root package, which only runs scripts)."""
    if not isinstance(main, str) or not main.strip():
        return False
    path = posixpath.normpath(posixpath.join(directory, main.strip())) if directory else posixpath.normpath(main)
    from relcheck.artifacts.reach import SOURCE_EXTENSIONS

    extensions = (*SOURCE_EXTENSIONS, ".json")
    candidates = (path, *(path + e for e in extensions), *(f"{path}/index{e}" for e in SOURCE_EXTENSIONS))
    return any(project.exists(candidate) for candidate in candidates)


# Frameworks of desktop applications: a package built on one is installed on users' machines.
DESKTOP_FRAMEWORKS = ("electron", "nw", "@tauri-apps/api", "@tauri-apps/cli")
# Mobile apps run on phones too: React Native's and Expo's (the OpenTelemetry demo's
# `react-native-app`, whose `expo start` is the bundler's development server).
MOBILE_FRAMEWORKS = ("react-native", "expo")


def _is_desktop_app(project: Project, directory: str) -> bool:
    """A desktop application (headlamp's `app/`: Electron's main process in `electron/main.ts`):
    its package.json depends on Electron, NW.js or Tauri; or a mobile app (React Native, Expo). It
    runs on users' machines, not in a container, so it is asked for no probes, signal handlers or
    alerts (a Dockerfile or PM2 file beside it still makes a service)."""
    manifest = project.package_json(directory)
    if not isinstance(manifest, dict):
        return False
    if _desktop_manifest(manifest):
        return True
    # The manifest electron-builder packages the app from is often a second package.json in the
    # app's `src/` (ever-gauzy's desktop apps): a package inside a desktop app's (not inside a
    # workspace root that has Electron among its development tools).
    return any(
        _desktop_manifest(above) and not _is_workspace_root(project, folder)
        for folder, above in _packages_above(project, directory)
    )


def _desktop_manifest(manifest: dict) -> bool:
    """A package.json that depends on a desktop framework, or holds electron-builder's settings, or
    is an editor's extension (VS Code's: `engines.vscode`; loki's syntax highlighting for its
    `logqltest` scripts), which the editor loads on users' machines."""
    engines = manifest.get("engines")
    if isinstance(engines, dict) and "vscode" in engines:
        return True
    for field_name in ("dependencies", "devDependencies"):
        declared = manifest.get(field_name)
        if isinstance(declared, dict) and any(name in declared for name in (*DESKTOP_FRAMEWORKS, *MOBILE_FRAMEWORKS)):
            return True
    build = manifest.get("build")
    return isinstance(build, dict) and "appId" in build


# What marks a folder as an app of functions a serverless platform hosts: Azure Functions' host.json,
# the Serverless Framework's config, AWS SAM's template, the Zapier CLI's link to a Zapier integration
# (Zapier runs its triggers and actions), Vercel's and Netlify's project configuration (they build
# the app and serve its pages and API routes as functions: medusa's documentation sites), and
# Cloudflare Workers' wrangler config (Payload's `with-cloudflare-d1` template: Next.js on Workers).
FUNCTION_APP_FILES = (
    "host.json", "serverless.yml", "serverless.yaml", "serverless.ts", "template.yaml", ".zapierapprc",
    "vercel.json", "netlify.toml", "wrangler.toml", "wrangler.json", "wrangler.jsonc",
)
# Of those, a hosting platform's: an app it hosts may also be built to run as its own server.
HOSTING_FILES = frozenset({"vercel.json", "netlify.toml"})
_NEXT_CONFIGS = ("next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs")
_STANDALONE_OUTPUT = re.compile(r"""\boutput\s*:\s*['"`]standalone['"`]""")
_SAM_TEMPLATE = re.compile(r"^Transform:\s*['\"]?AWS::Serverless", re.MULTILINE)


def _builds_standalone_server(project: Project, directory: str) -> bool:
    """A Next.js app whose config sets `output: "standalone"`: built into a `server.js` of its own,
    to run in an image (Vercel ignores the setting)."""
    for name in _NEXT_CONFIGS:
        source = project.file(posixpath.join(directory, name) if directory else name)
        text = source.read(256 * 1024)[0] if source is not None else None
        if text and _STANDALONE_OUTPUT.search(text):
            return True
    return False


def _is_function_app(project: Project, directory: str) -> bool:
    """A package of functions a serverless platform runs (Mission-Critical-Online's Azure Functions
    load generator: `host.json` beside package.json, a folder with `function.json` and `index.js`
    per function). The platform's host starts, scales and stops the functions; they hold no
    process of their own to shut down, so they are no service (a Dockerfile beside them, which
    packages the host in an image, still makes one)."""
    for name in FUNCTION_APP_FILES:
        path = posixpath.join(directory, name) if directory else name
        if not project.exists(path):
            continue
        if name in HOSTING_FILES:
            if _builds_standalone_server(project, directory):
                continue  # the platform hosts it, and an image runs it too (typebot's viewer)
            return True
        if name != "template.yaml":
            return True
        source = project.file(path)
        text = source.read(64 * 1024)[0] if source is not None else None
        if text and _SAM_TEMPLATE.search(text):
            return True
    return False


# Folder names that say nothing about which service lives there (`rootfs`: the files of an image,
# `images/nginx/rootfs/Dockerfile`).
GENERIC_FOLDERS = frozenset({"src", "app", "server", "cmd", "genproto", "build", "docker", "source", "rootfs"})


# Folders that hold a monorepo's packages: above a generic one they name no service either
# (openstatus's `apps/server` is its package's, `@openstatus/server`, not "apps").
COLLECTION_FOLDERS = frozenset({"apps", "packages", "services", "projects"})


def _named_folder(directory: str) -> str | None:
    """The nearest folder name at or above `directory` that is not generic (`src/cartservice/src`
    → cartservice), short of a folder of packages."""
    folder = directory
    while folder:
        name = posixpath.basename(folder)
        if name.lower() in COLLECTION_FOLDERS and folder != directory:
            return None
        if name.lower() not in GENERIC_FOLDERS:
            return name
        folder = _dir(folder)
    return None


def _folder_name(project: Project, directory: str) -> str:
    """A non-generic folder name, else the scan root's name (else the generic folder's)."""
    root = project.root.name
    fallback = root if root.lower() not in GENERIC_FOLDERS else (posixpath.basename(directory) or root)
    return _named_folder(directory) or fallback


def _initial_name(project: Project, directory: str) -> str:
    """A folder name that is not generic, else the package name, else the generic folder's."""
    return _named_folder(directory) or _package_name(project, directory) or _folder_name(project, directory)


def _package_name(project: Project, directory: str) -> str | None:
    manifest = project.package_json(directory)
    if isinstance(manifest, dict) and isinstance(manifest.get("name"), str) and manifest["name"]:
        return manifest["name"].rsplit("/", 1)[-1]
    return None


def _built_images(project: Project) -> dict[str, set[str]]:
    """Image names a build config builds from each folder (skaffold `build.artifacts`)."""
    return built_from_folders(project.kube.objects)


def _aliases(project: Project, directory: str, built: dict[str, set[str]]) -> set[str]:
    """Every name the service of a folder may go by in image and workload names."""
    names = {_folder_name(project, directory)} | built.get(directory, set())
    package = _package_name(project, directory)
    if package:
        names.add(package)
    if directory:
        names.add(posixpath.basename(directory))
    return {name for name in names if name.lower() not in GENERIC_FOLDERS}


def _is_embedded_front_end(project: Project, directory: str) -> bool:
    """A package that builds a static site or browser app (Vite, React, Vue...) and has no `start`
    script, or one that runs the toolchain's development server (karma's `ui/`: `"start": "vite"`,
    its build embedded in the Go binary): its output is files that another program serves."""
    from relcheck.artifacts.dockerfile import shell_words
    from relcheck.scan.runtime import BROWSER_DEV_SERVERS, first_program

    manifest = project.package_json(directory)
    if not builds_static_site(manifest):
        return False
    start = _start_script(manifest)
    return not start or first_program(shell_words(start)) in BROWSER_DEV_SERVERS


def _is_build_only(project: Project, directory: str) -> bool:
    """A code generation folder, or anywhere in CI configuration (a JavaScript action's package.json)."""
    if not directory:
        return False
    return posixpath.basename(directory).lower() in BUILD_ONLY_FOLDERS or bool(
        set(directory.lower().split("/")) & CI_FOLDERS
    )


# Folders that hold how an app is packaged or deployed (`api/docker/Dockerfile`,
# `api/deploy/pm2.config.js`): with an app in a folder above, they are that app's.
PACKAGING_FOLDERS = frozenset(
    {"docker", ".docker", "deploy", "deployment", "deployments", "build", "ops", "pm2", "container", "containers"}
)


def _packages_an_app_above(root: str, roots: set[str]) -> bool:
    folder = posixpath.basename(root).lower()
    packaging = folder in PACKAGING_FOLDERS or bool(_PM2_FOLDER.search(folder))  # `pm2-processes/`
    return packaging and _under_any(root, roots)


def _under_any(path: str, folders: set[str]) -> bool:
    """Whether a folder above `path` (the repository root "" included) is one of `folders`."""
    folder = _dir(path)
    while True:
        if folder in folders:
            return True
        if not folder:
            return False
        folder = _dir(folder)


def find_services(project: Project, explicit: dict[str, dict] | None = None) -> list[Service]:
    from relcheck.scan.discovery import FileKind

    roots: set[str] = set()
    deployed: set[str] = set()  # folders with a Dockerfile or PM2 file of their own
    packages_not_run: set[str] = set()  # libraries, tooling, test suites, desktop and function apps
    base_images = {
        d.path for d in project.dockerfiles if runs_no_service(d)
    }
    installed = _local_dependencies(project)
    idle_workspaces: set[str] = set()  # workspace roots that start nothing of their own
    for source in project.files:
        if source.kind == FileKind.EVIDENCE:
            continue  # a test folder's: evidence for the repository rules, no service
        directory = _dir(source.path)
        if (source.kind == FileKind.DOCKERFILE or source.name == "package.json") and _in_package_source(
            project, directory
        ):
            packages_not_run.add(directory)  # a code generator's templates: its data, not a service
            continue
        if source.name == "package.json" and _is_workspace_root(project, directory):
            if _is_library(project, directory):
                packages_not_run.add(directory)  # a workspace that is itself a published library or CLI
            elif not _has_start_script(project.package_json(directory)):
                idle_workspaces.add(directory)
        elif source.name == "package.json":
            if (
                _is_module_marker(project.package_json(directory))
                or _is_placeholder(project, directory)
                or _is_root_template(project, directory)
            ):
                continue  # its folder's files belong to the package above it (or the root's service)
            not_run = (_is_library, _is_tooling, _is_desktop_app, _is_function_app, _is_example)
            if any(kind(project, directory) for kind in not_run) or _installed_by(installed, project, directory):
                packages_not_run.add(directory)
            else:
                roots.add(directory)
        elif (
            source.kind == FileKind.DOCKERFILE
            and not is_tool_image(source.path)
            and source.path not in base_images
            and source.path not in project.dockerfile_templates  # the images are what a script renders from it
        ) or source.kind == FileKind.PM2:
            roots.add(directory)
            deployed.add(directory)
    roots = {root for root in roots if not _is_build_only(project, root)}
    # A browser app's package inside a service's folder, with nothing that deploys or starts it
    # (listmonk's `frontend/`, which its Go build embeds): part of that service's build.
    front_ends = {root for root in roots - deployed if _is_embedded_front_end(project, root)}
    roots = {root for root in roots if root not in front_ends or not _under_any(root, roots - front_ends)}
    packages_not_run |= front_ends - roots  # browser code: no server's source, as a library's is not
    roots = {root for root in roots if not _packages_an_app_above(root, roots)}
    # Source that belongs to a library, tooling or a test suite makes no service either, nor does
    # the source of a workspace that starts nothing, when its packages are all libraries, tooling
    # and the like (medusa's: a Jest config and generated API docs beside its packages).
    idle_workspaces = {w for w in idle_workspaces if any(p != w and _under_any(p, {w}) for p in packages_not_run)}
    has_source = any(
        not _under_any(path, packages_not_run | idle_workspaces)
        for facts in project.app_facts.values()
        for path in facts.source_files
    )
    if not roots and not explicit and (project.kube.workloads or project.pm2_apps or has_source):
        roots.add("")
    built = _built_images(project)
    aliases = {root: _aliases(project, root, built) for root in roots}
    services = {root: Service(_initial_name(project, root), root) for root in sorted(roots)}

    explicit_specs = _explicit(explicit or {})
    for name in explicit_specs:
        services.setdefault(f"@{name}", Service(name, f"@{name}"))

    def owner(path: str) -> Service | None:
        for name, (spec, _) in explicit_specs.items():
            if spec is not None and spec.match_file(path):
                return services[f"@{name}"]
        # The nearest service root above the file: walk up its folders (not across all roots).
        folder = _dir(path)
        while True:
            if folder in roots:
                return services[folder]
            if not folder:
                return None
            folder = _dir(folder)

    shared: list[str] = []
    for source in project.files:
        service = owner(source.path)
        if service is None:
            shared.append(source.path)
        else:
            service.files.append(source.path)

    by_name = {s.name: s for s in services.values()}
    for root, names in aliases.items():
        for name in sorted(names):
            by_name.setdefault(name, services[root])
    for workload in project.kube.workloads:
        service = _workload_owner(workload, explicit_specs, services, by_name, owner)
        if service is not None:
            service.workloads.append(workload)
    _name_after_deployments(services, aliases)
    for dockerfile in project.dockerfiles:
        service = owner(dockerfile.path)
        if service is not None:
            service.dockerfiles.append(dockerfile)
    for app in project.pm2_apps:
        service = owner(_pm2_app_folder(app)) or owner(app.path)
        if service is not None:
            service.pm2_apps.append(app)
    for rule_source in project.prom_rule_files:
        service = owner(rule_source.path)
        if service is not None:
            service.prom_rule_files.append(rule_source)
    shared_sources = [s for s in project.prom_rule_files if owner(s.path) is None]

    result = [s for s in services.values() if s.files or s.workloads]
    libraries = _signal_handling_by_package(project, packages_not_run)
    shared_files = frozenset(shared)  # shared by every service, not copied into each
    # The images whose final stage runs another runtime than Node: judged once, not per package.
    other_images = [d for d in project.dockerfiles if d.final is not None and dockerfile_runtime(d) not in (NODE, None)]
    for service in result:
        service.own_files = frozenset(service.files)
        service.shared_files = shared_files
        service.shared_rule_sources = shared_sources
        service.repo = project.repo
        # A library, tooling or test package inside the service's folder (a workspace's
        # `packages/db`) is imported or run by others: its source is not the service's server.
        inside = f"{service.root}/" if service.root else ""
        nested = {d for d in packages_not_run if d != service.root and d.startswith(inside) and d}
        probes = _health_check_scripts(service, project.app_facts)
        facts = {
            path: project.app_facts[path]
            for path in service.files
            if path in project.app_facts
            and not (nested and _under_any(path, nested))
            and not _in_test_folder(_dir(path))
            and path not in probes
        }
        service.start_script = _start_script(project.package_json(service.root))
        server, entry, named = _server_files(project, service, facts)
        # Not when a command names a script of its own that is not found (an image's absolute path).
        # Nor when its images run something else and nothing names one: no command of theirs names a
        # script, and there is no package.json (`start`, `main`) and no PM2 app; its scripts run by
        # hand or at build time (overleaf's `hotfix/5.0.2/`: a Dockerfile that patches the product's
        # image beside a recovery script; an emscripten build image beside the browser code it compiles).
        unnamed = bool(service.dockerfiles) and not named and not service.pm2_apps
        unnamed = unnamed and project.package_json(service.root) is None
        service.runs_own_code = entry is not None or named or not (unnamed or _is_workspace_root(project, service.root))
        service.app = merge_facts(
            [f for path, f in facts.items() if server is None or path in server or not f.source_files]
        )
        if service.runs_own_code:
            _borrow_signal_handling(project, service, libraries)
        if entry is not None and entry in service.app.source_files:
            service.app.entry = entry  # what the service starts, before any other main.js of its folder
        _framework_server(project, service, entry is not None)
        _fastify_cli(project, service)
        _anchor_at_start_script(project, service)
        service.runtime = service_runtime(service)
        manifest = project.package_json(service.root)
        # A test runner's image (`Dockerfile.playwright`) runs none of the package's code as a server.
        unclaimed = all(is_tool_image(d.path) for d in service.dockerfiles) and not service.pm2_apps
        served = unclaimed or serves_files(manifest) or runs_browser_dev_server(service, manifest)
        if service.runtime in (NODE, None) and builds_static_site(manifest) and served:
            service.runtime = STATIC_SITE  # its source runs at build time and in browsers
        elif service.runtime == NODE and _built_into_another_runtime(project, service, other_images):
            service.runtime = STATIC_SITE  # (an SSR framework's app exported as files: `nuxt generate`)
    return sorted(result, key=lambda s: (s.root.startswith("@"), s.root, s.name))


def _built_into_another_runtime(project: Project, service: Service, images: list[Dockerfile]) -> bool:
    """Whether the package is only ever built into files another runtime's image serves: it has no
    image, PM2 app or workload of its own, and a build stage of one of `images` (the Dockerfiles
    whose final image does not run Node), on a Node image, copies its folder in, runs one of its
    package.json scripts, and a later stage copies from it (mealie's `docker/Dockerfile` copies
    `./frontend` into `FROM node:16 as builder`, runs `yarn generate`, a static `nuxt generate`, and
    its Python image serves the `dist/` it copies from there)."""
    if service.dockerfiles or service.pm2_apps or service.workloads or service.root.startswith("@"):
        return False
    manifest = project.package_json(service.root)
    scripts = manifest.get("scripts") if isinstance(manifest, dict) else None
    if not isinstance(scripts, dict) or not scripts:
        return False
    return any(_builds_package(dockerfile, service.root, set(scripts)) for dockerfile in images)


def _builds_package(dockerfile: Dockerfile, root: str, scripts: set[str]) -> bool:
    """Whether a build stage of the Dockerfile, on a Node image, copies the package's folder in and
    runs one of its scripts, and a later stage copies from it."""
    from relcheck.artifacts.dockerfile import package_scripts, shell_words

    context = dockerfile.context_folder
    copied_from = {
        (instruction.flag("from") or "").lower()
        for stage in dockerfile.stages[1:]
        for instruction in stage.instructions
        if instruction.keyword == "COPY"
    }
    for stage in dockerfile.stages[:-1]:
        if image_runtime(stage.base_image()) != NODE or stage.name.lower() not in copied_from:
            continue
        runs = [i for i in stage.instructions if i.keyword == "RUN"]
        copies = [i for i in stage.instructions if i.keyword == "COPY" and not i.flag("from")]
        copies_package = any(
            posixpath.normpath(posixpath.join(context, source)) == root for i in copies for source in i.args[:-1]
        )
        if copies_package and any(scripts.intersection(package_scripts(shell_words(i.text))) for i in runs):
            return True
    return False


def _health_check_scripts(service: Service, app_facts: dict[str, AppFacts]) -> set[str]:
    """The source files its images' HEALTHCHECK runs (`HEALTHCHECK CMD node /healthcheck.js`): a
    client that asks the server how it is and exits, not the server (node-red-docker's
    `healthcheck.js`, the only JavaScript of an image that runs Node-RED from node_modules)."""
    from relcheck.artifacts.reach import entry_candidates, find_entry

    probes = [command.removeprefix("CMD ") for command in _image_commands(service, ("HEALTHCHECK",))]
    if not probes:
        return set()
    root = service.root if not service.root.startswith("@") else ""
    sources = {path for path in service.files if path in app_facts}
    # Copied into the image from its Dockerfile's folder or the build context's root.
    folders = {root, *(posixpath.dirname(d.path) for d in service.dockerfiles)}

    def resolved(commands: list[str]) -> set[str]:
        scripts = entry_candidates(commands)
        return {e for f in folders for s in scripts if (e := find_entry(f, sources, [s])) is not None}

    runs = _image_commands(service, ("CMD", "ENTRYPOINT"))
    return resolved(probes) - resolved(runs)  # a server that checks itself (`server.js --check`) stays


def _image_commands(service: Service, keywords: tuple[str, ...]) -> list[str]:
    """The command lines of the service's final images' instructions of these kinds, words joined."""
    from relcheck.artifacts.dockerfile import command_argv

    return [
        " ".join(command_argv(instruction))
        for dockerfile in service.dockerfiles
        for instruction in dockerfile.final_instructions()
        if instruction.keyword in keywords
    ]


def _signal_handling_by_package(project: Project, folders: set[str]) -> dict[str, list[str]]:
    """Package name → the source files of that library, tooling or test folder (a workspace's
    `packages/pds`) that handle signals or register shutdown hooks, in order."""
    names: dict[str, str] = {}
    for folder in sorted(folders):
        manifest = project.package_json(folder)
        name = manifest.get("name") if isinstance(manifest, dict) else None
        if isinstance(name, str) and name:
            names.setdefault(folder, name)
    if not names:
        return {}
    found: dict[str, list[str]] = {}
    for path in sorted(project.app_facts):
        facts = project.app_facts[path]
        if not (facts.signals or facts.shutdown_hooks) or not facts.source_files or _in_test_folder(_dir(path)):
            continue
        folder = _dir(path)
        while folder not in names and folder:
            folder = _dir(folder)
        if folder in names:
            found.setdefault(names[folder], []).append(path)
    return found


def _borrow_signal_handling(project: Project, service: Service, libraries: dict[str, list[str]]) -> None:
    """The signal handlers and shutdown hooks of the workspace libraries the service's package.json
    depends on: their code runs in its process (`PDS.run()` stops on SIGINT and SIGTERM), so the
    service handles what they handle. Their files join the service's unit (relcheck.scan.units)."""
    manifest = project.package_json(service.root)
    dependencies = manifest.get("dependencies") if isinstance(manifest, dict) else None
    if not isinstance(dependencies, dict) or not libraries:
        return
    for name in sorted(dependencies):
        for path in libraries.get(name, []) if isinstance(name, str) else []:
            if path in service.own_files:
                continue
            facts = project.app_facts[path]
            for signal, seen in facts.signals.items():
                service.app.signals.setdefault(signal, []).extend(seen)
            service.app.shutdown_hooks += facts.shutdown_hooks
            service.borrowed_files.append(path)


def _pm2_app_folder(app: Pm2App) -> str:
    """A path in the folder a PM2 app runs in: its `cwd`, or its script's folder, relative to the
    ecosystem file (`cwd: './apps/api'` in a workspace's root file runs the api's package). The
    ecosystem file's own path when neither is a literal relative path."""
    folder = app.run_folder() or _dir(app.path)
    script = app.get("script")
    if isinstance(script, str) and "/" in script and not script.startswith(("/", "~", "$")):
        folder = _dir(posixpath.normpath(posixpath.join(folder, script)))
    if folder.startswith(".."):
        return app.path  # outside the scan: the file's own folder decides
    name = posixpath.basename(app.path)
    return name if folder in ("", ".") else f"{folder}/{name}"


def _server_files(
    project: Project, service: Service, facts: dict[str, AppFacts]
) -> tuple[set[str] | None, str | None, bool]:
    """The service's source files that are its server (relcheck.artifacts.reach), from the entry
    points its Dockerfile, PM2 file and package.json name (None when none is known), the entry
    point found among them, and whether they name any script at all."""
    from relcheck.artifacts.reach import entry_candidates, find_entry, server_files

    sources = {path: [m for m in f.modules if m.startswith(".")] for path, f in facts.items() if f.source_files}
    if not sources:
        return None, None, False
    commands: list[str] = [str(app.data.get("script")) for app in service.pm2_apps if app.data.get("script")]
    commands += _image_commands(service, ("CMD", "ENTRYPOINT"))
    if service.start_script:
        commands.append(service.start_script)
    manifest = project.package_json(service.root)
    main = manifest.get("main") if isinstance(manifest, dict) else None
    root = service.root if not service.root.startswith("@") else ""
    candidates = entry_candidates(commands)
    if isinstance(main, str) and main.strip() and not main.startswith(("/", "$")):
        # A path as written, with or without an extension (`"main": "./bin/www"`, what `node .` runs).
        candidates = list(dict.fromkeys([*candidates, posixpath.normpath(main.strip()).removeprefix("./")]))
    return server_files(root, sources, candidates), find_entry(root, sources, candidates), bool(candidates)


def _framework_server(project: Project, service: Service, entry_in_repository: bool) -> None:
    """A service that Next.js, Nitro (Nuxt, TanStack Start...) or React Router's serve program
    serves with its own server gets what that server does as facts (relcheck.artifacts.nextjs,
    relcheck.artifacts.nitro, relcheck.artifacts.routerserve)."""
    from relcheck.artifacts import nextjs, nitro, routerserve

    if not service.app.has_source:
        return
    path = _package_json_path(service)
    manifest = project.settings.get(path)
    positions = project.settings_positions.get(path)
    if nextjs.serves_itself(manifest, entry_in_repository):
        # At the dependency, or at the start script when the workspace's root package.json holds it.
        key = ("dependencies", "next") if nextjs.next_version(manifest) else ("scripts", "start")
        line, column = positions.key_of(key) if positions is not None else (1, 1)
        manual = _sets_variable(service, nextjs.MANUAL_SIGNALS)
        root = service.root if not service.root.startswith("@") else ""
        routes = nextjs.file_routes(root, service.app.source_files)
        nextjs.add_framework_facts(service.app, Location(path, line, column), manual, routes)
    elif nitro.serves_itself(manifest, entry_in_repository):
        key = ("dependencies", nitro.framework(manifest))
        line, column = positions.key_of(key) if positions is not None else (1, 1)
        manual = _sets_variable(service, nitro.MANUAL_SIGNALS)
        where = Location(path, line, column)
        nextjs.add_framework_facts(service.app, where, manual, [], nitro.SERVER, nitro.FRAMEWORK_HANDLED)
    elif routerserve.serves_itself(manifest, [service.start_script, *_image_commands(service, ("CMD", "ENTRYPOINT"))]):
        key = ("dependencies", routerserve.serve_package(manifest))
        line, column = positions.key_of(key) if positions is not None else (1, 1)
        where = Location(path, line, column)
        server = routerserve.server(manifest)
        nextjs.add_framework_facts(service.app, where, False, [], server, routerserve.FRAMEWORK_HANDLED)


def _package_json_path(service: Service) -> str:
    return posixpath.join(service.root, "package.json") if service.root else "package.json"


def _anchor_at_start_script(project: Project, service: Service) -> None:
    """Service-level findings about code with no entry file in the repository (a framework's CLI
    serves it: Nuxt 2's `nuxt start`) go to the package.json start script that runs it, not to
    whichever source file sorts first (kube-scheduler-simulator's `web/api/APIProviderKeys.ts`)."""
    facts = service.app
    if facts.entry or facts.anchor_at is not None or not facts.source_files or not service.start_script:
        return
    path = _package_json_path(service)
    positions = project.settings_positions.get(path)
    if positions is not None:
        facts.anchor_at = Location(path, *positions.of(("scripts", "start")))


_FASTIFY_START = re.compile(r"(?:^|[\s;&|/])fastify\s+start\b")


def _start_script(manifest: object) -> str:
    """What `npm start` runs, from a parsed package.json ("" when it has no start script)."""
    scripts = manifest.get("scripts") if isinstance(manifest, dict) else None
    start = scripts.get("start") if isinstance(scripts, dict) else None
    return start if isinstance(start, str) else ""


def _fastify_cli(project: Project, service: Service) -> None:
    """fastify-cli's `fastify start` runs the app (a plugin) in a server of its own, which closes on
    SIGTERM and SIGINT and logs crash events (close-with-grace): evidence at the command that says so."""
    from relcheck.artifacts.dockerfile import command_argv
    from relcheck.parsers.source import SIGNAL_LIBRARIES

    if not service.app.has_source:
        return
    where: Location | None = None
    path = _package_json_path(service)
    if _FASTIFY_START.search(service.start_script):
        positions = project.settings_positions.get(path)
        where = Location(path, *(positions.of(("scripts", "start")) if positions is not None else (1, 1)))
    for dockerfile in service.dockerfiles:
        for instruction in dockerfile.final_instructions():
            command = " ".join(command_argv(instruction)) if instruction.keyword in ("CMD", "ENTRYPOINT") else ""
            if where is None and _FASTIFY_START.search(command):
                where = Location(dockerfile.path, instruction.line, 1)
    if where is None:
        return
    for event in SIGNAL_LIBRARIES["close-with-grace"]:
        service.app.signals.setdefault(event, []).append(Evidence(where, f"`fastify start` handles {event}"))


def _sets_variable(service: Service, name: str) -> bool:
    """Whether the service's Dockerfiles, workloads or .env files set an environment variable."""
    from relcheck.artifacts.dockerfile import env_pairs

    if name in service.app.env:
        return True
    for dockerfile in service.dockerfiles:
        if any(key == name for instruction in dockerfile.final_instructions() for key, _ in env_pairs(instruction)):
            return True
    return any(
        isinstance(variable, dict) and variable.get("name") == name
        for workload in service.workloads
        for container in workload.containers(include_init=False)
        for variable in (container.get("env") or [])
    )


def _name_after_deployments(services: dict[str, Service], aliases: dict[str, set[str]]) -> None:
    """A service is named after what deploys it: the workload whose image it builds, else its
    folder (generic folders skipped), else its package name; two services never share a name."""
    for root, service in services.items():
        if root.startswith("@"):
            continue  # named in the config
        deployed: set[str] = set()
        images: set[str] = set()
        for workload in service.workloads:
            if not workload.long_running:
                continue
            for container in workload.containers(include_init=False):
                image = container.get("image")
                repository = image_reference(image)[0].rsplit("/", 1)[-1] if isinstance(image, str) else None
                if repository in aliases.get(root, ()):
                    deployed.add(workload.obj.name)
                    images.add(repository)
        if deployed:
            # Several workloads run the image (a demo's frontend and backend): the one named like it,
            # else the image's name (gatekeeper's audit and controller-manager run `gatekeeper`).
            own = sorted(name for name in deployed if name in aliases.get(root, ()))
            if own or len(deployed) == 1:
                service.name = (own or sorted(deployed))[0]
            else:
                service.name = sorted(images)[0]
    counts: dict[str, int] = {}
    for service in services.values():
        counts[service.name] = counts.get(service.name, 0) + 1
    for root, service in services.items():
        if counts[service.name] > 1 and root and not root.startswith("@"):
            parent = posixpath.basename(_dir(root))
            service.name = f"{parent}/{service.name}" if parent else f"{root}"


def _explicit(config: dict[str, dict]) -> dict[str, tuple[Any, set[str]]]:
    from relcheck.syntax.saferegex import gitignore_spec

    specs = {}
    for name, spec in config.items():
        paths = spec.get("paths") or []
        matcher = gitignore_spec(list(paths)) if paths else None
        specs[name] = (matcher, set(spec.get("workloads") or []))
    return specs


def _workload_owner(workload, explicit_specs, services, by_name, owner) -> Service | None:
    for name, (_, workloads) in explicit_specs.items():
        if workload.obj.name in workloads or workload.obj.identity in workloads:
            return services[f"@{name}"]
    by_folder = owner(workload.obj.path)
    if by_folder is not None and by_folder.root != "":
        return by_folder
    for container in workload.containers(include_init=False):
        image = container.get("image")
        if isinstance(image, str):
            repository = image_reference(image)[0].rsplit("/", 1)[-1]
            if repository in by_name:
                return by_name[repository]
    if workload.obj.name in by_name:
        return by_name[workload.obj.name]
    if by_folder is not None:
        return by_folder
    real = [s for s in services.values() if not s.root.startswith("@")]
    return real[0] if len(real) == 1 else None


def running_containers(services: list[Service], dockerfile: Dockerfile) -> list[tuple[Workload, Container]] | None:
    """The containers of the service's workloads that run this Dockerfile's image (built for
    `services`): those whose image is named after the service, else a workload's only container.
    None when the service has no workload, or which container runs the image is not known."""
    if len(services) != 1 or not services[0].workloads:
        return None
    service = services[0]
    found: list[tuple[Workload, Container]] = []
    for workload in service.workloads:
        containers = workload.containers(include_init=False)
        named = [c for c in containers if _image_name(c.get("image")) == service.name]
        if not named and len(containers) != 1:
            return None
        found += [(workload, c) for c in named or containers]
    return found or None


def _image_name(image: object) -> str | None:
    return image_reference(image)[0].rsplit("/", 1)[-1] if isinstance(image, str) else None
