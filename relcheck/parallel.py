"""Parsing files in worker processes (`--jobs N`). Results come back in file order, so reports are
byte-identical whatever N is. A parser that raises, or a worker that dies, costs one file an E001
finding, never the scan."""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from relcheck.discovery import SourceFile
from relcheck.fileparse import ParsedFile, parse_file
from relcheck.model import ParseProblem, raised_at

# Below this many files, starting workers costs more than it saves.
MIN_FILES_PER_WORKER = 100
CHUNKS_PER_WORKER = 4
Task = tuple[SourceFile, bool]  # (file, is a Helm template)


def safe_parse(task: Task, max_file_size: int) -> ParsedFile:
    source, helm = task
    try:
        return parse_file(source, max_file_size, helm)
    except Exception as exc:  # a parser bug must cost one file, not the scan
        message = f"internal error while parsing ({type(exc).__name__}: {exc}{raised_at(exc)}); please report this"
        return ParsedFile(source.path, [ParseProblem("E001", message)])


def _parse_chunk(chunk: Sequence[Task], max_file_size: int) -> list[ParsedFile]:
    return [safe_parse(task, max_file_size) for task in chunk]


def _context():
    """Workers start from a process that has run no parser: BuildKit's parser is Go code, and a Go
    runtime does not survive fork(), so a plain fork after the parent parsed a Dockerfile hangs.
    The fork server loads only relcheck's own modules, which import parsers lazily."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["relcheck.fileparse"])
        return context
    return multiprocessing.get_context("spawn")


def parse_all(tasks: Sequence[Task], max_file_size: int, jobs: int = 1) -> list[ParsedFile]:
    jobs = min(jobs, max(1, len(tasks) // MIN_FILES_PER_WORKER))
    if jobs <= 1:
        return _parse_chunk(tasks, max_file_size)
    size = max(1, -(-len(tasks) // (jobs * CHUNKS_PER_WORKER)))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    results: list[list[ParsedFile] | None] = [None] * len(chunks)
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_context()) as pool:
            futures = [pool.submit(_parse_chunk, chunk, max_file_size) for chunk in chunks]
            for index, future in enumerate(futures):
                try:
                    results[index] = future.result()
                except BrokenProcessPool:
                    results[index] = None
    except (BrokenProcessPool, OSError):
        pass  # workers could not start or died early: what is missing is parsed below
    if all(result is None for result in results):
        return _parse_chunk(tasks, max_file_size)  # no worker ever worked: parse here
    for index, chunk in enumerate(chunks):
        if results[index] is None:
            results[index] = [_isolated(task, max_file_size) for task in chunk]
    return [parsed for chunk_results in results for parsed in chunk_results or []]


def _isolated(task: Task, max_file_size: int) -> ParsedFile:
    """After a worker died: each file of its chunk alone, so only the file that kills a parser is lost."""
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=_context()) as pool:
            return pool.submit(safe_parse, task, max_file_size).result(timeout=120)
    except (BrokenProcessPool, TimeoutError):
        message = "internal error: the parser crashed on this file (its worker process exited); please report this"
        return ParsedFile(task[0].path, [ParseProblem("E001", message)])
