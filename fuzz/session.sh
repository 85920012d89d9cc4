#!/bin/sh
# One fuzz session (`make fuzz`, `make fuzz-afl`): runs the engine for
# FUZZ_TIME seconds on JOBS cores, the finding store collecting every
# finding as it goes (the target never stops at one unless STOP=1), then
# the findings step: the target minimizes the store's raw findings in
# process, and `memlayout triage --confirm` lists the distinct bugs, each
# confirmed through real processes. --findings-only (`make fuzz-findings`)
# does only that step, going on where a session stopped.
#
# usage: fuzz/session.sh [--findings-only] libfuzzer|afl TARGET
# env:   BIN (dir of the built targets), FUZZ_TIME, JOBS, FEEDBACK, STOP,
#        FUZZ_WORK (work dirs, outside git), SEEDS, ML (memlayout binary),
#        MIN_TIME (seconds minimizing variants after the session; default
#        FUZZ_TIME/10, at least 60)
set -eu
LC_ALL=C
export LC_ALL
only=
[ "${1:-}" = --findings-only ] && { only=1; shift; }
engine=${1:?usage: fuzz/session.sh [--findings-only] libfuzzer|afl TARGET}
target=${2:?usage: fuzz/session.sh [--findings-only] libfuzzer|afl TARGET}
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

# afl_progress SECONDS LAST-EXECS: "<execs> <progress line>". AFL++ 4.04c
# writes fuzzer_stats once a minute and plot_data only after the first
# minute, so the live numbers come from elsewhere: inputs run from the
# counter the targets keep (MLF_AFL_EXECS, fuzz/afl_main.c), paths from the
# queues, crashes from the crash dirs, findings and distinct bugs (class ids)
# from the finding store's log; stability is AFL++'s last figure.
afl_progress() {
    execs=0
    for f in "$work"/afl-*.execs; do
        [ -s "$f" ] && execs=$((execs + $(od -An -t u8 -N 8 "$f" | tr -d ' ')))
    done
    paths=0
    for q in "$work"/sync/*/queue; do
        n=$(find "$q" -maxdepth 1 -name 'id:*' 2>/dev/null | wc -l)
        [ "$n" -gt "$paths" ] && paths=$n
    done
    crashes=$(find "$work"/sync/*/crashes -maxdepth 1 -name 'id:*' 2>/dev/null | wc -l)
    stab=$(sed -n 's/^stability *: *//p' "$work/sync/main/fuzzer_stats" 2>/dev/null)
    cat "$MLF_FINDINGS/log.tsv" 2>/dev/null | awk -F'\t' -v t="$1" -v last="$2" -v every="$every" -v target="$target" -v execs="$execs" \
        -v paths="$paths" -v crashes="$crashes" -v stab="${stab:-?}" '
        $5 == "raw" { raw++; if (!($8 in bug)) { bug[$8] = 1; bugs++ } }
        END {
            printf "%d memlayout-fuzz: afl %s: %d s, %d execs (%.0f/s), stability %s, paths %d, %d findings stored, %d distinct bugs, %d crashes\n",
                   execs, target, t, execs, (execs - last) / every, stab, paths, raw, bugs, crashes
        }'
}

# The findings step. The target minimizes the raw findings in process (the
# first of each class always, other variants for MIN_TIME seconds; case_parse
# has no Python and stores none); triage reads the store (fuzz/README.md),
# groups the findings into bugs and replays each bug's case through the real
# processes its in-process transport stands for: CONFIRMED or in-process
# only, in its listing and in $work/triage/triage.json. Then the crash files
# of the fuzzed process itself: an engine's crash file without a case beside it.
findings() {
    if [ "$target" != case_parse ]; then
        MLF_MINIMIZE_STORE=1 MLF_MINIMIZE_TIME="$MIN_TIME" "$BIN/$target" 2>&1 |
            grep -E '^memlayout-fuzz: (minimiz|[0-9]+ of|HARNESS)' || true
    fi
    trc=0
    "$ML" triage --confirm --timeout 30 -q --out "$work/triage" "$MLF_FINDINGS" || trc=$?
    [ "$trc" -le 1 ] || { echo "memlayout fuzz: triage of $MLF_FINDINGS failed (exit $trc)" >&2; rc=$((rc + 1)); }
    for a in "$work"/artifacts/crash-* "$work"/artifacts/timeout-* "$work"/artifacts/oom-* "$work"/sync/*/crashes/id:*; do
        case $a in *.json) continue ;; esac
        [ -e "$a" ] && [ ! -e "$a.json" ] && echo "crash of the fuzzed process itself (NumPy, joblib or the harness): $a"
    done
    return 0
}
rc=0
if [ -n "$only" ]; then
    findings
    exit "$([ "$rc" -gt 0 ] && echo 1 || echo 0)"
fi

dict=$root/fuzz/case.dict
case $target in
case_bytes) maxlen=1024 ;;
*) maxlen=16384 ;;
esac
echo "memlayout fuzz: $engine $target for ${FUZZ_TIME}s on $JOBS core(s), feedback $FEEDBACK, work dir $work"
start=$(date +%s)
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
    rm -f "$work"/afl-*.execs
    while [ "$i" -lt "$JOBS" ]; do
        MLF_AFL_EXECS="$work/afl-s$i.execs" afl-fuzz "$@" -S "s$i" -- "$BIN/$target" >"$work/afl-s$i.log" 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
    done
    MLF_AFL_EXECS="$work/afl-main.execs" afl-fuzz "$@" -M main -- "$BIN/$target" >"$work/afl-main.log" 2>&1 &
    main=$!
    trap 'for p in $main $pids; do kill "$p" 2>/dev/null; done' INT TERM
    # AFL_NO_UI keeps afl-fuzz quiet (its log is afl-main.log): one line
    # every MLF_PROGRESS seconds (default 60, 0 none) says how it goes, from
    # the instances' fuzzer_stats and the finding store's log.
    every=$(awk -v p="${MLF_PROGRESS:-60}" 'BEGIN { p += 0; print (p > 0 && p < 1) ? 1 : int(p + 0.5) }')
    t=0
    last_execs=0
    while kill -0 "$main" 2>/dev/null; do
        sleep 1
        t=$((t + 1))
        [ "$every" -gt 0 ] && [ $((t % every)) = 0 ] && kill -0 "$main" 2>/dev/null || continue
        line=$(afl_progress "$t" "$last_execs") || continue
        last_execs=${line%% *}
        echo "${line#* }"
    done
    wait "$main" || rc=$?
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
# The store's raw findings are minimized now, not during fuzzing.
findings
exit "$([ "$rc" -gt 0 ] && echo 1 || echo 0)"
