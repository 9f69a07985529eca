"""Alert label and annotation templates: what Prometheus refuses before it loads a rule file."""

from __future__ import annotations

from pathlib import Path

import pytest

from relcheck.config.loader import Config
from relcheck.scan.engine import scan
from relcheck.syntax.gotemplate import template_problem


@pytest.mark.parametrize(
    "text",
    [
        "plain text, no actions",
        "{{ $labels.instance }} is down ({{ $value | humanize }})",
        "{{- $labels.job -}}",
        "{{/* comment }} */}}ok",
        '{{ if eq $labels.severity "critical" }}page{{ else if $value }}warn{{ else }}info{{ end }}',
        '{{ range $i, $s := query "up" }}{{ $i }} {{ $s.Labels.instance }}{{ end }}',
        "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
        '{{ printf "%.2f" $value }} {{ "}}" }} {{ `{{` }} {{ index $labels "pod" }}',
        "{{ with $externalLabels.cluster }}{{ . }}{{ end }} {{ $externalURL }} {{ $ }}",
        '{{ (printf "%s" $labels.job) | toUpper | reReplaceAll "-" "_" }}',
        "{{ humanizeDuration 3.5 }} {{ humanizeTimestamp $value }} {{ 1e3 }} {{ -1 }} {{ true }} {{ nil }}",
        '{{ template "x" . }}',
        "a }} lone closing braces are text",
    ],
)
def test_templates_prometheus_parses(text: str) -> None:
    assert template_problem(text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{{ $labels.instance", "never closed"),
        ("{{ $label.instance }}", 'undefined variable "$label"'),
        ("{{ $values }}", 'undefined variable "$values"'),
        ("{{ humanise $value }}", 'function "humanise" not defined'),
        ("{{ if $value }}open", "has no `{{ end }}`"),
        ("{{ end }}", "without an"),
        ("{{ else }}", "outside"),
        ("{{ }}", "empty action"),
        ("{{ (len $labels }}", "unbalanced `(`"),
        ("{{/* never closed", "comment"),
        ('{{ range $i, $s := query "up" }}{{ end }}{{ $j }}', 'undefined variable "$j"'),
    ],
)
def test_templates_prometheus_refuses(text: str, problem: str) -> None:
    found = template_problem(text)
    assert found is not None and problem in found


def test_a002_lists_every_missing_alert_once_per_rule_file_set(tmp_path: Path) -> None:
    (tmp_path / "alerts.yaml").write_text(
        "groups:\n  - name: api\n    rules:\n      - alert: service_down\n        expr: up == 0\n"
    )
    result = scan([tmp_path], Config(), select=["A002"])
    (finding,) = result.findings
    assert finding.location.line == 1
    assert "8 alerts the standard requires are missing from" in finding.message
    assert "critical: HighErrorRate, DatabaseConnectionErrors, LowReplicaCount;" in finding.message
    assert "ServiceDown" not in finding.message
    assert "HighEventLoopLag" not in finding.message  # no Node service in the scan
