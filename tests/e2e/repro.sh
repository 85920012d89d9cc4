# repro: the short script for a bug report. At most 40 lines for the public
# example, public API only, exits 1 under a bare /usr/bin/python3 while the
# bug is there and prints both sides; its verdict agrees with `memlayout
# replay` on every seed and regression case, and on the public example sent
# through every transport; it leaves no file behind. (The --full script is
# tested in triage.sh.)
. tests/e2e/lib.sh
pe=corpus/seed/public-example-reshape-5x3-loky.json

ml repro --help
check repro_help_should_name_full out_has "--full"
check repro_help_should_name_the_public_calls out_has 'backend="loky"'

ml repro -o "$work/pe.py" "$pe"
check repro_should_exit_0 test "$(last_rc)" = 0
lines=$(wc -l <"$work/pe.py")
echo "short script of the public example: $lines lines"
check short_script_should_be_at_most_40_lines test "$lines" -le 40
check short_script_should_be_at_least_20_lines test "$lines" -ge 20
check short_script_should_say_what_memlayout_saw grep -q "^# memlayout saw fail:data,flags,strides (C>F, loky)" "$work/pe.py"
check short_script_should_call_joblib_as_a_user_does \
    grep -q 'Parallel(n_jobs=2, backend="loky")(\[delayed(facts)(a)\])' "$work/pe.py"

# Nothing private: no module or attribute starting with "_" from joblib or
# NumPy, no import beyond NumPy, joblib and the standard library. The scanner
# must catch the --full script of a reduce case, which calls joblib's private
# reducer.
cat >"$work/private.py" <<'EOF'
import ast, sys
ROOTS = {"np", "numpy", "joblib", "Parallel", "delayed"}
ALLOWED = {"mmap", "multiprocessing", "os", "pickle", "sys", "tempfile", "numpy", "joblib"}
tree = ast.parse(open(sys.argv[1]).read())
bad = []
for node in ast.walk(tree):
    if isinstance(node, ast.Import):
        for a in node.names:
            parts = a.name.split(".")
            if parts[0] not in ALLOWED or any(p.startswith("_") for p in parts):
                bad.append("import " + a.name)
    elif isinstance(node, ast.ImportFrom):
        parts = (node.module or "").split(".")
        if parts[0] not in ALLOWED or any(p.startswith("_") for p in parts) \
                or any(a.name.startswith("_") for a in node.names):
            bad.append("from %s import %s" % (node.module, ", ".join(a.name for a in node.names)))
    elif isinstance(node, ast.Attribute):
        chain, n = [], node
        while isinstance(n, ast.Attribute):
            chain.append(n.attr)
            n = n.value
        if isinstance(n, ast.Name) and n.id in ROOTS and any(c.startswith("_") for c in chain):
            bad.append(n.id + "." + ".".join(reversed(chain)))
print(" ".join(sorted(set(bad))))
sys.exit(1 if bad else 0)
EOF
"$PY" "$work/private.py" "$work/pe.py"
check short_script_should_use_public_api_only test $? = 0
"$ML" repro --no-run --full -o "$work/full-reduce.py" corpus/seed/public-example-reshape-5x3-reduce.json 2>/dev/null
"$PY" "$work/private.py" "$work/full-reduce.py" >"$work/private.out"
check private_scan_should_catch_the_full_scripts_private_reducer grep -q "_memmapping_reducer" "$work/private.out"

mkdir -p "$work/pytmp"
(cd / && env -i PATH=/usr/bin:/bin TMPDIR="$work/pytmp" /usr/bin/python3 "$work/pe.py") >"$work/pe.out" 2>&1
check short_script_should_exit_1_while_the_bug_is_there test $? = 1
check short_script_should_show_both_sides grep -Eq '^ +parent +worker$' "$work/pe.out"
check short_script_should_show_the_parents_and_the_workers_c_flag grep -Eq '^C_CONTIGUOUS +True +False$' "$work/pe.out"
check short_script_should_show_the_parents_and_the_workers_f_flag grep -Eq '^F_CONTIGUOUS +False +True$' "$work/pe.out"
check short_script_should_show_strides grep -Eq '^strides +\(24, 8\) +\(8, 40\)$' "$work/pe.out"
check short_script_should_show_first_values grep -Eq '^values +\[ 0.3456 ' "$work/pe.out"
check short_script_should_name_what_differs grep -q '^BUG: .*strides, C_CONTIGUOUS, F_CONTIGUOUS, values$' "$work/pe.out"
check short_script_should_leave_no_temp_files test -z "$(ls -A "$work/pytmp")"
[ -s "$work/pe.out" ] && grep -q '^BUG' "$work/pe.out" || cat "$work/pe.out" >&2

# The same verdict as memlayout on every seed and regression case: replay
# exit 1 <=> script exit 1. Every script there stays within 40 lines.
agree=0 total=0 fails=0 passes=0 long=0
printf '%-60s %-8s %s\n' case replay script >"$work/agreement"
for f in corpus/seed/*.json corpus/regress/cases/*.json; do
    "$ML" replay "$f" >/dev/null 2>&1
    r=$?
    "$ML" repro -o "$work/case.py" "$f" 2>/dev/null   # as by default: it runs the case and says what memlayout saw
    (cd / && env -i PATH=/usr/bin:/bin /usr/bin/python3 "$work/case.py") >"$work/case.out" 2>&1
    s=$?
    total=$((total + 1))
    [ "$r" = 1 ] && fails=$((fails + 1))
    [ "$r" = 0 ] && passes=$((passes + 1))
    [ "$(wc -l <"$work/case.py")" -le 40 ] || long=$((long + 1))
    printf '%-60s %-8s %s\n' "$f" "$r" "$s" >>"$work/agreement"
    if [ "$r" = "$s" ] && [ "$r" -le 1 ]; then
        agree=$((agree + 1))
    else
        echo "short script disagrees on $f: replay exit $r, script exit $s" >&2
        cat "$work/case.out" >&2
    fi
    case $f in
    */control-*) check "short_script_of_$(basename "$f" .json)_should_exit_0" test "$s" = 0 ;;
    */public-example-*) check "short_script_of_$(basename "$f" .json)_should_exit_1" test "$s" = 1 ;;
    esac
done
cat "$work/agreement"
check short_scripts_should_agree_with_replay_on_every_seed_and_regression_case test "$agree" = "$total"
check the_agreement_should_cover_failing_and_passing_cases test "$fails" -ge 3 -a "$passes" -ge 3
check short_scripts_of_seed_and_regression_cases_should_be_at_most_40_lines test "$long" = 0

# Every transport memlayout has, called as a user calls it, on the public
# example: the script's exit status is replay's (1 through joblib's reducer,
# 0 through copies, threads and memlayout's reference reducer).
"$PY" - "$pe" "$work/t" <<'EOF'
import json, os, sys
c = json.load(open(sys.argv[1]))
os.makedirs(sys.argv[2])
for t in ("reduce", "reference", "loky", "multiprocessing", "threading", "pickle2", "pickle3", "pickle4",
          "pickle5", "pickle5-oob", "pool-spawn", "pool-forkserver", "dask"):
    c["transport"] = t
    with open(os.path.join(sys.argv[2], t + ".json"), "w") as f:
        f.write(json.dumps(c, separators=(",", ":")) + "\n")
EOF
call_of() {
    case $1 in
    reduce | loky) echo 'Parallel(n_jobs=2, backend="loky")' ;;
    multiprocessing) echo 'Parallel(n_jobs=2, backend="multiprocessing"' ;;
    threading) echo 'Parallel(n_jobs=2, backend="threading")' ;;
    pickle5-oob) echo 'pickle.dumps(a, protocol=5, buffer_callback=buffers.append), buffers=buffers' ;;
    pickle?) echo "pickle.loads(pickle.dumps(a, protocol=${1#pickle}))" ;;
    pool-*) echo "multiprocessing.get_context(\"${1#pool-}\").Pool(2)" ;;
    dask) echo 'Client(cluster), parallel_backend("dask")' ;;
    reference) echo 'memlayout_reference.reduce(a)' ;;
    esac
}
tagree=0   # scripts named repro-*.py: a pickle5.py or threading.py would shadow the module
for f in "$work"/t/*.json; do
    t=$(basename "$f" .json)
    "$ML" replay "$f" >/dev/null 2>&1
    r=$?
    "$ML" repro --no-run -o "$work/t/repro-$t.py" "$f" 2>/dev/null
    check "short_script_through_${t}_should_call_it_as_a_user_does" grep -qF "$(call_of "$t")" "$work/t/repro-$t.py"
    (cd / && env -i PATH=/usr/bin:/bin /usr/bin/python3 "$work/t/repro-$t.py") >"$work/t/repro-$t.out" 2>&1
    s=$?
    if [ "$r" = "$s" ]; then tagree=$((tagree + 1)); else echo "through $t: replay exit $r, script exit $s" >&2; fi
done
check short_scripts_should_agree_with_replay_through_all_13_transports test "$tagree" = 13
"$PY" "$work/private.py" "$work/t/repro-pool-spawn.py" >/dev/null
check pool_script_should_use_public_api_only test $? = 0
check only_the_reference_script_should_import_memlayout \
    test "$(grep -l 'memlayout_reference' "$work"/t/*.py | wc -l)" = 1

# Byte order: pickle protocol 4 turns a big-endian array little-endian with
# the same values; the script says that only the byte order differs.
echo '{"memlayout":1,"dtype":">u4","backing":{"source":"raw","shape":[6],"order":"C","offset":0,"mode":"r"},"ops":[],"transport":"pickle4","seed":3}' \
    >"$work/be.json"
"$ML" repro --no-run -o "$work/be.py" "$work/be.json" 2>/dev/null
/usr/bin/python3 "$work/be.py" >"$work/be.out" 2>&1
check byte_order_change_should_exit_1 test $? = 1
check byte_order_change_should_be_named_alone grep -q '^BUG: .*sent: byte order$' "$work/be.out"

check repro_should_leave_no_temp_files tmp_empty
finish e2e-repro
