"""What a check is handed: the project, its rule, the effective severity and params, and the one
way to make a finding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from relcheck.model import Finding, Location, Related, RuleMeta, Severity

if TYPE_CHECKING:
    from relcheck.scan.project import Project


class Subject(Protocol):
    """What a finding is about: a Kubernetes object or workload, a container, a PM2 app, an alerting
    rule. Each names itself for fingerprints, spans the lines a suppression comment may cover, and
    says which rules its annotations (`relcheck.dev/ignore`) ignore and where those annotations are."""

    @property
    def identity(self) -> str: ...

    @property
    def display(self) -> str: ...

    @property
    def scope(self) -> tuple[int, int] | None: ...

    @property
    def ignore_source(self) -> str: ...

    def ignore_names(self) -> tuple[str, ...]: ...

    def key_loc(self, *keys: Any) -> Location: ...

    def loc(self, *keys: Any) -> Location: ...


class CheckContext:
    """What a check gets: the project, its rule, effective params and a finding factory."""

    def __init__(self, project: Project, rule: RuleMeta, severity: Severity, params: dict[str, Any]) -> None:
        self.project = project
        self.rule = rule
        self.severity = severity
        self.params = params

    def report(
        self,
        subject: Subject,
        message: str,
        *,
        what: str = "",
        at: Location | None = None,
        value: str = "",
        severity: Severity | None = None,
        related: Iterable[Related] = (),
    ) -> Finding:
        """A finding about `subject`: at `at` (by default the subject itself), fingerprinted as the
        subject's identity plus `what` and the offending `value`; suppression comments anywhere in the
        subject and its ignore annotations apply, so a check cannot forget them."""
        location = at if at is not None else subject.key_loc()
        finding = self.finding(
            location,
            message,
            identity=f"{subject.identity}/{what}" if what else subject.identity,
            value=value,
            severity=severity,
            related=(*related, *_built_by(subject, location)),
            scope=subject.scope,
            ignores=subject.ignore_names(),
            ignore_source=subject.ignore_source,
        )
        finding.subject = subject
        obj = object_of(subject)
        test_install = bool(getattr(obj, "test_install", False))
        finding.variant = test_install or bool(getattr(obj, "kind_replaced", False))
        if test_install and getattr(subject, "workload", None) is not None:
            # A container the chart's own render deploys without this finding: the template sets
            # what is missing, and the test's values took it away. (A workload's own findings, such
            # as three replicas and no PDB, can show a gap of the chart's and stay.)
            finding.test_values_only = self.project.in_charts_own_render(obj, subject.identity)
        written = getattr(getattr(getattr(obj, "origin", None), "original", None), "name", None)
        name = getattr(obj, "name", None)
        if isinstance(written, str) and isinstance(name, str) and written and name and written != name:
            finding.renamed = (name, written)
        return finding

    def finding(
        self,
        location: Location,
        message: str,
        *,
        identity: str = "",
        value: str = "",
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        scope: tuple[int, int] | None = None,
        ignores: tuple[str, ...] = (),
        ignore_source: str = "",
    ) -> Finding:
        return Finding(
            code=self.rule.code,
            slug=self.rule.slug,
            severity=severity if severity is not None else self.severity,
            message=message,
            location=location,
            checklist=self.rule.checklist,
            fix=self.rule.fix,
            identity=identity,
            value=value,
            related=tuple(related),
            scope=scope,
            annotation_ignores=ignores,
            annotation_source=ignore_source,
        )


def _built_by(subject: Any, location: Location) -> tuple[Related, ...]:
    """For a finding on an object a kustomize overlay built from a base, the overlay's
    kustomization: the base's lines alone do not say which build has the problem (argo-cd's HA
    overlay runs two replicas of a Deployment its base runs one of)."""
    obj = object_of(subject)
    overlay = getattr(obj, "built_by", "")
    folder = overlay.rpartition("/")[0]
    if not overlay or location.path == overlay or (folder and location.path.startswith(f"{folder}/")):
        return ()  # at a patch of the overlay itself: its folder says which build
    return (Related(Location(overlay, 1, 1), f"as {obj.rendered_by} builds it"),)


def object_of(subject: Any) -> Any:
    """The Kubernetes object a workload or container subject belongs to (else the subject)."""
    return getattr(subject, "obj", None) or getattr(getattr(subject, "workload", None), "obj", None) or subject
