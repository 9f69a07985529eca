"""A rules: Prometheus alerting rules, from rule files and PrometheusRule objects."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relcheck.artifacts.alerts import PromRule, PromRuleFile, normalise_name
from relcheck.model import Finding, Location, Severity
from relcheck.ruleset.registry import check
from relcheck.scan import targets
from relcheck.scan.runtime import speaks_node

if TYPE_CHECKING:
    from relcheck.scan.context import CheckContext

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "prometheus-rules.schema.json"
MAX_STRUCTURE_FINDINGS = 20  # per source: enough to fix a broken file, not a wall of text


def _sources(ctx: CheckContext) -> list[PromRuleFile]:
    return ctx.project.prom_rule_files


def _alerts(ctx: CheckContext) -> Iterator[PromRule]:
    return targets.prom_rules(ctx.project, alerts_only=True)


def _finding(
    ctx: CheckContext,
    rule: PromRule,
    location: Location,
    message: str,
    what: str,
    value: str = "",
    severity: Severity | None = None,
) -> Finding:
    return ctx.report(rule, f"{rule.display}: {message}", what=what, at=location, value=value, severity=severity)


def duration_seconds(text: Any) -> float | None:
    """A Prometheus duration (`1h30m`, `90s`, `0m`) in seconds, or None when it is not one."""
    import promql_parser

    if not isinstance(text, str):
        return None
    try:
        return promql_parser.parse_duration(text.strip()).total_seconds()
    except ValueError as exc:
        # The parser refuses zero, which rule files allow (`for: 0m`).
        return 0.0 if "greater than 0" in str(exc) else None


@check("A001")
def promql_valid(ctx: CheckContext) -> Iterator[Finding]:
    for source in _sources(ctx):
        for rule in source.rules:
            error = rule.expression.error if rule.expression is not None else None
            if error is not None:
                expr = str(rule.get("expr"))
                metricsql = _metricsql_function(error)
                if metricsql is not None:
                    # A vmalert rule (sloth's `victoria-metrics.yml` example): its expressions are
                    # VictoriaMetrics' MetricsQL, which adds functions to PromQL.
                    message = (
                        f"expr uses {metricsql}, a MetricsQL function: this is a rule for VictoriaMetrics' vmalert, "
                        "not PromQL (Prometheus would refuse the file), so it was not checked"
                    )
                    finding = _finding(ctx, rule, rule.loc("expr"), message, "expr", expr, Severity.INFO)
                    finding.fix = _METRICSQL_FIX
                    yield finding
                    continue
                yield _finding(ctx, rule, rule.loc("expr"), f"expr is not valid PromQL: {error}", "expr", expr)


_METRICSQL_FIX = (
    "Nothing to fix if vmalert evaluates the rule (`vmalert -dryRun` checks MetricsQL); if Prometheus does, "
    "write the expression in PromQL."
)

# Functions MetricsQL adds to PromQL (VictoriaMetrics' MetricsQL reference), which vmalert rules use.
METRICSQL_FUNCTIONS = frozenset(
    {
        "histogram_share", "histogram_avg", "histogram_stddev", "histogram_stdvar", "histogram_over_time",
        "share_le_over_time", "share_gt_over_time", "share_eq_over_time", "count_le_over_time",
        "count_gt_over_time", "count_eq_over_time", "count_ne_over_time", "count_values_over_time",
        "rollup", "rollup_rate", "rollup_increase", "rollup_delta", "rollup_deriv", "rollup_candlestick",
        "rollup_scrape_interval", "increase_pure", "increase_prometheus", "rate_prometheus", "delta_prometheus",
        "lag", "lifetime", "tfirst_over_time", "tlast_change_over_time", "tmin_over_time", "tmax_over_time",
        "median_over_time", "mode_over_time", "zscore_over_time", "distinct_over_time", "integrate", "ideriv",
        "duration_over_time", "ascent_over_time", "descent_over_time", "decreases_over_time",
        "increases_over_time", "aggr_over_time", "range_over_time", "interpolate", "keep_last_value",
        "keep_next_value", "remove_resets", "running_avg", "running_max", "running_min", "running_sum",
        "range_avg", "range_max", "range_min", "range_sum", "range_first", "range_last", "range_median",
        "range_quantile", "range_normalize", "range_linear_regression", "range_stddev", "range_stdvar",
        "smooth_exponential", "union", "label_set", "label_del", "label_keep", "label_copy", "label_move",
        "label_map", "label_match", "label_mismatch", "label_uppercase", "label_lowercase", "label_transform",
        "label_value", "alias", "bitmap_and", "bitmap_or", "bitmap_xor", "buckets_limit", "prometheus_buckets",
        "sort_by_label", "sort_by_label_desc", "limit_offset", "drop_common_labels", "rand", "rand_normal",
        "rand_exponential", "ru", "ttf", "outliers_mad", "outliersk", "share", "zscore", "mad", "geomean",
        "distinct", "any", "median", "mode",
    }
)
_UNKNOWN_FUNCTION = re.compile(r"unknown function with name '([\w]+)'")


def _metricsql_function(error: str) -> str | None:
    """The MetricsQL function the PromQL parser did not know, if that is why it refused the expression."""
    found = _UNKNOWN_FUNCTION.search(error)
    return found.group(1) if found and found.group(1) in METRICSQL_FUNCTIONS else None


# Required alerts about Node.js internals: not asked of a service in another language.
NODE_ONLY_ALERTS = frozenset({"higheventlooplag"})


def _rule_file_sets(ctx: CheckContext) -> list[tuple[str, list[PromRuleFile], set[str], bool]]:
    """(who, the rule sources to report at, the alert names that count for them, whether Node
    alerts apply): one set per
    service that has rule files of its own, and one for the rule files no service owns. Alerts in
    unowned files count for every service; the unowned set counts every alert of the scan."""
    with_alerts = [s for s in _sources(ctx) if any(r.is_alert for r in s.rules)]
    alerting = {id(s) for s in with_alerts}
    # By identity: a monorepo has a rule file per service, and comparing dataclasses field by field
    # for every pair is quadratic.
    owned = {id(s) for service in ctx.project.services for s in service.prom_rule_files}
    sets = []
    shared = [s for s in with_alerts if id(s) not in owned]
    shared_names = {normalise_name(r.name) for s in shared for r in s.rules if r.is_alert}
    for service in ctx.project.services:
        own = [s for s in service.prom_rule_files if id(s) in alerting]
        if own:
            names = {normalise_name(r.name) for s in own for r in s.rules if r.is_alert} | shared_names
            sets.append((f"the rule files of service '{service.name}'", own, names, speaks_node(service)))
    if shared:
        everything = {normalise_name(r.name) for s in with_alerts for r in s.rules if r.is_alert}
        # The event-loop alert is asked for where the scan shows a Node service, not of a repository
        # of rule files alone (a mixin collection, a monitoring repository of other runtimes).
        node = any(speaks_node(s) for s in ctx.project.services)
        sets.append(("the rule files", shared, everything, node))
    return sets


@check("A002")
def required_alerts(ctx: CheckContext) -> Iterator[Finding]:
    """One finding per service (or for the rule files no service owns) listing every required
    alert it lacks. Only the first YAML document of a rule file is loaded, so only its alerts count."""
    aliases = ctx.params["aliases"] if isinstance(ctx.params["aliases"], dict) else {}
    for who, sources, present, node in _rule_file_sets(ctx):
        missing: dict[str, list[str]] = {}
        for severity in ("critical", "warning"):
            for name in ctx.params[severity]:
                if not node and normalise_name(name) in NODE_ONLY_ALERTS:
                    continue
                accepted = {normalise_name(name)} | {normalise_name(a) for a in aliases.get(name, [])}
                if not accepted & present:
                    also = f" (or {', '.join(aliases[name])})" if aliases.get(name) else ""
                    missing.setdefault(severity, []).append(f"{name}{also}")
        if not missing:
            continue
        anchor = min(sources, key=lambda source: source.path)
        listed = "; ".join(f"{severity}: {', '.join(names)}" for severity, names in missing.items())
        count = sum(len(names) for names in missing.values())
        yield ctx.finding(
            anchor.key_loc("groups"),
            f"{count} alert{'s the standard requires are' if count != 1 else ' the standard requires is'} "
            f"missing from {who} ({listed})",
            identity=f"required-alerts/{who}",
            value=",".join(name for names in missing.values() for name in names),
        )


# Severities that route to no person: dashboards, inhibition, a null receiver.
_NOTIFIES_NO_ONE = frozenset({"info", "none"})


# A dead man's switch, by its usual names, and an alert that exists to inhibit others (named so).
_HEARTBEAT_OR_INHIBITOR = re.compile(r"^(?:Watchdog|Heartbeat|DeadMans(?:Switch|Snitch)|Inhibit(?:ion|or)?[A-Z_])")


@check("A003")
def alert_for_duration(ctx: CheckContext) -> Iterator[Finding]:
    minimum = duration_seconds(ctx.params["min_for"]) or 60.0
    shown = ctx.params["min_for"]
    for rule in _alerts(ctx):
        if rule.expression is not None and not rule.expression.reads_series:
            continue  # `vector(1)`: fires on every evaluation by design (a dead man's switch); `for` only delays it
        if rule.expression is not None and rule.expression.about_alerts:
            continue  # over `ALERTS{alertstate="firing"}`: each source alert's own `for:` has held
        if rule.expression is not None and rule.expression.counts_events:
            continue  # `increase(x[1m]) > 0`: the window is its duration; a longer `for` keeps it from firing
        if _HEARTBEAT_OR_INHIBITOR.match(str(rule.name)):
            # Named as a heartbeat on a live series (giantswarm's `Heartbeat`: `up{...} > 0`), or as the
            # source of an inhibition (`InhibitionKubeletDown`): a `for` only delays what it is for.
            continue
        severity = rule.get("labels", "severity")
        if isinstance(severity, str) and severity.lower() in _NOTIFIES_NO_ONE:
            continue  # an informational alert (kube-prometheus' KubeNodeEviction, `for: 0s`) notifies no one
        if "for" not in rule.data:
            yield _finding(
                ctx,
                rule,
                rule.key_loc("alert"),
                f"no `for:`, so it fires on a single evaluation (use at least {shown})",
                "for",
            )
            continue
        seconds = duration_seconds(rule.get("for"))
        if seconds is not None and seconds < minimum:
            yield _finding(
                ctx,
                rule,
                rule.loc("for"),
                f"for: {rule.get('for')} is shorter than {shown}: it notifies on blips",
                "for",
                str(rule.get("for")),
            )


@check("A004")
def severity_label(ctx: CheckContext) -> Iterator[Finding]:
    allowed = [str(s) for s in ctx.params["severities"]]
    for rule in _alerts(ctx):
        severity = rule.get("labels", "severity")
        if severity is None:
            yield _finding(
                ctx, rule, rule.key_loc("labels"), "no labels.severity, so Alertmanager cannot route it", "severity"
            )
        elif str(severity) not in allowed and not _routed_to_no_one(rule, severity):
            yield _finding(
                ctx,
                rule,
                rule.loc("labels", "severity"),
                f"severity '{severity}' is not one of {', '.join(allowed)}",
                "severity",
                str(severity),
            )


def _routed_to_no_one(rule: PromRule, severity: Any) -> bool:
    """`severity: none` on a heartbeat or an inhibitor (kube-prometheus's Watchdog and
    InfoInhibitor; giantswarm's `InhibitionMonitoringAgentDown`, named as the source of an
    inhibition, as A003 reads it): routed to a dead man's switch or a null receiver, never to a person."""
    if str(severity) != "none":
        return False
    if _HEARTBEAT_OR_INHIBITOR.match(str(rule.name)):
        return True
    return rule.expression is not None and rule.expression.notifies_no_one


@check("A005")
def alert_annotations(ctx: CheckContext) -> Iterator[Finding]:
    for rule in _alerts(ctx):
        missing = [key for key in ("summary", "description") if not rule.get("annotations", key)]
        if missing:
            message = _annotations_message(rule, missing)
            yield _finding(ctx, rule, rule.key_loc("annotations"), message, "annotations", ",".join(missing))


def _annotations_message(rule: PromRule, missing: list[str]) -> str:
    if missing == ["summary"]:
        return "no summary annotation: the notification has no headline (its description is set)"
    if missing == ["description"]:
        return "no description annotation: the page has a headline (summary) but no detail of what to check"
    annotations = rule.get("annotations")
    others = sorted(str(k) for k, v in annotations.items() if v) if isinstance(annotations, dict) else []
    texts = [name for name in others if name not in ("runbook_url", "dashboard_url")]
    if texts:
        # `message` was the kubernetes-mixin's convention until 2020: notification templates read
        # summary and description.
        return (
            f"no summary and no description annotation (only {', '.join(f'`{t}`' for t in texts[:3])}): "
            "notification templates that read summary and description show nothing"
        )
    return "no summary and no description annotation: the page does not say what is wrong"


@check("A006")
def runbook_url(ctx: CheckContext) -> Iterator[Finding]:
    for rule in _alerts(ctx):
        if not rule.get("annotations", "runbook_url"):
            yield _finding(ctx, rule, rule.key_loc("annotations"), "no runbook_url annotation", "runbook_url")


@check("A007")
def rule_file_structure(ctx: CheckContext) -> Iterator[Finding]:
    from relcheck.config.errors import schema_problem

    validator = None
    for source in _sources(ctx):
        yield from _duplicate_alerts(ctx, source)
        yield from _group_problems(ctx, source)
        yield from _rule_text_problems(ctx, source)
        if _plainly_valid(source.data):
            continue  # the schema would find nothing; it is slow on thousands of files (and slow to import)
        if validator is None:
            import jsonschema

            validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
        errors = sorted(validator.iter_errors(source.data), key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors[:MAX_STRUCTURE_FINDINGS]:
            path = tuple(error.absolute_path)
            if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                allowed = set(error.schema.get("properties", {}))
                extra = sorted(str(k) for k in error.instance if k not in allowed)
                path = (*path, extra[0]) if extra else path  # point at the unknown key itself
            where = source.key_loc(*path) if path else source.loc()
            if error.validator == "oneOf":
                problem = "a rule needs exactly one of `alert` or `record` (`for` and `annotations` go with `alert`)"
            else:
                problem = schema_problem(error)
            if len(path) == 3 and path[0] == "groups" and path[2] in ("alerts", "rule", "records"):
                problem += "; a group's alerting and recording rules go under `rules:`"
            key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
            yield ctx.finding(
                where, f"{source.label}: {key}: {problem}", identity=f"{source.label}/structure/{key}", value=problem
            )


GROUP_KEYS = frozenset(
    {
        "name",
        "rules",
        "interval",
        "limit",
        "labels",
        "query_offset",
        "evaluation_delay",
        "partial_response_strategy",
        "source_tenants",
    }
)
RULE_KEYS = frozenset({"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"})
_DURATION = re.compile(r"^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _plainly_valid(data: Any) -> bool:
    """A conservative check of the common shape; anything unusual goes to the JSON Schema, which
    stays the authority and words the findings."""
    if not isinstance(data, dict) or set(data) - {"groups"}:
        return False
    groups = data.get("groups")
    if groups is None:
        return True
    if not isinstance(groups, list):
        return False
    for group in groups:
        if not isinstance(group, dict) or set(group) - {"name", "rules", "interval"}:
            return False
        if not isinstance(group.get("name"), str) or not group["name"]:
            return False
        if "interval" in group and not (isinstance(group["interval"], str) and _DURATION.match(group["interval"])):
            return False
        rules = group.get("rules")
        if rules is None:
            continue
        if not isinstance(rules, list):
            return False
        for rule in rules:
            if not _plain_rule(rule):
                return False
    return True


def _plain_rule(rule: Any) -> bool:
    if not isinstance(rule, dict) or set(rule) - RULE_KEYS:
        return False
    is_alert, is_record = "alert" in rule, "record" in rule
    if is_alert == is_record:
        return False
    name = rule["alert"] if is_alert else rule["record"]
    if not isinstance(name, str) or not name:
        return False
    if is_record and ({"for", "annotations", "keep_firing_for"} & set(rule)):
        return False
    if not isinstance(rule.get("expr"), (str, int, float)) or isinstance(rule.get("expr"), bool):
        return False
    for key in ("for", "keep_firing_for"):
        if key in rule and not (isinstance(rule[key], str) and _DURATION.match(rule[key])):
            return False
    for key in ("labels", "annotations"):
        value = rule.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            return False
        if any(v is not None and not isinstance(v, (str, int, float, bool)) for v in value.values()):
            return False
        if key == "labels" and any(not _LABEL_NAME.match(str(k)) for k in value):
            return False
    return True


def _duplicate_alerts(ctx: CheckContext, source: PromRuleFile) -> Iterator[Finding]:
    """An alert written twice in a group, same name, labels and expression: a copy-paste (a warning:
    Prometheus loads it, and evaluates both). One name over several expressions (a mixin's rollout
    alert for StatefulSets and for Deployments) or at several severities is a common, valid pattern."""
    seen: dict[tuple[str, str, str, str], PromRule] = {}
    for rule in source.rules:
        if not rule.is_alert:
            continue
        labels = rule.get("labels")
        expr = rule.get("expr")
        written = " ".join(expr.split()) if isinstance(expr, str) else json.dumps(expr, sort_keys=True, default=str)
        key = (rule.group, rule.name, json.dumps(labels if isinstance(labels, dict) else {}, sort_keys=True), written)
        if key in seen:
            first = seen[key].loc("alert").line
            yield ctx.finding(
                rule.loc("alert"),
                f"{source.label}: alert '{rule.name}' is written twice in group '{rule.group}', with the same "
                f"expression and labels (first at line {first}): a copy left behind",
                identity=f"{rule.identity}/duplicate",
                value=rule.name,
                severity=Severity.WARNING,
            )
        else:
            seen[key] = rule


# Thanos Ruler's group field; it upper-cases the value before looking it up.
PARTIAL_RESPONSE_STRATEGIES = ("WARN", "ABORT")


def _group_problems(ctx: CheckContext, source: PromRuleFile) -> Iterator[Finding]:
    """What rulefmt (and Thanos) refuse in a group beyond its shape: a group name repeated in the
    file, an unknown partial_response_strategy."""
    first_line: dict[str, int] = {}
    for index, group in enumerate(source.groups):
        if not isinstance(group, dict):
            continue
        name = group.get("name")
        if isinstance(name, str) and name:
            if name in first_line:
                yield ctx.finding(
                    source.loc("groups", index, "name"),
                    f"{source.label}: group name '{name}' is repeated in the same file (first at line "
                    f"{first_line[name]}): Prometheus refuses the file",
                    identity=f"{source.label}/group/{name}/repeated",
                    value=name,
                )
            else:
                first_line[name] = source.loc("groups", index, "name").line
        strategy = group.get("partial_response_strategy")
        if strategy is not None and str(strategy).upper() not in PARTIAL_RESPONSE_STRATEGIES:
            yield ctx.finding(
                source.loc("groups", index, "partial_response_strategy"),
                f"{source.label}: partial_response_strategy {strategy!r} is not 'warn' or 'abort': Thanos Ruler "
                "refuses the file",
                identity=f"{source.label}/group/{name}/partial_response_strategy",
                value=str(strategy),
            )


def _rule_text_problems(ctx: CheckContext, source: PromRuleFile) -> Iterator[Finding]:
    """Annotation names that are not label names, and label or annotation templates that do not
    parse: rulefmt checks both before Prometheus loads the file."""
    from relcheck.syntax.gotemplate import template_problem

    for rule in source.rules:
        # Names outside [a-zA-Z_][a-zA-Z0-9_]*: Prometheus 3 validates them as UTF-8 (its default
        # name validation scheme) and loads the file; Prometheus 2 and Thanos refuse it.
        for section, what in (("labels", "label name"), ("annotations", "annotation name")):
            names = rule.get(section)
            for name in names if isinstance(names, dict) else ():
                if section == "labels" and str(name) == "__name__":
                    yield _finding(
                        ctx,
                        rule,
                        rule.key_loc(section, name),
                        "label '__name__' is the metric name, which a rule's labels may not set: Prometheus "
                        "refuses the file",
                        "label-name/__name__",
                        "__name__",
                    )
                elif str(name) and not _LABEL_NAME.match(str(name)):
                    yield _finding(
                        ctx,
                        rule,
                        rule.key_loc(section, name),
                        f"{what} {str(name)!r} is not a valid label name in Prometheus 2 "
                        "([a-zA-Z_][a-zA-Z0-9_]*): Prometheus 2 and Thanos refuse the file (Prometheus 3 "
                        f"accepts UTF-8 names); write it as {re.sub(r'[^a-zA-Z0-9_]', '_', str(name))!r}",
                        f"{section[:-1]}-name/{name}",
                        str(name),
                        Severity.WARNING,  # an error only for Prometheus 2 and Thanos
                    )
        for section in ("labels", "annotations"):
            values = rule.get(section)
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if not isinstance(value, str):
                    continue
                problem = template_problem(value)
                if problem is not None:
                    yield _finding(
                        ctx,
                        rule,
                        rule.loc(section, key),
                        f"{section}.{key} is not a template Prometheus can parse: {problem}; Prometheus refuses "
                        "the file",
                        f"template/{section}/{key}",
                        value[:80],
                    )
