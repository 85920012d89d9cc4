# The run directory (harness/lib/store.c): never written through a link,
# one run at a time, a reused one replaced as a whole, a full disk stops the
# run cleanly, nothing touched before the run can start, --keep bounds the
# files while every count stays complete.
. tests/e2e/lib.sh

unchanged() { [ "$(cat "$1")" = "$2" ]; }
is_link() { [ -L "$1" ]; }
is_file() { [ -f "$1" ] && [ ! -L "$1" ]; }
is_dir() { [ -d "$1" ] && [ ! -L "$1" ]; }
empty_dir() { [ -z "$(ls -A "$1")" ]; }
# no temp file of an atomic write left in the directories given
no_tmp_files() { for d; do ! ls -A "$d" | grep -q '\.tmp$' || return 1; done; }
# every line of a results.jsonl parses as a JSON object
all_lines_parse() {
    "$PY" -c 'import json,sys
for n, l in enumerate(open(sys.argv[1], "rb"), 1):
    if not l.endswith(b"\n") or not isinstance(json.loads(l), dict):
        sys.exit("line %d is torn" % n)' "$1"
}

# ---- 1. links: refused, or replaced with --force; never followed -----------
echo x >"$work/victim"
mkdir -p "$work/o"
ln -s "$work/victim" "$work/o/results.jsonl"
ml run -q -n 300 --out "$work/o"
check results_link_should_be_refused test "$(last_rc)" = 2
check results_link_refusal_should_name_it err_has "results.jsonl is a symbolic link"
check results_link_refusal_should_be_one_line test "$(wc -l <"$work/last.err")" = 1
check results_link_victim_should_be_unchanged unchanged "$work/victim" x
check results_link_should_stay_when_refused is_link "$work/o/results.jsonl"
ml run -q -n 300 --no-minimize --report none --out "$work/o" --force
check forced_run_should_run test "$(last_rc)" -le 1
check forced_run_victim_should_be_unchanged unchanged "$work/victim" x
check forced_run_should_replace_the_link is_file "$work/o/results.jsonl"
check forced_run_should_write_every_line test "$(wc -l <"$work/o/results.jsonl")" = 300

mkdir -p "$work/o2" "$work/elsewhere"
ln -s "$work/elsewhere" "$work/o2/findings"
ml run -q -n 300 --no-minimize --report none --out "$work/o2"
check findings_link_should_be_refused test "$(last_rc)" = 2
check findings_link_refusal_should_name_it err_has "findings is a symbolic link"
ml run -q -n 300 --no-minimize --report none --out "$work/o2" --force
check forced_findings_run_should_find test "$(last_rc)" = 1
check findings_should_not_go_through_the_link empty_dir "$work/elsewhere"
check findings_should_be_a_real_directory is_dir "$work/o2/findings"
check findings_should_be_written test -n "$(ls "$work/o2/findings")"

mkdir -p "$work/o3"
ln -s "$work/victim" "$work/o3/python.log"
ml run -q -n 50 --no-minimize --report none --out "$work/o3"
check python_log_link_should_be_refused test "$(last_rc)" = 2
ml run -q -n 50 --no-minimize --report none --out "$work/o3" --force
check python_log_victim_should_be_unchanged unchanged "$work/victim" x
check python_log_should_be_a_file is_file "$work/o3/python.log"

ln -s "$work/o" "$work/olink"
ml run -q -n 10 --out "$work/olink"
check out_link_should_be_refused test "$(last_rc)" = 2
ml run -q -n 10 --out "$work/olink/"
check out_link_with_a_slash_should_be_refused test "$(last_rc)" = 2

mkdir -p "$work/mine"
echo keep >"$work/mine/marker"
ml run -q -n 10 --out "$work/mine"
check a_directory_that_is_no_run_should_be_refused test "$(last_rc)" = 2
check its_refusal_should_say_force err_has "not a memlayout run directory"
check its_files_should_stay unchanged "$work/mine/marker" keep

# ---- 2. one run at a time; a reused directory holds only the new run -------
ml run -q -n 300 --seed 1 --no-minimize --report none --out "$work/r"
check first_run_should_find test "$(last_rc)" = 1
"$ML" run -q --time 20 --seed 2 --no-minimize --report none --out "$work/r" >/dev/null 2>"$work/bg.err" &
bg=$!
started() { grep -q "has not ended" "$work/r/summary.json" 2>/dev/null; }   # its summary, until it ends
wait_for 20 started
t0=$(date +%s)
ml run -q -n 300 --seed 3 --out "$work/r"
t1=$(date +%s)
check second_run_should_be_refused test "$(last_rc)" = 3
check second_run_should_say_in_use err_has "in use by another memlayout (pid $bg)"
check second_run_should_be_refused_at_once test $((t1 - t0)) -le 2
ml ci --out "$work/r" corpus/regress/cases
check ci_on_a_run_in_use_should_be_refused test "$(last_rc)" = 3
kill -INT $bg
wait $bg
check interrupted_run_should_exit_130 test $? = 130
ml run -q -n 300 --seed 4 --no-minimize --report none --out "$work/r"
check reused_run_should_run test "$(last_rc)" = 1
# every finding file on disk is one of this run's, as many as it says it kept
"$PY" - "$work/r" <<'EOF'
import json, os, sys
d = sys.argv[1]
s = json.load(open(os.path.join(d, "summary.json")))
named = {json.loads(l).get("finding") for l in open(os.path.join(d, "results.jsonl"))} - {None}
files = [f for f in os.listdir(os.path.join(d, "findings")) if f.endswith(".json")]
obs = [f for f in os.listdir(os.path.join(d, "findings")) if f.endswith(".obs")]
bad = []
if s["seed"] != "4": bad.append("summary of another run")
if set(files) != named: bad.append("files not of this run: %s" % sorted(set(files) ^ named)[:5])
if len(files) != s["findings_kept"]: bad.append("%d files, summary says %d kept" % (len(files), s["findings_kept"]))
if len(obs) != len(files): bad.append("observations and cases differ")
if sum(1 for _ in open(os.path.join(d, "results.jsonl"))) != 300: bad.append("not 300 lines")
if s["incomplete"]: bad.append("marked incomplete")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
check reused_run_should_hold_only_its_own_findings test $? = 0
check reused_run_should_leave_no_temp_files no_tmp_files "$work/r" "$work/r/findings"

# a lock held by another process (flock(1) takes the same lock)
if command -v flock >/dev/null; then
    flock "$work/r/.memlayout.lock" sleep 2 &
    fl=$!
    sleep 0.3
    ml run -q -n 10 --out "$work/r"
    check a_held_lock_should_refuse_the_run test "$(last_rc)" = 3
    wait $fl
fi

# triage --out takes the run directory's lock, at once, before minimizing
if command -v flock >/dev/null; then
    flock "$work/r/.memlayout.lock" sleep 3 &
    fl=$!
    sleep 0.3
    cp "$work/r/summary.json" "$work/before-triage.json"
    t0=$(date +%s)
    ml triage --out "$work/r" "$work/r"
    t1=$(date +%s)
    check triage_out_on_a_locked_directory_should_exit_3 test "$(last_rc)" = 3
    check and_say_it_is_in_use err_has "in use by another memlayout"
    check and_be_refused_at_once test $((t1 - t0)) -le 2
    check and_write_nothing test ! -e "$work/r/triage.json"
    wait $fl
    ml triage --no-minimize -q --out "$work/r" "$work/r"
    check triage_out_into_a_run_directory_should_write test "$(last_rc)" = 1 -a -s "$work/r/triage.json"
    check and_leave_the_run_s_files cmp -s "$work/before-triage.json" "$work/r/summary.json"
fi

# group- or world-writable directories are refused, one line, exit 2
mkdir -p "$work/gw"
chmod 775 "$work/gw"
ml run -q -n 10 --no-minimize --report none --out "$work/gw"
check a_group_writable_out_should_be_refused test "$(last_rc)" = 2
check its_refusal_should_say_why err_has "gw is group- or world-writable"
check its_refusal_should_be_one_line test "$(wc -l <"$work/last.err")" = 1
check and_nothing_should_be_written_there empty_dir "$work/gw"
ml triage --no-minimize --out "$work/gw" "$work/r"
check a_group_writable_triage_out_should_be_refused test "$(last_rc)" = 2
check and_name_the_directory err_has "gw is group- or world-writable"
chmod 757 "$work/gw"
ml triage --no-minimize --out "$work/gw" "$work/r"
check a_world_writable_triage_out_should_be_refused test "$(last_rc)" = 2

# ---- 4. nothing is touched before the run can start ------------------------
cp "$work/r/results.jsonl" "$work/before.jsonl"
cp "$work/r/summary.json" "$work/before.json"
TMPDIR=/nonexistent "$ML" run -q -n 30 --out "$work/r" >"$work/last.out" 2>"$work/last.err"
echo $? >"$work/last.rc"
check no_tmpdir_should_exit_3 test "$(last_rc)" = 3
check no_tmpdir_should_leave_results_intact cmp -s "$work/before.jsonl" "$work/r/results.jsonl"
check no_tmpdir_should_leave_the_summary_intact cmp -s "$work/before.json" "$work/r/summary.json"

# ---- 5. --keep: a few files per bug, every count complete ------------------
ml run -q -n 1500 --seed 5 -T reduce,loky,pickle5 --keep 3 --no-minimize --out "$work/k"
check keep_run_should_find test "$(last_rc)" = 1
"$PY" - "$work/k" <<'EOF'
import json, os, sys
d = sys.argv[1]
s = json.load(open(os.path.join(d, "summary.json")))
lines = [json.loads(l) for l in open(os.path.join(d, "results.jsonl"))]
files = [f for f in os.listdir(os.path.join(d, "findings")) if f.endswith(".json")]
nfind = s["counts"]["fail"] + s["counts"]["error"]
bad = []
if s["keep"] != 3: bad.append("keep not recorded")
if any(b["kept"] > 3 for b in s["bugs"]): bad.append("a bug kept more than 3: %s" % s["bugs"])
if sum(b["kept"] for b in s["bugs"]) != len(files): bad.append("kept per bug does not add up to the files")
if s["findings_kept"] != len(files): bad.append("findings_kept is not the files")
if s["findings_not_kept"] == 0: bad.append("nothing left out: the test shows nothing")
if s["findings_kept"] + s["findings_not_kept"] != nfind: bad.append("kept + not kept != findings")
if sum(1 for l in lines if "bugs" in l) != nfind: bad.append("lines with bugs != findings")
if sum(1 for l in lines if l.get("finding")) != len(files): bad.append("lines naming a file != files")
per_bug = {}
for l in lines:
    for b in l.get("bugs", []):
        per_bug[b] = per_bug.get(b, 0) + 1
if per_bug != {b["id"]: b["count"] for b in s["bugs"]}: bad.append("per-bug counts of lines != summary")
if sum(b["count"] for b in s["bugs"]) < nfind: bad.append("bugs count fewer than the findings")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
check keep_should_bound_files_and_keep_counts_complete test $? = 0
ml triage --no-minimize --json "$work/k"
check triage_of_kept_files_should_count_every_finding test \
    "$(jget "$work/last.out" '[(b["id"], b["count"]) for b in d["bugs"]]')" = \
    "$(jget "$work/k/summary.json" '[(b["id"], b["count"]) for b in d["bugs"]]')"
check triage_should_count_the_findings test "$(jget "$work/last.out" 'd["findings"]')" = \
    "$(jget "$work/k/summary.json" 'd["counts"]["fail"] + d["counts"]["error"]')"
check report_should_count_every_failing_case grep -q \
    "$(jget "$work/k/summary.json" 'd["counts"]["fail"] + d["counts"]["error"]') failing cases in" "$work/k/report.html"

# ---- 3. a full disk stops the run cleanly -----------------------------------
mnt="$work/full"
mkdir -p "$mnt"
if mount -t tmpfs -o size=200k tmpfs "$mnt" 2>"$work/mount.err"; then
    trap 'umount "$mnt" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
    ml run -q -n 3000 --seed 6 --out "$mnt/run"
    check full_disk_should_exit_3 test "$(last_rc)" = 3
    check full_disk_should_print_one_line test "$(wc -l <"$work/last.err")" = 1
    check full_disk_line_should_name_the_lack_of_space err_has "$mnt/run/.*: cannot write: No space left on device"
    check full_disk_should_leave_no_torn_line all_lines_parse "$mnt/run/results.jsonl"
    if "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$mnt/run/summary.json" 2>/dev/null; then
        check full_disk_summary_should_say_incomplete test "$(jget "$mnt/run/summary.json" 'd["incomplete"]')" = True
        check full_disk_summary_should_say_why test "$(jget "$mnt/run/summary.json" '"No space left" in d["error"]')" = True
    fi
    check full_disk_should_leave_no_temp_files no_tmp_files "$mnt/run" "$mnt/run/findings"
    umount "$mnt"
else
    echo "SKIP full_disk: cannot mount a tmpfs here ($(cat "$work/mount.err")): counted as failed" >&2
    check full_disk_needs_a_tmpfs_mount false
fi

check store_runs_should_leave_no_temp_files tmp_empty
check store_runs_should_leave_no_processes no_leftover_procs
finish e2e-store
