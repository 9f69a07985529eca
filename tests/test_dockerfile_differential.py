"""relcheck reads Dockerfiles in pure Python (`relcheck.syntax.dockerfile`); BuildKit's own
parser, where its Go binding installs (`pip install dockerfile`, Linux x86_64 and Windows), must
read every fixture, example and corpus Dockerfile the same way: the same instructions, arguments,
flags, lines and heredocs, the same errors, and the same findings. Without the binding these skip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcheck.config.loader import Config
from relcheck.parsers import dockerfile as dockerfile_parser
from relcheck.scan.discovery import read_text
from relcheck.scan.engine import scan
from relcheck.syntax.dockerfile import Command, DockerfileSyntaxError, parse

buildkit = pytest.importorskip("dockerfile", reason="BuildKit's Go binding is not installed here")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def _dockerfiles() -> list[Path]:
    roots = [ROOT / "tests" / "fixtures", ROOT / "examples", ROOT / "bench", CORPUS]
    found = {
        path
        for root in roots
        if root.is_dir()
        for path in root.rglob("*")
        if path.is_file() and ("dockerfile" in path.name.lower() or path.name.lower().startswith("containerfile"))
    }
    return sorted(found)


def _buildkit_error_line(text: str, message: str) -> int:
    """BuildKit's binding gives no line: the first line whose prefix fails with the same message."""
    lines = text.splitlines(keepends=True)
    low, high = 1, len(lines)
    while low < high:
        middle = (low + high) // 2
        try:
            buildkit.parse_string("".join(lines[:middle]))
            failed = False
        except buildkit.GoParseError as exc:
            failed = str(exc) == message
        if failed:
            high = middle
        else:
            low = middle + 1
    return low


def buildkit_commands(text: str) -> list[Command]:
    """BuildKit's reading, in the shape relcheck's reader hands over."""
    try:
        commands = buildkit.parse_string(text)
    except buildkit.GoParseError as exc:
        message = str(exc)
        raise DockerfileSyntaxError(message, _buildkit_error_line(text, message)) from None
    return [
        Command(
            keyword=command.cmd or "",
            sub_keyword=command.sub_cmd,
            json=bool(command.json),
            original=command.original or "",
            start_line=command.start_line,
            end_line=command.end_line,
            flags=tuple(command.flags),
            value=tuple(command.value),
            heredocs=tuple(heredoc.content for heredoc in command.heredocs),
        )
        for command in commands
    ]


def _reading(read, text: str, error_line: bool = True):
    try:
        return [dataclasses.astuple(command) for command in read(text)]
    except DockerfileSyntaxError as exc:
        return ("error", exc.message, exc.line if error_line else None)


def _text(path: Path) -> str | None:
    text, _ = read_text(path)
    if text is None:
        return None
    # The binding hands the text to Go as a C string: it ends at the first NUL.
    return text.split("\0", 1)[0]


DOCKERFILES = _dockerfiles()


def test_there_are_dockerfiles_to_compare() -> None:
    assert len(DOCKERFILES) >= 60


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.relative_to(ROOT.parent).as_posix())
def test_reads_as_buildkit_reads(path: Path) -> None:
    text = _text(path)
    if text is None:
        pytest.skip("not text")
    assert _reading(parse, text) == _reading(buildkit_commands, text)


def _scan_findings(folders: list[Path]) -> list[tuple[str, str, int, str]]:
    result = scan(folders, Config())
    return sorted((f.code, f.location.path, f.location.line, f.message) for f in result.findings)


def test_findings_are_the_same_with_buildkit(monkeypatch: pytest.MonkeyPatch) -> None:
    folders = sorted({path.parent for path in DOCKERFILES if CORPUS not in path.parents})
    ours = _scan_findings(folders)
    monkeypatch.setattr(dockerfile_parser, "read_commands", buildkit_commands)
    theirs = _scan_findings(folders)
    assert any(code.startswith("D") for code, *_ in ours)
    assert ours == theirs


# Pieces that meet every branch of the reader: directives, continuations, comments and blank lines
# inside them, heredocs, flags, quotes, JSON arrays, key=value pairs, non-ASCII spaces.
_PIECES = [
    "FROM ", "RUN ", "CMD ", "ENV ", "LABEL ", "ARG ", "COPY ", "ADD ", "ONBUILD ", "HEALTHCHECK ",
    "USER ", "EXPOSE ", "SHELL ", "VOLUME ", "ENTRYPOINT ", "from ", "run ", "--from=x ",
    "--mount=type=cache,target=/a ", "-- ", "--", '"', "'", "\\", "`", "\n", "\n\n", " ", "\t", "\r\n", "#",
    "# escape=`\n", "# syntax=docker/dockerfile:1\n", "<<EOF", "<<-EOF", "EOF", "\tEOF", "<<'EOF'",
    '<<"EOF"', "2<<EOF", "[", "]", '["a"', ", ", '"b"]', "[1]", "a=b", "a", "b c", "=", "$x", "${y}",
    "NONE", "\u00a0", "\u0105", "\x85", "\\\n", "\\ \n", "`\n", "  \\\n",
]  # fmt: skip


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=30).map("".join))
def test_random_texts_read_as_buildkit_reads(text: str) -> None:
    try:
        theirs = _reading(buildkit_commands, text, error_line=False)
    except UnicodeDecodeError:  # the binding's own bug: it cuts some characters in half
        return
    # Error lines are compared over the real files above: bisecting BuildKit's prefixes only
    # approximates a line, and on texts like these it lands elsewhere (an empty file's "line 2").
    assert _reading(parse, text, error_line=False) == theirs


@pytest.mark.parametrize("length", [65534, 65535, 65536])
@pytest.mark.parametrize("ending", ["", "\n", "\nCMD y\n"])
def test_line_length_limit_is_buildkits(length: int, ending: str) -> None:
    text = "FROM a\nRUN " + "x" * (length - 4) + ending
    assert _reading(parse, text) == _reading(buildkit_commands, text)
