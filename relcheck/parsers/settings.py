"""App settings: .env files (python-dotenv's parser; nothing is exported to the environment),
package.json and config/*.json|yaml (read as data, with positions)."""

from __future__ import annotations

import io
from typing import Any

from relcheck.model import Location, ParseProblem
from relcheck.syntax.positions import Positions


def parse_env(path: str, text: str) -> tuple[dict[str, tuple[str, Location]], list[ParseProblem]]:
    from dotenv.parser import parse_stream

    values: dict[str, tuple[str, Location]] = {}
    problems: list[ParseProblem] = []
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
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
