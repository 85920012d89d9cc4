# Shared by the end-to-end tests: `. tests/e2e/lib.sh`, then `check NAME CMD...`
# (passes when CMD exits 0), and `finish SUITE` for the summary line.
set -u
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build/release}
ML="$PWD/$BUILD/memlayout"
PY=${PY:-/usr/bin/python3}
work=$(mktemp -d)
TMPDIR="$work/tmp"            # memlayout's private dirs land here: tests check it is left empty
mkdir -p "$TMPDIR"
export TMPDIR
trap 'rm -rf "$work"' EXIT INT TERM
e2e_passed=0
e2e_failed=0

check() {
    name=$1; shift
    if "$@"; then
        e2e_passed=$((e2e_passed + 1))
    else
        e2e_failed=$((e2e_failed + 1))
        echo "FAIL $name" >&2
    fi
}

# Runs memlayout, keeping stdout, stderr and the exit status in $work/last.*
ml() {
    "$ML" "$@" >"$work/last.out" 2>"$work/last.err"
    echo $? >"$work/last.rc"
}
last_rc() { cat "$work/last.rc"; }
out_has() { grep -q -- "$1" "$work/last.out"; }
err_has() { grep -q -- "$1" "$work/last.err"; }
tmp_empty() { [ -z "$(ls -A "$TMPDIR")" ]; }
show_last() { echo "--- stdout"; cat "$work/last.out"; echo "--- stderr"; cat "$work/last.err"; } >&2

finish() {
    echo "$1: $e2e_passed passed, $e2e_failed failed"
    [ "$e2e_failed" -eq 0 ]
}

# jq-like: jget FILE 'd["counts"]["fail"]' prints that value of a JSON file.
jget() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# Processes left from this test's campaigns: memlayout points TMPDIR of its
# Python children (and so of every pool worker they start) into $TMPDIR.
no_leftover_procs() {
    sleep 0.5
    ! grep -lsaF "TMPDIR=$TMPDIR/memlayout-" /proc/[0-9]*/environ 2>/dev/null | grep -q .
}
