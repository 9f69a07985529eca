"""Parsing through the cache: a file whose path, kind and content the cache has a parse of is not
parsed again. Parse results are pure functions of those (relcheck.scan.parse_one), and they are
stored as parsed, before the project builds on them."""

from __future__ import annotations

from collections.abc import Sequence

from relcheck.scan.cache import Cache, content_digest, digest, python_tag
from relcheck.scan.parse_one import ParsedFile
from relcheck.scan.parsepool import ParsePool, Task, worker_count


def parse_key(task: Task, max_file_size: int) -> str:
    source, helm = task
    content = content_digest(source, max_file_size)
    kind = str(source.kind)
    return digest(python_tag(), "parse", source.path, kind, "helm" if helm else "", str(max_file_size), content)


def parse_cached(
    tasks: Sequence[Task], max_file_size: int, cache: Cache, jobs: int = 1, pool: ParsePool | None = None
) -> list[ParsedFile]:
    """Each file's parse from the cache, or parsed (by `pool`, workers already started, or by
    workers started for the files the cache lacks) and stored."""
    keys = [parse_key(task, max_file_size) for task in tasks]
    results: list[ParsedFile | None] = []
    for key, (source, _) in zip(keys, tasks, strict=True):
        found = cache.get(key)
        results.append(found if isinstance(found, ParsedFile) and found.path == source.path else None)
    missing = [index for index, result in enumerate(results) if result is None]
    if missing:
        lacking = [tasks[index] for index in missing]
        parsed = pool.parse_all(lacking, max_file_size) if pool is not None else _parse(lacking, max_file_size, jobs)
        for index, result in zip(missing, parsed, strict=True):
            results[index] = result
            if not any("internal error" in problem.message for problem in result.problems):
                cache.put(keys[index], result.path, result)
        cache.flush(set(keys), {source.path for source, _ in tasks})
    cache.release()
    return [result for result in results if result is not None]


def _parse(tasks: Sequence[Task], max_file_size: int, jobs: int) -> list[ParsedFile]:
    """As a scan without cache parses: workers started from a thread (Ctrl-C stays the main
    thread's), closed whatever happens."""
    pool = ParsePool(worker_count(jobs, len(tasks)), background=True)
    try:
        return pool.parse_all(tasks, max_file_size)
    finally:
        pool.close()
