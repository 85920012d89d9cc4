#!/bin/sh
# `make corpus-min`: distils a session's corpus (and the seeds) to the inputs
# that keep all its coverage, layout features included: libFuzzer -merge=1,
# or afl-cmin over every AFL++ instance's queue. The result lands in
# WORK/corpus-min; copy what is worth keeping into corpus/ by hand.
#
# usage: fuzz/corpus-min.sh libfuzzer|afl TARGET
# env:   BIN, FUZZ_WORK (out/fuzz), SEEDS (corpus/seed)
set -eu
LC_ALL=C
export LC_ALL
engine=${1:?usage: fuzz/corpus-min.sh libfuzzer|afl TARGET}
target=${2:?usage: fuzz/corpus-min.sh libfuzzer|afl TARGET}
root=$(pwd)
BIN=$(cd "${BIN:?}" && pwd)
FUZZ_WORK=${FUZZ_WORK:-out/fuzz}
SEEDS=$(cd "${SEEDS:-corpus/seed}" && pwd)
case $engine in
libfuzzer) work=$FUZZ_WORK/$target ;;
afl) work=$FUZZ_WORK/afl/$target ;;
*) echo "fuzz/corpus-min.sh: unknown engine $engine" >&2; exit 2 ;;
esac
mkdir -p "$work/corpus" "$work/findings" "$work/tmp"
work=$(cd "$work" && pwd)
export TMPDIR="$work/tmp" MLF_ON_FINDING=store MLF_FINDINGS="$work/findings" MLF_QUIET=1
# AFL++ insists on symbolize=0; libFuzzer keeps symbols, which the
# suppressions need where libpython is linked statically (fuzz/build.sh's
# $OUT): its frames are then matched by function name.
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
[ "$engine" = libfuzzer ] || LSAN_OPTIONS="$LSAN_OPTIONS:symbolize=0"
rm -rf "$work/corpus-min"
mkdir -p "$work/corpus-min"
# Inputs in the folders given (regular files, not ls's headers and blank lines).
count() { find "$@" -maxdepth 1 -type f ! -name '.*' | wc -l; }
if [ "$engine" = libfuzzer ]; then
    before=$(count "$work/corpus" "$SEEDS")
    "$BIN/$target" -merge=1 -timeout=30 "$work/corpus-min" "$work/corpus" "$SEEDS" >"$work/merge.log" 2>&1 || {
        tail -20 "$work/merge.log" >&2
        exit 1
    }
else
    all="$work/cmin-in"
    rm -rf "$all"
    mkdir -p "$all"
    cp "$SEEDS"/* "$all"/
    for q in "$work"/sync/*/queue; do
        [ -d "$q" ] && find "$q" -maxdepth 1 -type f -name 'id:*' -exec cp {} "$all"/ \;
    done
    before=$(count "$all")
    # afl-cmin refuses any path under /tmp or /var/tmp (a shared temp dir is
    # unsafe for its fixed names); the work dir here is this session's own,
    # so a FUZZ_WORK there (tests, CI) is allowed.
    export AFL_ALLOW_TMP=1 AFL_FORKSRV_INIT_TMOUT=60000 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
    afl-cmin -i "$all" -o "$work/corpus-min" -m none -t 5000 -- "$BIN/$target" \
        >"$work/cmin.log" 2>&1 || {
        tail -20 "$work/cmin.log" >&2
        exit 1
    }
    rm -rf "$all"
fi
echo "corpus-min: $target ($engine): $before inputs -> $(count "$work/corpus-min") in $work/corpus-min"
