#!/usr/bin/env python3
"""Checks ci/github/memlayout.yml: it parses, and its jobs do what the
regression and nightly jobs must (the commands exist in this repository, the
artifacts are the files ci/regress.sh writes). Prints one line per failed
check and the summary line "workflow: N passed, N failed"; exits 1 on a
failure. Needs PyYAML (python3-yaml).

With --cflite [DIR] it checks the ClusterFuzzLite workflows in DIR
(ci/cflite) instead, against the inputs ClusterFuzzLite documents for its
v1 actions, and prints "cflite: N passed, N failed"."""
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
passed = failed = 0


def check(name, ok):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}")


# ---- ClusterFuzzLite (--cflite) ------------------------------------------------
# The inputs of google/clusterfuzzlite/actions/{build,run}_fuzzers@v1 as its
# action.yml files and docs (GitHub Actions page) list them; output-sarif as
# the docs' workflows use it, writing cifuzz-sarif/results.sarif for
# github/codeql-action/upload-sarif. Modest on purpose: an input not listed
# here fails the check until someone confirms it in ClusterFuzzLite's docs.
CFL_BUILD = "google/clusterfuzzlite/actions/build_fuzzers@v1"
CFL_RUN = "google/clusterfuzzlite/actions/run_fuzzers@v1"
CFL_BUILD_INPUTS = {"language", "dry-run", "allowed-broken-targets-percentage", "sanitizer",
                    "project-src-path", "bad-build-check", "storage-repo", "storage-repo-branch",
                    "storage-repo-branch-coverage", "upload-build", "github-token", "output-sarif"}
CFL_RUN_INPUTS = {"language", "fuzz-seconds", "dry-run", "sanitizer", "mode", "github-token",
                  "storage-repo", "storage-repo-branch", "storage-repo-branch-coverage",
                  "report-unreproducible-crashes", "output-sarif"}
CFL_RUN_REQUIRED = {"github-token", "fuzz-seconds"}
CFL_MODES = {"code-change", "batch", "coverage", "prune"}
CFL_SANITIZERS = {"address", "undefined", "memory", "coverage"}
CFL_SARIF = "cifuzz-sarif/results.sarif"
# workflow file -> (trigger it must have, the run modes its jobs must use)
CFL_FILES = {
    "cflite_pr.yml": ("pull_request", {"code-change"}),
    "cflite_batch.yml": ("schedule", {"batch"}),
    "cflite_cron.yml": ("schedule", {"prune", "coverage"}),
    "cflite_build.yml": ("push", set()),
}


def cflite(folder):
    """Checks the ClusterFuzzLite workflows of folder; returns the exit status."""
    with open(os.path.join(ROOT, ".clusterfuzzlite/project.yaml")) as f:
        language = (yaml.safe_load(f) or {}).get("language")
    storage = set()
    for fname, (trigger, want_modes) in CFL_FILES.items():
        n = fname[:-4]
        p = os.path.join(folder, fname)
        check(f"{n}_should_exist", os.path.isfile(p))
        if not os.path.isfile(p):
            continue
        with open(p) as f:
            wf = yaml.safe_load(f)
        check(f"{n}_should_be_a_mapping", isinstance(wf, dict))
        if not isinstance(wf, dict):
            continue
        on = wf.get("on", wf.get(True)) or {}
        check(f"{n}_should_run_on_{trigger}", isinstance(on, dict) and trigger in on)
        crons = [s.get("cron", "") for s in (on.get("schedule") or [])] if isinstance(on, dict) else []
        check(f"{n}_crons_should_have_five_fields", all(len(c.split()) == 5 for c in crons))
        check(f"{n}_should_read_by_default", wf.get("permissions") in ("read-all", {"contents": "read"}))
        modes = set()
        for jname, job in (wf.get("jobs") or {}).items():
            j = f"{n}_{jname}"
            steps = job.get("steps") or []
            check(f"{j}_should_be_time_boxed", isinstance(job.get("timeout-minutes"), int))
            kinds = [str(s.get("uses", "")) for s in steps]
            builds = [s for s in steps if str(s.get("uses", "")) == CFL_BUILD]
            runs_ = [s for s in steps if str(s.get("uses", "")) == CFL_RUN]
            check(f"{j}_should_use_the_v1_actions",
                  all(k in (CFL_BUILD, CFL_RUN) or not k.startswith("google/clusterfuzzlite/") for k in kinds))
            check(f"{j}_should_build_once", len(builds) == 1)
            bw = (builds[0].get("with") or {}) if builds else {}
            check(f"{j}_build_inputs_should_be_documented", set(bw) <= CFL_BUILD_INPUTS)
            check(f"{j}_build_language_should_be_the_project_yaml_one", bw.get("language") == language)
            bsan = str(bw.get("sanitizer", "address"))
            check(f"{j}_build_sanitizer_should_be_known",
                  bsan in CFL_SANITIZERS or bsan == "${{ matrix.sanitizer }}")
            if "matrix.sanitizer" in bsan:
                sans = set(((job.get("strategy") or {}).get("matrix") or {}).get("sanitizer") or [])
                check(f"{j}_matrix_sanitizers_should_be_known", bool(sans) and sans <= CFL_SANITIZERS)
            if fname == "cflite_build.yml":
                check(f"{j}_should_upload_the_build", bw.get("upload-build") is True)
            for k in ("storage-repo",):
                if k in bw:
                    storage.add(bw[k])
            if not runs_:
                continue
            check(f"{j}_should_run_once_after_building", len(runs_) == 1 and builds and
                  steps.index(runs_[0]) > steps.index(builds[0]))
            rw = runs_[0].get("with") or {}
            check(f"{j}_run_inputs_should_be_documented", set(rw) <= CFL_RUN_INPUTS)
            check(f"{j}_run_should_have_the_required_inputs", CFL_RUN_REQUIRED <= set(rw))
            check(f"{j}_run_should_use_the_workflow_token", rw.get("github-token") == "${{ secrets.GITHUB_TOKEN }}")
            mode = rw.get("mode", "code-change")
            modes.add(mode)
            check(f"{j}_run_mode_should_be_known", mode in CFL_MODES)
            check(f"{j}_run_sanitizer_should_be_the_build_one", str(rw.get("sanitizer", "address")) == bsan)
            if mode == "coverage":
                check(f"{j}_coverage_should_build_and_run_with_the_coverage_sanitizer", bsan == "coverage")
            secs = rw.get("fuzz-seconds")
            check(f"{j}_fuzz_seconds_should_fit_the_time_box", isinstance(secs, int) and 0 < secs and
                  secs < 60 * int(job.get("timeout-minutes") or 0))
            repo = rw.get("storage-repo")
            check(f"{j}_should_keep_the_corpus_in_the_storage_repo", isinstance(repo, str) and bool(repo))
            check(f"{j}_storage_token_should_be_a_secret", isinstance(repo, str) and
                  re.fullmatch(r"https://\$\{\{ secrets\.[A-Z_]+ \}\}@github\.com/[\w.-]+/[\w.-]+\.git", repo)
                  is not None)
            if repo:
                storage.add(repo)
            if "storage-repo" in bw:
                check(f"{j}_build_and_run_should_share_the_storage_repo", bw["storage-repo"] == repo)
            if rw.get("output-sarif") is True:
                up = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
                uw = (up[0].get("with") or {}) if up else {}
                check(f"{j}_should_upload_its_sarif", len(up) == 1 and uw.get("sarif_file") == CFL_SARIF and
                      steps.index(up[0]) > steps.index(runs_[0]))
                check(f"{j}_should_upload_sarif_after_a_build_whatever_the_run",
                      bool(up) and "always()" in str(up[0].get("if", "")))
                perms = job.get("permissions") or {}
                check(f"{j}_should_be_allowed_to_write_security_events",
                      isinstance(perms, dict) and perms.get("security-events") == "write")
                check(f"{j}_should_still_read_contents_and_actions",
                      isinstance(perms, dict) and perms.get("contents") == "read" and perms.get("actions") == "read")
        check(f"{n}_should_run_in_modes_{'_'.join(sorted(want_modes)) or 'none'}", modes == want_modes)
    check("every_workflow_should_use_one_storage_repo", len(storage) == 1)
    print(f"cflite: {passed} passed, {failed} failed")
    return 1 if failed else 0


if len(sys.argv) > 1 and sys.argv[1] == "--cflite":
    sys.exit(cflite(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "ci/cflite")))

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "ci/github/memlayout.yml")

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
check("regress_should_run_the_regression_job", "make regress" in runs(reg) or "sh ci/regress.sh" in runs(reg))
legs = ((reg.get("strategy") or {}).get("matrix") or {}).get("releases") or []
check("regress_should_have_a_leg_for_debian_and_one_for_the_current_releases",
      "debian" in legs and "current" in legs and "regress-current" in runs(reg))
with open(os.path.join(ROOT, "Makefile")) as f:
    makefile = f.read()
for target in ("regress", "regress-current"):
    body = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0] if f"\n{target}:" in makefile else ""
    check(f"make_{target.replace('-', '_')}_should_run_ci_regress_sh", "sh ci/regress.sh" in body)
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
