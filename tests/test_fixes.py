"""`relcheck fix`: every fixable rule's fixtures fixed to the byte (`fixed/<case>` beside
`fail/<case>`), and properties every fix keeps on real files: it is idempotent, the file parses,
only what is reported is fixed, and the lines a fix does not touch stay as they were.

`pytest --update-fixtures` rewrites the `fixed/` folders from what `relcheck fix` does; review the
diff as you would a snapshot."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from relcheck.config.loader import Config, find_config, load_config
from relcheck.fixes.apply import fix_paths, write
from relcheck.fixes.catalog import load_fixers
from relcheck.ruleset.pack import load_pack
from relcheck.scan.engine import scan

ROOT = Path(__file__).resolve().parent.parent
RULE_FIXTURES = ROOT / "tests" / "fixtures" / "rules"
FIXABLE = {rule.code: rule.autofix for rule in load_pack() if rule.autofix}


def _config(case: Path) -> Config:
    found = find_config(case)
    return load_config(found, list(load_pack())) if found else Config()


def _fixed_cases() -> list[tuple[str, Path]]:
    return [
        (code, case)
        for code in sorted(FIXABLE)
        for case in sorted((RULE_FIXTURES / code / "fail").iterdir())
        if (RULE_FIXTURES / code / "fixed" / case.name).is_dir() or case.is_dir()
    ]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "expect.txt"
    }


def test_the_pack_and_the_fixers_agree() -> None:
    assert set(FIXABLE) == set(load_fixers())
    assert FIXABLE["K012"] == "safe" and FIXABLE["K023"] == "unsafe" and FIXABLE["K020"] == "unsafe"


@pytest.mark.parametrize(("code", "case"), _fixed_cases(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_fixture_is_fixed_to_the_byte(code: str, case: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work)
    outcome = fix_paths([work], _config(work), select=[code], unsafe=True)
    write(work, outcome)
    expected_dir = RULE_FIXTURES / code / "fixed" / case.name
    if request.config.getoption("--update-fixtures"):
        if expected_dir.exists():
            shutil.rmtree(expected_dir)
        if outcome.changed:
            shutil.copytree(work, expected_dir, ignore=shutil.ignore_patterns("expect.txt"))
    if not expected_dir.is_dir():
        assert not outcome.changed, f"{case} is fixed: add {expected_dir} (pytest --update-fixtures)"
        return
    assert _files(work) == _files(expected_dir)
    # Fixing again changes nothing, and no finding of the rule that a fix could address remains.
    assert not fix_paths([work], _config(work), select=[code], unsafe=True).changed
    again = scan([work], _config(work), select=[code], fixes=True)
    assert [f for f in again.active() if f.autofix is not None] == []


def test_every_fixable_rule_has_a_fixed_fixture() -> None:
    fixed = {code for code in FIXABLE if any((RULE_FIXTURES / code / "fixed").glob("*"))}
    assert fixed == set(FIXABLE)


# --- properties on real files ---------------------------------------------------------------------

SHARED = ROOT.parent / "shared"
TREES = [
    ROOT / "examples" / "legacy-service",
    ROOT / "tests" / "fixtures" / "precision",
    *[p for code in sorted(FIXABLE) for p in sorted((RULE_FIXTURES / code / "fail").iterdir()) if p.is_dir()],
]


def _trees() -> list[Path]:
    found = list(TREES)
    if (SHARED / "corpus").is_dir():
        found.append(SHARED / "corpus")
    return found


@pytest.mark.parametrize("tree", _trees(), ids=lambda p: "/".join(p.parts[-3:]))
def test_fixes_keep_their_promises(tree: Path, tmp_path: Path) -> None:
    """Idempotent; the fixed files parse (no new E001); only what was reported with a fix is fixed
    (each fixed finding is gone, no other finding appears); lines no edit touches are unchanged."""
    work = tmp_path / "tree"
    shutil.copytree(tree, work)
    config = _config(work)
    before = scan([work], config, fixes=True)
    outcome = fix_paths([work], config, unsafe=True)
    write(work, outcome)
    after = scan([work], config, fixes=True)
    old = {(f.location.path, f.code, f.identity) for f in before.findings}
    new = {(f.location.path, f.code, f.identity) for f in after.findings}
    assert new - old == set(), "a fix added a finding"
    assert not [f for f in after.findings if f.code == "E001" and f.location.path in outcome.changed]
    fixed_codes = {(path, code) for path, code, _ in outcome.applied}
    assert all(code in FIXABLE for _, code in fixed_codes)
    for path, text in outcome.changed.items():
        original = outcome.originals[path].split("\n")
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, original, text.split("\n")).get_opcodes():
            # Fixes add lines and rewrite values in place; they never delete or reorder other lines
            # (but `replicas:`, which the HPA that K020 adds takes over).
            if tag == "delete":
                assert all(line.strip().startswith("replicas:") for line in original[i1:i2]), (path, original[i1:i2])
                continue
            assert tag in ("equal", "insert", "replace"), (path, tag, original[i1:i2])
            if tag == "replace":
                assert j2 - j1 >= i2 - i1, (path, original[i1:i2])
    assert not fix_paths([work], config, unsafe=True).changed, "fixing twice changes more"


# --- properties on generated manifests -----------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FIX_EXAMPLES = int(os.environ.get("RELCHECK_FUZZ_EXAMPLES", "25"))

SECURITY = [
    "",
    "{pad}securityContext: {{}}\n",
    "{pad}securityContext:\n",
    "{pad}securityContext:\n{pad}  runAsNonRoot: true  # kept\n",
    "{pad}securityContext: {{runAsNonRoot: true}}\n",
    "{pad}securityContext:\n{pad}  allowPrivilegeEscalation: true\n",
]
RESOURCES = [
    "",
    "{pad}resources: {{}}\n",
    "{pad}resources:\n{pad}  requests:\n{pad}    cpu: 100m\n",
    "{pad}resources:\n{pad}  requests: {{cpu: 100m, memory: 128Mi}}\n",
    "{pad}resources:\n{pad}  limits:\n{pad}    memory: 512mi\n",
]
STRATEGIES = ["", "  strategy:\n    type: RollingUpdate\n", "  strategy:\n    rollingUpdate:\n      maxSurge: 0\n"]
EXTRAS = ["", "{pad}ports:\n{pad}  - containerPort: 8080\n", "{pad}ports: [{{name: http, containerPort: 80}}]\n"]


@st.composite
def deployments(draw: st.DrawFn) -> str:
    dash = draw(st.sampled_from([0, 2]))  # `- name:` at the key's column, or indented
    pad = " " * (8 + dash + 2)
    container = f"{' ' * (8 + dash)}- name: app\n{pad}image: app:1\n"
    parts = [draw(st.sampled_from(SECURITY)), draw(st.sampled_from(RESOURCES)), draw(st.sampled_from(EXTRAS))]
    container += "".join(draw(st.permutations(parts))).format(pad=pad)
    lines = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
        + draw(st.sampled_from(["", "  replicas: 1\n", "  replicas: 3\n"]))
        + "  selector:\n    matchLabels: {app: api}\n"
        + draw(st.sampled_from(STRATEGIES))
        + "  template:\n    metadata:\n      labels: {app: api}\n    spec:\n"
        + draw(st.sampled_from(["", "      terminationGracePeriodSeconds: 10\n"]))
        + "      containers:\n"
        + container
    ).split("\n")
    # Comments and blank lines anywhere between lines: they must survive every fix.
    out = []
    for line in lines:
        out.append(line)
        extra = draw(st.sampled_from(["", "", "", "# a comment", "", "      # indented comment"]))
        if extra and line:
            out.append(extra)
    prefix = draw(st.sampled_from(["", "---\n", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"]))
    return prefix + "\n".join(out)


@settings(max_examples=FIX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(deployments())
def test_generated_manifests_fix_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "d.yaml").write_text(text)
        before = scan([root], Config(), fixes=True)
        outcome = fix_paths([root], Config(), unsafe=True)
        write(root, outcome)
        fixed = (root / "d.yaml").read_text()
        after = scan([root], Config(), fixes=True)
        assert not [f for f in after.findings if f.code == "E001"], fixed
        assert {(f.code, f.identity) for f in after.findings} <= {(f.code, f.identity) for f in before.findings}
        # Every line of the original is still there, in order (fixes insert, or rewrite a value).
        kept = iter(fixed.split("\n"))
        for line in text.split("\n"):
            if ": " in line and not line.strip().startswith("#"):
                continue  # a value a fix may rewrite
            assert any(line == other for other in kept), (line, fixed)
        assert not fix_paths([root], Config(), unsafe=True).changed, fixed


# --- the command line -----------------------------------------------------------------------------

LEGACY = ROOT / "examples" / "legacy-service"


def test_fix_writes_in_place_keeping_the_mode_and_diff_writes_nothing(run_cli, tmp_path: Path) -> None:
    work = tmp_path / "svc"
    shutil.copytree(LEGACY, work)
    manifest = work / "k8s" / "deployment.yaml"
    manifest.chmod(0o640)
    before = {p: p.read_bytes() for p in work.rglob("*") if p.is_file()}
    code, out, err = run_cli("fix", str(work), "--diff")
    assert code == 1 and "+          securityContext:" in out and "Would fix 7 problems in 4 files" in err
    assert {p: p.read_bytes() for p in work.rglob("*") if p.is_file()} == before
    code, out, err = run_cli("fix", str(work))
    assert "Fixed 7 problems in 4 files: Dockerfile, ecosystem.config.js, k8s/deployment.yaml" in err
    assert code == 1 and "[*]" not in out  # what remains has no safe fix
    assert manifest.stat().st_mode & 0o777 == 0o640
    assert "allowPrivilegeEscalation: false" in manifest.read_text()
    code, out, err = run_cli("fix", str(work), "--diff")
    assert code == 0 and out == "" and "Nothing to fix." in err
    code, _, err = run_cli("scan", str(work), "--fix", "--unsafe-fixes", "--select", "K014")
    assert "Fixed 1 problem in 1 file: k8s/deployment.yaml." in err
    assert "replicas: 3" in manifest.read_text()


def test_fix_keeps_crlf_line_endings_and_leaves_links_alone(run_cli, tmp_path: Path) -> None:
    work = tmp_path / "svc"
    work.mkdir()
    (work / "Dockerfile").write_bytes(b"FROM node:20-slim\r\nUSER node\r\nCMD node server.js\r\n")
    real = tmp_path / "elsewhere.Dockerfile"
    real.write_text("FROM node:20-slim\nUSER node\nCMD node other.js\n")
    (work / "linked").mkdir()
    (work / "linked" / "Dockerfile").symlink_to(real)
    run_cli("fix", str(work), "--select", "D003")
    assert (work / "Dockerfile").read_bytes() == b'FROM node:20-slim\r\nUSER node\r\nCMD ["node", "server.js"]\r\n'
    assert real.read_text().endswith("CMD node other.js\n")


def test_fix_refuses_piped_input(run_cli) -> None:
    code, _, err = run_cli("scan", "-", "--fix")
    assert code == 2 and "cannot fix piped input" in err


def test_rules_and_explain_say_which_rules_fix(run_cli) -> None:
    _, out, _ = run_cli("rules")
    header, *rows = out.splitlines()
    assert "FIX" in header.split()
    assert any(row.startswith("K012") and " safe " in row for row in rows)
    _, out, _ = run_cli("explain", "K023")
    assert "Automatic fix: unsafe, with `relcheck fix --unsafe-fixes`" in out


def test_the_legacy_example_keeps_only_findings_no_fix_addresses(tmp_path: Path) -> None:
    work = tmp_path / "svc"
    shutil.copytree(LEGACY, work)
    before = scan([work], Config(), fixes=True)
    write(work, fix_paths([work], Config(), unsafe=True))
    after = scan([work], Config(), fixes=True)
    assert (len(before.findings), len(after.findings)) == (65, 49)
    assert [f for f in after.findings if f.autofix is not None] == []


def test_an_object_with_an_alias_is_left_alone_with_a_reason(run_cli, tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
        "    spec:\n      containers:\n        - &main\n          name: app\n          image: app:1\n"
    )
    before = (tmp_path / "d.yaml").read_bytes()
    code, _, err = run_cli("fix", str(tmp_path), "--select", "K012")
    assert "relcheck: not fixed: d.yaml: K012: the object uses an anchor, alias or merge key" in err
    assert (tmp_path / "d.yaml").read_bytes() == before and code == 0  # K012 is a warning


def test_a_fix_names_its_object_by_its_place_among_the_files_objects(tmp_path: Path) -> None:
    """The place noted at parse time (List items and patches count) is the one parsing the file
    again gives, which the fix's promise is checked against; an object without one is looked up."""
    from relcheck.fixes.kubernetes import _index
    from relcheck.fixes.registry import FixContext
    from relcheck.parsers.kubernetes import parse_manifests

    listed = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        f"  - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: {name}}}}}\n" for name in "ab"
    )
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
        "    spec:\n      containers:\n        - {name: api, image: api:1}\n"
    )
    text = f"{listed}---\n{deployment}"
    (tmp_path / "all.yaml").write_text(text)
    result = scan([tmp_path], Config(), fixes=True)
    changes = [change for f in result.findings if f.autofix is not None for change in f.autofix.changes]
    assert len(changes) >= 3 and {change.index for change in changes} == {2}
    objects, _ = parse_manifests("all.yaml", text)
    assert [obj.ordinal for obj in objects] == [0, 1, 2] and objects[2].kind == "Deployment"
    context = FixContext(_project(tmp_path), {}, 10**6)
    unnoted = objects[2]
    unnoted.ordinal = -1
    assert _index(context, unnoted) == 2


def _project(root: Path):
    from relcheck.scan.discovery import discover
    from relcheck.scan.project import build_project

    discovery = discover([root], [])
    return build_project(discovery, 10**6)[0]


def test_no_rollout_fix_for_a_pod_that_mounts_a_claim(tmp_path: Path) -> None:
    """maxUnavailable: 0 with maxSurge: 1 starts a new pod beside the old one: with a ReadWriteOnce
    claim it may wait on the old pod's volume for ever. Without the claim the fix is offered."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db}\nspec:\n  replicas: 1\n"
        "  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}\n"
        "  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n"
        "      containers: [{name: db, image: 'postgres:16.4'}]\n"
    )
    claim = "      volumes: [{name: d, persistentVolumeClaim: {claimName: d}}]\n"
    (tmp_path / "db.yaml").write_text(deployment + claim)
    found = scan([tmp_path], Config(), select=["K015"], fixes=True).findings
    assert found and all(f.autofix is None for f in found)
    (tmp_path / "db.yaml").write_text(deployment)
    assert all(f.autofix is not None for f in scan([tmp_path], Config(), select=["K015"], fixes=True).findings)
