"""Dockerfiles, parsed by BuildKit's own parser (the `dockerfile` package) into stages."""

from __future__ import annotations

import re

from relcheck.artifacts.dockerfile import Dockerfile, Instruction, Stage, env_pairs, substitute
from relcheck.model import ParseProblem

KNOWN_INSTRUCTIONS = frozenset(
    [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ]
)
# A suppression comment trailing an instruction is not part of the instruction.
_TRAILING_DIRECTIVE = re.compile(r"(?<=\S)([ \t]+#[ \t]*relcheck:.*)$", re.MULTILINE)
MAX_DOCKERFILE_BYTES = 1024 * 1024
MAX_CONTINUED_LINES = 5_000
# Bisecting for an error line re-parses prefixes; beyond this size the error stays at line 1.
_MAX_BISECT_LINES = 20_000


def _strip_trailing_directives(text: str) -> str:
    if "relcheck:" not in text:  # most files: no need for the (slower) regular expression
        return text
    return _TRAILING_DIRECTIVE.sub(lambda m: " " * len(m.group(1)), text)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _parse(text: str):
    import dockerfile as buildkit

    try:
        return buildkit.parse_string(text)
    except UnicodeDecodeError:
        # The binding cuts some 4-byte characters in half when it hands strings back (found by the
        # property tests: one right after HEALTHCHECK); with them replaced, every line stays where it is.
        return buildkit.parse_string(_ASTRAL.sub("\ufffd", text))


def _error_line(lines: list[str], message: str) -> int:
    """The first line whose prefix fails to parse with the same message (BuildKit gives none)."""
    if len(lines) > _MAX_BISECT_LINES:
        return 1
    import dockerfile as buildkit

    low, high = 1, len(lines)
    while low < high:
        mid = (low + high) // 2
        try:
            _parse("".join(lines[:mid]))
            failed = False
        except buildkit.GoParseError as exc:
            failed = str(exc) == message
        if failed:
            high = mid
        else:
            low = mid + 1
    return low


def _too_long(text: str) -> ParseProblem | None:
    """BuildKit's parser is quadratic in the length of a continued instruction (100,000 lines took
    28 s here): refuse the outliers before handing them over."""
    if len(text) > MAX_DOCKERFILE_BYTES:
        return ParseProblem("E002", f"Dockerfile of {len(text):,} characters is unusually large; not checked")
    run = start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.rstrip().endswith(("\\", "`")):
            if run == 0:
                start = number
            run += 1
            if run > MAX_CONTINUED_LINES:
                return ParseProblem(
                    "E002", f"an instruction continues over more than {MAX_CONTINUED_LINES:,} lines; not checked", start
                )
        else:
            run = 0
    return None


def parse_dockerfile(path: str, text: str) -> tuple[Dockerfile | None, list[ParseProblem]]:
    import dockerfile as buildkit

    refused = _too_long(text)
    if refused is not None:
        return None, [refused]
    cleaned = _strip_trailing_directives(text)
    try:
        commands = _parse(cleaned)
    except buildkit.GoParseError as exc:
        message = str(exc)
        if message == "file with no instructions":
            return None, [ParseProblem("E001", "Dockerfile has no instructions (Docker refuses to build it)")]
        line = _error_line(cleaned.splitlines(keepends=True), message)
        return None, [ParseProblem("E001", f"Dockerfile syntax error: {message}", line)]
    except (UnicodeError, ValueError, RuntimeError) as exc:  # the binding itself failed
        return None, [ParseProblem("E001", f"the Dockerfile parser failed: {type(exc).__name__}: {exc}")]

    instructions = [_instruction(command) for command in commands]
    problem = _validate(instructions)
    if problem is not None:
        return None, [problem]
    dockerfile = _build(path, instructions)
    dockerfile.lines = text.split("\n")
    return dockerfile, []


def _instruction(command) -> Instruction:
    return Instruction(
        keyword=(command.cmd or "").upper(),
        args=tuple(command.value),
        flags=tuple(command.flags),
        json_form=bool(command.json),
        original=command.original,
        line=command.start_line,
        end_line=command.end_line,
        sub_keyword=command.sub_cmd.upper() if command.sub_cmd else None,
        heredocs=tuple(h.content for h in command.heredocs),
    )


def _validate(instructions: list[Instruction]) -> ParseProblem | None:
    seen_from = False
    for ins in instructions:
        if not ins.keyword:
            return ParseProblem("E001", "a line that is not an instruction (a stray line continuation?)", ins.line)
        if ins.keyword not in KNOWN_INSTRUCTIONS:
            word = ins.original.split(None, 1)[0] if ins.original.strip() else ins.keyword
            return ParseProblem("E001", f"unknown instruction '{word}'", ins.line)
        # `CMD []` and `ENTRYPOINT []` are valid: they reset what the base image set.
        if not ins.args and ins.keyword != "ONBUILD" and not (ins.json_form and ins.keyword in ("CMD", "ENTRYPOINT")):
            return ParseProblem("E001", f"{ins.keyword} needs at least one argument", ins.line)
        if ins.keyword == "FROM":
            seen_from = True
        elif not seen_from and ins.keyword != "ARG":
            return ParseProblem("E001", f"{ins.keyword} before the first FROM (only ARG may come first)", ins.line)
    if not seen_from:
        return ParseProblem("E001", "Dockerfile has no FROM instruction")
    return None


def _build(path: str, instructions: list[Instruction]) -> Dockerfile:
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    by_alias: dict[str, Stage] = {}
    for ins in instructions:
        if ins.keyword == "FROM":
            image = ins.args[0]
            alias = ins.args[2] if len(ins.args) >= 3 and ins.args[1].upper() == "AS" else None
            resolved = substitute(image, global_args)
            stage = Stage(
                index=len(stages),
                from_instruction=ins,
                image=image,
                resolved_image=resolved,
                alias=alias,
                parent=by_alias.get(resolved.lower()) if resolved else None,
            )
            stages.append(stage)
            if alias:
                by_alias[alias.lower()] = stage
        elif not stages:
            for key, value in env_pairs(ins):
                global_args[key] = value or None
        else:
            stages[-1].instructions.append(ins)
    return Dockerfile(path=path, stages=stages, global_args=global_args)
