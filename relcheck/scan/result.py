"""What a scan hands the reporters: files, findings, rules, services and what was not checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relcheck.model import Finding, RuleMeta, Severity

if TYPE_CHECKING:
    from relcheck.scan.discovery import SourceFile
    from relcheck.scan.services import Service


@dataclass
class ScanResult:
    root: Path
    files: list[SourceFile]
    findings: list[Finding]
    rules: dict[str, RuleMeta]
    services: list[Service] = field(default_factory=list)
    selected: frozenset[str] = frozenset()  # the rules that ran
    # The scan root's folder inside its git repository ("" at the top, or outside any repository);
    # code scanning and CI annotations want paths relative to the repository.
    repo_prefix: str = ""
    # Objects that run pods of kinds no rule models (OpenShift DeploymentConfig, Argo Rollout...), by kind.
    unmodeled_workloads: dict[str, int] = field(default_factory=dict)
    objects: int = 0  # Kubernetes objects read (patches not counted)
    kustomize_patches: int = 0  # files read as patches, not objects
    helm_tests: int = 0  # objects written as Helm tests, left out (they run only under `helm test`)
    # Folders (and older release manifests) the default excludes left out.
    excluded_by_default: list[str] = field(default_factory=list)
    unowned_objects: list[str] = field(default_factory=list)  # workloads no service owns (kind/namespace/name)
    severities: dict[str, Severity] = field(default_factory=dict)  # each rule's severity after the config
    renders: dict[str, float] = field(default_factory=dict)  # each Helm render or kustomize build: seconds
    plan: Any = None  # a focused scan's FocusPlan (engine.scan's `focus`): the units it checked
    snapshot_taken: int | None = None  # when the snapshot of the units this scan left or used was taken
    checklist_cards: Any = field(default=None, repr=False)  # the checklist, once made (checklist.score.build_once)

    @property
    def focused(self) -> bool:
        """Only the units of the hook's files (or of the files changed) were checked."""
        return self.plan is not None

    def repo_path(self, path: str) -> str:
        return f"{self.repo_prefix}/{path}" if self.repo_prefix and path != "<stdin>" else path

    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]
