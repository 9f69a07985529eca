from __future__ import annotations

from relcheck.parsers.dockerfile import parse_dockerfile


def test_heredoc_lowercase_continuation_and_escape() -> None:
    text = (
        "# escape=`\n"
        "from node:20-alpine as build\n"
        "run npm ci `\n"
        "# dropped comment\n"
        "    --omit=dev\n"
        "RUN <<EOF\n"
        "npm run build\n"
        "EOF\n"
        "FROM build\n"
        'cmd ["node", "main.js"]\n'
    )
    dockerfile, problems = parse_dockerfile("Dockerfile", text)
    assert problems == []
    build, final = dockerfile.stages
    assert build.alias == "build" and final.parent is build
    run, heredoc = build.instructions
    assert (run.keyword, run.line, run.end_line, run.args) == ("RUN", 3, 5, ("npm ci     --omit=dev",))
    assert (heredoc.line, heredoc.end_line, heredoc.heredocs) == (6, 8, ("npm run build\n",))
    assert final.instructions[0].json_form and final.instructions[0].args == ("node", "main.js")


def test_global_args_resolve_from() -> None:
    dockerfile, _ = parse_dockerfile("Dockerfile", "ARG V=20\nARG REG\nFROM node:${V}-alpine\nFROM ${REG}/x:1\n")
    assert [s.resolved_image for s in dockerfile.stages] == ["node:20-alpine", None]


def test_error_line_is_found_by_bisection() -> None:
    lines = ["FROM node:20\n"] + [f"RUN echo {i}\n" for i in range(50)] + ["ENV\n"] + ["RUN echo end\n"] * 10
    _, problems = parse_dockerfile("Dockerfile", "".join(lines))
    assert [(p.code, p.line) for p in problems] == [("E001", 52)]
    assert "ENV" in problems[0].message


def test_trailing_directive_is_not_part_of_the_instruction() -> None:
    dockerfile, _ = parse_dockerfile("Dockerfile", "FROM node:20\nUSER root # relcheck: ignore D001\n")
    assert dockerfile.stages[0].instructions[0].args == ("root",)


def test_directive_on_its_own_line_keeps_line_numbers() -> None:
    dockerfile, _ = parse_dockerfile("Dockerfile", "FROM node:20\n# relcheck: ignore D003\n\nUSER root\nCMD x\n")
    assert [(i.keyword, i.line) for i in dockerfile.stages[0].instructions] == [("USER", 4), ("CMD", 5)]


def test_astral_characters_do_not_break_the_parser() -> None:
    # Found by the property tests: BuildKit's binding raised UnicodeDecodeError on this.
    dockerfile, problems = parse_dockerfile("Dockerfile", "FROM node:20\nHEALTHCHECK \U00020000--interval=3s CMD x\n")
    assert problems == [] and dockerfile.stages[0].instructions[0].keyword == "HEALTHCHECK"


def test_a_lone_continuation_is_e001_not_a_crash() -> None:
    # Found by the property tests: BuildKit hands back a command without a keyword.
    dockerfile, problems = parse_dockerfile("Dockerfile", "\\")
    assert dockerfile is None and [p.code for p in problems] == ["E001"]


def test_malformed_dockerignore_class_is_literal() -> None:
    from relcheck.syntax.dockerignore import excludes_directory, parse_dockerignore

    assert excludes_directory(parse_dockerignore("[]\nnode_modules\n"), "node_modules")
    assert not excludes_directory(parse_dockerignore("[]\n"), ".git")
