#!/usr/bin/env python3
"""Checks ci/github/memlayout.yml: it parses, and its jobs do what the
regression and nightly jobs must (the commands exist in this repository, the
artifacts are the files ci/regress.sh writes). Prints one line per failed
check and the summary line "workflow: N passed, N failed"; exits 1 on a
failure. Needs PyYAML (python3-yaml)."""
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "ci/github/memlayout.yml")
passed = failed = 0


def check(name, ok):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}")


with open(path) as f:
    wf = yaml.safe_load(f)
check("workflow_should_be_a_mapping", isinstance(wf, dict))
on = wf.get("on", wf.get(True))   # YAML 1.1 reads a bare `on` key as true
check("workflow_should_run_on_push_and_pull_requests", isinstance(on, dict) and "push" in on
      and "pull_request" in on)
crons = [s.get("cron", "") for s in (on or {}).get("schedule") or []]
check("workflow_should_have_a_nightly_schedule", len(crons) == 1 and len(crons[0].split()) == 5)
jobs = wf.get("jobs") or {}
check("workflow_should_have_regress_and_nightly_jobs", {"regress", "nightly"} <= set(jobs))


def runs(job):
    return "\n".join(s.get("run", "") for s in job.get("steps", []))


def uses(job, action):
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action)]


def artifact_paths(job):
    out = []
    for s in uses(job, "actions/upload-artifact@"):
        out += [p.strip() for p in str(s.get("with", {}).get("path", "")).splitlines() if p.strip()]
    return out


for name in ("regress", "nightly"):
    job = jobs.get(name) or {}
    text = runs(job)
    check(f"{name}_should_run_in_debian_12", job.get("container") == "debian:12")
    check(f"{name}_should_check_out_the_repository", bool(uses(job, "actions/checkout@")))
    check(f"{name}_should_install_the_debian_packages", "sh ci/install-deps.sh" in text)
    check(f"{name}_should_build", re.search(r"^make\b", text, re.M) is not None)
    check(f"{name}_should_be_time_boxed", isinstance(job.get("timeout-minutes"), int))
    check(f"{name}_should_upload_artifacts_always",
          all(s.get("if") == "always()" for s in uses(job, "actions/upload-artifact@"))
          and bool(uses(job, "actions/upload-artifact@")))
    for script in re.findall(r"\b(?:sh|bash)\s+(\S+\.sh)", text):
        check(f"{name}_script_{script}_should_exist", os.path.isfile(os.path.join(ROOT, script)))

reg = jobs.get("regress") or {}
check("regress_should_run_the_regression_job", "sh ci/regress.sh" in runs(reg))
check("regress_should_run_the_tests", "tests/run.sh" in runs(reg) or "make test" in runs(reg))
paths = artifact_paths(reg)
for want in ("out/ci/junit.xml", "out/ci/memlayout.sarif", "out/ci/report.html"):
    check(f"regress_should_upload_{os.path.basename(want)}", want in paths)
with open(os.path.join(ROOT, "ci/regress.sh")) as f:
    regress_sh = f.read()
for produced in ("junit.xml", "memlayout.sarif", "report.html"):
    check(f"regress_sh_should_write_{produced}", f'$OUT/{produced}' in regress_sh)
sarif = uses(reg, "github/codeql-action/upload-sarif@")
check("regress_should_publish_sarif", len(sarif) == 1 and
      sarif[0].get("with", {}).get("sarif_file") == "out/ci/memlayout.sarif")
check("regress_should_be_allowed_to_write_security_events",
      (reg.get("permissions") or {}).get("security-events") == "write")

night = jobs.get("nightly") or {}
nt = runs(night)
check("nightly_should_only_run_on_schedule_or_by_hand", "schedule" in str(night.get("if", ""))
      and "workflow_dispatch" in str(night.get("if", "")))
check("nightly_should_run_a_time_boxed_campaign", re.search(r"memlayout run .*--time", nt) is not None)
check("nightly_should_not_fail_on_known_bugs", "|| [ $? -eq 1 ]" in nt)
check("nightly_should_triage_and_write_reproducers", "memlayout triage" in nt and "memlayout repro" in nt)
check("nightly_should_upload_triage", "out/nightly/triage/" in artifact_paths(night))

print(f"workflow: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
