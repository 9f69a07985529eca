"""Which program a `-c` script leaves as PID 1, shell by shell (D002, D003). The cases are what
Debian's dash 0.5.12, BusyBox 1.35 ash and bash 5.2 did when run as `<shell> -c '<script>'`, read
off the process table: the shell itself, or the command it replaced itself with."""

from __future__ import annotations

import pytest

from relcheck.checks.dockerfile import _handoff
from relcheck.units.images import image_shell

SHELLS_SEEN = [
    # (script, dash, busybox, bash): the program PID 1 was handed to, None when the shell stayed
    ("sleep 30", None, "sleep", "sleep"),
    ("sleep 30;", None, "sleep", "sleep"),
    ("true && sleep 30", None, "sleep", "sleep"),
    ("false || sleep 30", None, "sleep", "sleep"),
    ("export A=1; sleep 30", None, "sleep", "sleep"),
    ("A=1 sleep 30", None, "sleep", "sleep"),
    ("cd /tmp && sleep 30 2>&1", None, "sleep", None),
    ("sleep 30 > /dev/null", None, "sleep", None),
    ("sleep 30 && true", None, None, None),
    ("sleep 30 | cat", None, None, None),
    ("sleep 30 &\nwait", None, None, None),
    ("x() { sleep 30; }; x", None, None, None),
    ("true; exec sleep 30", "sleep", "sleep", "sleep"),
    ("(cd /tmp) && exec sleep 30", "sleep", "sleep", "sleep"),
    ("(cd /tmp); if true; then exec sleep 30; fi", "sleep", "sleep", "sleep"),
    # A script that ends with a compound: BusyBox execs the last command of the branch it takes.
    ('if [ -n "$X" ]; then sleep 30 1; else sleep 30; fi', None, "sleep", None),
    ('if [ -n "$X" ]; then exec sleep 30 1; else exec sleep 30; fi', "sleep", "sleep", "sleep"),
    ("if false; then :; elif true; then sleep 30; fi", None, "sleep", None),
    ("if true; then if true; then sleep 30; fi; fi", None, "sleep", None),
    ("{ sleep 30; }", None, "sleep", None),
    ("cd /tmp && if true; then sleep 30; fi", None, "sleep", None),
    ("true; if true; then true; fi; if true; then sleep 30; else exit 1; fi", None, "sleep", None),
    ("if true; then sleep 30 & fi", None, None, None),
    ("if true; then sleep 30 | cat; fi", None, None, None),
    ("while true; do sleep 30; done", None, None, None),
]


@pytest.mark.parametrize(("script", "dash", "busybox", "bash"), SHELLS_SEEN)
def test_the_program_each_shell_hands_pid_1_to(script: str, dash: str | None, busybox: str | None, bash: str | None):
    assert _handoff(script, None) == dash
    assert _handoff(script, "busybox") == busybox
    assert _handoff(script, "bash") == bash


@pytest.mark.parametrize(
    ("script", "busybox"),
    [
        # Run in the shell itself, or not a plain command: never credited, though BusyBox execs some.
        ("case x in x) sleep 30;; esac", None),
        ("(cd /tmp); if true; then sleep 30; fi", None),
        ('if [ -z "$X" ]; then echo missing; exit 1; fi', None),
        ("cd /app && wait", None),
        ("node 'unbalanced", None),
        ("", None),
        ("exec > /tmp/log", None),
    ],
)
def test_what_is_never_credited(script: str, busybox: str | None) -> None:
    assert _handoff(script, "busybox") == busybox


@pytest.mark.parametrize(
    ("image", "shell"),
    [
        ("alpine:3.20", "busybox"),
        ("docker.io/library/alpine:3.24.1@sha256:" + "28bd5fe8" * 8, "busybox"),
        ("node:20-alpine", "busybox"),
        ("python:3.14.7-alpine3.24", "busybox"),
        ("busybox:1.36", "busybox"),
        ("registry.access.redhat.com/ubi9/ubi-minimal:9.4", "bash"),
        ("registry.access.redhat.com/ubi8:8.10", "bash"),
        ("rockylinux:9", "bash"),
        ("node:20-slim", None),
        ("node:20", None),
        ("envoyproxy/envoy:v1.29.1", None),
        ("registry.example:5000/alpine-tools/app:1.0", None),
        ("", None),
        (None, None),
    ],
)
def test_the_shell_an_image_name_tells(image: str | None, shell: str | None) -> None:
    assert image_shell(image) == shell
