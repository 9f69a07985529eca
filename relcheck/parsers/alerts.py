"""Prometheus rule files, and PrometheusRule objects and ConfigMaps that hold rule files, already
parsed as Kubernetes objects."""

from __future__ import annotations

import re

from relcheck.artifacts.alerts import PromRule, PromRuleFile
from relcheck.artifacts.kubernetes import K8sObject
from relcheck.model import ParseProblem
from relcheck.syntax.positions import END, KEY, VALUE, WIDTH, Positions
from relcheck.syntax.promql import analyse, skipped_message, too_large
from relcheck.syntax.yaml import documents


def parse_prom_rule_file(path: str, text: str) -> tuple[list[PromRuleFile], list[ParseProblem]]:
    """The rule groups Prometheus loads: the first YAML document only (rulefmt decodes one
    document), so every later one is an A007 problem and its alerts count for nothing."""
    parsed, problems = documents(text)
    sources = []
    lines = text.splitlines()
    for index, (node, data, positions) in enumerate(parsed):
        if index > 0:
            if data is None:
                continue  # an empty document (a trailing `---`): nothing in it goes unloaded
            line = min(node.start_mark.line + 1, max(len(lines), 1))
            # Point at the document's `---` when it has one (the node starts at its first key).
            line = next((n for n in range(line, 0, -1) if lines[n - 1].startswith("---")), line)
            problems.append(
                ParseProblem(
                    "A007",
                    f"YAML document {index + 1} (line {line}) is never loaded: Prometheus reads only the first "
                    "document of a rule file; move its groups into the first document or into a file of their own",
                    line,
                    1,
                )
            )
            continue
        if not isinstance(data, dict) or "groups" not in data:
            continue
        kind = look_alike(data)
        if kind == "data":
            continue  # YAML data that happens to have `groups:` (a static site's _data/, a team list)
        if kind is not None:
            problems.append(ParseProblem("E002", f"{kind}: not a Prometheus rule file; not checked"))
            continue
        source = _with_rules(PromRuleFile(path, data, positions, (), "rule file"))
        sources.append(source)
        problems.extend(oversized_expressions(source))
    return sources, problems


# LogQL's line filters and parsers after a stream selector: `{app="api"} |= "error"`, `| json`.
# (`{job="x"} != 0` is PromQL, so a filter needs its string.)
_LOGQL = re.compile(
    r"\}\s*(?:\|=|!=|\|~|!~)\s*[\"`]|\}\s*\|\s*(?:json|logfmt|pattern|regexp|unpack|line_format|label_format|unwrap|"
    r"drop|keep|decolorize)\b"
)


def look_alike(data: dict) -> str | None:
    """What a YAML document with `groups:` is when it is not a Prometheus rule file: Grafana's
    alert provisioning (`apiVersion: 1`, groups with `orgId`/`folder`), a Loki or Mimir ruler file
    (LogQL expressions), or plain data ("data": groups that hold no rules at all). None for a rule
    file, broken or not."""
    groups = data.get("groups")
    groups = [g for g in groups if isinstance(g, dict)] if isinstance(groups, list) else []
    if data.get("apiVersion") == 1 or any("orgId" in g or "folder" in g for g in groups):
        return "Grafana alerting provisioning file"
    entries = [
        item
        for group in groups
        for value in group.values()
        if isinstance(value, list)
        for item in value
        if isinstance(item, dict)
    ]
    rules = [item for item in entries if {"alert", "record", "expr"} & set(item)]
    if groups and not rules and not any(isinstance(g.get("rules"), list) for g in groups):
        return "data"
    if any(isinstance(rule.get("expr"), str) and _LOGQL.search(rule["expr"]) for rule in rules):
        return "Loki/Mimir ruler file (LogQL expressions)"
    return None


def oversized_expressions(source: PromRuleFile) -> list[ParseProblem]:
    """Expressions too long to give the PromQL parser: E002 at each, so they are not mistaken for checked."""
    found = []
    for rule in source.rules:
        expr = rule.get("expr")
        if too_large(expr):
            location = rule.loc("expr")
            found.append(ParseProblem("E002", skipped_message(expr), location.line, location.column))
    return found


def loki_rules(obj: K8sObject) -> ParseProblem | None:
    """An E002 for a PrometheusRule whose rules are LogQL: a Loki ruler loads it (Grafana Alloy's
    `loki.rules.kubernetes` and Loki operators read PrometheusRule objects), Prometheus never does,
    so the A rules do not judge it; None for a PrometheusRule of Prometheus."""
    spec = obj.get("spec")
    if obj.kind != "PrometheusRule" or not isinstance(spec, dict) or not (look_alike(spec) or "").startswith("Loki"):
        return None
    where = obj.key_loc("kind")
    message = (
        f"{obj.display} holds LogQL expressions: its rules are a Loki ruler's (Alloy's loki.rules.kubernetes "
        "reads PrometheusRule objects), not Prometheus's; not checked"
    )
    return ParseProblem("E002", message, where.line, where.column)


def from_prometheus_rule(obj: K8sObject) -> PromRuleFile | None:
    spec = obj.get("spec")
    if obj.kind != "PrometheusRule" or not isinstance(spec, dict):
        return None
    return _with_rules(PromRuleFile(obj.path, spec, obj.positions, (*obj.base, "spec"), f"PrometheusRule '{obj.name}'"))


def _with_rules(source: PromRuleFile) -> PromRuleFile:
    for g, group in enumerate(source.groups):
        if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
            continue
        name = str(group.get("name") or f"#{g + 1}")
        for r, rule in enumerate(group["rules"]):
            if isinstance(rule, dict):
                source.rules.append(PromRule(source, name, ("groups", g, "rules", r), rule, analyse(rule.get("expr"))))
    return source


# A ConfigMap key that holds a rule file (`alert.rules: |-` then `groups:`): how Prometheus is given
# its rules without the operator (sock shop's manifests, the prometheus chart's `serverFiles`).
_RULE_TEXT = re.compile(r"^\s*groups\s*:", re.MULTILINE)


def holds_rule_text(obj: K8sObject) -> bool:
    """Whether a ConfigMap's `data` has a string that may be a rule file: worth parsing."""
    data = obj.get("data")
    return isinstance(data, dict) and any(_may_be_rules(text) for text in data.values())


def _may_be_rules(text: object) -> bool:
    return isinstance(text, str) and ("alert:" in text or "record:" in text) and bool(_RULE_TEXT.search(text))


def from_configmap(obj: K8sObject, lines: list[str] | None) -> list[PromRuleFile]:
    """The rule files a ConfigMap's `data` holds, each a key whose text is one (its first document
    has `groups:` with alerting or recording rules; LogQL and Grafana's files are not). `lines`,
    the file the object was written in, places a literal block (`key: |`) line by line; without
    them (a render), or for another style of string, everything in it is placed at its key."""
    data = obj.get("data")
    if obj.kind != "ConfigMap" or not isinstance(data, dict):
        return []
    found = []
    for key, text in data.items():
        if not _may_be_rules(text):
            continue
        parsed, _ = documents(text)
        if not parsed:
            continue
        _, inner, positions = parsed[0]
        if not isinstance(inner, dict) or not isinstance(inner.get("groups"), list) or look_alike(inner) is not None:
            continue
        path = (*obj.base, "data", key)
        label = f"ConfigMap '{obj.name}' ({key})"
        placed = _placed(positions, obj, path, lines)
        found.append(_with_rules(PromRuleFile(obj.path, inner, placed, (), label, embedded=True)))
    return found


def _placed(inner: Positions, obj: K8sObject, path: tuple, lines: list[str] | None) -> Positions:
    """The embedded file's positions moved to where its lines are in the object's file: a literal
    block starts on the line after its key, indented; anything else goes to the key."""
    key_line, key_column = obj.positions.key_of(path)
    shift: tuple[int, int] | None = None
    if lines is not None and 0 < key_line <= len(lines):
        after_colon = lines[key_line - 1].split(":", 1)[-1].strip()
        if after_colon.startswith("|"):
            body = next((line for line in lines[key_line:] if line.strip()), "")
            shift = (key_line, len(body) - len(body.lstrip(" ")))
    moved = Positions()
    for row_path, row in inner.rows.items():
        at = row * WIDTH
        for field in (VALUE, KEY):
            line, column = inner.table[at + field], inner.table[at + field + 1]
            if not line:
                continue
            if shift is None:
                moved.set(row_path, field, key_line, key_column)
            else:
                moved.set(row_path, field, line + shift[0], column + shift[1])
        end = inner.table[at + END]
        if end:
            moved.set(row_path, END, end + shift[0] if shift is not None else key_line)
    return moved
