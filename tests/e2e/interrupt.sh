# SIGINT and SIGTERM stop a campaign cleanly: exit 130/143, no temp files,
# every finding written so far is whole and replays.
. tests/e2e/lib.sh
for sig in INT TERM; do
    out="$work/int-$sig"
    "$ML" run --seed 11 --time 120 -T reduce,loky -q --out "$out" >"$work/last.out" 2>"$work/last.err" &
    pid=$!
    # Wait until findings exist, so the interruption has something to keep.
    i=0
    while [ $i -lt 150 ] && [ -z "$(ls "$out/findings" 2>/dev/null | grep '\.json$')" ]; do
        sleep 0.2; i=$((i + 1))
    done
    sleep 1
    kill -$sig $pid
    wait $pid
    rc=$?
    if [ $sig = INT ]; then want=130; else want=143; fi
    check "sig${sig}_should_exit_$want" test $rc -eq $want
    check "sig${sig}_should_leave_no_temp_files" tmp_empty
    check "sig${sig}_should_leave_findings" sh -c "ls '$out/findings' | grep -q '\.json$'"
    check "sig${sig}_should_write_a_summary" test "$(jget "$out/summary.json" 'd["interrupted"]')" = True
    check "sig${sig}_should_leave_no_partial_files" sh -c "! ls -A '$out/findings' | grep -q '^\.'"
    # Every finding is a whole case that parses and reproduces.
    ml replay "$out/findings"
    check "sig${sig}_findings_should_replay_as_findings" test "$(last_rc)" = 1
    check "sig${sig}_findings_should_all_fail_again" sh -c "! grep -q ': pass' '$work/last.out'"
    [ "$(last_rc)" = 1 ] || show_last
done
check interrupts_should_leave_no_processes no_leftover_procs
finish e2e-interrupt
