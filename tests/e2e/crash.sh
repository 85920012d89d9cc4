# A case that kills or hangs the process rebuilding the array is a finding
# (error:crash / error:timeout); the campaign replaces the child and runs
# every other case. Faults are injected with MEMLAYOUT_FAULT (test-only).
. tests/e2e/lib.sh

nth_seed() {   # nth_seed SEED I TRANSPORTS: the data seed of case I
    "$ML" gen --seed "$1" --start "$2" -n 1 -T "$3" | sed 's/.*"seed":\([0-9]*\)}.*/\1/'
}
count() { grep -c "$1" "$2" || true; }

for t in reduce loky; do
    victim=$(nth_seed 7 5 $t)
    MEMLAYOUT_FAULT="crash:$victim" ml run --seed 7 --cases 40 -T $t -q --no-minimize --out "$work/crash-$t"
    res="$work/crash-$t/results.jsonl"
    check "crash_through_${t}_should_exit_1" test "$(last_rc)" = 1
    check "crash_through_${t}_should_run_every_case" test "$(wc -l <"$res")" -eq 40
    check "crash_through_${t}_should_be_one_error_crash" test "$(count '"verdict":"error:crash"' "$res")" -eq 1
    check "crash_through_${t}_should_hit_the_victim" grep -q '"id":5,.*"error:crash"' "$res"
    check "crash_through_${t}_should_save_the_finding" test -f "$work/crash-$t/findings/000005-$t-error-crash.json"
    [ "$(last_rc)" = 1 ] || show_last
done

victim=$(nth_seed 8 3 reduce)
MEMLAYOUT_FAULT="hang:$victim" ml run --seed 8 --cases 20 --timeout 2 -q --no-minimize --out "$work/hang"
res="$work/hang/results.jsonl"
check hang_should_exit_1 test "$(last_rc)" = 1
check hang_should_run_every_case test "$(wc -l <"$res")" -eq 20
check hang_should_be_one_error_timeout grep -q '"id":3,.*"error:timeout"' "$res"
check hang_should_be_the_only_timeout test "$(count 'error:timeout' "$res")" -eq 1
[ "$(last_rc)" = 1 ] || show_last
check crashes_should_leave_no_temp_files tmp_empty
check crashes_should_leave_no_processes no_leftover_procs
finish e2e-crash
