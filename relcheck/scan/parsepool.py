"""Parsing files in worker processes (`--jobs N`). Results come back in file order, so reports are
byte-identical whatever N is. A parser that raises, or a worker that dies, costs one file an E001
finding, never the scan.

The main process helps with files read only by the YAML parser (Kubernetes manifests, settings):
their parse results are the largest to send back, and the parsers most likely to crash (tree-sitter,
promql-parser, compiled code) still run only in workers."""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from relcheck.model import ParseProblem, raised_at
from relcheck.scan.discovery import FileKind, SourceFile
from relcheck.scan.gcpause import long_lived_model
from relcheck.scan.parse_one import ParsedFile, parse_file

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# The process machinery (multiprocessing, concurrent.futures) is imported only when workers start:
# most scans are small and parse in the main process, and a pre-commit hook runs on every commit.

# Below this many files per worker, starting workers (an interpreter each, and the parser
# libraries) costs more than it saves: measured, 900 files took longer with two workers than without.
MIN_FILES_PER_WORKER = 1000
# Small chunks keep both workers busy to the end and let results arrive while others are parsed.
MAX_CHUNK = 200
Task = tuple[SourceFile, bool]  # (file, is a Helm template)
Chunk = tuple[bool, list[Task]]  # (may the main process parse it, tasks)
_Result = TypeVar("_Result")
# Kinds the main process may parse itself: YAML (and .env) only, no other native parser.
MAIN_PROCESS_KINDS = frozenset({FileKind.KUBERNETES, FileKind.APP_SETTINGS})


def safe_parse(task: Task, max_file_size: int) -> ParsedFile:
    source, helm = task
    try:
        return parse_file(source, max_file_size, helm)
    except Exception as exc:  # a parser bug must cost one file, not the scan
        message = f"internal error while parsing ({type(exc).__name__}: {exc}{raised_at(exc)}); please report this"
        return ParsedFile(source.path, [ParseProblem("E001", message)])


def _kind_order(tasks: Sequence[Task]) -> list[int]:
    """Indexes of the tasks with files of one kind together. Each parser library's code and tables
    then stay in the processor's caches: parsing a monorepo folder by folder, switching between
    the Dockerfile reader, libyaml, tree-sitter and promql-parser at every file, took about half as long again."""
    return sorted(range(len(tasks)), key=lambda index: tasks[index][0].kind)


def _in_kind_order(parse: Callable[[Task], _Result], chunk: Sequence[Task]) -> list[_Result]:
    """parse() of every task, run kind by kind, returned in the chunk's order."""
    results: list[Any] = [None] * len(chunk)
    for index in _kind_order(chunk):
        results[index] = parse(chunk[index])
    return results


def _parse_chunk(chunk: Sequence[Task], max_file_size: int) -> list[ParsedFile]:
    with long_lived_model():
        return _in_kind_order(lambda task: safe_parse(task, max_file_size), chunk)


Reading = tuple[str | None, ParseProblem | None]


def _parse_chunk_in_worker(chunk: Sequence[Task], max_file_size: int) -> list[tuple[ParsedFile, Reading | None]]:
    """Parse results with each file's text: the main process needs the texts again afterwards
    (repository evidence, suppression comments, finding ends), and sending them costs less than
    reading the files a second time."""
    with long_lived_model():
        return _in_kind_order(lambda task: _parsed_with_text(task, max_file_size), chunk)


def _parsed_with_text(task: Task, max_file_size: int) -> tuple[ParsedFile, Reading | None]:
    # A text the main process read already (to hash it for the cache) came with the task: not sent
    # back, so that the main process keeps one copy of it.
    known = task[0].reading() is not None
    parsed = safe_parse(task, max_file_size)
    return parsed, None if known else task[0].reading()


def _adopt(chunk: Sequence[Task], shipped: list[tuple[ParsedFile, Reading | None]]) -> list[ParsedFile]:
    for (source, _), (_, reading) in zip(chunk, shipped, strict=True):
        if reading is not None:
            source.remember(reading)
    return [parsed for parsed, _ in shipped]


def _warm_up() -> None:
    """Load the parser libraries in a worker while the main process is still finding files."""
    from relcheck.parsers import alerts, dockerfile, kubernetes, pm2, settings, source  # noqa: F401
    from relcheck.syntax.javascript import _parser
    from relcheck.syntax.yaml import compose_all

    compose_all("warm: up\n")
    for dialect in ("javascript", "typescript"):
        _parser(dialect)


def _start_worker() -> None:
    """A worker's first step. Ctrl-C is the main process's to handle (it stops the pool and exits
    130): a worker that took it too would print a traceback of its own. And a worker whose scan is
    gone (killed, out of memory) exits at once: it would otherwise wait for work for ever, holding
    the scan's output pipes open, so that whatever reads them never sees their end."""
    import multiprocessing
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    scan = multiprocessing.parent_process()
    if scan is not None:
        threading.Thread(target=_exit_with, args=(scan.sentinel,), name="relcheck-scan-watch", daemon=True).start()


def _exit_with(sentinel: Any) -> None:
    import os
    from multiprocessing.connection import wait

    wait([sentinel])  # ready once the scan's process has ended
    os._exit(1)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT blocked in this thread while it starts processes. The mask is inherited, so the fork
    server, and the workers it forks, never take Ctrl-C, even before their first line of Python runs.
    (Where there is no signal mask, the workers' initializer is all there is.)"""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker

    # Launching multiprocessing's resource tracker unblocks SIGINT afterwards: it is launched first.
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _executor(workers: int) -> ProcessPoolExecutor:
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_start_worker)


def _context():
    """Workers start from a process that has run no parser: a fork of a process whose compiled
    parsers (libyaml, tree-sitter, promql-parser's Rust) hold threads or locks is not safe, and
    a Go runtime, which Dockerfiles were once parsed with, hangs after one. The fork server loads
    only relcheck's own modules, which import parsers lazily."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["relcheck.scan.parse_one"])
        return context
    return multiprocessing.get_context("spawn")


def usable_cpus() -> int:
    """The processors this process may run on (a container's CPU set, not the host's count)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def capped_jobs(jobs: int) -> int:
    """`--jobs`, at most one worker per usable processor: more only take turns on the same ones,
    each with its own interpreter and parsers to start (-j 8 on two processors was a tenth slower).
    0 means one per usable processor."""
    cpus = usable_cpus()
    return max(1, min(jobs if jobs > 0 else cpus, cpus))


def worker_count(jobs: int, files: int) -> int:
    """How many workers a scan of this many files gets: none (parse here) when it is small."""
    workers = min(capped_jobs(jobs), files // MIN_FILES_PER_WORKER)
    return workers if workers > 1 else 0


class ParsePool:
    """Worker processes started as soon as the scan knows it is large enough, so that their start-up
    (an interpreter, the parser libraries) overlaps finding and classifying the files.

    With `background=True` the start itself (launching the fork server, a tenth of a second of
    waiting) happens in a thread, and the main process goes on meanwhile.
    """

    def __init__(self, workers: int, background: bool = False) -> None:
        self.workers = workers
        self.executor: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None
        if workers > 1:
            if background:
                self._starting = threading.Thread(target=self._start, name="relcheck-pool-start", daemon=True)
                self._starting.start()
            else:
                self._start()

    def _start(self) -> None:
        try:
            with _interrupts_held():  # the workers start here, with the first submissions
                self.executor = _executor(self.workers)
                for _ in range(self.workers):
                    self.executor.submit(_warm_up)
        except Exception:  # workers could not start (in a thread, nothing else would see it): parse here
            executor, self.executor = self.executor, None
            if executor is not None:
                with contextlib.suppress(Exception):
                    executor.shutdown(wait=False, cancel_futures=True)

    def _ready(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._ready()
        self._shutdown()

    def _shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def parse_all(self, tasks: Sequence[Task], max_file_size: int) -> list[ParsedFile]:
        self._ready()
        executor = self.executor
        if executor is None:
            return _parse_chunk(tasks, max_file_size)
        from concurrent.futures.process import BrokenProcessPool

        chunks = _chunks(tasks, self.workers)
        results: list[list[ParsedFile] | None] = [None] * len(chunks)
        futures: dict[int, Future] = {}
        # The YAML chunks wait here: the main process takes them from the back, and the workers, once
        # their own chunks run short, from the front. Nothing queued is ever cancelled: before 3.12,
        # a worker dying with cancelled work in the queue made the pool's thread print a traceback.
        shared = deque(index for index, (main_may_parse, _) in enumerate(chunks) if main_may_parse)
        try:
            for index, (main_may_parse, chunk) in enumerate(chunks):
                if not main_may_parse:
                    futures[index] = executor.submit(_parse_chunk_in_worker, chunk, max_file_size)
            while shared:
                self._hand_out(shared, futures, chunks, max_file_size)
                if shared:
                    index = shared.pop()
                    results[index] = _parse_chunk(chunks[index][1], max_file_size)
            for index, future in sorted(futures.items()):
                try:
                    results[index] = _adopt(chunks[index][1], future.result())
                except BrokenProcessPool:
                    results[index] = None
        except (BrokenProcessPool, OSError):
            pass  # workers could not start or died early: what is missing is parsed below
        self.close()
        if all(result is None for result in results):
            return _parse_chunk(tasks, max_file_size)  # no worker ever worked: parse here
        parsed: list[ParsedFile] = []
        for index, (main_may_parse, chunk) in enumerate(chunks):
            found = results[index]
            if found is None:  # lost with a worker, or never handed out
                found = _parse_chunk(chunk, max_file_size) if main_may_parse else _isolated(chunk, max_file_size)
            parsed.extend(found)
        by_path = {result.path: result for result in parsed}
        return [by_path[task[0].path] for task in tasks]

    def _hand_out(
        self, shared: deque[int], futures: dict[int, Future], chunks: list[Chunk], max_file_size: int
    ) -> None:
        """Queue YAML chunks for the workers while fewer than two chunks each are waiting for them."""
        executor = self.executor
        assert executor is not None
        waiting = sum(1 for future in futures.values() if not future.done())
        while shared and waiting < 2 * self.workers:
            index = shared.popleft()
            futures[index] = executor.submit(_parse_chunk_in_worker, chunks[index][1], max_file_size)
            waiting += 1


def _chunks(tasks: Sequence[Task], workers: int) -> list[Chunk]:
    """(may the main process parse it, tasks): files for workers only first, then YAML files."""
    ordered = [tasks[index] for index in _kind_order(tasks)]  # chunks of one kind each, mostly
    workers_only = [task for task in ordered if task[0].kind not in MAIN_PROCESS_KINDS]
    shared = [task for task in ordered if task[0].kind in MAIN_PROCESS_KINDS]
    size = max(1, min(MAX_CHUNK, -(-len(tasks) // (workers * 4))))
    return [(False, workers_only[i : i + size]) for i in range(0, len(workers_only), size)] + [
        (True, shared[i : i + size]) for i in range(0, len(shared), size)
    ]


def parse_all(tasks: Sequence[Task], max_file_size: int, jobs: int = 1) -> list[ParsedFile]:
    with ParsePool(worker_count(jobs, len(tasks))) as pool:
        return pool.parse_all(tasks, max_file_size)


def _isolated(chunk: Sequence[Task], max_file_size: int) -> list[ParsedFile]:
    """After a worker died: the chunk's files one at a time in a fresh worker, so only the file that
    kills a parser is lost (the worker is replaced after each crash)."""
    from concurrent.futures.process import BrokenProcessPool

    results: list[ParsedFile] = []
    pending = list(chunk)
    while pending:
        with _executor(1) as pool:
            try:
                while pending:
                    with _interrupts_held():  # the worker starts with the first submission
                        future = pool.submit(safe_parse, pending[0], max_file_size)
                    results.append(future.result(timeout=120))
                    pending.pop(0)
            except (BrokenProcessPool, TimeoutError):
                message = (
                    "internal error: the parser crashed on this file (its worker process exited); please report this"
                )
                results.append(ParsedFile(pending.pop(0)[0].path, [ParseProblem("E001", message)]))
    return results
