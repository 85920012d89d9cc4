"""Closes the pytest run with the line tests/run.sh sums: "runner: N passed, N failed"."""


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    terminalreporter.write_line(f"runner: {passed} passed, {failed} failed")
