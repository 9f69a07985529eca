"""ACME's rules for relcheck: a rule pack registered under the entry point group `relcheck.rules`."""

from relcheck.api import CheckContext, Finding, Rule


def revision_history_limit(ctx: CheckContext):
    """Deployments keep a bounded number of old ReplicaSets, so rollbacks stay fast and etcd small."""
    limit = ctx.params["max_revisions"]
    for workload in ctx.project.kube.workloads:
        if workload.kind != "Deployment":
            continue
        obj = workload.obj
        kept = obj.get("spec", "revisionHistoryLimit")
        if kept is None or kept > limit:
            shown = "the default of 10" if kept is None else str(kept)
            yield ctx.report(
                workload,
                f"{obj.display} keeps {shown} old ReplicaSets; ACME keeps at most {limit}",
                what="revisionHistoryLimit",
                at=obj.key_loc("spec", "revisionHistoryLimit"),
                value=str(kept),
            )


def rules() -> list[Rule]:
    return [
        Rule(
            code="ACME001",
            slug="revision-history-limit",
            title="Deployments keep few old ReplicaSets",
            severity="warning",
            checklist="zero-downtime-deploys",
            rationale="Old ReplicaSets are kept for rollbacks; hundreds of them slow `kubectl rollout` and fill etcd.",
            fix="Set `spec.revisionHistoryLimit` (ACME uses 5).",
            params={"max_revisions": 5},
            scope="object",  # one Deployment: checked per service and kept in the cache
            check=revision_history_limit,
        )
    ]


__all__ = ["Finding", "rules"]
