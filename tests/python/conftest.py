"""Closes the pytest run with the line tests/run.sh sums: "runner: N passed, N failed"
(MEMLAYOUT_SUITE names it otherwise: tests/numpy2.sh runs the suite again
under NumPy 2)."""
import os


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    name = os.environ.get("MEMLAYOUT_SUITE") or "runner"
    terminalreporter.write_line(f"{name}: {passed} passed, {failed} failed")
