"""Positions: where each parsed value and key was written, kept compactly, read like dicts."""

from __future__ import annotations

import pickle
from io import StringIO

import pytest
from ruamel.yaml import YAML

from relcheck.syntax.positions import Positions
from relcheck.syntax.yaml import documents

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: "front"}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: web:1
          ports:
            - containerPort: 8080
              name: http
          args: ["--a", "--b"]
        - name: side
          resources:
            limits:
              memory: 128Mi
"""


def _walk_ruamel(node, path=()):
    """(path, value mark, key mark) of every value ruamel's round-trip loader places (0-based)."""
    if hasattr(node, "lc") and isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key), node.lc.value(key), node.lc.key(key)
            yield from _walk_ruamel(value, (*path, key))
    elif hasattr(node, "lc") and isinstance(node, list):
        for index, value in enumerate(node):
            yield (*path, index), node.lc.item(index), None
            yield from _walk_ruamel(value, (*path, index))


def test_yaml_marks_agree_with_ruamels_round_trip_loader() -> None:
    [(_, _, positions)] = documents(MANIFEST)[0]
    expected = list(_walk_ruamel(YAML().load(StringIO(MANIFEST))))
    assert len(expected) > 20
    for path, (line, column), key in expected:
        assert positions.marks[path] == (line + 1, column + 1), path
        if key is not None:
            assert positions.key_marks[path] == (key[0] + 1, key[1] + 1), path
        else:
            assert path not in positions.key_marks


def test_collections_have_ends_and_spans() -> None:
    [(_, _, positions)] = documents(MANIFEST)[0]
    containers = ("spec", "template", "spec", "containers")
    assert positions.ends[containers] == 20
    assert positions.span((*containers, 0)) == (11, 16)  # up to the next item's `- `, not onto it
    assert positions.span((*containers, 1)) == (17, 20)
    assert positions.span((*containers, 0, "ports", 0)) == (14, 15)
    assert positions.span((*containers, 0, "args")) == (16, 16)  # a flow list ends at its `]`
    assert positions.span((*containers, 0, "name")) is None  # a scalar has no end
    assert ("kind",) not in positions.ends


def test_merge_keys_keep_the_anchors_marks_and_explicit_keys_win() -> None:
    text = "base: &b\n  cpu: 1\n  mem: 2\nuse:\n  <<: *b\n  mem: 3\n"
    [(_, value, positions)] = documents(text)[0]
    assert value["use"] == {"mem": 3, "cpu": 1}
    assert positions.marks[("use", "mem")] == (6, 8)  # the explicit key, not the anchor's
    assert positions.key_marks[("use", "cpu")] == (2, 3)  # merged: where the anchor wrote it
    assert positions.marks[("use", "cpu")] == (2, 8)


def test_lookups_fall_back_to_the_nearest_enclosing_mark() -> None:
    [(_, _, positions)] = documents(MANIFEST)[0]
    container = ("spec", "template", "spec", "containers", 1)
    assert positions.of((*container, "resources", "limits", "cpu")) == (20, 15)  # the mapping's first value
    assert positions.of((*container, "resources", "limits", "cpu"), key=True) == (19, 13)
    assert positions.key_of((*container, "missing")) == (17, 11)  # the list item's first line
    assert positions.of(("nowhere",)) == (1, 1)
    assert Positions().of(("a",)) == (1, 1)


def test_views_read_and_write_like_dicts() -> None:
    positions = Positions({(): (1, 1), ("a",): (2, 4)}, {("a",): (2, 1)}, {(): 9})
    marks, key_marks, ends = positions.marks, positions.key_marks, positions.ends
    assert dict(marks) == {(): (1, 1), ("a",): (2, 4)}
    assert dict(key_marks) == {("a",): (2, 1)}
    assert dict(ends) == {(): 9}
    assert len(marks) == 2 and len(key_marks) == 1 and len(ends) == 1
    assert () not in key_marks and ("b",) not in marks and "a" not in marks
    assert marks.get(("b",)) is None and marks.get(("b",), (7, 7)) == (7, 7)
    with pytest.raises(KeyError):
        key_marks[()]
    with pytest.raises(KeyError):
        ends[("a",)]
    key_marks[("b",)] = (3, 1)  # a key mark alone adds no value mark
    assert ("b",) in key_marks and ("b",) not in marks
    assert marks.setdefault(("b",), (3, 4)) == (3, 4)
    assert marks.setdefault(("b",), (5, 5)) == (3, 4)  # kept
    marks[("b",)] = (6, 6)  # replaced
    assert positions.of(("b",)) == (6, 6) and positions.key_of(("b",)) == (3, 1)
    assert ends.setdefault(("b",), 8) == 8 and ends.setdefault(("b",), 10) == 8
    assert positions.span(("b",)) == (6, 8)
    assert list(marks) == [(), ("a",), ("b",)]  # the order paths were first recorded in


def test_equality_and_pickling() -> None:
    [(_, _, positions)] = documents(MANIFEST)[0]
    copied = pickle.loads(pickle.dumps(positions, protocol=pickle.HIGHEST_PROTOCOL))
    assert copied == positions
    assert dict(copied.marks) == dict(positions.marks) and dict(copied.ends) == dict(positions.ends)
    assert copied != Positions({(): (1, 1)})
    assert Positions({(): (1, 1)}) == Positions({(): (1, 1)}, {}, {})
    assert "Positions(" in repr(copied)
