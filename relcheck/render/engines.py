"""The engines that render: Helm's Go SDK (the `helm` extra) in a child process, the `helm`
executable, and kustomize (`kustomize build` or `kubectl kustomize`). Each run is bounded in time
and output, with an environment that names no plugins, repositories or cluster."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

DEFAULT_TIMEOUT = 20.0  # seconds per render
DEFAULT_MAX_OUTPUT = 32 * 1024 * 1024  # bytes of rendered YAML per render


@dataclass(frozen=True)
class RenderRequest:
    """One `helm template`: the chart folder, its values files in order, the release and namespace,
    values written inline (a HelmRelease's or an Application's), and whether to skip the chart's
    values.schema.json (one that names a remote schema Helm would download)."""

    chart_dir: str
    values_files: list[str]
    release: str
    namespace: str
    inline: dict | None = None
    skip_schema: bool = False


@dataclass
class RenderOutput:
    """Rendered manifests by template path (`<chart name>/templates/x.yaml`), or why there are none."""

    manifests: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    kind: str = ""  # of the error: "timeout", "dependencies", "values", "engine", or the engine's own
    file_index: int = 0  # which values file a "values" error is about


class HelmEngine(Protocol):
    name: str

    def render(self, request: RenderRequest) -> RenderOutput: ...

    def close(self) -> None: ...


def _quiet_env(home: str) -> dict[str, str]:
    """The caller's environment without Helm's and kubectl's settings: no plugins, no repositories,
    no registry credentials, no cluster, no network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBE"))}
    for name in ("HELM_PLUGINS", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[name] = home
    env["KUBECONFIG"] = os.path.join(home, "no-kubeconfig")
    # No network, should a remote base or chart get past the checks before a render: HTTP(S)
    # through a proxy that refuses at once, git over local paths only.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[name] = _NO_PROXY_SERVER
    for name in ("NO_PROXY", "no_proxy"):
        env.pop(name, None)
    env["GIT_ALLOW_PROTOCOL"] = "file"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _timed_out(timeout: float) -> RenderOutput:
    return RenderOutput(error=f"rendering took longer than {timeout:g} s and was stopped", kind="timeout")


_NO_PROXY_SERVER = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused


class SdkEngine:
    """Helm v4's engine through helm-python-sdk, in one long-lived child process; a render that
    runs past the time limit kills it, and the next render starts another."""

    name = "Helm SDK"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, max_output: int = DEFAULT_MAX_OUTPUT) -> None:
        self.timeout = timeout
        self.max_output = max_output
        self._process: subprocess.Popen | None = None
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._home = tempfile.mkdtemp(prefix="relcheck-helm-")

    def _start(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._lines = queue.Queue()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "relcheck.render.helm_child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_quiet_env(self._home),
                cwd=self._home,
            )
            threading.Thread(target=_pump, args=(self._process.stdout, self._lines), daemon=True).start()
        return self._process

    def render(self, request: RenderRequest) -> RenderOutput:
        message = {
            "chart": request.chart_dir,
            "values_files": request.values_files,
            "inline": request.inline or {},
            "release": request.release,
            "namespace": request.namespace,
            "max_bytes": self.max_output,
            "skip_schema": request.skip_schema,
        }
        process = self._start()
        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps(message).encode() + b"\n")
            process.stdin.flush()
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self._stop()
            return _timed_out(self.timeout)
        except OSError as exc:
            self._stop()
            return RenderOutput(error=f"the Helm SDK process stopped ({exc})", kind="engine")
        if not line:
            self._stop()
            return RenderOutput(error="the Helm SDK process stopped", kind="engine")
        reply = json.loads(line)
        if "error" in reply:
            return RenderOutput(
                error=str(reply["error"]), kind=str(reply.get("kind", "")), file_index=int(reply.get("file_index", 0))
            )
        return RenderOutput(manifests={str(k): str(v) for k, v in reply["manifests"].items()})

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._stop()
            self._process = None
        shutil.rmtree(self._home, ignore_errors=True)


def _pump(stream: IO[bytes], lines: queue.Queue[bytes]) -> None:
    for line in iter(stream.readline, b""):
        lines.put(line)
    lines.put(b"")  # the process ended


_SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)


class ExecutableEngine:
    """`helm template` of the `helm` executable on PATH."""

    name = "helm template"

    def __init__(self, executable: str, timeout: float = DEFAULT_TIMEOUT, max_output: int = DEFAULT_MAX_OUTPUT) -> None:
        self.executable = executable
        self.timeout = timeout
        self.max_output = max_output
        self._home = tempfile.mkdtemp(prefix="relcheck-helm-")

    def render(self, request: RenderRequest) -> RenderOutput:
        command = [self.executable, "template", request.release, request.chart_dir, "--namespace", request.namespace]
        if request.skip_schema:
            command.append("--skip-schema-validation")  # Helm 3.16 and later
        for path in request.values_files:
            command += ["--values", path]
        if request.inline:  # values written in a HelmRelease or Application: JSON is YAML
            inline_file = os.path.join(self._home, "inline-values.yaml")
            with open(inline_file, "w", encoding="utf-8") as handle:
                json.dump(request.inline, handle)
            command += ["--values", inline_file]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=self.timeout, env=_quiet_env(self._home), cwd=self._home
            )
        except subprocess.TimeoutExpired:
            return _timed_out(self.timeout)
        except OSError as exc:
            return RenderOutput(error=f"cannot run {self.executable} ({exc})", kind="engine")
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().removeprefix("Error: ")
            kind = "dependencies" if "missing in charts/ directory" in message else "render"
            if "meet the specifications of the schema" in message:
                kind = "schema"
            return RenderOutput(error=message.splitlines()[0] if message else "helm template failed", kind=kind)
        if len(done.stdout) > self.max_output:
            return RenderOutput(
                error=f"rendered output of {len(done.stdout)} bytes is over the limit of {self.max_output}", kind="size"
            )
        return RenderOutput(manifests=split_sources(done.stdout.decode("utf-8", "replace")))

    def close(self) -> None:
        shutil.rmtree(self._home, ignore_errors=True)


def split_sources(stream: str) -> dict[str, str]:
    """`helm template` output, by the template each document came from (its `# Source:` line)."""
    manifests: dict[str, list[str]] = {}
    for document in re.split(r"^---[ \t]*$", stream, flags=re.MULTILINE):
        match = _SOURCE.search(document)
        if match is None:
            continue
        body = document[match.end() :].lstrip("\n")
        manifests.setdefault(match.group(1).strip(), []).append(body)
    return {path: "---\n".join(bodies) for path, bodies in manifests.items()}


def helm_engine(timeout: float = DEFAULT_TIMEOUT, max_output: int = DEFAULT_MAX_OUTPUT) -> HelmEngine | None:
    """The SDK when the `helm` extra is installed, else `helm` on PATH, else None."""
    if importlib.util.find_spec("helm_python") is not None:
        return SdkEngine(timeout, max_output)
    executable = shutil.which("helm")
    if executable is not None:
        return ExecutableEngine(executable, timeout, max_output)
    return None


def engines_fingerprint() -> str:
    """Which engines would render, and their files' state (path, size, times): a stored result of a
    render is for the same engines only. Nothing is run to tell."""
    from relcheck.scan.cache import file_state

    def _file_state(path: Path) -> str:
        return file_state(path.resolve())  # the file a link on PATH leads to: an upgrade changes it

    parts = []
    spec = importlib.util.find_spec("helm_python")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent
        parts.append("sdk:" + ",".join(f"{p.name}:{_file_state(p)}" for p in sorted(folder.glob("*")) if p.is_file()))
    for name in ("helm", "kustomize", "kubectl"):
        executable = shutil.which(name)
        parts.append(f"{name}:{executable}:{_file_state(Path(executable)) if executable else '-'}")
    return "\n".join(parts)


def kustomize_command() -> list[str] | None:
    """`kustomize build`, else `kubectl kustomize`, else None."""
    executable = shutil.which("kustomize")
    if executable is not None:
        return [executable, "build"]
    executable = shutil.which("kubectl")
    if executable is not None:
        return [executable, "kustomize"]
    return None


@dataclass
class CommandOutput:
    text: str = ""
    error: str | None = None


def run_kustomize(command: list[str], folder: str, timeout: float, max_output: int) -> CommandOutput:
    """Build the kustomization in `folder` (a wrapper the caller wrote) with no plugins, no exec
    functions and no Helm inflation: those flags are never passed."""
    home = tempfile.mkdtemp(prefix="relcheck-kustomize-")
    try:
        done = subprocess.run(
            [*command, folder], capture_output=True, timeout=timeout, env=_quiet_env(home), cwd=folder
        )
    except subprocess.TimeoutExpired:
        return CommandOutput(error=f"kustomize took longer than {timeout:g} s and was stopped")
    except OSError as exc:
        return CommandOutput(error=f"cannot run {command[0]} ({exc})")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        match = re.search(r'err="(.*)"\s*$', message, re.DOTALL)
        message = (match.group(1) if match else message).removeprefix("Error: ")
        return CommandOutput(error=" ".join(message.split()) or "kustomize build failed")
    if len(done.stdout) > max_output:
        return CommandOutput(error=f"rendered output of {len(done.stdout)} bytes is over the limit of {max_output}")
    return CommandOutput(text=done.stdout.decode("utf-8", "replace"))
