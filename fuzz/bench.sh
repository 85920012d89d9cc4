#!/bin/sh
# Fuzzing benchmarks (`make bench` calls this after ci/bench.sh). Two parts,
# each measured side by side in one run:
#
# 1. Throughput: case_bytes through the reduce transport under libFuzzer
#    (finding store on, layout feedback on: the way `make fuzz` runs it)
#    against `memlayout run --transport reduce`, the same wall-clock time
#    each, cases counted from process start, both at once on the two cores
#    and then with the cores swapped (the ratio sums both). Target: ratio
#    >= 0.8. Both sides are measured without their after-the-run work (the
#    fuzzer's store minimization, run's triage and report: `--no-minimize
#    --report none`); the fuzzer's minimization is timed on its own.
# 2. Feedback (one core, taskset -c 0): case_json and case_bytes from the
#    control seeds only (the public-example seeds left out), with
#    MLF_FEEDBACK none (C edge coverage only), layout, and all (layout +
#    Python arcs): seconds to the first finding of the public example's
#    family (share/joblib, flags broken, C>F: signature.h), signature
#    classes found, layout features and Python arcs seen, libFuzzer's C
#    coverage, exec rate.
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
# Both at once, one on each core, then with the cores swapped: load from
# outside hits both sides alike, and neither side keeps the better core. One
# core only: one after the other.
cores=$(nproc 2>/dev/null || echo 1)
fuzz_side() {   # fuzz_side CORE TAG
    mkdir -p "$work/rate-$2/corpus"
    t0=$(now)
    MLF_TRANSPORTS=reduce MLF_ON_FINDING=store MLF_FINDINGS="$work/rate-$2/findings" MLF_FEEDBACK=layout \
        taskset -c "$1" "$BIN/case_bytes" -max_total_time="$RT" -max_len=1024 -timeout=30 -seed="$SEED" \
        -artifact_prefix="$work/rate-$2/" "$work/rate-$2/corpus" "$root/corpus/seed" >"$work/rate-$2.log" 2>&1 || true
    t1=$(now)
    echo "$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/rate-$2.log" | tail -1) $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
        >"$work/fz-$2"
}
run_side() {    # run_side CORE TAG
    t0=$(now)
    taskset -c "$1" "$ML" run --seed 42 --time "$RT" -T reduce -q --no-minimize --report none \
        --out "$work/run-$2" >"$work/run-$2.out" 2>&1 || true
    t1=$(now)
    echo "$(sed -n 's/^\([0-9]*\) cases in .*/\1/p' "$work/run-$2.out" | head -1) $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
        >"$work/ml-$2"
}
if [ "$cores" -ge 2 ] && command -v taskset >/dev/null; then
    mode="at once on cores 0 and 1, then swapped"
    fuzz_side 0 a & run_side 1 a & wait
    fuzz_side 1 b & run_side 0 b & wait
else
    mode="one after the other, one core"
    fuzz_side 0 a; run_side 0 a
    fuzz_side 0 b; run_side 0 b
fi
line() { awk -v t="$1" '{ n = $1 + 0; w = $2 + 0; printf "%s %.0f cases/s (%d in %.1fs)", t, (w > 0 ? n / w : 0), n, w }' "$2"; }
echo "reduce, ${RT}s per side, $mode:"
for tag in a b; do
    echo "  $(line "libFuzzer case_bytes" "$work/fz-$tag"), $(line "memlayout run" "$work/ml-$tag")"
done
ratio=$(cat "$work/fz-a" "$work/fz-b" "$work/ml-a" "$work/ml-b" | awk '
    NR <= 2 { fn += $1; fw += $2 } NR > 2 { mn += $1; mw += $2 }
    END { f = (fw > 0 ? fn / fw : 0); m = (mw > 0 ? mn / mw : 0)
          printf "%.0f vs %.0f cases/s, ratio %.2f", f, m, (m > 0 ? f / m : 0) }')
echo "  libFuzzer case_bytes vs memlayout run: $ratio (target >= 0.8)"
grep 'memlayout-fuzz: case_bytes: .* inputs in' "$work/rate-a.log" | sed 's/^/  /' || true
t0=$(now)
MLF_MINIMIZE_STORE=1 MLF_FINDINGS="$work/rate-a/findings" pin "$BIN/case_bytes" >"$work/min.log" 2>&1 || true
t1=$(now)
echo "  after the session: $(sed -n 's/^memlayout-fuzz: \(minimized .*\)$/\1/p' "$work/min.log" | tail -1)" \
    "($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s with start-up)"
;; esac

# ---- 2. feedback ---------------------------------------------------------------------
case " $PARTS " in *" feedback "*) ;; *) exit 0 ;; esac
mkdir -p "$work/controls"
cp "$root"/corpus/seed/control-*.json "$work/controls/"
family='^share/joblib fail:[a-z,]*flags[a-z,]* C>F'
echo "feedback, from the $(ls "$work/controls" | wc -l) control seeds, ${FT}s each, libFuzzer -seed=$SEED.., one core:"
printf '  %-10s %-8s %-4s %12s %9s %9s %9s %8s %8s\n' target feedback rep "first-public" classes layout-ft py-arcs c-cov exec/s
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
            nf=$(awk -F'\t' '$5 == "raw" { if (!($8 in c)) { c[$8] = 1; n++ } }
                END { print n + 0 }' "$d/findings/log.tsv" 2>/dev/null || echo 0)
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
echo "   classes: distinct signature classes stored; layout-ft/py-arcs: distinct slots seen;"
echo "   c-cov: libFuzzer's edge coverage of the C harness)"
