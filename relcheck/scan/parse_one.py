"""Parse one file into what it contributes to the Project. A pure function of the file, so that
worker processes can run it (`--jobs`) and the results merge the same way whatever the order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from relcheck.artifacts.alerts import PromRuleFile
from relcheck.artifacts.app import (
    SHUTDOWN_TIMEOUT_NAME,
    AppFacts,
    Evidence,
    ShutdownTimeout,
    is_front_end,
    is_service_source,
    timeout_ms,
)
from relcheck.artifacts.dockerfile import Dockerfile
from relcheck.artifacts.kubernetes import K8sObject
from relcheck.artifacts.pm2 import Pm2App
from relcheck.model import Location, ParseProblem
from relcheck.scan.discovery import FileKind, SourceFile, is_dotenv_name
from relcheck.syntax.positions import Positions
from relcheck.units.numbers import ascii_int

# Per-file markers; the project folds them into one finding per chart or folder (see project.py).
HELM_TEMPLATE = "Helm chart template"
OTHER_TEMPLATE = "template (not Helm)"
TEMPLATE_DOCUMENT = (
    "this document has template markers ({{ … }} or {% … %}) and is not plain YAML, so it was not checked; "
    "the file's other documents were"
)
PARSED_KINDS = frozenset(
    {
        FileKind.DOCKERFILE,
        FileKind.KUBERNETES,
        FileKind.PM2,
        FileKind.PROMETHEUS_RULES,
        FileKind.APP_SETTINGS,
        FileKind.APP_SOURCE,
        FileKind.MAKEFILE,
        FileKind.IMAGE_REFERENCES,
        FileKind.TILTFILE,
    }
)


@dataclass
class ParsedFile:
    path: str
    problems: list[ParseProblem] = field(default_factory=list)
    dockerfile: Dockerfile | None = None
    objects: list[K8sObject] = field(default_factory=list)
    pm2_apps: list[Pm2App] = field(default_factory=list)
    prom_rule_files: list[PromRuleFile] = field(default_factory=list)
    facts: AppFacts | None = None
    settings: Any = None
    settings_positions: Positions | None = None
    # Replaced before deploying, by a Makefile or an OpenShift release: (name, line)
    images_set: list[tuple[str, int]] = field(default_factory=list)
    unrestricted_builds: list[str] = field(default_factory=list)  # overlays a Makefile builds unrestricted


def needs_parsing(source: SourceFile) -> bool:
    return source.kind in PARSED_KINDS and (source.kind != FileKind.APP_SOURCE or is_service_source(source.path))


# A script's placeholder (`clusterIP: {SERVICE_IP_PREFIX}.16`, filled in by sed or a Makefile):
# YAML reads the braces as a flow mapping and fails there. `name: @STS_NAME@` (autoconf's
# spelling, replaced by a script) fails on `@`, a character YAML reserves.
_PLACEHOLDER = re.compile(r"(?<![{$])\{[A-Z][A-Z0-9_]*\}(?!\})|@[A-Z][A-Z0-9_]*@")


def _placeholder_line(lines: list[str], line: int | None) -> bool:
    return bool(line) and 0 < line <= len(lines) and bool(_PLACEHOLDER.search(lines[line - 1]))


def _templated_line(text: str, line: int) -> bool:
    lines = text.splitlines()
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    return "{%" in shown or shown.lstrip().startswith("{{")


def parse_file(source: SourceFile, max_file_size: int, helm_template: bool = False) -> ParsedFile:
    parsed = ParsedFile(source.path)
    if helm_template:
        parsed.problems.append(ParseProblem("E002", HELM_TEMPLATE))
        return parsed
    text, problem = source.read(max_file_size)
    if text is None:
        parsed.problems.append(problem or ParseProblem("E001", "cannot read file"))
        return parsed
    kind = source.kind
    if kind == FileKind.DOCKERFILE:
        from relcheck.parsers.dockerfile import parse_dockerfile

        parsed.dockerfile, parsed.problems = parse_dockerfile(source.path, text)
        if parsed.dockerfile is not None:
            from relcheck.parsers.pm2_command import apps_from_command

            parsed.pm2_apps = apps_from_command(parsed.dockerfile)
    elif kind == FileKind.KUBERNETES:
        from relcheck.parsers.kubernetes import parse_manifests

        parsed.objects, problems = parse_manifests(source.path, text)
        broken = [p for p in problems if p.code == "E001"]
        lines = text.splitlines() if broken else []
        if broken and all(_placeholder_line(lines, p.line) for p in broken):
            problems = [p for p in problems if p.code != "E001"] + [ParseProblem("E002", OTHER_TEMPLATE)]
        elif ("{{" in text or "{%" in text) and broken:
            # Template markers, not broken YAML: the whole file is a template, or (when other
            # documents were read) one document of it is, which is said where it is.
            problems = (
                [
                    ParseProblem("E002", TEMPLATE_DOCUMENT, p.line, p.column)
                    for p in problems
                    if p.code == "E001"
                ]
                if parsed.objects
                else [ParseProblem("E002", OTHER_TEMPLATE)]
            )
        parsed.problems = problems
    elif kind == FileKind.PM2:
        from relcheck.parsers.pm2 import parse_pm2

        parsed.pm2_apps, parsed.problems = parse_pm2(source.path, text)
    elif kind == FileKind.PROMETHEUS_RULES:
        from relcheck.parsers.alerts import parse_prom_rule_file

        parsed.prom_rule_files, parsed.problems = parse_prom_rule_file(source.path, text)
        if any(p.code == "E001" and _templated_line(text, p.line) for p in parsed.problems):
            # `{{ $labels.x }}` is how annotations are written; a YAML error on a line of template
            # markers is a Liquid or Jinja template of a rule file (`{% for %}`), not a broken one.
            parsed.problems = [ParseProblem("E002", OTHER_TEMPLATE)]
    elif kind == FileKind.MAKEFILE:
        from relcheck.parsers.makefile import images_set, unrestricted_builds

        parsed.images_set = images_set(text)
        parsed.unrestricted_builds = unrestricted_builds(text, source.path.rpartition("/")[0])
    elif kind == FileKind.IMAGE_REFERENCES:
        from relcheck.parsers.release_images import images_referenced

        parsed.images_set = images_referenced(text)
    elif kind == FileKind.TILTFILE:
        from relcheck.parsers.tiltfile import images_built

        parsed.images_set = images_built(text)
    elif kind == FileKind.APP_SETTINGS:
        _settings(parsed, source, text)
    elif kind == FileKind.APP_SOURCE:
        _source(parsed, source, text)
    return parsed


def _settings(parsed: ParsedFile, source: SourceFile, text: str) -> None:
    from relcheck.parsers import settings

    facts = parsed.facts = AppFacts()
    if is_dotenv_name(source.name):
        values, parsed.problems = settings.parse_env(source.path, text)
        for key, (value, location) in values.items():
            facts.env[key] = value
            facts.env_locations[key] = location
            number = ascii_int(value)
            if SHUTDOWN_TIMEOUT_NAME.search(key) and number is not None and number > 0:
                facts.shutdown_timeouts.append(
                    ShutdownTimeout(timeout_ms(key, number), Evidence(location, f"{key}={value}"))
                )
        return
    data, positions, parsed.problems = settings.parse_data(source.path, text)
    if ("{{" in text or "{%" in text) and any(p.code == "E001" for p in parsed.problems):
        # A Go or Jinja template of a config file (Loki's operator embeds `config/loki-config.yaml`
        # with `{{- with .ObjectStorage.Azure }}`), not a broken one.
        parsed.problems = [ParseProblem("E002", OTHER_TEMPLATE)]
    parsed.settings, parsed.settings_positions = data, positions
    for keys, value in _timeout_settings(data):
        line, column = positions.of(keys)
        evidence = Evidence(Location(source.path, line, column), f"{'.'.join(map(str, keys))}: {value}")
        facts.shutdown_timeouts.append(ShutdownTimeout(timeout_ms(str(keys[-1]), value), evidence))


def _timeout_settings(data: Any, keys: tuple = (), depth: int = 0):
    """Numeric settings named like a shutdown timeout, anywhere in a config file (a few levels deep)."""
    if not isinstance(data, dict) or depth > 4:
        return
    for key, value in data.items():
        path = (*keys, key)
        if isinstance(value, dict):
            yield from _timeout_settings(value, path, depth + 1)
        elif (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and value > 0
            and SHUTDOWN_TIMEOUT_NAME.search(str(key))
        ):
            yield path, value


def _source(parsed: ParsedFile, source: SourceFile, text: str) -> None:
    from relcheck.artifacts.repo import K6_IMPORT

    if K6_IMPORT.search(text):
        return  # a load-test script, not the service
    from relcheck.parsers.source import collect, was_read

    facts = parsed.facts = AppFacts()
    problem = collect(source.path, text, facts)
    if is_front_end(facts):
        parsed.facts = AppFacts()  # a React/Vue/Angular component: not the service's source
        return
    if was_read(problem):
        facts.source_files.append(source.path)
    if problem is not None:
        parsed.problems.append(problem)
