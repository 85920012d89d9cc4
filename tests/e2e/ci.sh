# The regression job: the committed baseline holds (exit 0), a removed entry
# is a new failure (exit 1), a fixed bug is an XPASS (exit 1 unless
# --allow-fixed); JUnit is well formed with one testcase per case; SARIF has
# its schema's required fields; matrix shows where two environments differ;
# the GitHub workflow checks out.
. tests/e2e/lib.sh
corpus=corpus/regress
ncases=$(ls "$corpus"/cases/*.json | wc -l)

ml ci "$corpus" --junit "$work/junit.xml" --sarif "$work/ci.sarif" -o "$work/ci" -q
check ci_should_exit_0_on_the_committed_baseline test "$(last_rc)" = 0
check ci_should_say_ok out_has "^ci: OK"
[ "$(last_rc)" = 0 ] || show_last
env=$(sed -n 's/^ci: \([^ ]*\) (.*/\1/p' "$work/last.out" | head -1)
check ci_should_name_the_environment test -n "$env"

"$PY" - "$work/junit.xml" "$ncases" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()            # raises on malformed XML
suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
cases = [c for s in suites for c in s.findall("testcase")]
ok = (len(suites) == 1 and len(cases) == int(sys.argv[2])
      and len({c.get("name") for c in cases}) == len(cases)
      and all(c.find("failure") is None and c.find("error") is None for c in cases)
      and sum(c.find("skipped") is not None for c in cases) == int(suites[0].get("skipped"))
      and all(c.find("skipped").get("message", "").startswith("known failure")
              for c in cases if c.find("skipped") is not None))
sys.exit(0 if ok else 1)
EOF
check junit_should_be_well_formed_with_one_testcase_per_case test $? = 0

# SARIF 2.1.0: the required properties of sarifLog, run, tool, toolComponent,
# result, message, location (no network: checked here, not by the schema file).
cat >"$work/sarif_check.py" <<'EOF'
import json, os, sys
log = json.load(open(sys.argv[1]))
need_results = int(sys.argv[2])
err = []
def req(obj, key, kind, where):
    if not isinstance(obj, dict) or key not in obj or not isinstance(obj[key], kind):
        err.append(f"{where}.{key} missing or not {kind.__name__}")
        return None
    return obj[key]
if req(log, "version", str, "sarifLog") != "2.1.0":
    err.append("version is not 2.1.0")
runs = req(log, "runs", list, "sarifLog") or []
if not runs:
    err.append("no run")
n = 0
for i, run in enumerate(runs):
    tool = req(run, "tool", dict, f"runs[{i}]")
    driver = req(tool, "driver", dict, f"runs[{i}].tool") if tool else None
    if driver is not None:
        req(driver, "name", str, f"runs[{i}].tool.driver")
        ids = [r.get("id") for r in driver.get("rules", [])]
        if not all(isinstance(x, str) for x in ids):
            err.append("a rule has no id")
    for j, res in enumerate(run.get("results", [])):
        n += 1
        w = f"runs[{i}].results[{j}]"
        msg = req(res, "message", dict, w)
        if msg is not None and not isinstance(msg.get("text"), str) and not isinstance(msg.get("id"), str):
            err.append(f"{w}.message has neither text nor id")
        rid = req(res, "ruleId", str, w)
        if driver is not None and rid not in ids:
            err.append(f"{w}.ruleId {rid} is not a rule of the driver")
        if res.get("level", "warning") not in ("none", "note", "warning", "error"):
            err.append(f"{w}.level is not a SARIF level")
        for k, loc in enumerate(req(res, "locations", list, w) or []):
            uri = loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
            if not isinstance(uri, str) or not os.path.isfile(uri):
                err.append(f"{w}.locations[{k}] does not name a case file: {uri}")
if need_results >= 0 and n != need_results:
    err.append(f"{n} results, expected {need_results}")
print("\n".join(err))
sys.exit(1 if err else 0)
EOF
nxfail=$(grep -c '^  xfail' "$work/last.out")
"$PY" "$work/sarif_check.py" "$work/ci.sarif" "$nxfail"
check sarif_should_have_the_required_fields_and_one_result_per_known_failure test $? = 0
check ci_out_should_write_one_result_line_per_case test "$(wc -l <"$work/ci/results.jsonl")" = "$ncases"
check ci_out_should_write_findings test -n "$(ls "$work/ci/findings"/*.obs 2>/dev/null)"

# The committed baseline is what --update-baseline writes today.
cp "$corpus/baseline.json" "$work/b.json"
ml ci "$corpus" --baseline "$work/b.json" --update-baseline -q
check update_baseline_should_exit_0 test "$(last_rc)" = 0
check committed_baseline_should_be_up_to_date cmp -s "$work/b.json" "$corpus/baseline.json"

# A removed entry: that known failure is new now.
"$PY" - "$corpus/baseline.json" "$work/removed.json" "$env" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
del b["environments"][sys.argv[3]]["public-example-reshape-5x3-reduce.json"]
json.dump(b, open(sys.argv[2], "w"), indent=2)
EOF
ml ci "$corpus" --baseline "$work/removed.json" --junit "$work/junit-new.xml" --sarif "$work/new.sarif" -q
check ci_should_exit_1_on_a_new_failure test "$(last_rc)" = 1
check ci_should_name_the_new_failure out_has "NEW .*public-example-reshape-5x3-reduce.json"
"$PY" -c "
import sys, xml.etree.ElementTree as ET
r = ET.parse('$work/junit-new.xml').getroot()
f = [c.get('name') for c in r.iter('testcase') if c.find('failure') is not None]
sys.exit(0 if f == ['public-example-reshape-5x3-reduce.json'] else 1)"
check junit_should_report_the_new_failure_as_a_failure test $? = 0
"$PY" "$work/sarif_check.py" "$work/new.sarif" -1
check sarif_of_a_new_failure_should_validate test $? = 0
check sarif_should_flag_the_new_failure_as_an_error grep -q '"ruleId":[[:space:]]*"memlayout/new-failure"' "$work/new.sarif"

# A fixed bug: the correct reducer read against this joblib's baseline.
ml ci "$corpus" --reducer reference --env-name "$env" -q
check ci_should_exit_1_on_xpass test "$(last_rc)" = 1
check ci_should_report_xpass out_has "XPASS"
check ci_should_say_how_to_update_the_baseline out_has "--update-baseline"
ml ci "$corpus" --reducer reference --env-name "$env" --allow-fixed -q
check ci_with_allow_fixed_should_exit_0 test "$(last_rc)" = 0
ml ci "$corpus" --reducer reference -q
check ci_in_the_reference_environment_should_exit_0 test "$(last_rc)" = 0

# A broken baseline is a usage error, not a pass.
echo '{"memlayout_baseline": 1, "environments": []}' >"$work/broken.json"
ml ci "$corpus" --baseline "$work/broken.json" -q
check ci_with_a_broken_baseline_should_exit_2 test "$(last_rc)" = 2

# The wrapper writes what the workflow uploads.
OUT="$work/regress" ML="$ML" sh ci/regress.sh >"$work/regress.out" 2>&1
check regress_sh_should_exit_0 test $? = 0
check regress_sh_should_write_junit test -s "$work/regress/junit.xml"
check regress_sh_should_write_sarif test -s "$work/regress/memlayout.sarif"

# ---- matrix: the installed joblib against the correct reducer ---------------
ml matrix "$corpus/cases" --json "$work/matrix.json" -q
check matrix_should_exit_1_when_environments_differ test "$(last_rc)" = 1
check matrix_should_show_the_public_example_differing out_has "public-example-reshape-5x3-loky.json .*fail:data,flags,strides .*pass .*<- differs"
check matrix_should_not_mark_controls sh -c "! grep -q 'control-.*differs' '$work/last.out'"
"$PY" -c "
import json, sys
m = json.load(open('$work/matrix.json'))
ok = len(m['environments']) == 2 and len(m['cases']) == $ncases and m['environments'][1]['reducer'] == 'reference'
sys.exit(0 if ok else 1)"
check matrix_json_should_hold_cases_by_environments test $? = 0
ml matrix -q -T loky,reduce "$corpus/cases/public-example-reshape-5x3-loky.json"
check matrix_with_transports_should_run_each_one test "$(last_rc)" = 1
check matrix_with_transports_should_show_both out_has "^matrix: 2 cases x 2 environments"

# --python-path: a patched joblib checkout (the order bug fixed) as a second
# environment shows which cases the patch changes.
jl=$("$PY" -c 'import joblib, os; print(os.path.dirname(joblib.__file__))')
mkdir -p "$work/checkout"
cp -r "$jl" "$work/checkout/joblib"
sed -i "s/if m.flags\['F_CONTIGUOUS'\]:/if a.flags['F_CONTIGUOUS'] and not a.flags['C_CONTIGUOUS']:/" \
    "$work/checkout/joblib/_memmapping_reducer.py"
sed -i "s/^__version__ = '\(.*\)'/__version__ = '\1+orderfix'/" "$work/checkout/joblib/__init__.py"
ml matrix -e name=installed -e "name=patched,python-path=$work/checkout" \
    "$corpus/cases/public-example-reshape-5x3-reduce.json" "$corpus/cases/negative-step-slice-1d-reduce.json" \
    "$corpus/cases/control-backing-shape-5x3-loky.json"
check matrix_with_python_path_should_exit_1 test "$(last_rc)" = 1
check matrix_should_name_the_checkout_version out_has "joblib-.*+orderfix"
check matrix_should_show_the_patch_fixing_the_public_example out_has "public-example-reshape-5x3-reduce.json .*fail:data,flags,strides .*pass .*<- differs"
check matrix_should_show_the_patch_leaving_negative_steps sh -c "grep 'negative-step' '$work/last.out' | grep -qv differs"
[ "$(last_rc)" = 1 ] || show_last

"$PY" ci/github/check_workflow.py >"$work/wf.out" 2>&1
check github_workflow_should_check_out test $? = 0
[ $? = 0 ] || cat "$work/wf.out" >&2
check ci_should_leave_no_temp_files tmp_empty
# --fail-on: with no baseline every failure is new; in a corpus of the
# public example's cases they are corrupt ones, so naming only
# representation lets the job pass and naming corrupt fails it; SARIF keeps
# them, at level note when they do not fail the job. The whole regression
# corpus has representation failures too (a writeable broadcast, a lost byte
# order): naming representation fails it.
mkdir -p "$work/corrupt/cases"
cp "$corpus"/cases/public-example-*.json "$work/corrupt/cases/"
ml ci "$work/corrupt" --baseline "$work/no-baseline.json" --fail-on representation -q --sarif "$work/rep.sarif"
check fail_on_representation_should_let_corrupt_failures_pass test "$(last_rc)" = 0
[ "$(last_rc)" = 0 ] || show_last
check fail_on_should_mark_what_it_ignores_as_notes test "$(jget "$work/rep.sarif" \
    'sorted({r["level"] for r in d["runs"][0]["results"] if r["ruleId"] == "memlayout/new-failure"})')" = "['note']"
check ci_rows_should_carry_severity_and_bug test "$(jget "$work/rep.sarif" \
    'all(r["properties"].get("severity") and r["properties"].get("bug") for r in d["runs"][0]["results"])')" = True
ml ci "$work/corrupt" --baseline "$work/no-baseline.json" --fail-on corrupt,error -q
check fail_on_corrupt_should_fail_on_corrupt_failures test "$(last_rc)" = 1
ml ci "$corpus" --baseline "$work/no-baseline.json" --fail-on representation -q
check fail_on_representation_should_fail_on_representation_failures test "$(last_rc)" = 1
ml ci "$corpus" --fail-on harmless -q
check a_bad_severity_should_exit_2 test "$(last_rc)" = 2
check a_bad_severity_should_be_named err_has 'fail-on: unknown severity "harmless"'

# Odd file names: invalid UTF-8 and a control character in a case's name
# give well-formed JUnit, valid JSON SARIF with a percent-encoded uri, and an
# escaped terminal line.
odd="$work/odd/cases"
mkdir -p "$odd"
cp corpus/seed/public-example-reshape-5x3-reduce.json "$odd/$(printf 'bad\377\001name').json"
ml ci "$work/odd" --baseline "$work/odd/none.json" --junit "$work/odd.xml" --sarif "$work/odd.sarif" -q
check odd_names_should_still_run_the_case test "$(last_rc)" = 1
"$PY" - "$work/odd.xml" "$work/odd.sarif" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
ET.parse(sys.argv[1])                                          # raises if not well formed
raw = open(sys.argv[2], "rb").read()
log = json.loads(raw.decode("utf-8"))                          # raises if not UTF-8 JSON
uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
sys.exit(0 if "%FF%01" in uri and uri.isascii() else 1)
EOF
check odd_names_should_give_well_formed_junit_and_sarif test $? = 0
check odd_names_should_be_escaped_on_the_terminal sh -c "! grep -q \"$(printf '\001')\" '$work/last.out'"

# The report of a ci run marks each bug new or known against the baseline.
ml ci "$corpus" -o "$work/ci-known" -q
ml report "$work/ci-known" -o "$work/ci-known.html" -q
check a_report_of_ci_should_mark_baseline_bugs_known sh -c \
    "grep -q '>known</span>' '$work/ci-known.html' && ! grep -q '>new</span>' '$work/ci-known.html'"
ml ci "$corpus" --baseline "$work/no-baseline.json" -o "$work/ci-new" -q
ml report "$work/ci-new" -o "$work/ci-new.html" -q
check a_report_of_ci_without_a_baseline_should_mark_bugs_new grep -q '>new</span>' "$work/ci-new.html"

finish e2e-ci
