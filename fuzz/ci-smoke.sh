#!/bin/sh
# CI smoke job: every fuzz target runs for a few seconds on the seed corpus
# (case_parse 8 s, case_json 16 s, case_bytes 16 s: 40 s of fuzzing, about
# 50 s with start-up and seed loading; each run is also cut off by `timeout`).
#
# Findings through joblib are expected (the seeds contain the public
# example): the targets store them (MLF_ON_FINDING=store) and go on, and they
# do not fail the job. What fails it is the harness itself: a crash, a
# sanitizer report, a violated round-trip property ("HARNESS BUG"), a target
# that does not start, or an empty run.
#
# usage: fuzz/ci-smoke.sh        env: BIN (default build/fuzz), SMOKE_SCALE
# (multiplies the times, default 1). Builds the targets with make if missing.
set -u
LC_ALL=C
export LC_ALL
BIN=${BIN:-build/fuzz}
SCALE=${SMOKE_SCALE:-1}
root=$(pwd)
if [ ! -x "$BIN/case_json" ] || [ ! -x "$BIN/case_bytes" ] || [ ! -x "$BIN/case_parse" ]; then
    make -s fuzz-build >/dev/null || { echo "fuzz-smoke: cannot build the fuzz targets" >&2; exit 1; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp" MLF_ON_FINDING=store MLF_FINDINGS="$work/findings" MLF_FEEDBACK=layout
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
failed=0
passed=0
for spec in case_parse:8 case_json:16 case_bytes:16; do
    t=${spec%%:*}
    secs=$(( ${spec#*:} * SCALE ))
    mkdir -p "$work/$t/corpus" "$work/$t/art"
    dict=
    [ "$t" = case_bytes ] || dict="-dict=$root/fuzz/case.dict"
    timeout -k 5 $((secs + 20)) "$BIN/$t" -max_total_time="$secs" -timeout=20 -detect_leaks=0 \
        -artifact_prefix="$work/$t/art/" $dict "$work/$t/corpus" "$root/corpus/seed" >"$work/$t.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/$t.log" | tail -1)
    if [ $rc -ne 0 ] || [ -z "$runs" ] || grep -Eq 'HARNESS BUG|==[0-9]+==ERROR|runtime error:' "$work/$t.log"; then
        echo "FAIL $t (exit $rc, ${runs:-0} runs):"
        grep -E 'HARNESS BUG|ERROR|runtime error|deadly signal|SUMMARY' "$work/$t.log" | head -20 | sed 's/^/    /'
        ls "$work/$t/art" 2>/dev/null | sed 's/^/    artifact: /'
        failed=$((failed + 1))
    else
        stats=$(grep 'memlayout-fuzz: .* inputs in' "$work/$t.log" | tail -1 | sed 's/^memlayout-fuzz: //')
        echo "ok   $t: $runs runs in ${secs}s; ${stats:-no statistics}"
        passed=$((passed + 1))
    fi
done
# Stored as found (raw/): minimizing them is the session's after-work, not the smoke's.
n=$(ls "$work/findings"/raw/*.json 2>/dev/null | grep -vc '\.orig\.json$')
awk -F'\t' '$5 == "raw" && !($8 in c) { c[$8] = 1; print $6 }' \
    "$work/findings/log.tsv" 2>/dev/null | sort >"$work/classes"
echo "fuzz-smoke: $n raw findings stored in $(grep -c . "$work/classes") signature classes (expected: the seeds hold the public example)"
head -20 "$work/classes" | sed 's/^/    /'
echo "fuzz-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
