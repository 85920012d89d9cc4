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
# memlayout appends the pid of every Python child it starts: their pids name
# the semaphores they create in /dev/shm, so what this suite leaves there can
# be told from what other processes on the machine do.
MEMLAYOUT_CHILD_PIDS="$work/child-pids"
: >"$MEMLAYOUT_CHILD_PIDS"
export MEMLAYOUT_CHILD_PIDS
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
    check "${1}_should_leave_no_semaphores_in_dev_shm" no_child_sems
    check "${1}_should_leave_no_temp_dirs" no_temp_dirs
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

# Semaphores in /dev/shm named after the processes given (loky names them
# /loky-PID-*, memlayout's runner has multiprocessing name them /mp-mlPID-*).
sems_of() {
    [ $# -gt 0 ] || return 0
    ls /dev/shm 2>/dev/null | grep -E "^sem\.(loky-|mp-ml)($(echo "$@" | tr ' ' '|'))-"
}
# ... and those of every Python child memlayout started in this suite.
no_child_sems() {
    left=$(sems_of $(sort -u "$MEMLAYOUT_CHILD_PIDS"))
    [ -z "$left" ] || { echo "left in /dev/shm:" $left >&2; false; }
}
no_temp_dirs() { ! ls -A "$TMPDIR" | grep -q '^memlayout-'; }
# The processes whose parent is $1 (memlayout's Python children).
children_of() { awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null; }
# wait_for SECONDS CMD...: until CMD succeeds (its status at the end).
wait_for() {
    n=$(($1 * 10)); shift; i=0
    while [ $i -lt $n ] && ! "$@"; do sleep 0.1; i=$((i + 1)); done
    "$@"
}
