"""Rule documentation from the pack: `relcheck rules`, `relcheck explain` and docs/rules.md."""

from __future__ import annotations

import json
import textwrap

from relcheck.model import RuleMeta
from relcheck.ruleset.pack import load_areas


def example_markdown(rule: RuleMeta) -> str:
    """ruff's "Example / Use instead", from the pack (tests run both as fixtures)."""
    if not rule.example:
        return ""
    if not rule.example_file:
        return f"```\n{rule.example.rstrip()}\n```"
    context = ", ".join(f"`{path}`" for path, _ in rule.example_context)
    beside = f" (beside {context})" if context else ""
    bad = (
        f"**Example** — `{rule.example_file}`{beside}:\n\n```\n{rule.bad_example.rstrip()}\n```"
        if rule.bad_example
        else f"**Example** — no `{rule.example_file}`{beside}."
    )
    return f"{bad}\n\n**Use instead:**\n\n```\n{rule.example.rstrip()}\n```"


def _example_text(rule: RuleMeta) -> list[str]:
    if not rule.example_file:
        return ["", "Example", textwrap.indent(rule.example.rstrip(), "  ")]
    context = ", ".join(path for path, _ in rule.example_context)
    beside = f" (beside {context})" if context else ""
    lines = ["", f"Example: {rule.example_file}{beside}"]
    lines += [textwrap.indent(rule.bad_example.rstrip(), "  ")] if rule.bad_example else ["  (the file is missing)"]
    return [*lines, "", "Use instead", textwrap.indent(rule.example.rstrip(), "  ")]


def status(rule: RuleMeta, implemented: frozenset[str]) -> str:
    return "implemented" if rule.code in implemented else "planned"


def fix_label(rule: RuleMeta) -> str:
    """`relcheck fix` applies safe fixes; unsafe ones need `--unsafe-fixes`."""
    return {"safe": "safe", "unsafe": "unsafe"}.get(rule.autofix, "-")


def rules_text(rules: list[RuleMeta], implemented: frozenset[str]) -> str:
    rows = [
        (r.code, r.slug, r.severity.label, r.checklist or "-", status(r, implemented), fix_label(r), r.title)
        for r in rules
    ]
    header = ("CODE", "SLUG", "SEVERITY", "CHECKLIST", "STATUS", "FIX", "TITLE")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(6)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:6])) + "  " + row[6])
    planned = sum(1 for r in rules if r.code not in implemented)
    lines.append("")
    lines.append(
        f"{len(rules)} rules: {len(rules) - planned} implemented, {planned} planned "
        "(a planned rule is never reported as passing)."
    )
    return "\n".join(lines) + "\n"


def rule_to_dict(rule: RuleMeta, implemented: frozenset[str]) -> dict:
    return {
        "code": rule.code,
        "slug": rule.slug,
        "title": rule.title,
        "severity": rule.severity.label,
        "area": rule.area,
        "checklist": rule.checklist,
        "status": status(rule, implemented),
        "params": {p.name: {"default": p.default, "description": p.description} for p in rule.params},
        "rationale": rule.rationale,
        "fix": rule.fix,
        "autofix": rule.autofix or None,
        "scope": rule.scope,
        "example": rule.example,
        "example_file": rule.example_file or None,
        "bad_example": rule.bad_example,
    }


def rules_json(rules: list[RuleMeta], implemented: frozenset[str]) -> str:
    return (
        json.dumps({"version": 1, "rules": [rule_to_dict(r, implemented) for r in rules]}, indent=2, ensure_ascii=False)
        + "\n"
    )


def _wrap(text: str, indent: str = "  ") -> str:
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "\n\n".join(
        textwrap.fill(" ".join(p.split()), width=96, initial_indent=indent, subsequent_indent=indent)
        for p in paragraphs
    )


def explain_text(rule: RuleMeta, implemented: frozenset[str]) -> str:
    parts = [
        f"{rule.code} {rule.slug}: {rule.title}",
        f"severity: {rule.severity.label}   checklist: {rule.checklist or '-'}   area: {rule.area}   "
        f"status: {status(rule, implemented)}   scope: {rule.scope}",
        "",
        "Why",
        _wrap(rule.rationale),
        "",
        "How to fix",
        _wrap(rule.fix),
    ]
    if rule.autofix:
        how = "`relcheck fix`" if rule.autofix == "safe" else "`relcheck fix --unsafe-fixes` (review the change)"
        parts += ["", f"Automatic fix: {rule.autofix}, with {how}."]
    if rule.example:
        parts += _example_text(rule)
    if rule.params:
        parts += ["", "Parameters (set under `params:` in .relcheck.yaml)"]
        for param in rule.params:
            parts.append(f"  {param.name} = {json.dumps(param.default)}: {param.description}")
    parts += ["", f"Suppress: `# relcheck: ignore {rule.code} -- reason` on the line or the line above."]
    return "\n".join(parts) + "\n"


def _paragraphs(text: str) -> str:
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def markdown(rules: list[RuleMeta], implemented: frozenset[str]) -> str:
    """docs/rules.md: generated, never edited by hand (a test fails when it is stale)."""
    lines = [
        "# relcheck rules",
        "",
        "<!-- Generated from rules/*.toml by `python -m relcheck.ruleset.docs`. Do not edit by hand. -->",
        "",
        "Every rule has a stable code and a slug; both are accepted wherever a rule is named "
        "(`--select`, `--ignore`, config, suppression comments). Rules marked *planned* are in the pack "
        "but not checked yet; they are never reported as passing.",
        "",
        "Each service's runtime is read from what its Dockerfile runs (final command, base image, build "
        "stages), its PM2 file, or its build files (go.mod, pom.xml, *.csproj, pyproject.toml, package.json...). "
        "Rules about Node.js (S001-S008, the `node_modules` half of D012, X001, X007, the HighEventLoopLag "
        "alert of A002) apply to Node services, and to services of unknown runtime with JavaScript/TypeScript "
        "source; the JSON report names each service's runtime.",
        "",
        "Each rule's scope says what its check may look at: `object` (one Kubernetes object, PM2 app or "
        "alerting rule), `file`, `service` (the service's files, its workloads with the objects about them, "
        "and the evidence no service owns) or `repository`. Rules are run, in parallel and from the cache, "
        "on that much of the tree: a change to one service re-checks that service and the repository rules.",
        "",
    ]
    for area in load_areas():
        area_rules = [r for r in rules if r.area == area.name]
        if not area_rules:
            continue
        lines += [
            f"## {area.heading}",
            "",
            "| code | slug | severity | checklist | status | fix |",
            "|---|---|---|---|---|---|",
        ]
        for rule in area_rules:
            lines.append(
                f"| [{rule.code}](#{rule.code.lower()}) | `{rule.slug}` | {rule.severity.label} | "
                f"{rule.checklist or '-'} | {status(rule, implemented)} | {fix_label(rule)} |"
            )
        lines.append("")
        for rule in area_rules:
            lines += [
                f"### {rule.code}",
                "",
                f"**{rule.slug}** — {rule.title}",
                "",
                f"Severity: {rule.severity.label}. Checklist: {rule.checklist or '-'}. "
                f"Status: {status(rule, implemented)}. Scope: {rule.scope}.",
                "",
                _paragraphs(rule.rationale),
                "",
                f"**Fix:** {rule.fix}",
                "",
            ]
            if rule.autofix:
                flag = "" if rule.autofix == "safe" else " --unsafe-fixes"
                lines += [f"**Automatic fix:** {rule.autofix} (`relcheck fix{flag}`).", ""]
            if rule.example:
                lines += [example_markdown(rule), ""]
            if rule.params:
                lines += ["| parameter | default | meaning |", "|---|---|---|"]
                for param in rule.params:
                    lines.append(f"| `{param.name}` | `{json.dumps(param.default)}` | {param.description} |")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # regenerate docs/rules.md
    import sys
    from pathlib import Path

    from relcheck.ruleset.pack import load_pack
    from relcheck.ruleset.registry import implemented_codes

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/rules.md")
    target.write_text(markdown(list(load_pack()), implemented_codes()), encoding="utf-8")
    print(f"wrote {target}")
