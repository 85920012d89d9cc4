# The command line: help, version, reproducible generation, exit codes.
. tests/e2e/lib.sh
for c in run replay gen; do
    ml $c --help
    check "${c}_help_should_exit_0" test "$(last_rc)" = 0
    check "${c}_help_should_show_usage" out_has "usage: memlayout $c"
done
ml --help
check main_help_should_list_commands out_has "replay"
ml --version
check version_should_exit_0 test "$(last_rc)" = 0
check version_should_name_numpy out_has "^numpy 1\."
check version_should_name_joblib out_has "^joblib "
check version_should_name_memlayout out_has "^memlayout "

"$ML" gen --seed 5 -n 200 -T all >"$work/a"
"$ML" gen --seed 5 -n 200 -T all >"$work/b"
"$ML" gen --seed 6 -n 200 -T all >"$work/c"
check gen_should_repeat_for_the_same_seed cmp -s "$work/a" "$work/b"
check gen_should_differ_for_another_seed sh -c "! cmp -s '$work/a' '$work/c'"
check gen_should_print_200_cases test "$(wc -l <"$work/a")" -eq 200
"$ML" gen --seed 5 --start 17 -n 1 -T all >"$work/d"
check gen_start_should_pick_the_same_case test "$(sed -n 18p "$work/a")" = "$(cat "$work/d")"

# Generated cases replay as they are (canonical files, accepted by replay).
mkdir -p "$work/cases"
"$ML" gen --seed 3 -n 30 -T reduce,threading,pickle5 | split -l 1 -a 3 - "$work/cases/c"
for f in "$work/cases"/c*; do mv "$f" "$f.json"; done
ml replay "$work/cases"
check generated_cases_should_replay test "$(last_rc)" != 2 -a "$(last_rc)" != 3
check replay_should_print_a_summary out_has "^replay: 30 cases"

# A campaign writes results, findings and a summary.
ml run --seed 1 --cases 300 -q --no-minimize --out "$work/run"
check run_should_exit_0_or_1 test "$(last_rc)" -le 1
check run_should_write_one_result_per_case test "$(wc -l <"$work/run/results.jsonl")" -eq 300
check run_should_write_a_summary test "$(jget "$work/run/summary.json" 'd["cases"]')" = 300
check run_should_print_versions out_has "NumPy 1\."
# Two children give the same verdicts as one: cases are numbered, not raced.
ml run --seed 1 --cases 300 -j 2 -q --no-minimize --report none --out "$work/run2"
check run_with_two_jobs_should_run_every_case test "$(wc -l <"$work/run2/results.jsonl")" -eq 300
check run_with_two_jobs_should_find_the_same test "$(jget "$work/run2/summary.json" 'd["counts"]')" = "$(jget "$work/run/summary.json" 'd["counts"]')"
check campaigns_should_leave_no_temp_files tmp_empty
finish e2e-cli
