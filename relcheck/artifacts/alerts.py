"""Prometheus rule groups as checks see them: plain rule files and PrometheusRule objects alike."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from relcheck.model import Location
from relcheck.syntax.positions import Positioned, Positions


@dataclass(frozen=True)
class Expression:
    """What the rules need of one rule's `expr`, worked out once when the rule file is parsed."""

    error: str | None = None  # the parser's message when it is not valid PromQL
    metric_names: tuple[str, ...] = ()  # the metrics it selects, in order, each once
    # Whether it selects any series at all: `vector(1)` reads none, so it holds on every evaluation.
    reads_series: bool = True
    # Whether its condition compares a count of events in a window with a number
    # (`increase(x[1m]) > 0`): the window is its duration already.
    counts_events: bool = False

    @property
    def about_alerts(self) -> bool:
        """It selects only Prometheus's own `ALERTS` series: an alert about other alerts (an
        inhibitor that fires while info alerts do), whose sources' `for:` has already held."""
        return self.error is None and self.metric_names == ("ALERTS",)

    @property
    def notifies_no_one(self) -> bool:
        """A heartbeat (`vector(1)`, for a dead man's switch) or an alert about other alerts: the
        shapes kube-prometheus routes by `severity: none` to a watchdog or a null receiver."""
        return self.error is None and (not self.reads_series or self.about_alerts)


@dataclass
class PromRuleFile(Positioned):
    """One set of Prometheus rule groups: a rule file, or the spec of a PrometheusRule object.
    ("Rule" alone is a relcheck rule; Prometheus's are alerting and recording rules.)"""

    path: str
    data: dict  # the mapping that holds `groups`
    positions: Positions
    base: tuple  # key path of `data` in its document
    label: str  # "rule file" or "PrometheusRule 'name'"
    rules: list[PromRule] = field(default_factory=list)
    # A rule file written inside a ConfigMap's string: its positions are moved there, and a fix
    # would have to edit YAML inside a string, which relcheck does not do.
    embedded: bool = False

    @property
    def groups(self) -> list:
        groups = self.data.get("groups")
        return groups if isinstance(groups, list) else []


@dataclass
class PromRule:
    """A Prometheus alerting or recording rule."""

    source: PromRuleFile
    group: str
    keys: tuple  # ("groups", g, "rules", r)
    data: dict
    expression: Expression | None = None  # its `expr` as PromQL; None when there is none to parse

    @property
    def is_alert(self) -> bool:
        return "alert" in self.data

    @property
    def name(self) -> str:
        return str(self.data.get("alert") or self.data.get("record") or "")

    @property
    def identity(self) -> str:
        return f"{self.source.label}/{self.group}/{self.name}"

    @property
    def display(self) -> str:
        return f"alert '{self.name}'" if self.is_alert else f"recording rule '{self.name}'"

    # As a finding's subject (relcheck.scan.context.Subject): the rule's lines; rules have no annotations.
    @property
    def scope(self) -> tuple[int, int] | None:
        return self.source.positions.span((*self.source.base, *self.keys))

    @property
    def ignore_source(self) -> str:
        return self.display

    def ignore_names(self) -> tuple[str, ...]:
        return ()

    def get(self, *keys: Any) -> Any:
        value: Any = self.data
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def loc(self, *keys: Any) -> Location:
        return self.source.loc(*self.keys, *keys)

    def key_loc(self, *keys: Any) -> Location:
        return self.source.key_loc(*self.keys, *keys)


def normalise_name(name: str) -> str:
    """Alert names compare without case or separators: HighErrorRate == high_error_rate."""
    return re.sub(r"[^a-z0-9]", "", name.lower())
