#!/bin/sh
# One fuzz session (`make fuzz`, `make fuzz-afl`): runs the engine for
# FUZZ_TIME seconds on JOBS cores, the finding store collecting every
# finding as it goes (the target never stops at one unless STOP=1), then
# minimizes them, lists the distinct bugs and confirms each through a real
# process (fuzz/findings.sh).
#
# usage: fuzz/session.sh libfuzzer|afl TARGET
# env:   BIN (dir of the built targets), FUZZ_TIME, JOBS, FEEDBACK, STOP,
#        FUZZ_WORK (work dirs, outside git), SEEDS, ML (memlayout binary),
#        MIN_TIME (seconds minimizing variants after the session; default
#        FUZZ_TIME/10, at least 60)
set -eu
LC_ALL=C
export LC_ALL
engine=${1:?usage: fuzz/session.sh libfuzzer|afl TARGET}
target=${2:?usage: fuzz/session.sh libfuzzer|afl TARGET}
root=$(pwd)
BIN=$(cd "${BIN:?}" && pwd)
FUZZ_TIME=${FUZZ_TIME:-3600}
MIN_TIME=${MIN_TIME:-$((FUZZ_TIME / 10 > 60 ? FUZZ_TIME / 10 : 60))}
export MIN_TIME
JOBS=${JOBS:-1}
FEEDBACK=${FEEDBACK:-layout}
STOP=${STOP:-0}
FUZZ_WORK=${FUZZ_WORK:-out/fuzz}
SEEDS=$(cd "${SEEDS:-corpus/seed}" && pwd)
ML=$(cd "$(dirname "${ML:-build/release/memlayout}")" && pwd)/$(basename "${ML:-memlayout}")

case $engine in
libfuzzer) work=$FUZZ_WORK/$target ;;
afl) work=$FUZZ_WORK/afl/$target ;;
*) echo "fuzz/session.sh: unknown engine $engine" >&2; exit 2 ;;
esac
mkdir -p "$work/corpus" "$work/artifacts" "$work/findings" "$work/tmp"
work=$(cd "$work" && pwd)

# The harness's temp dirs live in the work dir, so nothing outlives a killed
# fork server in /dev/shm; the store collects findings across jobs.
export TMPDIR="$work/tmp"
export MLF_FINDINGS="$work/findings"
export MLF_FEEDBACK="$FEEDBACK"
if [ "$STOP" = 1 ]; then export MLF_ON_FINDING=abort; else export MLF_ON_FINDING=store; fi
# CPython and NumPy keep allocations for the life of the process (fuzz/lsan.supp).
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

dict=$root/fuzz/case.dict
case $target in
case_bytes) maxlen=1024 ;;
*) maxlen=16384 ;;
esac
echo "memlayout fuzz: $engine $target for ${FUZZ_TIME}s on $JOBS core(s), feedback $FEEDBACK, work dir $work"
start=$(date +%s)
rc=0
if [ "$engine" = libfuzzer ]; then
    set -- -max_total_time="$FUZZ_TIME" -timeout=30 -rss_limit_mb=4096 -max_len="$maxlen" \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1
    [ "$target" = case_bytes ] || set -- "$@" -dict="$dict"
    # Python keeps memory across inputs by design (caches, interned objects):
    # libFuzzer's per-input leak check would blame every input; LeakSanitizer
    # still runs at exit, with fuzz/lsan.supp.
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
    set -- "$@" -detect_leaks=0
    if [ "$JOBS" -gt 1 ]; then
        set -- "$@" -jobs="$JOBS" -workers="$JOBS"
    fi
    (cd "$work" && "$BIN/$target" "$@" "$work/corpus" "$SEEDS") 2>&1 | tee "$work/fuzz.log" |
        grep --line-buffered -E 'NEW FINDING|FINDING|HARNESS|ERROR|#[0-9]+.*(pulse|DONE)|Done|stat::|memlayout-fuzz: .*inputs' || true
    # A harness problem fails the session; a finding (STOP=1 aborts on one) does not.
    rc=0
    for log in "$work/fuzz.log" "$work"/fuzz-*.log; do
        [ -e "$log" ] || continue
        if grep -Eq 'HARNESS BUG|ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" ||
            { grep -q 'deadly signal' "$log" && ! grep -q '^memlayout-fuzz: FINDING' "$log"; }; then
            rc=$((rc + 1))
            echo "memlayout fuzz: harness failure in $log" >&2
        fi
    done
else
    export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
    export AFL_FORKSRV_INIT_TMOUT=60000 AFL_IGNORE_PROBLEMS=1
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:symbolize=0}"
    export LSAN_OPTIONS="$LSAN_OPTIONS:symbolize=0"
    [ "$STOP" = 1 ] && export AFL_BENCH_UNTIL_CRASH=1
    set -- -i "$SEEDS" -o "$work/sync" -m none -t 5000 -V "$FUZZ_TIME"
    if [ "$target" != case_bytes ]; then
        set -- "$@" -x "$dict"
        export AFL_CUSTOM_MUTATOR_LIBRARY="$BIN/mlf_mutator.so"
    fi
    pids=
    i=1
    while [ "$i" -lt "$JOBS" ]; do
        afl-fuzz "$@" -S "s$i" -- "$BIN/$target" >"$work/afl-s$i.log" 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
    done
    trap 'for p in $pids; do kill "$p" 2>/dev/null; done' INT TERM
    afl-fuzz "$@" -M main -- "$BIN/$target" >"$work/afl-main.log" 2>&1 || rc=$?
    for p in $pids; do wait "$p" || true; done
    for s in "$work"/sync/*/fuzzer_stats; do
        [ -e "$s" ] || continue
        awk -v n="$(basename "$(dirname "$s")")" -F' *: *' '
            /^(execs_done|execs_per_sec|stability|corpus_count|saved_crashes|run_time|bitmap_cvg)/ { v[$1] = $2 }
            END { printf "afl %s: %s execs in %s s, %s execs/s, stability %s, corpus %s, bitmap %s, crashes %s\n",
                  n, v["execs_done"], v["run_time"], v["execs_per_sec"], v["stability"], v["corpus_count"],
                  v["bitmap_cvg"], v["saved_crashes"] }' "$s"
    done
fi
echo "memlayout fuzz: ran $(( $(date +%s) - start )) s"
rm -rf "$work/tmp"/memlayout-* 2>/dev/null || true
# The store's raw findings are minimized now, not during fuzzing (findings.sh).
[ "$target" = case_parse ] || export MLF_BIN="$BIN/$target"
ML=$ML sh "$root/fuzz/findings.sh" "$work"
exit "$([ "$rc" -gt 0 ] && echo 1 || echo 0)"
