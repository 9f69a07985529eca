"""Parsing through the cache: a file whose path, kind and content the cache has a parse of is not
parsed again. Parse results are pure functions of those (relcheck.scan.parse_one), and they are
stored as parsed, before the project builds on them."""

from __future__ import annotations

import pickle
from collections.abc import Sequence

from relcheck.scan.cache import Cache, digest, no_collection, python_tag
from relcheck.scan.parse_one import ParsedFile
from relcheck.scan.parsepool import ParsePool, Task, worker_count


def parse_key(task: Task, max_file_size: int) -> str:
    source, helm = task
    text, problem = source.read(max_file_size)
    content = text if text is not None else f"\0{problem!r}"
    kind = str(source.kind)
    return digest(python_tag(), "parse", source.path, kind, "helm" if helm else "", str(max_file_size), content)


def parse_cached(tasks: Sequence[Task], max_file_size: int, cache: Cache, jobs: int = 1) -> list[ParsedFile]:
    keys = [parse_key(task, max_file_size) for task in tasks]
    results: list[ParsedFile | None] = []
    with no_collection():
        for key, (source, _) in zip(keys, tasks, strict=True):
            found = cache.get(key)
            results.append(found if isinstance(found, ParsedFile) and found.path == source.path else None)
    missing = [index for index, result in enumerate(results) if result is None]
    if missing:
        parsed = _parse([tasks[index] for index in missing], max_file_size, jobs)
        for index, result in zip(missing, parsed, strict=True):
            results[index] = result
            if not any("internal error" in problem.message for problem in result.problems):
                cache.put(keys[index], result.path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        cache.flush(set(keys), {source.path for source, _ in tasks})
    return [result for result in results if result is not None]


def _parse(tasks: Sequence[Task], max_file_size: int, jobs: int) -> list[ParsedFile]:
    """As a scan without cache parses: workers started from a thread (Ctrl-C stays the main
    thread's), closed whatever happens."""
    pool = ParsePool(worker_count(jobs, len(tasks)), background=True)
    try:
        return pool.parse_all(tasks, max_file_size)
    finally:
        pool.close()
