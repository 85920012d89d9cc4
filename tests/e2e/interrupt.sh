# SIGINT, SIGTERM and SIGHUP stop a run cleanly, during the campaign and
# during the minimization at its end: exit 130/143/129, summary.json says
# interrupted, every finding written so far is whole and replays, and
# nothing is left: no process, no temp dir, no semaphore in /dev/shm.
. tests/e2e/lib.sh

want_rc() { case $1 in INT) echo 130 ;; TERM) echo 143 ;; HUP) echo 129 ;; esac; }
has_findings() { ls "$1/findings" 2>/dev/null | grep -q '\.json$'; }
interrupted() { test "$(jget "$1/summary.json" 'd["interrupted"]')" = True; }

# ---- during the campaign
for sig in INT TERM HUP; do
    out="$work/int-$sig"
    "$ML" run --seed 11 --time 120 -T reduce,loky -q --out "$out" >"$work/last.out" 2>"$work/last.err" &
    pid=$!
    # Wait until findings exist, so the interruption has something to keep.
    wait_for 30 has_findings "$out"
    sleep 1
    kids=$(children_of $pid)
    kill -$sig $pid
    wait $pid
    rc=$?
    want=$(want_rc $sig)
    check "sig${sig}_should_exit_$want" test $rc -eq $want
    check "sig${sig}_should_leave_no_temp_files" tmp_empty
    check "sig${sig}_should_leave_findings" has_findings "$out"
    check "sig${sig}_should_write_a_summary" interrupted "$out"
    check "sig${sig}_should_leave_no_partial_files" sh -c "! ls -A '$out/findings' | grep -q '^\.'"
    check "sig${sig}_should_have_had_python_children" test -n "$kids"
    check "sig${sig}_should_leave_no_semaphores" test -z "$(sems_of $kids)"
    [ $sig = HUP ] && continue
    # Every finding is a whole case that parses and reproduces.
    ml replay "$out/findings"
    check "sig${sig}_findings_should_replay_as_findings" test "$(last_rc)" = 1
    check "sig${sig}_findings_should_all_fail_again" sh -c "! grep -q ': pass' '$work/last.out'"
    [ "$(last_rc)" = 1 ] || show_last
done
check interrupts_should_leave_no_processes no_leftover_procs

# ---- during the minimization at the end of the run
# The first case hangs (fault injection, test-only): its error:timeout bug
# takes a second per case the minimizer tries, which leaves time to signal.
# The three runs go side by side: they mostly wait.
victim=$("$ML" gen --seed 13 -n 1 -T reduce,loky | sed 's/.*"seed":\([0-9]*\)}.*/\1/')
minimizing() { grep -qs minimizing "$1"; }
for sig in INT TERM HUP; do
    out="$work/min-$sig"
    : >"$out.pids"
    MEMLAYOUT_FAULT="hang:$victim" MEMLAYOUT_CHILD_PIDS="$out.pids" \
        "$ML" run --seed 13 --cases 20 -T reduce,loky --timeout 1 --out "$out" --report none \
        >"$out.out" 2>"$out.err" &
    echo $! >"$out.pid"
done
for sig in INT TERM HUP; do
    out="$work/min-$sig"
    wait_for 60 minimizing "$out.err"
    sleep 0.5
    kill -$sig "$(cat "$out.pid")"
done
for sig in INT TERM HUP; do
    out="$work/min-$sig"
    wait "$(cat "$out.pid")"
    rc=$?
    cat "$out.pids" >>"$MEMLAYOUT_CHILD_PIDS"
    want=$(want_rc $sig)
    check "min_sig${sig}_should_exit_$want" test $rc -eq $want
    check "min_sig${sig}_should_say_interrupted" interrupted "$out"
    check "min_sig${sig}_should_have_stopped_a_minimization" grep -q '"stop_reason":.*"interrupted"' "$out/triage.json"
    check "min_sig${sig}_should_leave_findings" has_findings "$out"
    check "min_sig${sig}_should_leave_no_semaphores" test -z "$(sems_of $(cat "$out.pids"))"
    [ $rc -eq $want ] || cat "$out.out" "$out.err" >&2
done
check minimization_interrupts_should_leave_no_temp_files tmp_empty
check minimization_interrupts_should_leave_no_processes no_leftover_procs

# ---- a dask run: the interrupt closes the cluster (scheduler, nannies,
# workers), nothing of it is left
out="$work/int-dask"
"$ML" run --seed 12 --time 120 -T dask -q --no-minimize --report none --out "$out" \
    >"$work/last.out" 2>"$work/last.err" &
pid=$!
dask_answered() { [ -s "$out/results.jsonl" ]; }
wait_for 60 dask_answered
kids=$(children_of $pid)
kill -INT $pid
wait $pid
rc=$?
check dask_sigINT_should_exit_130 test $rc -eq 130
check dask_sigINT_should_have_answered dask_answered
check dask_sigINT_should_leave_no_processes no_leftover_procs
check dask_sigINT_should_leave_no_semaphores test -z "$(sems_of $kids)"
check dask_sigINT_should_leave_no_temp_files tmp_empty
[ $rc -eq 130 ] || show_last

# ---- replay, with a loky worker stuck in a case: the child cannot finish
# its batch, so it is killed once the grace period is over, with its group;
# what its resource tracker had no time to unlink is removed for it
MEMLAYOUT_FAULT="hang:$victim" "$ML" replay -T loky "$work/min-INT/findings/000000-reduce-error-timeout.json" \
    >"$work/last.out" 2>"$work/last.err" &
pid=$!
sleep 1.5
kids=$(children_of $pid)
kill -TERM $pid
wait $pid
rc=$?
check replay_sigTERM_should_exit_143 test $rc -eq 143
check replay_sigTERM_should_leave_no_semaphores test -z "$(sems_of $kids)"
check replay_sigTERM_should_leave_no_temp_files tmp_empty
finish e2e-interrupt
