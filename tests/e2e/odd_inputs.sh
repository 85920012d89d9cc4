# Odd inputs get a clear one-line error and exit 2, never a hang or a
# multiplied count: FIFOs, symlink loops, trailing garbage, files that do not
# parse at all.
. tests/e2e/lib.sh
d="$work/odd"
mkdir -p "$d/cases/sub"
case_file=corpus/seed/control-backing-shape-5x3-loky.json

# A FIFO given as a case: refused at once, not read (a read would block).
mkfifo "$d/fifo.json"
start=$(date +%s)
timeout 10 "$ML" replay "$d/fifo.json" >"$work/last.out" 2>"$work/last.err"
echo $? >"$work/last.rc"
check a_fifo_case_should_exit_2 test "$(last_rc)" = 2
check a_fifo_case_should_be_refused_within_a_second test $(( $(date +%s) - start )) -le 2
check a_fifo_case_should_be_named_with_the_reason err_has 'fifo.json: not a regular file'

# In a cases folder: a FIFO is skipped with a warning, a symlink loop is
# walked once, and the one real case runs once.
cp "$case_file" "$d/cases/"
mkfifo "$d/cases/pipe.json"
ln -s .. "$d/cases/sub/loop"
timeout 30 "$ML" replay -q "$d/cases" >"$work/last.out" 2>"$work/last.err"
echo $? >"$work/last.rc"
check a_cases_folder_with_a_fifo_and_a_loop_should_run test "$(last_rc)" = 0
check the_fifo_in_a_folder_should_be_skipped_with_a_warning err_has 'skipping .*pipe.json: not a regular file'
check a_symlink_loop_should_count_its_case_once out_has '^replay: 1 cases'

# Trailing garbage after a baseline's JSON: refused, naming the file.
cp corpus/regress/baseline.json "$d/baseline.json"
echo "trailing" >>"$d/baseline.json"
ml ci corpus/regress --baseline "$d/baseline.json" -q
check a_baseline_with_trailing_garbage_should_exit_2 test "$(last_rc)" = 2
check a_baseline_with_trailing_garbage_should_be_named err_has 'baseline.json: not one JSON document'

# A report of results of which no line parses: exit 2, no page left behind.
mkdir -p "$d/garbage"
printf 'not json\nnor this\n' >"$d/garbage/results.jsonl"
ml report "$d/garbage" -o "$d/garbage.html"
check a_report_of_nothing_should_exit_2 test "$(last_rc)" = 2
check a_report_of_nothing_should_leave_no_page test ! -e "$d/garbage.html"
check a_report_of_nothing_should_say_so err_has 'nothing to report'

# A summary with trailing garbage is refused too.
mkdir -p "$d/badsum"
ml run --seed 3 -n 20 -q --out "$d/badsum" --no-minimize --report none
echo "junk" >>"$d/badsum/summary.json"
ml report "$d/badsum" -o "$d/badsum.html"
check a_summary_with_trailing_garbage_should_exit_2 test "$(last_rc)" = 2
check a_summary_with_trailing_garbage_should_be_named err_has 'summary.json'

# Triage when no finding can be read: exit 2, not "0 bugs".
mkdir -p "$d/unreadable/findings"
echo '{' >"$d/unreadable/findings/000001-reduce-fail-data.json"
ml triage --no-minimize "$d/unreadable"
check triage_of_unreadable_findings_should_exit_2 test "$(last_rc)" = 2
check triage_of_unreadable_findings_should_say_so err_has 'no finding could be read'
finish e2e-odd-inputs
