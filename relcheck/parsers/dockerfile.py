"""Dockerfiles, read as BuildKit reads them (`dockerfile_syntax`), into stages."""

from __future__ import annotations

import re

from relcheck.artifacts.dockerfile import Dockerfile, Instruction, Stage, env_pairs, substitute
from relcheck.model import ParseProblem
from relcheck.syntax import dockerfile as dockerfile_syntax
from relcheck.syntax.dockerfile import Command, DockerfileSyntaxError
from relcheck.units.images import is_placeholder_image

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


def _strip_trailing_directives(text: str) -> str:
    if "relcheck:" not in text:  # most files: no need for the (slower) regular expression
        return text
    return _TRAILING_DIRECTIVE.sub(lambda m: " " * len(m.group(1)), text)


def _too_long(text: str) -> ParseProblem | None:
    """Refuse outliers before reading them: Docker's own parser is quadratic in the length of a
    continued instruction (100,000 lines took BuildKit 28 s), and no real Dockerfile comes near."""
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


def read_commands(text: str) -> list[Command]:
    """The file's instructions, or DockerfileSyntaxError: the one door to Dockerfile syntax."""
    return dockerfile_syntax.parse(text)


EMPTY_DOCKERFILE = "no instructions: an empty Dockerfile (a placeholder), which Docker refuses to build; not checked"


# A Dockerfile named as a template engine's input (`Dockerfile.hbs`, `Dockerfile.j2`, `Dockerfile.in`):
# a generator or a build script renders the Dockerfile that is built (vendure's `@vendure/create`
# writes a new project's Dockerfile from `templates/Dockerfile.hbs`).
_TEMPLATE_NAME_SUFFIXES = (
    ".hbs", ".handlebars", ".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template", ".ejs", ".mustache",
    ".njk", ".erb", ".liquid", ".gotmpl", ".in",
)


def _named_template(path: str) -> ParseProblem | None:
    name = path.rsplit("/", 1)[-1]
    if not name.lower().endswith(_TEMPLATE_NAME_SUFFIXES):
        return None
    return ParseProblem(
        "E002",
        f"{_TEMPLATE_PROBLEM}its name ({name}) says a template engine or a script renders it into the "
        "Dockerfile that is built; not checked",
    )


def parse_dockerfile(path: str, text: str) -> tuple[Dockerfile | None, list[ParseProblem]]:
    refused = _too_long(text)
    if refused is not None:
        return None, [refused]
    cleaned = _strip_trailing_directives(text)
    try:
        commands = read_commands(cleaned)
    except DockerfileSyntaxError as exc:
        if exc.message == "file with no instructions":
            # Empty, or comments only: a placeholder committed before its image (kuberay's
            # `historyserver/cmd/collector/Dockerfile`). Nothing builds it yet, as Docker would refuse.
            return None, [ParseProblem("E002", EMPTY_DOCKERFILE)]
        lines = text.split("\n")
        shown = lines[exc.line - 1].strip() if exc.line and 0 < exc.line <= len(lines) else ""
        if "{{" in shown or "{%" in shown:
            return None, [_template_problem(exc.line, shown)]  # `ENV PROXY={{ proxy }}` of a Jinja template
        named = _named_template(path)
        return None, [named or ParseProblem("E001", f"Dockerfile syntax error: {exc.message}", exc.line)]

    instructions = [_instruction(command) for command in commands]
    problem = _validate(instructions)
    if problem is not None:
        return None, [problem]
    named = _named_template(path)
    if named is not None:  # it reads as a Dockerfile, and is still a generator's input
        return None, [named]
    dockerfile = _build(path, instructions)
    dockerfile.lines = text.split("\n")
    return dockerfile, []


def _instruction(command: Command) -> Instruction:
    return Instruction(
        keyword=command.keyword.upper(),
        args=command.value,
        flags=command.flags,
        json_form=command.json,
        original=command.original,
        line=command.start_line,
        end_line=command.end_line,
        sub_keyword=command.sub_keyword.upper() if command.sub_keyword else None,
        heredocs=command.heredocs,
    )


# A line that starts with a placeholder or a template tag: `${LABELS}` (percona's OLM bundle
# Dockerfile, filled in by its Makefile), `{% if %}`, `{{ ... }}`, `@NAME@`, `%%NAME%%`.
_TEMPLATE_MARKER = re.compile(r"^(?:\$\{\w+\}|\{[{%]|@[A-Z][A-Z0-9_]*@|%%[A-Z][A-Z0-9_]*%%)")
# An image reference never holds these (only build-arg `${X}`, which BuildKit expands): `FROM {{base_image}}`
# of mongodb-kubernetes-operator's templates, filled in by its Python build scripts.
_TEMPLATE_IMAGE = re.compile(r"\{[{%]|@[A-Z][A-Z0-9_]*@|%%[A-Z][A-Z0-9_]*%%")


# A line that is one placeholder word (sonobuoy's `CMD1`, which its build script's sed deletes),
# beside `FROM BASEIMAGE` (relcheck.units.images.is_placeholder_image): such a file is a template.
_PLACEHOLDER_WORD = re.compile(r"^[A-Z][A-Z0-9_]*$")


_TEMPLATE_PROBLEM = "a Dockerfile template: "


def is_template_problem(problem: ParseProblem) -> bool:
    """Whether the problem says the file is a Dockerfile template (a script renders the real ones)."""
    return problem.code == "E002" and problem.message.startswith(_TEMPLATE_PROBLEM)


def _template_problem(line: int, shown: str) -> ParseProblem:
    return ParseProblem(
        "E002",
        f"{_TEMPLATE_PROBLEM}line {line} is `{shown[:60]}`, with a placeholder or a template tag that a script "
        "or a template engine replaces before building; not checked",
        line,
    )


def _validate(instructions: list[Instruction]) -> ParseProblem | None:
    known = all(ins.keyword in KNOWN_INSTRUCTIONS for ins in instructions)
    if instructions and known and not any(ins.keyword == "FROM" for ins in instructions):
        # Without any FROM nothing can build it: a fragment another Dockerfile is assembled from
        # (growthbook's `preview/Dockerfile.append`, a template's partial), not one to lint.
        return ParseProblem(
            "E002", "no FROM instruction: a fragment appended to or included in another Dockerfile; not checked"
        )
    seen_from = False
    placeholders = any(ins.keyword == "FROM" and ins.args and is_placeholder_image(ins.args[0]) for ins in instructions)
    for ins in instructions:
        if not ins.keyword:
            return ParseProblem("E001", "a line that is not an instruction (a stray line continuation?)", ins.line)
        if ins.keyword not in KNOWN_INSTRUCTIONS:
            word = ins.original.split(None, 1)[0] if ins.original.strip() else ins.keyword
            if _TEMPLATE_MARKER.match(word) or (_PLACEHOLDER_WORD.match(ins.original.strip()) and placeholders):
                return _template_problem(ins.line, ins.original.strip())
            return ParseProblem("E001", f"unknown instruction '{word}'", ins.line)
        # `CMD []` and `ENTRYPOINT []` are valid: they reset what the base image set.
        if not ins.args and ins.keyword != "ONBUILD" and not (ins.json_form and ins.keyword in ("CMD", "ENTRYPOINT")):
            return ParseProblem("E001", f"{ins.keyword} needs at least one argument", ins.line)
        if ins.keyword == "FROM":
            if _TEMPLATE_IMAGE.search(ins.args[0]):
                return _template_problem(ins.line, ins.original.strip())
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
