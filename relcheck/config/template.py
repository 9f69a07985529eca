"""The commented .relcheck.yaml that `relcheck init` writes, generated from the pack."""

from __future__ import annotations

import json

from relcheck.model import RuleMeta

HEADER = """\
# relcheck configuration. Every key is optional; remove the leading '#' to use one.
# Rules are named by code (D003), code prefix (K, K01) or slug (exec-form-command).

# Only run these rules (default: all). E001/E002 are always reported unless ignored.
# select: [D, K, P, A, S, X, R]

# Never run these rules.
# ignore: [D010, small-base-image]

# Change a rule's severity: error, warning or info.
# severity:
#   K009: warning
#   R: info

# Lowest severity that makes `relcheck scan` exit 1: error, warning, info or never.
# fail-on: error

# Paths not to scan, in addition to the default excludes (vendor/, third_party/, testdata/,
# fixtures, snapshots and mocks folders); .gitignore-style globs relative to the scan root.
# `relcheck scan --show-settings` lists what is in force.
# extend-exclude:
#   - "legacy/**"

# Paths not to scan, replacing the default excludes.
# exclude:
#   - "legacy/**"
#   - "**/testdata/**"

# Suppress rules in matching files.
# per-file-ignores:
#   "docker/dev.Dockerfile": [D001, D005]

# Skip files larger than this many bytes (E002).
# max-file-size: 5242880

# Render Helm charts and kustomize overlays with their own engines (default true).
# render: true

# Helm rendering: seconds per render, and per chart folder the values files (relative to the
# chart), release name and namespace to render it with.
# helm:
#   timeout: 20
#   charts:
#     charts/api: {values: [values-prod.yaml], release: api, namespace: prod}

# Folders of custom rules (YAML; see docs/writing-rules.md). Default: .relcheck/rules if it exists.
# rule-dirs: [.relcheck/rules]

# Name services when folders and images cannot tell (monorepos).
# services:
#   api: {paths: ["apps/api/**"], workloads: [api]}

# Rule parameters, with their defaults:
# params:
"""


def template(rules: list[RuleMeta]) -> str:
    lines = [HEADER.rstrip("\n")]
    for rule in rules:
        if not rule.params:
            continue
        lines.append(f"#   {rule.code}:  # {rule.slug}")
        for param in rule.params:
            lines.append(f"#     {param.name}: {json.dumps(param.default)}  # {param.description}")
    return "\n".join(lines) + "\n"
