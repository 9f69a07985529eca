"""Walk the scan paths, honour .gitignore and config excludes, classify and read files safely."""

from __future__ import annotations

import errno
import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from relcheck.model import ParseProblem
from relcheck.syntax.saferegex import gitignore_spec


class FileKind:
    """What a file is to relcheck, from its name or content ("kind" alone means a Kubernetes kind)."""

    DOCKERFILE = "dockerfile"
    KUBERNETES = "kubernetes"
    PM2 = "pm2"
    PROMETHEUS_RULES = "prometheus-rules"
    APP_SETTINGS = "app-settings"
    APP_SOURCE = "app-source"
    # In a test folder: read only as evidence for the repository rules (a k6 script, a chaos
    # experiment), never linted as what it is.
    EVIDENCE = "evidence"
    # Read only for the images a `kustomize edit set image` recipe sets (relcheck.parsers.makefile).
    MAKEFILE = "makefile"
    # Read only for the images an OpenShift release replaces (relcheck.parsers.release_images).
    IMAGE_REFERENCES = "image-references"
    # Read only for the images Tilt builds and puts in the manifests it deploys (relcheck.parsers.tiltfile).
    TILTFILE = "tiltfile"
    OTHER = "other"


# Excluded unless the config's `exclude` replaces them or `--no-default-excludes` turns them off
# (as ruff's default excludes): vendored third-party code and test data are not the user's service
# (also a Go package's test doubles under `fake/`: linkerd's proxy injector reads the pods of its
# `fake/data/` in its tests),
# nor is Yarn's own folder (`.yarn/releases/yarn-4.x.cjs`, its plugins and editor SDKs), and neither
# is what CI and development tooling apply (a kind cluster's Redis under `.github/`, deliberately
# broken pods under `hack/`), nor end-to-end and integration tests (`e2e/`: a kind cluster's CNI,
# a throwaway CoreDNS; headlamp's `e2e-tests/`: its CI deployment of `:latest` images; a conformance
# suite's backends: gateway-api's `conformance/base/manifests.yaml`; PostHog's `ci/kubetest/`) and snapshot
# tests' output, nor `test/` and `tests/` (kube-state-metrics' test manifests, Datadog's chart
# baselines) and Jest's and Jasmine's `__tests__/` and `spec/` (parse-server's mock adapters are
# packages of their own), nor documentation (`docs/`, `doc/`, `documentation/`: tutorial snippets
# such as ingress-nginx's and external-dns's examples, some elided with `...`, haproxy's annotation
# reference; a website's sources, by its config: is_documentation_site): those are walked for the
# repository rules' evidence only, as load tests, chaos experiments and runbooks live there
# (ingress-nginx's `test/k6/`, a `docs/runbooks/` folder). Nor are design documents and what is
# archived (`design/`: crossplane's and velero's proposals and proofs of concept; `_archived/`,
# `archived/`: kubernetes/examples' retired examples, whose objects the API no longer takes).
DEFAULT_EXCLUDES = (
    "vendor/",
    "third_party/",
    "third-party/",
    "testdata/",
    "_testdata/",
    "**/__fixtures__/",
    "**/fixtures/",
    "**/fixture/",
    "**/__snapshots__/",
    "**/__mocks__/",
    "**/fake/",
    "**/fakes/",
    "**/golden/",
    "**/__snapshot__/",
    "**/e2e/",
    "**/e2e-tests/",
    "**/e2e_tests/",
    "**/integration-tests/",
    "**/integration_tests/",
    "**/integrationtest/",
    "**/integrationtests/",
    "**/conformance/",
    "**/kubetest/",
    "**/test/",
    "**/tests/",
    "**/__tests__/",
    "**/spec/",
    "**/docs/",
    "**/doc/",
    "**/documentation/",
    "**/.yarn/",
    ".github/",
    ".gitlab/",
    ".circleci/",
    ".buildkite/",
    ".devcontainer/",
    ".cursor/",
    "hack/",
    "design/",
    "_archived/",
    "archived/",
)


# Excluded folders still walked, their files kept as FileKind.EVIDENCE only.
EVIDENCE_FOLDERS = frozenset({"test", "tests", "__tests__", "spec", "docs", "doc", "documentation"})


# Folders of end-to-end test cases (Chainsaw's `chainsaw-test.yaml`, KUTTL's numbered steps with
# `00-assert.yaml`), left out with the default excludes: what they apply goes to a throwaway test
# cluster, and their assert files are partial objects to compare with it, not manifests.
CHAINSAW_TESTS = frozenset({"chainsaw-test.yaml", "chainsaw-test.yml", "chainsaw-test.json", ".chainsaw-test.yaml"})
_KUTTL_ASSERT = re.compile(r"^\d+-(?:assert|errors)\.ya?ml$")


def is_end_to_end_case(names: Iterable[str]) -> bool:
    """Whether a folder holding these file names is a Chainsaw or KUTTL test case."""
    return any(name in CHAINSAW_TESTS or _KUTTL_ASSERT.match(name) for name in names)


# A local development environment: a folder named for one that holds a Tiltfile (unkey's `dev/`,
# NVSentinel's `tilt/`). Tilt is a developer's inner loop; what that folder holds (the manifests
# `k8s_yaml` applies to a laptop's cluster, its images) never reaches production, so it is left out
# with the default excludes, as `hack/` is. Its Tiltfile is still read: the images it builds are
# replaced in whatever it deploys from elsewhere. A Tiltfile at the scan root, or in a folder named
# otherwise (`deploy/`, `k8s/`), is beside the manifests a team ships, which stay checked.
DEVELOPMENT_FOLDERS = frozenset({"dev", "development", "local", "localdev", "local-dev", "tilt", "devenv", "dev-env"})


def is_development_environment(folder: str, names: Iterable[str]) -> bool:
    """Whether the folder of this name, holding these names, is a local development environment."""
    return folder.lower() in DEVELOPMENT_FOLDERS and "Tiltfile" in names


# A documentation website's sources (Hugo's `hugo.toml`, or its older `config.toml` beside `content/`
# and `layouts/` or `themes/`; Docusaurus's config): its manifests are examples for readers (kueue's `site/static/
# examples/`, one copy per documented version), left out with the default excludes as `docs/` is.
_SITE_CONFIGS = frozenset(
    {"hugo.toml", "hugo.yaml", "hugo.json"} | {f"docusaurus.config.{ext}" for ext in ("js", "ts", "mjs", "cjs")}
)
_HUGO_OLD_CONFIGS = frozenset({"config.toml", "config.yaml", "config.json"})
# Beside `content/`, what `hugo new site` makes: layouts of its own, or a theme's (contour's `site/`).
_HUGO_FOLDERS = frozenset({"layouts", "themes", "archetypes"})


# A folder of hotfix images, one folder per release patched (overleaf's `server-ce/hotfix/5.5.1/`,
# each a Dockerfile FROM the release before it): only the newest is what an install runs now; the
# older ones are a history of releases, left out with the default excludes.
HOTFIX_FOLDERS = frozenset({"hotfix", "hotfixes"})
_RELEASE_NAME = re.compile(r"^v?(\d+(?:\.\d+){1,3})$")


def superseded_releases(names: Iterable[str]) -> set[str]:
    """The folders of a hotfix folder named for releases, but the newest."""
    releases = {
        name: tuple(int(part) for part in match.group(1).split("."))
        for name in names
        if (match := _RELEASE_NAME.match(name))
    }
    if len(releases) < 2:
        return set()
    newest = max(releases, key=releases.__getitem__)
    return set(releases) - {newest}


# A folder of release manifests, one file per release (cloudnative-pg's `releases/cnpg-1.15.0.yaml`
# up to `cnpg-1.30.0.yaml`, each its build's output then): only the newest of a name is what an
# install applies now; the older ones are a history of releases, left out with the default excludes.
RELEASE_FOLDERS = frozenset({"releases", "release"})
_RELEASE_FILE = re.compile(
    r"^(?P<stem>.+?)[-_]v?(?P<version>\d+(?:\.\d+){1,3})(?P<pre>-[0-9A-Za-z.]+)?(?P<ext>\.ya?ml|\.json)$"
)


def superseded_release_files(names: Iterable[str]) -> set[str]:
    """The files of a release folder named for a release of the same name, but the newest of each
    (a release candidate is older than its release)."""
    groups: dict[tuple[str, str], dict[str, tuple]] = {}
    for name in names:
        match = _RELEASE_FILE.match(name)
        if match is None:
            continue
        version = tuple(int(part) for part in match["version"].split("."))
        order = (*version, *(0,) * (4 - len(version)), 0 if match["pre"] else 1, match["pre"] or "")
        groups.setdefault((match["stem"], match["ext"].lower()), {})[name] = order
    superseded: set[str] = set()
    for releases in groups.values():
        if len(releases) > 1:
            newest = max(releases, key=releases.__getitem__)
            superseded |= set(releases) - {newest}
    return superseded


def is_documentation_site(names: Iterable[str]) -> bool:
    """Whether a folder holding these names is the root of a Hugo or Docusaurus website."""
    present = set(names)
    return bool(present & _SITE_CONFIGS) or bool(
        present & _HUGO_OLD_CONFIGS and "content" in present and present & _HUGO_FOLDERS
    )


def _folder_names(patterns: Iterable[str]) -> frozenset[str] | None:
    """The folder names that `name/` and `**/name/` patterns exclude wherever they are, or None
    when a pattern is anything else (then gitignore matching decides)."""
    names = set()
    for pattern in patterns:
        name = pattern[3:] if pattern.startswith("**/") else pattern
        if not name.endswith("/") or any(c in name[:-1] for c in "*?[]\\/!#") or not name[:-1].strip():
            return None
        names.add(name[:-1])
    return frozenset(names)


# Never worth walking: VCS data, dependency trees, virtualenvs and tool caches.
ALWAYS_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".relcheck_cache",
        ".idea",
        ".vscode",
    }
)
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024

YAML_SUFFIXES = (".yaml", ".yml")
SOURCE_SUFFIXES = (".ts", ".js", ".mjs", ".cjs", ".tsx", ".jsx", ".mts", ".cts")
PM2_NAMES = frozenset(
    {
        "ecosystem.config.js",
        "ecosystem.config.cjs",
        "ecosystem.config.mjs",
        "ecosystem.config.json",
        "process.json",
        "process.yml",
        "process.yaml",
    }
)
_K8S_API = re.compile(r"^[\"']?apiVersion[\"']?\s*:", re.MULTILINE)
_K8S_KIND = re.compile(r"^[\"']?kind[\"']?\s*:", re.MULTILINE)
# `groups:` holding a list (a block list, after blank, comment or template-tag lines, or a flow list):
# haproxy's annotation documentation has a `groups:` mapping, and mentions ingress rules in its prose.
_RULE_GROUPS = re.compile(
    r"^[\"']?groups[\"']?\s*:\s*(?:\[|(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*|\{[%{][^\n]*)?\n)*[ \t]*-)", re.MULTILINE
)
_RULE_CONTENT = re.compile(r"(?:^\s*-?|[{,])\s*[\"']?(?:rules|alert|record|expr)[\"']?\s*:", re.MULTILINE)
_EMPTY_GROUPS = re.compile(r"^[\"']?groups[\"']?\s*:\s*\[\s*\]", re.MULTILINE)
_JSON_K8S = re.compile(r"\"apiVersion\"\s*:.*?\"kind\"\s*:|\"kind\"\s*:.*?\"apiVersion\"\s*:", re.DOTALL)
_PM2_APPS = re.compile(r"\bapps[\"']?\s*[:=]")
# Other names PM2 files go by, which the content confirms (`apps`): PM2 takes any file name, and a
# Dockerfile's `pm2-runtime start pm2.ecosystem.json` or `pm2 start ecosystem.prod.json` names them.
_PM2_LIKE_NAME = re.compile(r"(?:^|[._-])(?:ecosystem|pm2)(?:[._-][\w.-]*)?\.(?:json|ya?ml|[cm]?js)$", re.I)


@dataclass
class SourceFile:
    """A file of the scan. `path` is relative to the scan root and `/`-separated."""

    path: str
    abs_path: str | Path  # a plain string from the walk: cheaper to build and to send to workers
    kind: str = FileKind.OTHER
    inode: int | None = None  # as the walk saw it: a file replaced before it is read is not read
    _text: str | None = field(default=None, repr=False)
    _problem: ParseProblem | None = field(default=None, repr=False)
    _read: bool = field(default=False, repr=False)
    # What the cache notes once a scan (relcheck.scan.cache: source_state, content_digest). Fields,
    # not attributes added later: 9,000 files' instance dicts stay shared-key and small.
    _state: str | None = field(default=None, repr=False, compare=False)
    _digest: str | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def read(self, max_bytes: int = DEFAULT_MAX_FILE_SIZE) -> tuple[str | None, ParseProblem | None]:
        """The decoded text, or the problem that stopped it; read once and kept."""
        if not self._read:
            self._text, self._problem = read_text(self.abs_path, max_bytes, self.inode)
            self._read = True
        return self._text, self._problem

    def reading(self) -> tuple[str | None, ParseProblem | None] | None:
        """What read() gave, if it has been called (a worker process sends it back with its results)."""
        return (self._text, self._problem) if self._read else None

    def remember(self, reading: tuple[str | None, ParseProblem | None]) -> None:
        """Keep what another process read, so that this one need not read the file again."""
        if not self._read:
            self._text, self._problem = reading
            self._read = True


@dataclass
class Discovery:
    root: Path
    files: list[SourceFile]
    problems: list[tuple[str, ParseProblem]]  # (relative path, problem) for entries not scanned
    # Folders whose listing was read, and the files listed there but not scanned (ignored, or
    # symlinks not followed): whether a file exists in such a folder needs no look at the disk.
    listed_dirs: set[str] = field(default_factory=set)
    unscanned: set[str] = field(default_factory=set)
    # Folders (and older release manifests) the default excludes left out.
    excluded_by_default: list[str] = field(default_factory=list)


# Opening never follows a link in the last component (a file swapped for a link after the walk is
# not read through it) and never waits (a FIFO opens at once and is then refused by fstat).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_text(
    path: str | Path, max_bytes: int = DEFAULT_MAX_FILE_SIZE, inode: int | None = None, follow: bool = False
) -> tuple[str | None, ParseProblem | None]:
    """Bytes to text: UTF-8 (BOM allowed), UTF-16 or UTF-32 with a BOM; never raises.

    What is checked is what was opened: the file's type and size come from the open descriptor,
    and `inode`, when the walk recorded it, must still be the file's (a file replaced, or a folder
    above it swapped for a link, between the walk and the read is not read). `follow` is for
    paths the user gave (a baseline on the command line), never for files of the repository."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS | (0 if follow else _NO_FOLLOW))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, ParseProblem("E002", "a symlink (it was not one when the folder was listed); not followed")
        return None, ParseProblem("E001", f"cannot read file: {exc.strerror or exc}")
    try:
        info = os.fstat(descriptor)
        if inode is not None and (info.st_ino != inode or not _opened_as_walked(descriptor, path)):
            return None, ParseProblem("E002", "the file was replaced while the scan ran; not read")
        if not stat.S_ISREG(info.st_mode):
            return None, ParseProblem("E002", "not a regular file (FIFO, socket or device); skipped")
        if info.st_size > max_bytes:
            return None, ParseProblem("E002", f"file is {info.st_size} bytes, over the {max_bytes}-byte cap; skipped")
        data = _read_bytes(descriptor, max_bytes + 1)
    except OSError as exc:
        return None, ParseProblem("E001", f"cannot read file: {exc.strerror or exc}")
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        return None, ParseProblem("E002", f"file is over the {max_bytes}-byte cap; skipped")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _normalise(data.decode(encoding)), None
            except UnicodeDecodeError as exc:
                return None, _decode_problem(data, exc.start, encoding.upper())
    if b"\x00" in data[:8192]:
        return None, ParseProblem("E002", "binary file (contains NUL bytes); skipped")
    try:
        return _normalise(data.decode("utf-8-sig")), None
    except UnicodeDecodeError as exc:
        return None, _decode_problem(data, exc.start, "UTF-8")


def _opened_as_walked(descriptor: int, path: str | Path) -> bool:
    """Whether the open file is the one at `path`, a path the walk built from real folders: a folder
    above it swapped for a link would open another file (whose inode number may even be reused).
    Where the system cannot say (no /proc), the inode comparison stands alone."""
    try:
        opened = os.readlink(f"/proc/self/fd/{descriptor}")
    except OSError:
        return True
    return opened == os.path.abspath(path)


# UTF-32's byte-order marks first: UTF-32-LE's begins with UTF-16-LE's.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _read_bytes(descriptor: int, limit: int) -> bytes:
    """Up to `limit` bytes, through the OS directly: a buffered file object costs more than
    reading a small file (and a scan reads thousands)."""
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(descriptor, remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _decode_problem(data: bytes, offset: int, encoding: str) -> ParseProblem:
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return ParseProblem("E001", f"not valid {encoding}: undecodable byte 0x{data[offset]:02x}", line, column)


STDIN_PATH = "<stdin>"


def stdin_file(text: str, name: str | None = None) -> SourceFile:
    """Manifests piped in (`helm template ... | relcheck scan -`), read as Kubernetes YAML; with
    `name` (--stdin-filename), a file of the kind that name and content say, reported under it."""
    if name:
        path = name.replace("\\", "/").removeprefix("./")
        kind = kind_by_name(path) or kind_by_content(path, _normalise(text))
        source = SourceFile(path, Path(path), kind)
        source._text, source._problem, source._read = _normalise(text), None, True
        return source
    source = SourceFile(STDIN_PATH, Path(STDIN_PATH), FileKind.KUBERNETES)
    source._text, source._problem, source._read = _normalise(text), None, True
    return source


# `Dockerfile.<x>` is a Dockerfile for <x> (`Dockerfile.prod`), unless <x> names a language or a
# data format: kubebuilder's `dockerfile.go` is Go that writes one.
_CODE_AND_DATA_SUFFIXES = (
    *SOURCE_SUFFIXES,
    *YAML_SUFFIXES,
    *(".go", ".py", ".rs", ".java", ".kt", ".rb", ".php", ".cs", ".sh", ".ps1"),
    *(".md", ".rst", ".html", ".json", ".toml"),
)


# What a `.env.<suffix>` name says is no dotenv file: a patch of one (getsentry/self-hosted's
# `.env.patch`), an editor's or merge's leftover, or code and data (`.env.ts`, `.env.json`).
_NOT_DOTENV_SUFFIXES = (".patch", ".diff", ".orig", ".rej", ".bak", ".swp", "~", *_CODE_AND_DATA_SUFFIXES)


def is_dotenv_name(name: str) -> bool:
    """`.env`, `.env.production`, `.env.example`...: a file python-dotenv's parser reads."""
    lower = name.lower()
    return lower == ".env" or (lower.startswith(".env.") and not lower.endswith(_NOT_DOTENV_SUFFIXES))


def kind_by_name(path: str) -> str | None:
    """The kind a file's name alone decides, or None when its content must tell."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    # `x.license` is the REUSE specification's licence sidecar of `x` (hedgedoc's `.env.license`).
    if lower.endswith((".dockerignore", ".license")):
        return FileKind.OTHER
    if (
        lower in ("dockerfile", "containerfile")
        or lower.endswith(".dockerfile")
        or (lower.startswith(("dockerfile.", "containerfile.")) and not lower.endswith(_CODE_AND_DATA_SUFFIXES))
    ):
        return FileKind.DOCKERFILE
    if lower in PM2_NAMES:
        return FileKind.PM2
    if _PM2_LIKE_NAME.search(lower):
        return None  # `pm2.ecosystem.json`, `ecosystem.prod.config.js`: a PM2 file if it lists apps
    if lower in ("makefile", "gnumakefile") or lower.endswith(".mk"):
        return FileKind.MAKEFILE
    if lower == "image-references":
        return FileKind.IMAGE_REFERENCES
    if lower == "tiltfile" or lower.endswith(".tiltfile"):
        return FileKind.TILTFILE
    if lower == "package.json" or is_dotenv_name(lower):
        return FileKind.APP_SETTINGS
    if lower.endswith(YAML_SUFFIXES) or lower.endswith(".json"):
        return None
    if lower.endswith(".config.js"):
        return None
    if lower.endswith(SOURCE_SUFFIXES) and not lower.endswith(".d.ts"):
        return FileKind.APP_SOURCE
    if "." not in name and path.rsplit("/", 2)[-2:-1] == ["bin"]:
        return None  # `bin/www` (Express's generator): a Node script when its shebang says so
    return FileKind.OTHER


_NODE_SHEBANG = re.compile(r"#![^\n]*\bnode\b")
# A folder named for PM2 (`pm2/`, `pm2-processes/`): its JSON and YAML files that list apps are
# PM2's, whatever their names (`pm2-processes/production.json`, which a pod's `pm2-runtime start` names).
PM2_FOLDER = re.compile(r"(?:^|[._-])pm2(?:$|[._-])")


def _in_pm2_folder(path: str) -> bool:
    return any(PM2_FOLDER.search(folder) for folder in path.split("/")[:-1])


def kind_by_content(path: str, text: str) -> str:
    """Decide YAML/JSON/*.config.js kinds, and what an extensionless `bin/` script is, by a cheap
    look at the content."""
    lower = path.lower()
    if "." not in lower.rsplit("/", 1)[-1]:
        return FileKind.APP_SOURCE if _NODE_SHEBANG.match(text) else FileKind.OTHER
    in_config_dir = lower.startswith("config/") or "/config/" in lower
    name = lower.rsplit("/", 1)[-1]
    if _PM2_LIKE_NAME.search(name) or (_in_pm2_folder(lower) and name.endswith((".json", *YAML_SUFFIXES))):
        if _PM2_APPS.search(text):
            return FileKind.PM2
        if name.endswith(SOURCE_SUFFIXES) and not name.endswith(".config.js"):
            return FileKind.APP_SOURCE  # `ecosystem.js` of something else: a script as any other
    if lower.endswith(".config.js"):
        exports = "module.exports" in text or "export default" in text
        return FileKind.PM2 if exports and _PM2_APPS.search(text) else FileKind.APP_SOURCE
    if lower.endswith(".json"):
        head = text[:4096]
        if _JSON_K8S.search(head):
            return FileKind.KUBERNETES
        return FileKind.APP_SETTINGS if in_config_dir else FileKind.OTHER
    if _K8S_API.search(text) and _K8S_KIND.search(text):
        return FileKind.KUBERNETES
    # `groups:` whose entries hold rules (or alerts under a misspelt key: a broken rule file, not an unknown file)
    if _RULE_GROUPS.search(text) and (_RULE_CONTENT.search(text) or _EMPTY_GROUPS.search(text)):
        return FileKind.PROMETHEUS_RULES
    return FileKind.APP_SETTINGS if in_config_dir else FileKind.OTHER


class _IgnoreRules:
    """.gitignore files from the repository root down, plus config `exclude` globs."""

    def __init__(self, root: Path, exclude: Sequence[str], defaults: Sequence[str] = ()) -> None:
        self.root = root
        self._tracked: tuple[frozenset[str], frozenset[str]] | None = None  # files, folders; read on demand
        self.exclude = gitignore_spec(list(exclude)) if exclude else None
        self.has_defaults = bool(defaults)
        self._default_names = _folder_names(defaults) if defaults else None
        # Compiled only when the defaults are more than folder names (compiling costs a hook run).
        self.defaults = gitignore_spec(list(defaults)) if defaults and self._default_names is None else None
        # (directory relative to root as a prefix, spec); outer files first.
        self.layers: list[tuple[str, object]] = []
        for directory, prefix in _ancestor_gitignores(root):
            spec = self._load(directory / ".gitignore")
            if spec is not None:
                self.layers.append((prefix, spec))

    def _load(self, path: str | Path):
        text, problem = read_text(path, 1024 * 1024)
        if text is None or problem is not None:
            return None
        return gitignore_spec(text.splitlines())

    def enter(self, rel_dir: str, abs_dir: str, has_gitignore: bool) -> int:
        """Add the directory's own .gitignore; returns how many layers to drop on leaving."""
        if has_gitignore:
            spec = self._load(os.path.join(abs_dir, ".gitignore"))
            if spec is not None:
                self.layers.append((f"{rel_dir}/" if rel_dir else "", spec))
                return 1
        return 0

    def leave(self, count: int) -> None:
        for _ in range(count):
            self.layers.pop()

    def excluded_by_default(self, rel: str) -> bool:
        if self._default_names is not None:  # folder names only (the defaults): no pattern matching
            return rel.rsplit("/", 1)[-1] in self._default_names
        return self.defaults is not None and self.defaults.match_file(f"{rel}/")

    def ignored(self, rel: str, is_dir: bool) -> bool:
        probe = f"{rel}/" if is_dir else rel
        if self.exclude is not None and self.exclude.match_file(probe):
            return True
        verdict = None
        for prefix, spec in self.layers:
            if prefix.startswith("../"):
                local = prefix[3:] + probe
            elif probe.startswith(prefix):
                local = probe[len(prefix) :]
            else:
                continue
            result = spec.check_file(local)
            if result.include is not None:
                verdict = result.include
        # git never ignores a file it tracks, nor a folder that holds one.
        return bool(verdict) and not self._is_tracked(rel, is_dir)

    def _is_tracked(self, rel: str, is_dir: bool) -> bool:
        if self._tracked is None:
            self._tracked = tracked_paths(self.root)
        files, folders = self._tracked
        return rel in (folders if is_dir else files)

    def gitignored(self, rel_dir: str) -> bool:
        """Whether .gitignore files (not the config) leave this folder out."""
        exclude, self.exclude = self.exclude, None
        try:
            return self.ignored(rel_dir, True)
        finally:
            self.exclude = exclude


MAX_INDEX_BYTES = 256 * 1024 * 1024


def tracked_paths(root: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The files git tracks under `root` (relative to it), and the folders that hold them, read
    from the repository's index as data (dulwich's parser): no git command runs, so nothing the
    repository configures (hooks, fsmonitor) can. Empty outside a repository or on any doubt."""
    import io

    current = root
    while not (current / ".git").is_dir():
        if (current / ".git").exists() or current.parent == current:
            return frozenset(), frozenset()  # no repository, or a worktree's .git file: not followed
        current = current.parent
    prefix = root.relative_to(current).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    try:
        descriptor = os.open(current / ".git" / "index", os.O_RDONLY | _NO_FOLLOW | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_INDEX_BYTES:
                return frozenset(), frozenset()
            data = _read_bytes(descriptor, MAX_INDEX_BYTES)
        finally:
            os.close(descriptor)
        from dulwich.index import read_index

        names = [entry.name.decode("utf-8", "surrogateescape") for entry in read_index(io.BytesIO(data))]
    except Exception:  # a missing or malformed index tells nothing: .gitignore alone decides
        return frozenset(), frozenset()
    files = frozenset(name[len(prefix) :] for name in names if name.startswith(prefix))
    folders = frozenset(_parents(files))
    return files, folders


def _root_gitignored(rules: _IgnoreRules) -> bool:
    """Whether a .gitignore above the scan root leaves the root itself out (`relcheck scan build/`)."""
    verdict = None
    for prefix, spec in rules.layers:
        if prefix.startswith("../") and prefix != "../":
            result = spec.check_file(prefix[3:])
            if result.include is not None:
                verdict = result.include
    return bool(verdict)


def _parents(files: frozenset[str]) -> set[str]:
    found: set[str] = set()
    for name in files:
        folder = posixpath.dirname(name)
        while folder and folder not in found:
            found.add(folder)
            folder = posixpath.dirname(folder)
    return found


def _ancestor_gitignores(root: Path) -> list[tuple[Path, str]]:
    """.gitignore files above the scan root up to the enclosing git repository's root."""
    found: list[tuple[Path, str]] = []
    parts: list[str] = []
    current = root
    while True:
        if (current / ".git").exists():
            break
        parent = current.parent
        if parent == current:
            return []  # not inside a git repository: only the root's own .gitignore files count
        parts.insert(0, current.name)
        current = parent
        if (current / ".gitignore").is_file():
            found.append((current, "../" + "/".join(parts) + "/"))
    found.reverse()
    return found


def scan_root(paths: Sequence[Path]) -> Path:
    """The deepest directory holding every path (a file's own folder when one file is given)."""
    dirs = [p if p.is_dir() else p.parent for p in paths]
    return Path(os.path.commonpath([str(d) for d in dirs]))


def discover(
    paths: Sequence[Path],
    exclude: Sequence[str] = (),
    milestone: tuple[int, Callable[[], None]] | None = None,
    defaults: Sequence[str] = (),
    root: Path | None = None,
) -> Discovery:
    """Files under `paths` (already resolved and known to exist), classified by name, with paths
    relative to `root` (by default the deepest folder holding them all).

    `milestone` is (a number of files, a function): the function is called once, as soon as the
    walk has found that many files (a large scan can start its workers before the walk ends)."""
    root = root or scan_root(paths)
    rules = _IgnoreRules(root, exclude, defaults)
    files: dict[str, SourceFile] = {}
    found = Discovery(root=root, files=[], problems=[])
    for path in paths:
        if path.is_dir():
            rel_dir = path.relative_to(root).as_posix() if path != root else ""
            # A folder named on the command line is scanned even where .gitignore leaves it out
            # (as ruff and ripgrep do with explicit paths); .gitignore files inside it still apply.
            outer = rules.layers  # here, only the .gitignore files above the scan root
            if rules.gitignored(rel_dir) if rel_dir else _root_gitignored(rules):
                rules.layers = []
            _walk(str(path), rel_dir, root, rules, files, found, milestone, named=True)
            rules.layers = outer
        else:
            rel = path.relative_to(root).as_posix()
            files[rel] = SourceFile(rel, path, kind_by_name(rel) or FileKind.OTHER)
    found.files = [files[key] for key in sorted(files)]
    return found


def _walk(
    directory: str,  # absolute; a plain string, as DirEntry.path gives it (Path objects cost more)
    rel_dir: str,
    root: Path,
    rules: _IgnoreRules,
    files: dict[str, SourceFile],
    listing: Discovery,  # its problems and what the walk listed are filled in here
    milestone: tuple[int, Callable[[], None]] | None = None,
    named: bool = False,  # named on the command line: scanned whatever it holds
    evidence: bool = False,  # inside a test folder: files are evidence only
) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
        listing.listed_dirs.add(rel_dir)
    except OSError as exc:
        listing.problems.append((rel_dir or ".", ParseProblem("E001", f"cannot list directory: {exc.strerror or exc}")))
        entries = []
    if not named and rules.has_defaults and is_end_to_end_case(e.name for e in entries):
        listing.listed_dirs.discard(rel_dir)  # its files are not known to the scan
        if not evidence:  # else the test folder around it is listed already
            listing.excluded_by_default.append(rel_dir)
        return
    folder = posixpath.basename(rel_dir)
    if not named and rules.has_defaults and is_development_environment(folder, (e.name for e in entries)):
        listing.listed_dirs.discard(rel_dir)
        if not evidence:
            listing.excluded_by_default.append(rel_dir)
            tiltfile = next(e for e in entries if e.name == "Tiltfile")
            if tiltfile.is_file(follow_symlinks=False):
                rel = f"{rel_dir}/Tiltfile"
                files[rel] = SourceFile(rel, tiltfile.path, FileKind.TILTFILE, tiltfile.inode())
        return
    if not named and not evidence and rules.has_defaults and is_documentation_site(e.name for e in entries):
        listing.excluded_by_default.append(rel_dir)
        evidence = True  # walked as `docs/` is: for the repository rules' evidence only
    superseded: set[str] = set()
    if not named and rules.has_defaults and posixpath.basename(rel_dir).lower() in HOTFIX_FOLDERS:
        superseded = superseded_releases(e.name for e in entries if _is_real_dir(e))
    older_releases: set[str] = set()
    if not named and rules.has_defaults and posixpath.basename(rel_dir).lower() in RELEASE_FOLDERS:
        older_releases = superseded_release_files(e.name for e in entries if not _is_real_dir(e))
    gitignore = next((e for e in entries if e.name == ".gitignore"), None)
    layers = rules.enter(rel_dir, directory, gitignore is not None and gitignore.is_file())
    for entry in entries:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            listing.unscanned.add(rel)  # unknown: looked up on disk when asked
            continue
        if is_dir:
            if entry.name in ALWAYS_SKIPPED_DIRS or rules.ignored(rel, True):
                continue
            if entry.name in superseded:
                if not evidence:
                    listing.excluded_by_default.append(rel)
                continue
            if rules.excluded_by_default(rel):
                if not evidence:
                    listing.excluded_by_default.append(rel)
                if entry.name in EVIDENCE_FOLDERS:
                    _walk(entry.path, rel, root, rules, files, listing, milestone, evidence=True)
                continue
            _walk(entry.path, rel, root, rules, files, listing, milestone, evidence=evidence)
            continue
        if rules.ignored(rel, False):
            listing.unscanned.add(rel)
            continue
        if entry.name in older_releases:
            if not evidence:
                listing.excluded_by_default.append(rel)
            continue
        named_kind = FileKind.EVIDENCE if evidence else kind_by_name(rel)
        relevant = named_kind is None or named_kind not in (FileKind.OTHER, FileKind.EVIDENCE)
        if is_link:
            problem = _symlink_problem(Path(entry.path), root)
            if problem is not None:
                listing.unscanned.add(rel)
                if relevant:
                    listing.problems.append((rel, problem))
                continue
            # Read the link's target itself, so that the read follows no link at all.
            target = os.path.realpath(entry.path)
            try:
                inode = os.stat(target).st_ino
            except OSError:
                listing.unscanned.add(rel)
                continue
            files[rel] = SourceFile(rel, target, named_kind or FileKind.OTHER, inode)
        else:
            files[rel] = SourceFile(rel, entry.path, named_kind or FileKind.OTHER, entry.inode())
        if milestone is not None and len(files) == milestone[0]:
            milestone[1]()
    rules.leave(layers)


def _is_real_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _symlink_problem(path: Path, root: Path) -> ParseProblem | None:
    """Symlinked files are read only when they resolve to a regular file inside the root."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return ParseProblem("E002", "broken or looping symlink; skipped")
    if not target.is_relative_to(root.resolve()):
        return ParseProblem("E002", "symlink points outside the scan root; not followed")
    if target.is_dir():
        return ParseProblem("E002", "symlink to a directory; not followed")
    return None


def classify(files: Iterable[SourceFile], max_bytes: int) -> list[tuple[str, ParseProblem]]:
    """Settle kinds that depend on content (YAML, JSON, *.config.js); reading errors are returned."""
    problems: list[tuple[str, ParseProblem]] = []
    for source in files:
        # A kind other than OTHER was decided by the name during the walk: no need to ask it again.
        if source.kind != FileKind.OTHER or kind_by_name(source.path) is not None:
            continue
        text, problem = source.read(max_bytes)
        if text is None:
            source.kind = FileKind.OTHER
            lower = source.path.lower()
            if problem is not None and lower.endswith((*YAML_SUFFIXES, ".json", ".js")):
                problems.append((source.path, problem))
            continue
        source.kind = kind_by_content(source.path, text)
    return problems


def repo_prefix(root: Path) -> str:
    """The scan root relative to the enclosing git repository's root, '/'-separated."""
    current = root
    while True:
        if (current / ".git").exists():
            return root.relative_to(current).as_posix() if current != root else ""
        if current.parent == current:
            return ""
        current = current.parent


def read_paths(files: Iterable[SourceFile]) -> list[str]:
    """The paths of the files relcheck reads as what they are (not as other files)."""
    return [f.path for f in files if f.kind != FileKind.OTHER]
