#!/bin/sh
# Fuzzing benchmarks (`make bench` calls this after ci/bench.sh). Two parts,
# each measured side by side in one run, on one core (taskset -c 0):
#
# 1. Throughput: case_bytes through the reduce transport under libFuzzer
#    (finding store on, layout feedback on: the way `make fuzz` runs it)
#    against `memlayout run --transport reduce`, the same wall-clock time
#    each, cases counted from process start. Target: ratio >= 0.8.
# 2. Feedback: case_json and case_bytes from the control seeds only (the
#    public-example seeds left out), with MLF_FEEDBACK none (C edge coverage
#    only), layout, and all (layout + Python arcs): seconds to the first
#    finding of the public example's family (share/joblib, flags broken,
#    C>F: signature.h), distinct findings, layout features and Python arcs seen,
#    libFuzzer's C coverage, exec rate.
#
# env: BIN (libFuzzer targets, build/fuzz), BUILD (memlayout, build/release),
#      BENCH_RATE_TIME (s, default 20), BENCH_FUZZ_TIME (s, default 60),
#      BENCH_REPS (default 1), BENCH_SEED (libFuzzer -seed, default 1),
#      BENCH_PARTS ("rate feedback", the default, or one of them)
set -eu
LC_ALL=C
export LC_ALL
root=$(pwd)
BIN=${BIN:-build/fuzz}
BUILD=${BUILD:-build/release}
ML="$root/$BUILD/memlayout"
RT=${BENCH_RATE_TIME:-20}
FT=${BENCH_FUZZ_TIME:-60}
REPS=${BENCH_REPS:-1}
SEED=${BENCH_SEED:-1}
PARTS=${BENCH_PARTS:-rate feedback}
if [ ! -x "$BIN/case_json" ] || [ ! -x "$BIN/case_bytes" ]; then
    make -s fuzz-build >/dev/null || { echo "fuzz/bench.sh: cannot build the fuzz targets" >&2; exit 1; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
now() { date +%s.%N; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.0f" : "0"), (b > 0 ? a / b : 0) }'; }
pin() { if command -v taskset >/dev/null; then taskset -c 0 "$@"; else "$@"; fi; }

echo "memlayout fuzz bench: $("$ML" --version 2>/dev/null | tr '\n' ' ')"

# ---- 1. throughput ----------------------------------------------------------------
case " $PARTS " in *" rate "*)
mkdir -p "$work/rate/corpus"
t0=$(now)
MLF_TRANSPORTS=reduce MLF_ON_FINDING=store MLF_FINDINGS="$work/rate/findings" MLF_FEEDBACK=layout \
    pin "$BIN/case_bytes" -max_total_time="$RT" -max_len=1024 -timeout=30 -seed="$SEED" \
    -artifact_prefix="$work/rate/" "$work/rate/corpus" "$root/corpus/seed" >"$work/rate.log" 2>&1 || true
t1=$(now)
fz_runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/rate.log" | tail -1)
fz_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now)
pin "$ML" run --seed 42 --time "$RT" -T reduce -q --out "$work/rate-run" >"$work/run.out" 2>&1 || true
t1=$(now)
ml_cases=$(sed -n 's/^\([0-9]*\) cases in .*/\1/p' "$work/run.out" | head -1)
ml_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
fz_rate=$(div "${fz_runs:-0}" "$fz_wall")
ml_rate=$(div "${ml_cases:-0}" "$ml_wall")
ratio=$(awk -v a="$fz_rate" -v b="$ml_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "reduce, one core, ${RT}s each: libFuzzer case_bytes $fz_rate cases/s (${fz_runs:-0} in ${fz_wall}s), memlayout run $ml_rate cases/s (${ml_cases:-0} in ${ml_wall}s), ratio $ratio (target >= 0.8)"
grep 'memlayout-fuzz: case_bytes: .* inputs' "$work/rate.log" | sed 's/^/  /' || true
;; esac

# ---- 2. feedback ---------------------------------------------------------------------
case " $PARTS " in *" feedback "*) ;; *) exit 0 ;; esac
mkdir -p "$work/controls"
cp "$root"/corpus/seed/control-*.json "$work/controls/"
family='^share/joblib fail:[a-z,]*flags[a-z,]* C>F'
echo "feedback, from the $(ls "$work/controls" | wc -l) control seeds, ${FT}s each, libFuzzer -seed=$SEED.., one core:"
printf '  %-10s %-8s %-4s %12s %9s %9s %9s %8s %8s\n' target feedback rep "first-public" findings layout-ft py-arcs c-cov exec/s
for target in case_json case_bytes; do
    for fb in none layout all; do
        r=1
        while [ "$r" -le "$REPS" ]; do
            d="$work/fb-$target-$fb-$r"
            mkdir -p "$d/corpus"
            dict=
            [ "$target" = case_bytes ] || dict="-dict=$root/fuzz/case.dict"
            MLF_TRANSPORTS=reduce MLF_ON_FINDING=store MLF_FINDINGS="$d/findings" MLF_FEEDBACK="$fb" \
                pin "$BIN/$target" -max_total_time="$FT" -timeout=30 -seed=$((SEED + r - 1)) -print_final_stats=1 $dict \
                -artifact_prefix="$d/" "$d/corpus" "$work/controls" >"$d/log" 2>&1 || true
            first=$(awk -F'\t' -v re="$family" '$6 ~ re { print $1; exit }' "$d/findings/log.tsv" 2>/dev/null)
            nf=$(grep -c . "$d/findings/log.tsv" 2>/dev/null || echo 0)
            st=$(grep 'memlayout-fuzz: .* inputs in' "$d/log" | tail -1)
            lay=$(echo "$st" | sed -n 's/.*layout features \([0-9]*\).*/\1/p')
            arcs=$(echo "$st" | sed -n 's/.*python arcs \([0-9]*\).*/\1/p')
            cov=$(grep -E '^#[0-9]+' "$d/log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
            eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$d/log")
            printf '  %-10s %-8s %-4s %12s %9s %9s %9s %8s %8s\n' "$target" "$fb" "$r" "${first:-not found}" \
                "$nf" "${lay:-?}" "${arcs:-?}" "${cov:-?}" "${eps:-?}"
            r=$((r + 1))
        done
    done
done
echo "  (first-public: seconds from start to the first stored finding of the public family;"
echo "   findings: distinct minimized signatures; layout-ft/py-arcs: distinct slots seen;"
echo "   c-cov: libFuzzer's edge coverage of the C harness)"
