"""Samples a memlayout campaign while it runs: RSS and open files of the
supervisor and of its Python child, against cases done (results.jsonl lines).

usage: bench_monitor.py PID RESULTS.jsonl TOTAL_CASES
Prints one JSON object: peak RSS of each process, and RSS / open files over
the first and the last 10% of the cases (flat means no growth)."""
import json
import os
import sys
import time


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def nfds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def main():
    pid, results, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    samples = []
    while os.path.exists(f"/proc/{pid}") and rss_kb(pid) is not None:
        kids = children(pid)
        child = kids[0] if kids else None
        samples.append({
            "done": lines(results),
            "sup_rss": rss_kb(pid), "sup_fds": nfds(pid),
            "child_rss": rss_kb(child) if child else None,
            "child_fds": nfds(child) if child else None,
        })
        time.sleep(0.5)
    def window(lo, hi):
        w = [s for s in samples if lo <= s["done"] < hi and s["child_rss"]]
        if not w:
            return None
        return {k: max(s[k] for s in w) for k in ("sup_rss", "child_rss", "sup_fds", "child_fds")}
    tenth = total // 10
    out = {
        "samples": len(samples),
        "peak_sup_rss_kb": max((s["sup_rss"] or 0) for s in samples) if samples else None,
        "peak_child_rss_kb": max((s["child_rss"] or 0) for s in samples) if samples else None,
        "first": window(1, tenth),
        "last": window(total - tenth, total + 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
