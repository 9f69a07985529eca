"""Kept for scripts and plugins that import `relcheck.engine`: the engine lives in relcheck.scan.engine."""

from relcheck.scan.context import CheckContext
from relcheck.scan.engine import scan
from relcheck.scan.result import ScanResult

__all__ = ["CheckContext", "ScanResult", "scan"]
