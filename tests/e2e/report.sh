# memlayout report: one self-contained HTML page from a run, ci or matrix
# output; hostile strings stay text; a 100,000-case run stays under 2 MB;
# `run` writes its report when it ends.
. tests/e2e/lib.sh
fx=tests/browser/make_fixture.py
HOSTILE_TAG='<script>alert("x")</script>'

ml report --help
check report_help_should_exit_0 test "$(last_rc)" = 0
check report_help_should_name_the_output out_has "reports/NAME/index.html"

# a run's directory
"$PY" $fx "$work/run1" --cases 2000 --findings 150
ml report "$work/run1" -o "$work/out/run1.html"
check report_of_a_run_should_exit_0 test "$(last_rc)" = 0
check report_should_say_where_it_wrote out_has "report: $work/out/run1.html"
for id in overview findings per-transport verdict-matrix transitions coverage-C coverage-F coverage-dtype \
    charts regression; do
    check "report_should_have_$id" grep -q "id=\"$id\"" "$work/out/run1.html"
done
check report_should_fetch_nothing sh -c "! grep -Eq '(src|href)=\"[^#]|url\\(|<link|<script' '$work/out/run1.html'"
check report_should_carry_a_csp grep -q 'Content-Security-Policy' "$work/out/run1.html"
[ "$(last_rc)" = 0 ] || show_last

# hostile strings in versions, command line, transports, dtypes, verdicts,
# layouts, file names, runner messages, ci cases and environments
"$PY" $fx "$work/<script>h" --cases 1500 --findings 80 --hostile --ci
ml report "$work/<script>h" -o "$work/out/hostile.html"
check hostile_report_should_exit_0 test "$(last_rc)" = 0
check hostile_report_should_hold_no_script sh -c "! grep -qi '<script' '$work/out/hostile.html'"
check hostile_report_should_hold_no_img sh -c "! grep -qi '<img' '$work/out/hostile.html'"
check hostile_report_should_break_no_attribute sh -c "! grep -q '\" onerror=' '$work/out/hostile.html'"
check hostile_strings_should_be_shown_escaped grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' \
    "$work/out/hostile.html"
check hostile_title_should_be_escaped grep -q '<title>memlayout report — &lt;script&gt;h</title>' \
    "$work/out/hostile.html"
check ci_results_should_fill_the_regression_view grep -q 'id="regression-summary"' "$work/out/hostile.html"

# a 100,000-case run: aggregated, at most 2 MB
"$PY" $fx "$work/big" --cases 100000 --findings 3000
ml report -q "$work/big" -o "$work/out/big.html"
size=$(wc -c <"$work/out/big.html")
echo "report of 100000 cases: $size bytes"
check report_of_100000_cases_should_be_under_2_MB test "$size" -lt 2000000

# without the completion times older runs lack, the time axis says it is approximate
"$PY" $fx "$work/old" --cases 300 --findings 10 --no-t
ml report -q "$work/old" -o "$work/out/old.html"
check report_without_times_should_say_so grep -q 'approximate' "$work/out/old.html"

# a results.jsonl file alone, and the default output path
mkdir -p "$work/cwd/r2"
cp "$work/run1/results.jsonl" "$work/cwd/r2/"
(cd "$work/cwd" && "$ML" report -q r2/results.jsonl)
check default_path_should_be_reports_name_index_html test -s "$work/cwd/reports/r2/index.html"

# memlayout matrix --json output
cat >"$work/matrix.json" <<'EOF'
{"environments":[{"name":"installed","key":"joblib-1.2.0+numpy-1.24.2","reducer":"joblib","python_path":null},
 {"name":"reference","key":"joblib-1.2.0+numpy-1.24.2+reference","reducer":"reference","python_path":null}],
 "cases":[{"case":"corpus/seed/public-example-reshape-5x3-loky.json","transport":"loky","verdicts":["fail:data,flags,strides","pass"]},
  {"case":"corpus/seed/control-backing-shape-5x3-loky.json","transport":"loky","verdicts":["pass","pass"]}]}
EOF
ml report "$work/matrix.json" -o "$work/out/matrix.html"
check report_of_a_matrix_should_exit_0 test "$(last_rc)" = 0
check matrix_report_should_list_differing_cases grep -q 'id="matrix-diff"' "$work/out/matrix.html"

# bad input
ml report
check report_without_input_should_exit_2 test "$(last_rc)" = 2
ml report "$work/nonexistent"
check report_of_a_missing_path_should_exit_2 test "$(last_rc)" = 2
mkdir -p "$work/empty"
ml report "$work/empty" -o "$work/out/empty.html"
check report_of_an_empty_dir_should_exit_2 test "$(last_rc)" = 2
check report_of_an_empty_dir_should_say_why err_has "no summary.json, results.jsonl or finding files"
ml report "$work/run1" -o /proc/nonexistent/index.html
check unwritable_output_should_exit_3 test "$(last_rc)" = 3

# `run` ends with its report
ml run --seed 1 --cases 40 -T reduce -q --out "$work/real" --report "$work/out/real.html"
check run_should_finish test "$(last_rc)" -le 1
check run_should_write_its_report grep -q 'id="verdict-matrix"' "$work/out/real.html"
check run_should_print_the_report_path out_has "report: $work/out/real.html"
check run_results_should_carry_times_and_layouts grep -q '"t":.*"layout":' "$work/real/results.jsonl"
check run_report_should_name_findings_from_its_folder grep -q 'memlayout replay \.\./real/findings/0' "$work/out/real.html"
check run_report_commands_should_hold_no_absolute_path sh -c "! grep -q 'memlayout replay /' '$work/out/real.html'"
check run_report_should_show_the_short_reproducer grep -q 'Parallel(n_jobs=2, backend=&quot;loky&quot;)' "$work/out/real.html"
ml run --seed 1 --cases 5 -T reduce -q --out "$work/real2" --report none
check run_report_none_should_write_no_report sh -c "! grep -q '^report:' '$work/last.out'"
[ "$(last_rc)" -le 1 ] || show_last
check report_should_leave_no_temp_files tmp_empty
finish e2e-report
