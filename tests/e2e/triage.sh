# Triage: a campaign's findings become a short list of distinct bugs, each
# with its smallest case; minimize is deterministic and bounded; repro --full
# writes the long self-checking script that shows the bug under
# /usr/bin/python3 and exits 1, and exits 0 with memlayout's reference reducer
# patched in (the short default script: repro.sh).
. tests/e2e/lib.sh
pe=corpus/seed/public-example-reshape-5x3-loky.json

# ---- minimize --------------------------------------------------------------
ml minimize "$pe"
check minimize_should_exit_0 test "$(last_rc)" = 0
cp "$work/last.out" "$work/min1.json"
cp "$work/last.err" "$work/min1.err"
check minimize_should_reach_a_fixed_point grep -q "fixed point" "$work/min1.err"
"$PY" - "$work/min1.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
n = 1
for d in c["backing"]["shape"]:
    n *= d
op = c["ops"][0] if c["ops"] else {}
ok = (len(c["ops"]) == 1 and op.get("op") == "reshape" and len(op["shape"]) == 2
      and len(c["backing"]["shape"]) == 1 and n == 4 and c["transport"] == "reduce"
      and c["dtype"] == "<f8" and c["backing"]["mode"] == "r" and c["backing"]["offset"] == 0)
sys.exit(0 if ok else 1)
EOF
check public_example_should_minimize_to_a_2x2_reshape_of_4_elements_through_reduce test $? = 0
ml minimize corpus/seed/public-example-reshape-5x3-reduce.json
check minimize_should_be_deterministic_whatever_the_joblib_transport cmp -s "$work/last.out" "$work/min1.json"
ml replay "$work/min1.json"
check minimized_case_should_still_fail_the_same_way out_has "fail:data,flags,strides"

ml minimize --max-tries 2 corpus/seed/public-example-reshape-5x3-reduce.json
check minimize_with_a_budget_should_exit_0 test "$(last_rc)" = 0
check minimize_with_a_budget_should_say_it_stopped_early err_has "stopped early: budget of 2 cases tried"
check minimize_with_a_budget_should_print_a_case out_has '"memlayout":1'

ml minimize corpus/seed/control-public-example-pickle5.json
check minimize_of_a_passing_case_should_exit_1 test "$(last_rc)" = 1
check minimize_of_a_passing_case_should_say_so err_has "does not fail (pass)"

# ---- triage of a campaign --------------------------------------------------
ml run --seed 1 --cases 1500 -T reduce,pickle5 -q --out "$work/run"
check campaign_should_have_findings test "$(last_rc)" = 1
ml triage "$work/run" -o "$work/tri" -q
check triage_should_exit_1_when_there_are_bugs test "$(last_rc)" = 1
check triage_should_count_distinct_bugs out_has "distinct bugs in"
cp "$work/last.out" "$work/triage.txt"
[ "$(last_rc)" = 1 ] || show_last
"$PY" - "$work/tri/triage.json" "$work/triage.txt" "$work/run/results.jsonl" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
results = [json.loads(line) for line in open(sys.argv[3])]
bugs = t["bugs"]
sigs = [b["signature"] for b in bugs]
classes = [(b["kind"], b["verdict"], b["transition"]) for b in bugs]
fail = []
if len(set(classes)) != len(classes):
    fail.append("a class is listed twice")
# a finding showing two defects counts toward both bugs (README)
findings = [r for r in results if r.get("bugs")]
if len(findings) != t["findings"]:
    fail.append("triage counts %d findings, results.jsonl %d" % (t["findings"], len(findings)))
if sum(b["count"] for b in bugs) != sum(len(r["bugs"]) for r in findings):
    fail.append("counts do not add up")
for b in bugs:
    if b["count"] != sum(b["id"] in r["bugs"] for r in findings):
        fail.append("bug %s: count %d, results.jsonl another" % (b["id"], b["count"]))
for s in sigs:
    if text.count("signature   " + s + "\n") != 1:
        fail.append("not listed exactly once: " + s)
pe = [b for b in bugs if b["kind"] == "share/joblib" and b["verdict"] == "fail:data,flags,strides"
      and b["transition"] == "C>F"]
if len(pe) != 1:
    fail.append("the public example's family is not one bug")
else:
    m = pe[0]["minimized"]
    n = 1
    for d in m["backing"]["shape"]:
        n *= d
    if not (len(m["backing"]["shape"]) <= 2 and len(m["ops"]) <= 2 and n <= 16):
        fail.append("public example family not minimized enough: " + json.dumps(m))
if not all(b["minimized"] for b in bugs):
    fail.append("a bug was not minimized")
for f in fail:
    print(f)
sys.exit(1 if fail else 0)
EOF
check triage_should_list_each_bug_once_with_a_small_public_example test $? = 0
ml replay "$work/tri/bugs"
check minimized_bug_cases_should_all_fail test "$(last_rc)" = 1
check minimized_bug_cases_should_not_pass sh -c "! grep -q ': pass' '$work/last.out'"
ml triage --no-minimize "$work/run/findings"
check triage_without_minimizing_should_find_the_same_bugs \
    test "$(grep -c '^bug ' "$work/last.out")" = "$(grep -c '^bug ' "$work/triage.txt")"
mkdir -p "$work/empty"
ml triage "$work/empty"
check triage_of_no_findings_should_exit_0 test "$(last_rc)" = 0

# ---- repro --full ----------------------------------------------------------
ml repro --full -o "$work/repro.py" "$pe"
check repro_should_exit_0 test "$(last_rc)" = 0
check repro_should_say_what_memlayout_saw grep -q "memlayout saw: fail:data,flags,strides (C>F, loky)" "$work/repro.py"
(cd / && env -i PATH=/usr/bin:/bin /usr/bin/python3 "$work/repro.py") >"$work/repro.out" 2>&1
check repro_script_should_exit_1_while_the_bug_is_present test $? = 1
check repro_script_should_show_parent_flags grep -q "^parent: .*C_CONTIGUOUS=True F_CONTIGUOUS=False" "$work/repro.out"
check repro_script_should_show_worker_flags grep -q "^worker: .*C_CONTIGUOUS=False F_CONTIGUOUS=True" "$work/repro.out"
check repro_script_should_say_values_differ grep -q "^values equal: False" "$work/repro.out"
(cd / && env -i PATH=/usr/bin:/bin /usr/bin/python3 "$work/repro.py" --reducer reference) >"$work/repro.ref" 2>&1
check repro_script_should_exit_0_with_the_reference_reducer test $? = 0
check repro_script_with_reference_should_say_values_equal grep -q "^values equal: True" "$work/repro.ref"
(cd / && env -i PATH=/usr/bin:/bin MEMLAYOUT_REDUCER=reference /usr/bin/python3 "$work/repro.py") >/dev/null 2>&1
check repro_script_should_take_the_reducer_from_the_environment test $? = 0
"$PY" - "$work/repro.py" <<'EOF'
import ast, sys
allowed = {"argparse", "ctypes", "hashlib", "mmap", "os", "pickle", "shutil", "sys", "tempfile",
           "multiprocessing", "numpy", "joblib"}
tree = ast.parse(open(sys.argv[1]).read())
bad = []
for node in ast.walk(tree):
    names = []
    if isinstance(node, ast.Import):
        names = [a.name.split(".")[0] for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        names = [(node.module or "").split(".")[0]]
    for n in names:
        if n not in allowed and n != "memlayout_reference":
            bad.append(n)
# memlayout's own module only inside the opt-in reference reducer
top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
if any("memlayout" in ast.dump(n) for n in top):
    bad.append("memlayout_reference at top level")
print(" ".join(bad))
sys.exit(1 if bad else 0)
EOF
check repro_script_should_import_only_numpy_joblib_and_the_stdlib test $? = 0
ml repro --minimize -o "$work/repro-min.py" "$pe"
check repro_minimize_should_write_a_script test "$(last_rc)" = 0
check repro_minimize_should_build_the_small_case grep -q 'a = a.reshape((2, 2))$' "$work/repro-min.py"
/usr/bin/python3 "$work/repro-min.py" >/dev/null 2>&1
check minimized_repro_script_should_exit_1 test $? = 1
ml repro --full --no-run -o "$work/repro-ctl.py" corpus/seed/control-public-example-pickle5.json
/usr/bin/python3 "$work/repro-ctl.py" >/dev/null 2>&1
check repro_script_of_a_control_should_exit_0 test $? = 0

# The script reaches memlayout's verdict on its own, case after case.
mkdir -p "$work/gen"
"$ML" gen --seed 7 -n 12 -T reduce,pickle5,threading,reference,pickle5-oob | split -l 1 -a 2 - "$work/gen/c"
for f in "$work/gen"/c*; do mv "$f" "$f.json"; done
"$ML" replay "$work/gen" 2>/dev/null | sed -n 's/^\([^ ]*\) \[.*\]: \(.*\)$/\1 \2/p' >"$work/gen.verdicts"
agree=0
while read -r f v; do
    case $v in error:*) v=error ;; esac
    "$ML" repro --full --no-run -o "$f.py" "$f" 2>/dev/null
    s=$(cd / && /usr/bin/python3 "$f.py" 2>&1 | sed -n 's/^verdict: //p')
    if [ "$v" = "$s" ]; then agree=$((agree + 1)); else echo "repro disagrees on $f: memlayout $v, script $s" >&2; fi
done <"$work/gen.verdicts"
check repro_scripts_should_agree_with_memlayout_on_12_random_cases test "$agree" = 12
check triage_should_leave_no_temp_files tmp_empty
finish e2e-triage
