"""Independent pieces of work shared with a forked copy of this process (`--jobs`): the checks,
once the model is built, run half here and half in a child that already holds the model, so
nothing but their findings crosses between the two.

A fork is only safe before any Go code has run in this process (BuildKit's Dockerfile parser: a
Go runtime does not survive fork()); with `--jobs`, Dockerfiles are parsed in workers, so the
main process usually qualifies. When it does not, or the child fails, the work runs here.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def fork_safe() -> bool:
    return hasattr(os, "fork") and "dockerfile" not in sys.modules


def split_map(function: Callable[[Item], Result], items: Sequence[Item], share: bool) -> list[Result]:
    """[function(item) for item in items], with every other item computed in a forked child when
    `share` is set and forking is safe. Results are in the order of `items` either way."""
    if not share or len(items) < 2 or not fork_safe():
        return [function(item) for item in items]
    ours, theirs = list(items[0::2]), list(items[1::2])
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return [function(item) for item in items]
    if pid == 0:  # the child: compute its share, send it, and leave without running any cleanup
        os.close(read_end)
        code = 1
        try:
            gc.disable()  # a collection would write to, and so copy, every page of the model
            payload = pickle.dumps([function(item) for item in theirs], protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        our_results = [function(item) for item in ours]
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
    finally:
        _, status = os.waitpid(pid, 0)
    their_results = _received(payload, status, len(theirs))
    if their_results is None:
        their_results = [function(item) for item in theirs]
    results: list[Result] = []
    for index in range(len(items)):
        results.append(our_results[index // 2] if index % 2 == 0 else their_results[index // 2])
    return results


def _received(payload: bytes, status: int, expected: int) -> list | None:
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    try:
        results = pickle.loads(payload)
    except Exception:
        return None
    return results if isinstance(results, list) and len(results) == expected else None
