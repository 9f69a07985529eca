"""The scan cache (`.relcheck_cache/` at the scan root, ruff's habit): what parsing each file gave,
keyed by its content (`parse/`, shards by the key's first byte: a warm scan of 9,000 files opens 256,
a change rewrites one); each unit's findings, keyed by everything the unit's rules read
(`findings/`, relcheck.scan.incremental); the last whole scan's snapshot of the units (`trees/`); the
reports of unchanged trees (`reports/`, relcheck.scan.reportcache); the plain reports kept for
patching (`patches/`, relcheck.reporters.patch). A warm scan reads, hashes and looks up;
it parses and checks only what changed.

The folder is in the repository, so its content is the repository's, never trusted: every entry is
signed with a key kept in the user's own cache folder (0600), and an entry whose signature does not
verify (corrupt, truncated, written by another user or shipped in a clone) is ignored and rewritten.
Writes are atomic (a temporary file renamed over the entry), so concurrent scans never see half an
entry; the folder is bounded in size, oldest entries pruned first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from relcheck import __version__

if TYPE_CHECKING:
    from relcheck.scan.discovery import SourceFile

CACHE_DIR_NAME = ".relcheck_cache"
ENV_CACHE_DIR = "RELCHECK_CACHE_DIR"
# A folder of entries that outgrows this is pruned, oldest first, down to three quarters of it.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_MAC_SIZE = 32
_LAYOUT = "v1"


def digest(*parts: str | bytes) -> str:
    """A stable hash of the parts (separated, so that ("ab", "c") and ("a", "bc") differ)."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


class _Signing:
    """A file that signs what is written to it."""

    def __init__(self, handle: Any, mac: Any) -> None:
        self.handle, self.mac = handle, mac

    def write(self, data: bytes) -> int:
        self.mac.update(data)
        return self.handle.write(data)


def file_state(path: str | Path) -> str:
    """A file's size, modification and change times, inode and mode, as the file system has them
    now ("-" when it is gone): what says, without reading it, that it is as it was."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return "-"
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}:{info.st_mode}"


def source_state(source: SourceFile) -> str:
    """file_state of a walked file, taken once a scan (the stored report's key and the snapshot's
    comparison look at the same states)."""
    if source._state is None:
        source._state = file_state(source.abs_path)
    return source._state


def content_digest(source: SourceFile, max_file_size: int) -> str:
    """A file's content hashed (what could not be read: the reason), once a scan."""
    if source._digest is None:
        text, problem = source.read(max_file_size)
        source._digest = digest(text if text is not None else f"\0{problem!r}")
    return source._digest


def _user_key() -> bytes | None:
    """The signing key: 32 random bytes in the user's cache folder (made on first use, 0600), or
    None where it cannot be had safely (then nothing is cached)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relcheck"
    path = base / "cache-key"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(os.urandom(32))
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            # Another user's key, or one others may read, signs nothing (POSIX modes; Windows has ACLs).
            if not stat.S_ISREG(info.st_mode) or (
                os.name == "posix" and (info.st_mode & 0o077 or info.st_uid != os.getuid())
            ):
                return None
            key = handle.read(64)
    except OSError:
        return None
    return key if len(key) == 32 else None


def cache_folder(root: Path, given: Path | None = None) -> Path:
    """`--cache-dir`, else RELCHECK_CACHE_DIR, else `.relcheck_cache` at the scan root."""
    if given is not None:
        return given
    from_env = os.environ.get(ENV_CACHE_DIR)
    return Path(from_env) if from_env else root / CACHE_DIR_NAME


class Cache:
    """Signed entries in one folder. Every method fails quietly: a cache that cannot be read or
    written is a slower scan, never a failed one."""

    def __init__(self, folder: Path, key: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        self.base = folder / _LAYOUT
        self._key = key
        self.max_bytes = max_bytes
        self.written = 0  # entries written by this scan (tests and `--show-settings` read it)
        self._shards: dict[str, dict[str, tuple[str, bytes]]] = {}
        self._dirty: set[str] = set()

    @classmethod
    def open(cls, folder: Path) -> Cache | None:
        key = _user_key()
        if key is None:
            return None
        cache = cls(folder, key)
        return cache if cache._prepare() else None

    def _prepare(self) -> bool:
        try:
            if self.folder.is_symlink() or self.base.is_symlink():
                return False  # a link the repository planted would have the cache written elsewhere
            self.base.mkdir(parents=True, exist_ok=True)
            marker = self.folder / ".gitignore"
            if not marker.exists():
                # Never committed: the folder's own .gitignore ignores everything in it, itself too.
                self._write_file(marker, b"# Made by relcheck: its scan cache, never committed.\n*\n")
                self._write_file(
                    self.folder / "CACHEDIR.TAG",
                    b"Signature: 8a477f597d28d172789f06886806bc55\n# relcheck's scan cache (bford.info/cachedir)\n",
                )
        except OSError:
            return False
        return self.base.is_dir() and not self.base.is_symlink()

    # Signed blobs.

    def _sign(self, name: str, payload: bytes | memoryview) -> bytes:
        # The entry's name is signed with it: an entry copied under another key does not verify.
        mac = hmac.new(self._key, name.encode() + b"\0", hashlib.sha256)
        mac.update(payload)  # no copy of a payload of megabytes
        return mac.digest()

    def _read_signed(self, name: str) -> memoryview | None:
        path = self.base / name
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        try:
            with os.fdopen(descriptor, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > self.max_bytes:
                    return None
                data = handle.read()
        except OSError:
            return None
        mac, payload = data[:_MAC_SIZE], memoryview(data)[_MAC_SIZE:]
        if len(mac) != _MAC_SIZE or not hmac.compare_digest(mac, self._sign(name, payload)):
            return None
        return payload

    def _write_file(self, path: Path, *parts: bytes) -> None:
        with self._replacing(path) as handle:
            for part in parts:
                handle.write(part)

    @contextlib.contextmanager
    def _replacing(self, path: Path) -> Iterator[BinaryIO]:
        """A file written beside `path` and renamed over it when the block ends (removed if it fails):
        a reader sees the old entry or the new one, never half of one."""
        self._make_folders(path.parent)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                yield handle
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def has_parses(self) -> bool:
        """Whether any parse is stored (else the scan is cold: its workers may start early)."""
        folder = self.base / "parse"
        return folder.is_dir() and any(folder.iterdir())

    def has(self, name: str) -> bool:
        return (self.base / name).is_file()

    def _make_folders(self, folder: Path) -> None:
        """The folders down to `folder`, made one by one, none of them a link (a link the repository
        planted in its cache would have entries written elsewhere)."""
        if folder == self.folder:
            if folder.is_symlink():
                raise OSError(f"{folder} is a link")
            return
        current = self.base
        if current.is_symlink():
            raise OSError(f"{current} is a link")
        for part in folder.relative_to(self.base).parts:
            current = current / part
            if current.is_symlink():
                raise OSError(f"{current} is a link")
            current.mkdir(exist_ok=True)

    def load_object(self, name: str) -> Any:
        payload = self._read_signed(name)
        if payload is None:
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # signed by us, yet unreadable (another Python, a class since renamed)
            return None

    def store_object(self, name: str, value: Any) -> None:
        """Pickled straight into the entry's file, signed on the way: no copy of a large payload."""
        try:
            with self._replacing(self.base / name) as handle:
                handle.write(b"\0" * _MAC_SIZE)  # the signature, once the payload is written
                mac = hmac.new(self._key, name.encode() + b"\0", hashlib.sha256)
                pickle.dump(value, _Signing(handle, mac), protocol=pickle.HIGHEST_PROTOCOL)
                handle.seek(0)
                handle.write(mac.digest())
            self.written += 1
        except Exception:  # a value that does not pickle, a full disk, a planted link: not cached
            pass  # (Ctrl-C is no Exception: it stops the scan)

    # Sharded maps of small entries (parse results): key -> (the file's path, pickled bytes).

    def _shard(self, key: str) -> dict[str, tuple[str, bytes]]:
        shard = key[:2]
        if shard not in self._shards:
            loaded = self.load_object(f"parse/{shard}")
            self._shards[shard] = loaded if isinstance(loaded, dict) else {}
        return self._shards[shard]

    def get(self, key: str) -> Any:
        entry = self._shard(key).get(key)
        if not isinstance(entry, tuple) or len(entry) != 2 or not isinstance(entry[1], bytes):
            return None
        try:
            return pickle.loads(entry[1])
        except Exception:
            return None

    def release(self) -> None:
        """Forget the shards read (a scan that wrote none is done with them too)."""
        self._shards.clear()

    def put(self, key: str, path: str, value: Any) -> None:
        """Add a parse; it is pickled when its shard is written (the scan's peak memory then never
        holds every file's pickle at once)."""
        self._shard(key)[key] = (path, value)
        self._dirty.add(key[:2])

    def flush(self, used: set[str], paths: set[str]) -> None:
        """Write the shards this scan changed. A file of this scan keeps only the entry it used now
        (a shard holds each file's latest parse, not its history); other files' entries stay."""
        for shard in sorted(self._dirty):
            entries = {}
            for key, entry in self._shards[shard].items():
                if not isinstance(entry, tuple) or (key not in used and entry[0] in paths):
                    continue
                if not isinstance(entry[1], bytes):
                    try:
                        entry = (entry[0], pickle.dumps(entry[1], protocol=pickle.HIGHEST_PROTOCOL))
                    except Exception:  # does not pickle: not cached
                        continue
                entries[key] = entry
            self.store_object(f"parse/{shard}", entries)
        self._dirty.clear()
        self._shards.clear()  # the pickled parses are not needed again by this scan
        self.prune()

    def keep_newest(self, folder: str, count: int) -> None:
        """Only the `count` newest entries under `folder`."""
        try:
            entries = sorted(
                ((os.lstat(path).st_mtime_ns, path) for path in (self.base / folder).glob("*/*")),
                reverse=True,
            )
            for _, path in entries[count:]:
                os.unlink(path)
        except OSError:
            pass

    def prune(self) -> None:
        """Oldest entries first, until the folder is under three quarters of its bound."""
        try:
            entries = []
            total = 0
            for folder, _, names in os.walk(self.base):
                for name in names:
                    path = os.path.join(folder, name)
                    info = os.lstat(path)
                    entries.append((info.st_mtime, info.st_size, path))
                    total += info.st_size
            if total <= self.max_bytes:
                return
            for _, size, path in sorted(entries):
                os.unlink(path)
                total -= size
                if total <= self.max_bytes * 3 // 4:
                    break
        except OSError:
            pass


def remove_cache(folder: Path) -> str | None:
    """Remove a cache folder; why not, when it is not one relcheck made (no CACHEDIR.TAG of its own,
    or a link): nothing else is ever deleted."""
    import shutil

    if not folder.exists() and not folder.is_symlink():
        return None
    tag = folder / "CACHEDIR.TAG"
    try:
        made_here = not folder.is_symlink() and folder.is_dir() and b"relcheck" in tag.read_bytes()[:200]
    except OSError:
        made_here = False
    if not made_here:
        return f"{folder} is not a relcheck cache folder (no CACHEDIR.TAG of relcheck's); not removed"
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        return f"cannot remove {folder}: {exc.strerror or exc}"
    return None


def open_cache(root: Path, given: Path | None, enabled: bool) -> Cache | None:
    if not enabled:
        return None
    return Cache.open(cache_folder(root, given))


@functools.lru_cache(maxsize=1)
def python_tag() -> str:
    """What wrote an entry: the Python, relcheck's version, and the state of relcheck's own files
    (its modules and rule pack), so that a changed checkout never reads what older code cached."""
    from relcheck.ruleset.pack import pack_dir

    package = Path(__file__).resolve().parent.parent
    states = []
    for folder, pattern in ((package, "*.py"), (package, "*/*.py"), (package, "*/*/*.py"), (pack_dir(), "*.toml")):
        for path in sorted(folder.glob(pattern)):
            try:
                info = path.stat()
            except OSError:
                continue
            states.append(f"{path.relative_to(folder).as_posix()}:{info.st_size}:{info.st_mtime_ns}")
    return f"{__version__}/{sys.implementation.cache_tag}/{digest(*states)}"
