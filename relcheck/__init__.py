"""relcheck: a production-readiness linter for services on Kubernetes."""

__version__ = "0.1.0"
