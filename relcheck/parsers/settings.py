"""App settings: .env files (python-dotenv's parser; nothing is exported to the environment),
package.json and config/*.json|yaml (read as data, with positions)."""

from __future__ import annotations

import io
import re
from typing import Any

from relcheck.model import Location, ParseProblem
from relcheck.syntax.positions import Positions

# The names of example .env files: `.env.example`, `.env.sample`, `.env.template`, `example.env`.
_EXAMPLE_ENV = re.compile(r"(?:^|[._-])(?:example|sample|template|dist|tmpl)(?:[._-]|$)", re.IGNORECASE)


def parse_env(path: str, text: str) -> tuple[dict[str, tuple[str, Location]], list[ParseProblem]]:
    from dotenv.parser import parse_stream

    values: dict[str, tuple[str, Location]] = {}
    problems: list[ParseProblem] = []
    example = bool(_EXAMPLE_ENV.search(path.rsplit("/", 1)[-1]))
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error and example:
            # Documentation to copy and fill in (papermark's `KEY="<id>.blob…" | "<id>.cloudfront…"`):
            # no program reads it as it is.
            shown = binding.original.string.strip()[:40]
            message = f"an example of settings, read in part: line {line} is not a KEY=value line: '{shown}'"
            problems.append(ParseProblem("E002", message, line))
        elif binding.error:
            shown = binding.original.string.strip()[:40]
            problems.append(ParseProblem("E001", f"not a KEY=value line: '{shown}'", line))
        elif binding.key is not None:
            values[binding.key] = (binding.value or "", Location(path, line, 1))
    return values, problems[:1]  # one located finding is enough to fix a broken file


def parse_data(path: str, text: str) -> tuple[Any, Positions, list[ParseProblem]]:
    """JSON or YAML settings as plain values with positions."""
    from relcheck.syntax.yaml import YamlError, compose_all, to_python

    positions = Positions({}, {})
    try:
        documents = [d for d in compose_all(text) if d is not None]
        data = to_python(documents[0], positions) if documents else None
    except YamlError as exc:
        kind = "JSON" if path.lower().endswith(".json") else "YAML"
        return None, positions, [ParseProblem(exc.code, exc.message.replace("YAML", kind), exc.line, exc.column)]
    return data, positions, []
