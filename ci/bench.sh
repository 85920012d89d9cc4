#!/bin/sh
# `make bench`: side-by-side measurements in one run, printed as ratios
# against their targets. Not a test: this machine is noisy; read the numbers.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build/release}
ML="$PWD/$BUILD/memlayout"
PY=${PY:-/usr/bin/python3}
N=${BENCH_CASES:-20000}
BIG=${BENCH_BIG:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
now() { date +%s.%N; }

echo "memlayout bench: $("$ML" --version | tr '\n' ' ')"

# 0. reach: the layouts generated cases get to, by the layout model (no Python).
"$BUILD/bench/reach" 100000 1 || true
# The same over the fuzzers' corpora, when a session left them (make fuzz,
# make fuzz-afl with FUZZ_TARGET=case_json, FUZZ_WORK as for those).
fw=${FUZZ_WORK:-out/fuzz}
for corpus in "$fw/case_json/corpus" "$fw/afl/case_json/sync/main/queue"; do
    [ -d "$corpus" ] || continue
    echo "reach over $corpus:"
    "$BUILD/bench/reach" --json "$corpus" || true
done
"$ML" gen --seed 42 -n "$N" -T reduce >"$work/cases.jsonl"

# 1. memlayout run through reduce vs a plain Python loop, same cases, one core.
t0=$(now); taskset -c 0 "$PY" ci/bench_plain.py "$work/cases.jsonl" >"$work/plain.out"; t1=$(now)
plain=$(rate "$N" "$(secs "$t0" "$t1")")
t0=$(now); taskset -c 0 "$ML" run --seed 42 --cases "$N" -T reduce -q --no-minimize --report none --out "$work/r1" >/dev/null || true; t1=$(now)
mine=$(rate "$N" "$(secs "$t0" "$t1")")
echo "reduce, one core:    memlayout $mine cases/s, plain Python loop $plain cases/s, ratio $(awk -v a="$mine" -v b="$plain" 'BEGIN{printf "%.2f", a/b}') (target >= 0.8)"
echo "  (both timed from process start; $(cat "$work/plain.out"))"

# 2. loky with 2 workers, many cases per Parallel call.
L=${BENCH_LOKY:-5000}
t0=$(now); "$ML" run --seed 43 --cases "$L" -T loky --batch 1000 -q --no-minimize --report none --out "$work/r2" >/dev/null || true; t1=$(now)
echo "loky, 2 workers:     $(rate "$L" "$(secs "$t0" "$t1")") cases/s over $L cases incl. start-up (target >= 500)"

# 2b. dask: joblib's dask backend on a 2-process LocalCluster, 20 s of cases
# counted from process start (the cluster's start included).
t0=$(now); "$ML" run --seed 47 --time 20 -T dask --batch 1000 -q --no-minimize --report none --out "$work/r2d" >/dev/null || true; t1=$(now)
D=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["cases"])' "$work/r2d/summary.json")
echo "dask, 2 workers:     $(rate "$D" "$(secs "$t0" "$t1")") cases/s, $D cases in a 20 s run incl. cluster start (target >= 500)"

# 3. process start to first case.
best=9
for i in 1 2 3; do
    t0=$(now); "$ML" run --seed 44 --cases 1 -T reduce -q --no-minimize --report none --out "$work/r3" >/dev/null || true; t1=$(now)
    best=$(awk -v a="$best" -v b="$(secs "$t0" "$t1")" 'BEGIN{print (b < a) ? b : a}')
done
echo "start to first case: ${best} s, whole run of one case, best of 3 (target <= 0.5)"

# 4. memory and open files over a long campaign.
"$ML" run --seed 45 --cases "$BIG" -T reduce -q --no-minimize --report none --out "$work/r4" >/dev/null &
pid=$!
"$PY" ci/bench_monitor.py $pid "$work/r4/results.jsonl" "$BIG" >"$work/mon.json"
wait $pid || true
"$PY" - "$work/mon.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
f, l = m["first"] or {}, m["last"] or {}
print(f"memory, {m.get('samples')} samples: peak RSS supervisor {m['peak_sup_rss_kb']/1024:.1f} MB, child {m['peak_child_rss_kb']/1024:.1f} MB (target <= 150 MB)")
for k in ("sup_rss", "child_rss", "sup_fds", "child_fds"):
    print(f"  {k:10s} first 10%: {f.get(k)}  last 10%: {l.get(k)}")
PY

# 5. disk use of a campaign: finding files are bounded per bug (--keep,
# default 20), results.jsonl grows by one line per case.
D=${BENCH_DISK_TIME:-60}
"$ML" run --seed 46 --time "$D" -j 2 -q --out "$work/r5" >/dev/null || true
echo "disk, ${D} s -j 2 run:  $(du -sm "$work/r5" | cut -f1) MB in $(find "$work/r5" -type f | wc -l) files," \
    "$("$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["cases"], "cases,", s["findings_kept"], "finding files kept,", s["findings_not_kept"], "counted only")' "$work/r5/summary.json")" \
    "(target < 50 MB)"
