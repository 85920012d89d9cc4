# The public example: a 1-D memmap reshaped to (5, 3) arrives F-contiguous and
# scrambled through joblib's reducers; threading and pickle keep it; the same
# array created with shape (5, 3) passes everywhere.
. tests/e2e/lib.sh
pe=corpus/seed/public-example-reshape-5x3-loky.json

ml replay -T loky,multiprocessing,reduce "$pe"
check replay_of_public_example_should_exit_1 test "$(last_rc)" = 1
for t in loky multiprocessing reduce; do
    check "public_example_should_fail_data_and_flags_through_$t" \
        grep -q "\[$t\]: fail:.*data.*flags" "$work/last.out"
done
[ "$(last_rc)" = 1 ] || show_last

ml replay -T threading,pickle2,pickle3,pickle4,pickle5,pickle5-oob "$pe"
check public_example_should_pass_through_threading_and_pickle test "$(last_rc)" = 0
[ "$(last_rc)" = 0 ] || show_last

ml replay -T all corpus/seed/control-backing-shape-5x3-loky.json
check shape_5x3_backing_should_pass_through_every_transport test "$(last_rc)" = 0
check shape_5x3_backing_should_run_every_transport out_has "13 cases, 13 pass"
[ "$(last_rc)" = 0 ] || show_last

# dask copies: a C-ordered (5, 3) copy with the same values arrives
ml replay -T dask "$pe"
check public_example_should_get_a_dask_verdict grep -q "\[dask\]: pass" "$work/last.out"
check public_example_should_pass_through_dask test "$(last_rc)" = 0
[ "$(last_rc)" = 0 ] || show_last
check dask_replay_should_leave_no_processes no_leftover_procs

ml replay --reducer reference -T loky,multiprocessing,reduce "$pe"
check public_example_should_pass_with_the_reference_reducer test "$(last_rc)" = 0
[ "$(last_rc)" = 0 ] || show_last

ml replay corpus/seed/control-*.json
check seed_controls_should_pass test "$(last_rc)" = 0
[ "$(last_rc)" = 0 ] || show_last
check replay_should_leave_no_temp_files tmp_empty
finish e2e-public-example
