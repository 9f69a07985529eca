"""The command line: parse options, call the library, pick a reporter. Nothing else lives here."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relcheck import __version__

if TYPE_CHECKING:
    from relcheck.scan.result import ScanResult

app = typer.Typer(
    name="relcheck",
    help="Production-readiness linter for containerised services on Kubernetes.",
    add_completion=True,  # --install-completion, --show-completion (bash, zsh, fish, PowerShell)
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help texts are plain text: `[tool.relcheck]` and `[default: error]` must not be read as markup.
    rich_markup_mode=None,
)


class ReportFormat(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"
    gitlab = "gitlab"
    markdown = "markdown"
    html = "html"


class ListFormat(str, enum.Enum):
    text = "text"
    json = "json"


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


WRITE_FAILED = 3  # a report could not be written (disk full, I/O error): not 1, which means findings


def use_color() -> bool:
    """Colour on a terminal; NO_COLOR (set and not empty) turns it off and FORCE_COLOR (set and not
    empty) on, as no-color.org and force-color.org say."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def fail(message: str, code: int = 2) -> typer.Exit:
    """Bad usage or bad config: one line on stderr, exit 2 (or `code`)."""
    from relcheck.reporters.escape import visible

    say(f"relcheck: error: {visible(message)}")
    return typer.Exit(code)


def say(line: str) -> None:
    """One line on stderr, flushed at once: it must not wait in a buffer past the exit (or past the
    report on stdout), whatever stream the caller or a test runner put there."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def check_outputs(outputs: list[Path], inputs: list[Path]) -> None:
    """Refuse, before scanning, an --output that is not a regular file (a directory, device, FIFO
    or symlink is never replaced) or that is one of the scan's own inputs (config, baseline)."""
    import stat

    for output in outputs:
        try:
            info = os.lstat(output)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise fail(f"cannot write '{output}': {exc.strerror or exc}") from None
        if stat.S_ISLNK(info.st_mode):
            raise fail(f"--output '{output}' is a symlink; relcheck does not write through links")
        if not stat.S_ISREG(info.st_mode):
            raise fail(f"--output '{output}' is not a regular file (a directory, device or FIFO); not replaced")
        for source in inputs:
            if source.exists() and os.path.samefile(output, source):
                raise fail(f"--output '{output}' is an input of this scan ({source}); choose another file")


def _settings_text(scan_config, root: Path, cache: str = "") -> str:
    """What `--show-settings` prints: the settings in force after the config and the options."""
    from relcheck.config.loader import default_excludes

    def listed(values) -> str:
        return ", ".join(str(v) for v in values) if values else "(none)"

    lines = [
        f"scan root: {root}",
        f"config: {scan_config.source or '(none)'}",
        f"select: {listed(scan_config.select) if scan_config.select else '(all rules)'}",
        f"ignore: {listed(scan_config.ignore)}",
        f"default excludes: {listed(default_excludes(scan_config))}",
        f"exclude: {listed(scan_config.exclude)}",
        f"extend-exclude: {listed(scan_config.extend_exclude)}",
        f"max-file-size: {scan_config.max_file_size}",
        f"render: {_render_engines() if scan_config.render else 'off'}",
        f"rule-dirs: {listed(scan_config.rule_dirs)}",
        f"fail-on: {scan_config.fail_on or 'error'}",
        f"cache: {cache or _cache_setting(root)}",
    ]
    from relcheck.reporters.escape import visible

    return "".join(f"{visible(line)}\n" for line in lines)


def _cache_setting(root: Path, no_cache: bool = False, cache_dir: Path | None = None) -> str:
    from relcheck.scan.cache import cache_folder

    off = _cache_off(no_cache)
    return f"off ({off})" if off else str(cache_folder(root, cache_dir))


def _cache_off(no_cache: bool) -> str | None:
    """What turns the scan cache off, if anything does."""
    if no_cache:
        return "--no-cache"
    if os.environ.get("RELCHECK_NO_CACHE", "") not in ("", "0"):
        return "RELCHECK_NO_CACHE"
    return None


def _render_engines() -> str:
    """Which engines a scan would render with, as `--show-settings` prints them."""
    import importlib.util
    import shutil

    from relcheck.render.engines import kustomize_command

    if importlib.util.find_spec("helm_python") is not None:
        helm = "Helm SDK (the helm extra)"
    else:
        helm = shutil.which("helm") or "none (pip install 'relcheck-lint[helm]' or helm on PATH)"
    command = kustomize_command()
    kustomize = " ".join(command) if command else "none (kustomize or kubectl on PATH)"
    return f"Helm: {helm}; kustomize: {kustomize}"


def _say_what_was_not_read(named: list[str], resolved: list[Path], result: ScanResult, piped: bool) -> None:
    """An empty scan is never silent: a named file relcheck does not read is a usage error; a named
    folder with nothing relcheck reads, and piped input without an object, get a note on stderr."""
    from relcheck.scan.discovery import STDIN_PATH, read_paths

    read = set(read_paths(result.files)) - {STDIN_PATH}
    _say_what_is_not_read(named, resolved, result.root, read)
    checked_kinds = {"dockerfile", "kubernetes", "prometheus-rules", "pm2"}
    if read and not piped and not result.services and not any(f.kind in checked_kinds for f in result.files):
        # Settings or source that belong to no service (a .NET Aspire app, deployed through its app
        # host): "No problems found" would read as a pass.
        say(
            "relcheck: note: no service, Dockerfile, Kubernetes manifest, PM2 file or rule file was found: "
            "the settings and source files read belong to nothing relcheck checks"
        )
    piped_manifests = any(f.path == STDIN_PATH for f in result.files)
    if piped and piped_manifests and result.objects == 0 and not read:
        say("relcheck: note: the input read from stdin holds no Kubernetes object")


def _say_what_is_not_read(named: list[str], resolved: list[Path], root: Path, read: set[str]) -> None:
    from relcheck.reporters.escape import visible

    for raw, path in zip([n for n in named if n != "-"], resolved, strict=False):
        rel = path.relative_to(root).as_posix() if path != root else ""
        if path.is_file():
            if rel not in read:
                raise fail(
                    f"'{raw}' is not a file relcheck reads (Dockerfile, Kubernetes YAML or JSON, PM2 file, "
                    "Prometheus rules, app settings or source)"
                )
        elif not (read if not rel else any(p.startswith(f"{rel}/") for p in read)):
            say(f"relcheck: note: no file relcheck reads under '{visible(raw)}'")


def _config_inputs(config: Path | None, root: Path) -> list[Path]:
    from relcheck.config.loader import find_config

    found = config or find_config(root)
    return [found] if found is not None else []


def check_not_scanned(outputs: list[Path], result: ScanResult) -> None:
    """An --output that is a file the scan read (a Dockerfile, a manifest...) is never overwritten."""
    from relcheck.scan.discovery import FileKind

    read = {f.path for f in result.files if f.kind != FileKind.OTHER}
    for output in outputs:
        target = output.resolve()
        if target.is_relative_to(result.root) and target.relative_to(result.root).as_posix() in read:
            raise fail(f"--output '{output}' is a file this scan read; choose another file")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"relcheck {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """relcheck reads Dockerfiles, Kubernetes manifests, PM2 files, alert rules and app source,
    and checks them against the reliability standard."""
    from relcheck.scan.gcpause import long_lived_model

    # A command's model lives until the command ends, so the collector's thresholds stay raised from
    # the scan to the last report: restored in between, the first allocation after the scan could
    # start a collection that walks the whole model (a fifth of a second on 1,000 services).
    ctx.with_resource(long_lived_model())


def _resolve_paths(paths: list[str] | None) -> list[Path]:
    resolved = []
    for raw in paths or ["."]:
        if raw == "-":
            continue
        path = Path(raw)
        if not path.exists():
            raise fail(f"path '{raw}' does not exist")
        resolved.append(path.resolve())
    return resolved


def _settings_for(config_file: Path | None, resolved: list[Path]):
    """The scan's root and config: without --config, the nearest config from the scanned folder up
    to the repository's root applies, and paths are reported relative to its folder."""
    from relcheck.config.loader import ConfigError, config_root
    from relcheck.scan.discovery import scan_root

    root = scan_root(resolved) if resolved else Path.cwd()
    if config_file is None:
        try:
            root = config_root(root)
        except ConfigError as exc:
            raise fail(str(exc)) from None
    return root, _load_config(config_file, root)


def _load_config(config_file: Path | None, root: Path):
    """Settings and the rule set of a scan: config first (it may name rule folders), then rules, then
    the rule names the config uses (custom rules are valid names)."""
    from relcheck.config.loader import ConfigError, find_config, load_config, validate_rule_names
    from relcheck.ruleset.custom import CustomRuleError
    from relcheck.ruleset.load import load_ruleset

    if config_file is not None and not config_file.is_file():
        raise fail(f"config file '{config_file}' does not exist")
    label = str(config_file) if config_file else None
    try:
        path = config_file or find_config(root)
        scan_config = load_config(path, None, label)
        # A config the user names outside the repository is theirs: its folders may be anywhere.
        trusted = config_file is not None and not config_file.resolve().is_relative_to(root.resolve())
        ruleset = load_ruleset(root, scan_config.rule_dirs, confine=not trusted)
        validate_rule_names(scan_config, ruleset.rules)
    except (ConfigError, CustomRuleError) as exc:
        raise fail(str(exc)) from None
    scan_config.ruleset = ruleset
    return scan_config


def _check_names(names: list[str], option: str, rules) -> None:
    from relcheck.ruleset.selectors import UnknownRuleError, resolve

    for name in names:
        try:
            resolve(name, rules)
        except UnknownRuleError as exc:
            raise fail(f"{option}: {exc}") from None


# Shared by the commands that scan (scan, baseline, hook, checklist).
Jobs = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=0,
        help="Worker processes for parsing large scans, at most one per processor; 0: one per processor "
        "(small scans stay in one process). Output is the same for any N.",
    ),
]
NoCache = Annotated[
    bool,
    typer.Option("--no-cache", help="Neither read nor write the scan cache (also RELCHECK_NO_CACHE=1)."),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="The scan cache's folder [default: RELCHECK_CACHE_DIR, else .relcheck_cache at the scan root].",
    ),
]


def _cache_for(root: Path, no_cache: bool, cache_dir: Path | None):
    """The scan cache (relcheck.scan.cache), or None when it is off or cannot be used here."""
    from relcheck.scan.cache import open_cache

    return open_cache(root, cache_dir, _cache_off(no_cache) is None)


@app.command()
def scan(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files or folders to scan (default: .); - reads manifests from stdin.")
    ] = None,
    formats: Annotated[
        list[ReportFormat] | None,
        typer.Option("--format", "-f", help="Report format; repeat with --output for several reports in one run."),
    ] = None,
    outputs: Annotated[
        list[Path] | None, typer.Option("--output", "-o", help="Write the report of the same position to this file.")
    ] = None,
    fail_on: Annotated[
        FailOn | None, typer.Option("--fail-on", help="Lowest severity that makes the exit code 1 [default: error].")
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Only these rules (codes, prefixes or slugs; comma separated or repeated)."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Skip these rules (codes, prefixes or slugs).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Config file (default: .relcheck.yaml, or [tool.relcheck] in pyproject.toml, at the scan root).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Hide the findings this baseline file lists.")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="SARIF automationDetails.id (code scanning category).")
    ] = None,
    sarif_suppressions: Annotated[
        bool, typer.Option("--sarif-suppressions", help="Write suppressed findings into SARIF with `suppressions`.")
    ] = False,
    jobs: Jobs = 0,
    no_cache: NoCache = False,
    cache_dir: CacheDir = None,
    show_suppressed: Annotated[bool, typer.Option("--show-suppressed", help="List suppressed findings too.")] = False,
    report_unused_suppressions: Annotated[
        bool,
        typer.Option(
            "--report-unused-suppressions", help="Report suppression comments that suppressed nothing (E004)."
        ),
    ] = False,
    no_default_excludes: Annotated[
        bool,
        typer.Option("--no-default-excludes", help="Scan vendor/, third_party/, testdata/ and fixtures folders too."),
    ] = False,
    no_render: Annotated[
        bool,
        typer.Option("--no-render", help="Lint Helm charts and kustomize overlays as written, without rendering them."),
    ] = False,
    show_settings: Annotated[
        bool, typer.Option("--show-settings", help="Print the settings the scan would use, and exit.")
    ] = False,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Print how many findings each rule has, instead of the findings.")
    ] = False,
    stdin_filename: Annotated[
        str | None,
        typer.Option(
            "--stdin-filename", help="With -, the path the piped file is read and reported as (a Dockerfile, rules...)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the findings: no hints, no summary.")] = False,
    fix: Annotated[
        bool, typer.Option("--fix", help="Apply safe fixes to the files, then report what remains.")
    ] = False,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="With --fix or --diff, apply unsafe fixes too (review them).")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fixes as a unified diff and write nothing (exit 1 if any).")
    ] = False,
    diff_base: Annotated[
        str | None,
        typer.Option(
            "--diff-base",
            metavar="REF",
            help="Report only findings in files changed since this git revision (or pointing at one), "
            "for pull requests.",
        ),
    ] = None,
) -> None:
    """Scan a service repository and report findings."""
    from relcheck.ruleset.selectors import split_names

    targets = _report_targets(formats, outputs)
    files_out = [output for _, output in targets if output is not None]
    check_outputs(files_out, [p for p in (config, baseline) if p is not None])
    resolved = _resolve_paths(paths)
    piped = bool(paths and "-" in paths)
    if piped and stdin_filename is None and any(f is ReportFormat.sarif for f, _ in targets):
        # Code scanning places every result in a file of the repository: `<stdin>` is none.
        raise fail("SARIF places findings in the repository's files: with -, give --stdin-filename PATH")
    stdin_text = sys.stdin.read() if piped else None
    root, scan_config = _settings_for(config, resolved)
    scan_config.default_excludes = scan_config.default_excludes and not no_default_excludes
    scan_config.render = scan_config.render and not no_render
    if show_settings:
        sys.stdout.write(_settings_text(scan_config, root, _cache_setting(root, no_cache, cache_dir)))
        raise typer.Exit(0)
    check_outputs(files_out, _config_inputs(config, root))
    select_names = split_names(select)
    ignore_names = split_names(ignore)
    _check_names(select_names, "--select", scan_config.ruleset.rules)
    _check_names(ignore_names, "--ignore", scan_config.ruleset.rules)
    accepted = _load_baseline(baseline)
    changed_files = _changed_files(root, diff_base) if diff_base is not None else None
    if fix or diff:
        if stdin_text is not None:
            raise fail("--fix and --diff edit files: they cannot fix piped input")
        changed = _fix_files(resolved, scan_config, select_names, ignore_names, root, unsafe_fixes, diff)
        if diff:
            raise typer.Exit(1 if changed else 0)
    cache = _cache_for(root, no_cache, cache_dir)
    listing = None
    recording = None
    patch_key = None
    if cache is not None and stdin_text is None and not fix and changed_files is None and not files_out:
        # Every input as the last scan found it: print its report (relcheck.scan.reportcache).
        from relcheck.scan.reportcache import replay, report_key

        listing = _walk(resolved, scan_config, root)
        command = repr(sorted({k: str(v) for k, v in locals().items() if k in _REPORT_OPTIONS}.items()))
        inputs = [*(_text_of(p) for p in [*_config_inputs(config, root), *([baseline] if baseline else [])])]
        fixed = [*inputs, _ruleset_digest(scan_config)]
        keyed = report_key([command], root, listing, fixed, _today(), scan_config.render)
        code = replay(cache, keyed[0])
        if code is not None:
            raise typer.Exit(code)
        recording = _Recording(*keyed)
        if targets == [(ReportFormat.text, None)] and not statistics and not quiet and not use_color():
            from relcheck.scan.reportcache import patch_key as patch_key_of

            patch_key = patch_key_of([command], root, listing, fixed, _today(), scan_config.render)
    known = locals()
    try:
        _scan_and_report(_ScanRun(**{name: known[name] for name in _ScanRun.__dataclass_fields__}))
    except typer.Exit as done:
        if recording is not None:
            recording.finish(cache, done.exit_code)
        raise
    except BaseException:
        if recording is not None:
            recording.finish(None, None)
        raise
    if recording is not None:
        recording.finish(cache, 0)


# The scan options a stored report depends on (paths, formats, rules, severity threshold...).
_REPORT_OPTIONS = frozenset(
    {
        "paths", "formats", "fail_on", "select", "ignore", "config", "baseline", "category", "sarif_suppressions",
        "show_suppressed", "report_unused_suppressions", "no_default_excludes", "no_render", "statistics",
        "stdin_filename", "quiet", "unsafe_fixes",
    }
)


def _walk(resolved: list[Path], scan_config, root: Path):
    from relcheck.config.loader import default_excludes
    from relcheck.scan.discovery import discover

    excludes = [*scan_config.exclude, *scan_config.extend_exclude]
    return discover(resolved, excludes, None, default_excludes(scan_config), root)


def _text_of(path: Path) -> str:
    from relcheck.scan.discovery import read_text

    text, problem = read_text(path, 64 * 1024 * 1024, follow=True)
    return text if text is not None else repr(problem)


def _ruleset_digest(scan_config) -> str:
    from relcheck.ruleset.load import effective_severities
    from relcheck.scan.incremental import rules_key

    ruleset = scan_config.ruleset
    codes = sorted(rule.code for rule in ruleset.rules)
    return rules_key(ruleset, codes, effective_severities(ruleset.rules, {}), scan_config)


def _today():
    import datetime

    return datetime.date.today()


class _Recording:
    """stdout and stderr kept while a scan runs, stored with its exit code when it ends."""

    def __init__(self, key: str, newest: int) -> None:
        from relcheck.scan.reportcache import Recorder

        self.key, self.newest = key, newest
        self.out, self.err = Recorder(sys.stdout), Recorder(sys.stderr)
        self.saved = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = self.out, self.err  # type: ignore[assignment]

    def finish(self, cache, code: int | None) -> None:
        """Streams back; the report stored (unless the scan failed: no cache, or another code)."""
        from relcheck.scan.reportcache import remember

        sys.stdout, sys.stderr = self.saved
        if cache is not None and code in (0, 1):
            remember(cache, self.key, self.newest, self.out, self.err, code)


@dataclasses.dataclass
class _ScanRun:
    """What `scan` settled before scanning: the inputs of the scan and of its reports."""

    resolved: list[Path]
    scan_config: Any
    select_names: list[str]
    ignore_names: list[str]
    stdin_text: str | None
    stdin_filename: str | None
    accepted: set[str] | None
    jobs: int
    report_unused_suppressions: bool
    root: Path
    cache: Any
    listing: Any
    changed_files: set[str] | None
    diff_base: str | None
    targets: list
    files_out: list[Path]
    paths: list[str] | None
    category: str | None
    sarif_suppressions: bool
    show_suppressed: bool
    quiet: bool
    statistics: bool
    fail_on: Any
    patch_key: str | None  # the plain report may be patched (relcheck.reporters.patch) and kept under this key


def _run_scan(run: _ScanRun, **more: Any):
    """engine.scan with the run's inputs (and `more` of its parameters)."""
    from relcheck.scan.engine import scan as run_scan

    return run_scan(
        run.resolved,
        run.scan_config,
        run.select_names or None,
        run.ignore_names,
        baseline=run.accepted,
        jobs=run.jobs,
        ruleset=run.scan_config.ruleset,
        report_unused_suppressions=run.report_unused_suppressions,
        root=run.root,
        fixes=True,
        cache=run.cache,
        discovery=run.listing,
        **more,
    )


def _scan_and_report(run: _ScanRun) -> None:
    """The scan, its reports and its exit code (typer.Exit(1) when findings reach --fail-on)."""
    result = _patched(run) if run.patch_key is not None else None
    if result is None:
        result = _run_scan(
            run, stdin_text=run.stdin_text, stdin_filename=run.stdin_filename, snapshot=run.patch_key is not None
        )
    if run.changed_files is not None:
        _keep_changed(result, run.changed_files, run.diff_base or "")
    options = {
        "category": run.category,
        "sarif_suppressions": run.sarif_suppressions,
        "show_suppressed": run.show_suppressed,
        "quiet": run.quiet,
    }
    check_not_scanned(run.files_out, result)
    _say_what_was_not_read(run.paths or ["."], run.resolved, result, run.stdin_text is not None)
    for report_format, output in run.targets:
        if report_format is ReportFormat.text and output is None and run.statistics:
            _emit(_statistics(result), None)
        elif report_format is ReportFormat.text and output is None:
            from relcheck.reporters.escape import visible
            from relcheck.reporters.sarif import cut_note
            from relcheck.reporters.text import render as render_text

            sarif = any(f is ReportFormat.sarif for f, _ in run.targets)
            notes = [note] if sarif and (note := cut_note(result, run.sarif_suppressions)) else []
            if run.changed_files is not None:
                notes.append(
                    f"Only findings in files changed since {visible(run.diff_base or '')}, or pointing at them; "
                    "the checklist needs the whole scan (`relcheck checklist`)."
                )
            sections: dict[str, str] | None = {} if run.patch_key is not None else None
            with _writing_stdout():
                render_text(
                    result,
                    sys.stdout,
                    color=use_color(),
                    show_suppressed=run.show_suppressed,
                    quiet=run.quiet,
                    notes=notes,
                    checklist=run.changed_files is None,
                    sections=sections,
                )
                sys.stdout.flush()
            if sections is not None:
                from relcheck.reporters.patch import keep

                keep(run.cache, run.patch_key, result, sections, run.scan_config.ruleset)
        else:
            _emit(_render(result, report_format, options), output)
    _exit_for(result, run.fail_on, run.scan_config)


def _patched(run: _ScanRun):
    """The kept plain report patched for the units changed since (relcheck.reporters.patch):
    printed, and the exit code raised. Else None, or the whole scan made on the way."""
    from relcheck.reporters import patch
    from relcheck.scan.engine import changes_plan

    kept = patch.load(run.cache, run.patch_key)
    if kept is None:
        return None
    config, ruleset = run.scan_config, run.scan_config.ruleset
    if not patch.patchable(ruleset):
        return None
    select = run.select_names or None
    plan = changes_plan(run.resolved, config, select, run.ignore_names, ruleset, run.listing, run.cache)
    if not patch.applies(kept, plan):
        return None
    result = _run_scan(run, focus=set(), plan=plan, carried=patch.carrier(kept))
    if not result.focused:
        return result  # a whole scan after all: reported as such
    patched = patch.patch(kept, result, run.show_suppressed)
    if patched is None:
        return None
    _say_what_is_not_read(run.paths or ["."], run.resolved, run.root, patched.read)
    _emit(patched.text, None)
    level = _fail_level(run.fail_on, config)
    raise typer.Exit(1 if level is not None and any(n for s, n in patched.active.items() if s >= level) else 0)


@contextlib.contextmanager
def _writing_stdout() -> Iterator[None]:
    """A report that cannot be written is one line and exit code WRITE_FAILED."""
    try:
        yield
    except BrokenPipeError:  # the reader went away (`relcheck scan | head`): not a failure
        raise
    except OSError as exc:
        raise fail(f"cannot write the report to stdout: {exc.strerror or exc}", WRITE_FAILED) from None


def _changed_files(root: Path, ref: str) -> set[str]:
    from relcheck.scan.gitdiff import DiffBaseError, changed_since

    try:
        return changed_since(root, ref)
    except DiffBaseError as exc:
        raise fail(str(exc)) from None


def _keep_changed(result, changed: set[str], ref: str) -> None:
    """`--diff-base`: only the findings in files changed since REF, or whose related locations are
    there (lowering a memory limit breaks the heap rule of the PM2 file). The scan itself was whole."""
    from relcheck.reporters.escape import visible

    result.findings = [
        f
        for f in result.findings
        if f.location.path in changed or any(r.location.path in changed for r in f.related)
    ]
    count = len(changed)
    _say(
        f"relcheck: --diff-base {visible(ref)}: {count} file{'s' if count != 1 else ''} changed; "
        "findings elsewhere are not reported."
    )


def _fix_files(
    resolved: list[Path], scan_config, select: list[str], ignore: list[str], root: Path, unsafe: bool, diff: bool
) -> bool:
    """Fix in memory, pass after pass; print the diff (`--diff`) or write the files. Says on stderr
    what was fixed and what was not. Returns whether anything would change."""
    from relcheck.fixes import apply
    from relcheck.reporters.escape import visible

    outcome = apply.fix_paths(resolved, scan_config, select or None, ignore, unsafe, root)
    changed = outcome.changed
    if diff:
        sys.stdout.write(outcome.diff())
        sys.stdout.flush()
        verb = "Would fix"
    else:
        for path, reason in apply.write(root, outcome):
            outcome.applied = [item for item in outcome.applied if item[0] != path]
            _say(f"relcheck: not written: {visible(path)}: {reason}")
        verb = "Fixed"
    files = sorted({path for path, _, _ in outcome.applied})
    if outcome.applied:
        _say(f"{verb} {len(outcome.applied)} problem{'s' if len(outcome.applied) != 1 else ''} in {len(files)} "
             f"file{'s' if len(files) != 1 else ''}: {', '.join(visible(f) for f in files)}.")
    else:
        _say("Nothing to fix." + ("" if unsafe else " (--unsafe-fixes adds fixes that need review)"))
    for path, code, reason in outcome.dropped:
        _say(f"relcheck: not fixed: {visible(path)}: {code}: {visible(reason)}")
    return bool(changed)


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@app.command("fix")
def fix_command(
    paths: Annotated[list[str] | None, typer.Argument(help="Files or folders to fix (default: .).")] = None,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Apply unsafe fixes too (they change behaviour: review them).")
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff and write nothing.")] = False,
    select: Annotated[list[str] | None, typer.Option("--select", help="Only these rules fix.")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="These rules do not fix.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Config file.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the findings that remain.")] = False,
) -> None:
    """Apply fixes (`relcheck scan --fix`): safe ones, and with --unsafe-fixes those to review."""
    scan(
        paths=paths,
        select=select,
        ignore=ignore,
        config=config,
        quiet=quiet,
        fix=not diff,
        diff=diff,
        unsafe_fixes=unsafe_fixes,
    )


def _statistics(result) -> str:
    """`--statistics`: findings counted by rule, most first, as ruff prints them."""
    from collections import Counter

    counts = Counter((f.code, f.slug, f.severity.label) for f in result.active())
    width = len(str(max(counts.values(), default=0)))
    lines = [
        f"{count:>{width}}  {code:<6} {severity:<7} {slug}"
        for (code, slug, severity), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    total = sum(counts.values())
    lines.append(
        f"{total} finding{'s' if total != 1 else ''} from {len(counts)} rule{'s' if len(counts) != 1 else ''}."
    )
    return "\n".join(lines) + "\n"


def _report_targets(formats, outputs) -> list[tuple[ReportFormat, Path | None]]:
    """--format/--output pairs by position; at most one report goes to stdout."""
    formats = list(formats or [ReportFormat.text])
    outputs = list(outputs or [])
    if len(outputs) > len(formats):
        if len(formats) == 1 and len(outputs) == 1:
            pass
        else:
            raise fail("more --output files than --format values; give one --format per --output")
    targets = [(f, outputs[i] if i < len(outputs) else None) for i, f in enumerate(formats)]
    if sum(1 for _, output in targets if output is None) > 1:
        raise fail("several formats would go to stdout; give each but one an --output file")
    return targets


def _render(result, report_format: ReportFormat, options: dict) -> str:
    if report_format is ReportFormat.json:
        from relcheck.reporters.json import render

        return render(result)
    if report_format is ReportFormat.sarif:
        from relcheck.reporters.sarif import render

        return render(result, options["category"], options["sarif_suppressions"])
    if report_format is ReportFormat.markdown:
        from relcheck.reporters.markdown import render

        return render(result)
    if report_format is ReportFormat.html:
        from relcheck.checklist.score import build
        from relcheck.reporters.html import render_html

        return render_html(result, build(result))
    if report_format in (ReportFormat.junit, ReportFormat.github, ReportFormat.gitlab):
        from relcheck.reporters import ci

        return {"junit": ci.render_junit, "github": ci.render_github, "gitlab": ci.render_gitlab}[report_format.value](
            result
        )
    from relcheck.reporters.text import render

    return render(result, show_suppressed=options["show_suppressed"], quiet=options["quiet"])


def _load_baseline(path: Path | None) -> set[str] | None:
    if path is None:
        return None
    from relcheck.scan.baseline import BaselineError, load

    try:
        return load(path)
    except BaselineError as exc:
        raise fail(str(exc)) from None


def _exit_for(result, fail_on: FailOn | None, scan_config) -> None:
    level = _fail_level(fail_on, scan_config)
    if level is not None and any(f.severity >= level for f in result.active()):
        raise typer.Exit(1)


def _fail_level(fail_on: FailOn | None, scan_config):
    """The lowest severity that fails the scan; None for `never`."""
    from relcheck.model import Severity

    threshold = (fail_on.value if fail_on else None) or scan_config.fail_on or "error"
    return None if threshold == "never" else Severity.parse(threshold)


@app.command()
def baseline(
    paths: Annotated[list[str] | None, typer.Argument(help="Files or folders to scan (default: .).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The baseline file to write.")] = Path(
        ".relcheck-baseline.json"
    ),
    config: Annotated[Path | None, typer.Option("--config", help="Config file.")] = None,
    jobs: Jobs = 0,
    no_cache: NoCache = False,
    cache_dir: CacheDir = None,
) -> None:
    """Record today's findings as accepted; `scan --baseline FILE` then reports only new ones."""
    from relcheck.scan.baseline import render
    from relcheck.scan.engine import scan as run_scan

    check_outputs([output], [p for p in (config,) if p is not None])
    resolved = _resolve_paths(paths)
    root, scan_config = _settings_for(config, resolved)
    cache = _cache_for(root, no_cache, cache_dir)
    result = run_scan(resolved, scan_config, jobs=jobs, ruleset=scan_config.ruleset, root=root, cache=cache)
    check_not_scanned([output], result)
    _emit(render(result), output)
    sys.stdout.write(f"wrote {output}: {len({f.fingerprint for f in result.active()})} findings accepted\n")


@app.command()
def hook(
    files: Annotated[list[str] | None, typer.Argument(help="The files pre-commit passes.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Config file.")] = None,
    fail_on: Annotated[FailOn | None, typer.Option("--fail-on", help="Lowest severity that fails the hook.")] = None,
    jobs: Jobs = 0,
    no_cache: NoCache = False,
    cache_dir: CacheDir = None,
) -> None:
    """For pre-commit: check the services of the given files, whole (cross-file rules need the whole
    service), and report the findings those files cause: located in one of them, or pointing at one as
    a related location (lowering a memory limit in a manifest breaks the heap rule of the PM2 file)."""
    cwd = Path.cwd().resolve()
    root = _repository_root(cwd)
    scan_config = _load_config(config, root)
    wanted = set()
    for name in files or []:
        path = (cwd / name).resolve()  # relative to where the hook runs, which may be a subfolder
        if path.is_relative_to(root):
            wanted.add(path.relative_to(root).as_posix())
    entries = _hook_findings(root, scan_config, config, jobs, _cache_for(root, no_cache, cache_dir), wanted)
    chosen = [
        entry
        for entry in entries
        if not entry["repo"]  # repository rules judge the tree, not a change
        and any(path in wanted for path in entry["paths"])
    ]
    _print_hook_report(chosen)
    threshold = (fail_on.value if fail_on else None) or scan_config.fail_on or "error"
    if threshold != "never":
        from relcheck.model import Severity

        if any(entry["severity"] >= Severity.parse(threshold) for entry in chosen):
            raise typer.Exit(1)


def _hook_findings(
    root: Path, scan_config, config: Path | None, jobs: int, cache=None, wanted: set[str] | None = None
) -> list[dict]:
    """The active findings of the units that hold the given files (every finding of the repository
    when the scan cache cannot vouch for the units), as the hook needs them: lines of text, severity,
    the files each is located in or points at. A run of pre-commit that starts the hook once per
    batch scans once: the next batches find the first one's findings (relcheck.scan.hookcache)."""
    from relcheck.config.loader import default_excludes
    from relcheck.reporters.text import finding_lines
    from relcheck.scan import hookcache
    from relcheck.scan.discovery import discover
    from relcheck.scan.engine import scan as run_scan

    inputs = _config_inputs(config, root)
    config_text = inputs[0].read_text(encoding="utf-8", errors="replace")[: 1 << 20] if inputs else ""
    listing = discover([root], [*scan_config.exclude, *scan_config.extend_exclude], None, default_excludes(scan_config))
    states = hookcache.tree_state(listing.files)
    key = hookcache.tree_key(root, config_text, states)
    # A focused scan's findings are those of its files' units: reused only for the same files.
    focus_key = hookcache.tree_key(root, "\0".join([config_text, *sorted(wanted or ())]), states)
    for known in (key, focus_key):
        entries = hookcache.load(known)
        if entries is not None:
            return entries
    result = run_scan(
        [root], scan_config, jobs=jobs, ruleset=scan_config.ruleset, discovery=listing, cache=cache, focus=wanted
    )
    entries = [
        {
            "severity": int(finding.severity),
            # Repository rules judge the tree, not a change; nor do the R rules (what a service lacks).
            "repo": result.rules[finding.code].area == "repo" or result.rules[finding.code].scope == "repository",
            "paths": [finding.location.path, *(r.location.path for r in finding.related)],
            "lines": finding_lines(finding),
        }
        for finding in result.active()
    ]
    hookcache.store(focus_key if result.focused else key, entries)
    return entries


def _print_hook_report(entries: list[dict]) -> None:
    """The findings of the change, grouped by file as the scan's text report has them."""
    if not entries:
        return
    from relcheck.model import Severity

    lines: list[str] = []
    current = None
    for entry in entries:
        path = entry["paths"][0]
        if current is not None and path != current:
            lines.append("")
        current = path
        lines.extend(entry["lines"])
    counts = {s: sum(1 for e in entries if e["severity"] == s) for s in (3, 2, 1)}
    parts = ", ".join(f"{n} {Severity(s).label}{'s' if n != 1 and s != 1 else ''}" for s, n in counts.items() if n)
    lines += ["", f"Found {len(entries)} problem{'s' if len(entries) != 1 else ''} ({parts}) in the files given."]
    sys.stdout.write("\n".join(lines) + "\n")


def _repository_root(start: Path) -> Path:
    """The git repository's root above `start` (pre-commit's paths are relative to it), else `start`."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        with _writing_stdout():
            sys.stdout.write(text)
            sys.stdout.flush()
        return
    from relcheck.reporters.atomic import write_atomic

    try:
        write_atomic(output, text)
    except OSError as exc:
        raise fail(f"cannot write '{output}': {exc.strerror or exc}", WRITE_FAILED) from None


class ChecklistFormat(str, enum.Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    svg = "svg"


@app.command()
def checklist(
    paths: Annotated[list[str] | None, typer.Argument(help="Files or folders to scan (default: .).")] = None,
    format: Annotated[ChecklistFormat, typer.Option("--format", "-f", help="Output format.")] = ChecklistFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write it to this file.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Config file.")] = None,
    jobs: Jobs = 0,
    no_cache: NoCache = False,
    cache_dir: CacheDir = None,
    service: Annotated[
        str | None, typer.Option("--service", help="Only this service (a badge of its own score, for example).")
    ] = None,
) -> None:
    """The standard's production-readiness checklist for each service, with evidence. Exits 1 when an
    item fails."""
    from relcheck.checklist import render as report
    from relcheck.checklist import score as scorecard
    from relcheck.scan.engine import scan as run_scan

    resolved = _resolve_paths(paths)
    root, scan_config = _settings_for(config, resolved)
    cache = _cache_for(root, no_cache, cache_dir)
    result = run_scan(
        resolved, scan_config, jobs=jobs, ruleset=scan_config.ruleset, root=root, fixes=True, cache=cache
    )
    cards = scorecard.build(result)
    if service is not None:
        cards = [card for card in cards if card.service.name == service]
        if not cards:
            known = ", ".join(sorted(c.service.name for c in scorecard.build(result))) or "none"
            raise fail(f"no service named '{service}' in this scan (services: {known})")
    if format is ChecklistFormat.json:
        _emit(report.render_json(cards), output)
    elif format in (ChecklistFormat.html, ChecklistFormat.svg):
        from relcheck.reporters.html import render_badge, render_html

        _emit(render_html(result, cards) if format is ChecklistFormat.html else render_badge(cards), output)
    elif format is ChecklistFormat.markdown:
        _emit(report.render_markdown(cards), output)
    elif output is not None:
        _emit(report.render_text(cards), output)
    else:
        report.render_text(cards, sys.stdout, color=use_color())
    if any(card.with_status("fail") for card in cards):
        raise typer.Exit(1)


@app.command()
def rules(
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.text,
) -> None:
    """List every rule (built-in, plugins, custom rules of this folder) with its severity, checklist item
    and status."""
    from relcheck.ruleset.docs import rules_json, rules_text

    ruleset = _load_config(None, Path.cwd()).ruleset
    pack = ruleset.rules
    implemented = frozenset(ruleset.checks) | _engine_codes()
    sys.stdout.write(rules_json(pack, implemented) if format is ListFormat.json else rules_text(pack, implemented))


@app.command()
def explain(name: Annotated[str, typer.Argument(help="A rule code (D003) or slug (exec-form-command).")]) -> None:
    """Explain a rule: why it matters, how to fix it, its parameters."""
    from relcheck.ruleset.docs import explain_text
    from relcheck.ruleset.selectors import UnknownRuleError, resolve

    ruleset = _load_config(None, Path.cwd()).ruleset
    pack = ruleset.rules
    try:
        codes = resolve(name, pack)
    except UnknownRuleError as exc:
        raise fail(str(exc)) from None
    if len(codes) != 1:
        raise fail(f"'{name}' names {len(codes)} rules; name one code or slug (try `relcheck rules`)")
    by_code = {r.code: r for r in pack}
    sys.stdout.write(explain_text(by_code[codes[0]], frozenset(ruleset.checks) | _engine_codes()))


def _engine_codes() -> frozenset[str]:
    from relcheck.ruleset.registry import ENGINE_CODES

    return ENGINE_CODES


@app.command()
def clean(
    paths: Annotated[list[str] | None, typer.Argument(help="The scan roots whose cache goes (default: .).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Config file.")] = None,
    cache_dir: CacheDir = None,
) -> None:
    """Remove the scan cache (`.relcheck_cache/` at the scan root, or --cache-dir / RELCHECK_CACHE_DIR)."""
    from relcheck.scan.cache import cache_folder, remove_cache

    root, _ = _settings_for(config, _resolve_paths(paths))
    folder = cache_folder(root, cache_dir)
    if not folder.exists() and not folder.is_symlink():
        sys.stdout.write(f"no cache at {folder}\n")
        return
    problem = remove_cache(folder)
    if problem is not None:
        raise fail(problem)
    sys.stdout.write(f"removed {folder}\n")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write .relcheck.yaml.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing .relcheck.yaml.")] = False,
) -> None:
    """Write a commented .relcheck.yaml with every setting and rule parameter."""
    from relcheck.config.template import template
    from relcheck.reporters.atomic import write_atomic
    from relcheck.ruleset.pack import load_pack

    if not directory.is_dir():
        raise fail(f"'{directory}' is not a directory")
    target = directory / ".relcheck.yaml"
    if target.exists() and not force:
        raise fail(f"{target} already exists (use --force to overwrite)")
    write_atomic(target, template(list(load_pack())))
    sys.stdout.write(f"wrote {target}\n")
