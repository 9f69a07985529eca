"""The standard's production-readiness checklist: scored per service, then rendered."""
