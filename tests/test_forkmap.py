"""Checks shared with a forked child under --jobs: same results, in order, whatever happens to it."""

from __future__ import annotations

import os
import sys

import pytest

from relcheck import forkmap

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def test_results_come_back_in_order_with_half_computed_in_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "dockerfile", raising=False)
    parent = os.getpid()
    results = forkmap.split_map(lambda n: (n * n, os.getpid() == parent), list(range(7)), share=True)
    assert [square for square, _ in results] == [n * n for n in range(7)]
    # Even positions here, odd ones in the child.
    assert [here for _, here in results] == [n % 2 == 0 for n in range(7)]


def test_a_failing_child_costs_nothing_but_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "dockerfile", raising=False)
    parent = os.getpid()

    def square(n: int) -> int:
        if os.getpid() != parent:
            os._exit(7)  # the child dies before sending anything
        return n * n

    assert forkmap.split_map(square, list(range(5)), share=True) == [0, 1, 4, 9, 16]


def test_no_fork_once_go_code_has_run_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dockerfile", object())
    parent = os.getpid()
    assert forkmap.split_map(lambda n: os.getpid() == parent, [1, 2, 3], share=True) == [True, True, True]


def test_jobs_one_never_forks() -> None:
    parent = os.getpid()
    assert forkmap.split_map(lambda n: os.getpid() == parent, [1, 2, 3], share=False) == [True, True, True]
