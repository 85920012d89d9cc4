# No false positives: memlayout's own correct reducer carries 10,000 random
# cases without a single finding, in process and through real workers.
. tests/e2e/lib.sh
ml run --seed 2024 --cases 10000 -T reference -q --out "$work/ref"
check reference_10000_cases_should_exit_0 test "$(last_rc)" = 0
check reference_should_run_10000_cases test "$(jget "$work/ref/summary.json" 'd["cases"]')" = 10000
check reference_should_have_no_fail test "$(jget "$work/ref/summary.json" 'd["counts"]["fail"]')" = 0
check reference_should_have_no_error test "$(jget "$work/ref/summary.json" 'd["counts"]["error"]')" = 0
[ "$(last_rc)" = 0 ] || { show_last; cat "$work/ref/summary.json" >&2; }

# The same cases through joblib's reducer do find bugs: the oracle is not blind.
ml run --seed 2024 --cases 2000 -T reduce -q --no-minimize --out "$work/joblib"
check joblib_reducer_should_have_findings test "$(last_rc)" = 1

ml run --seed 99 --cases 400 -T loky,multiprocessing,reduce --reducer reference -q --out "$work/refw"
check reference_patched_into_joblib_workers_should_pass test "$(last_rc)" = 0
[ "$(last_rc)" = 0 ] || { show_last; cat "$work/refw/summary.json" >&2; }
check reference_should_leave_no_temp_files tmp_empty
finish e2e-reference
