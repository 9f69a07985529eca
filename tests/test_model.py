"""The plain values every stage hands on: built fast, and still frozen, comparable and picklable."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from relcheck.model import Location, Severity


def test_location_keeps_the_dataclass_contract() -> None:
    where = Location("k8s/deploy.yaml", 12, 5)
    assert (where.path, where.line, where.column, where.end_line, where.end_column) == (
        "k8s/deploy.yaml",
        12,
        5,
        None,
        None,
    )
    assert Location("a", line=3, end_column=9) == Location("a", 3, 1, None, 9)
    assert Location("a") == Location("a", 1, 1)
    assert hash(Location("a", 2)) == hash(Location("a", 2)) and Location("a", 2) != Location("a", 3)
    assert repr(Location("a", 2)) == "Location(path='a', line=2, column=1, end_line=None, end_column=None)"
    assert dataclasses.replace(where, end_line=12).end_line == 12
    with pytest.raises(dataclasses.FrozenInstanceError):
        where.line = 1  # type: ignore[misc]
    # Worker processes send them back pickled.
    assert pickle.loads(pickle.dumps(where)) == where
    assert where.region() == (12, 5, 12, 5)


def test_severity_labels() -> None:
    assert [severity.label for severity in Severity] == ["info", "warning", "error"]
