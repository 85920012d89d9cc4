# bisect: a git history of joblib built here from Debian's joblib 1.2.0 (no
# network): the installed tree, unrelated commits, the fix of the 1-D
# reshape order (joblib 1.5 fixed it the same way), a commit that breaks the
# import and one that restores it, and one that brings the bug back.
# `memlayout bisect` of the public example finds the fixing commit and the
# reintroducing one, reports skipped commits and widens the range over them,
# leaves the checkout untouched, refuses bad input with one line and exit 2,
# bisects one bug of a triaged run by its signature, and an interrupt leaves
# no temp dir. `matrix --revs` runs the case at a few revisions. `ci --repo`
# attaches the range to a new failure.
. tests/e2e/lib.sh
pe=corpus/regress/cases/public-example-reshape-5x3-reduce.json
repo="$work/joblib-repo"
mkdir -p "$repo"
cp -r /usr/lib/python3/dist-packages/joblib "$repo/joblib"
find "$repo" -name __pycache__ -prune -exec rm -rf {} +
g() { git -C "$repo" -c user.name=memlayout -c user.email=memlayout@example.invalid "$@" >/dev/null 2>&1; }
commit() { g add -A && g commit -q -m "$1" && git -C "$repo" rev-parse HEAD; }
reducer="$repo/joblib/_memmapping_reducer.py"
g init -q -b main
c1=$(commit "joblib 1.2.0 as installed")
echo "joblib, a history for tests" >"$repo/README"; commit "add a README" >/dev/null
echo "# tests" >"$repo/joblib/_notes.py"; commit "add notes module" >/dev/null
sed -i "s/^    if m.flags\['F_CONTIGUOUS'\]:$/    if a.flags['F_CONTIGUOUS'] and not a.flags['C_CONTIGUOUS']:/" "$reducer"
check fix_should_change_the_reducer grep -q "if a.flags\['F_CONTIGUOUS'\] and not a.flags\['C_CONTIGUOUS'\]:" "$reducer"
fix=$(commit "memmap reducer: order of a view of a 1-D backing from the view's flags")
echo "more" >>"$repo/README"; commit "README: more" >/dev/null
echo "x = 1" >>"$repo/joblib/_notes.py"; mid=$(commit "notes: x")
echo "y = 2" >>"$repo/joblib/_notes.py"; commit "notes: y" >/dev/null
cp "$repo/joblib/__init__.py" "$work/init.py"
echo 'raise ImportError("broken on purpose")' >>"$repo/joblib/__init__.py"
broken=$(commit "init: break the import")
cp "$work/init.py" "$repo/joblib/__init__.py"; commit "init: restore the import" >/dev/null
echo "z = 3" >>"$repo/joblib/_notes.py"; commit "notes: z" >/dev/null
sed -i "s/^    if a.flags\['F_CONTIGUOUS'\] and not a.flags\['C_CONTIGUOUS'\]:$/    if m.flags['F_CONTIGUOUS']:/" "$reducer"
back=$(commit "memmap reducer: order from the backing again")
# a side branch where the break and the bug come back next to each other
g checkout -q -b wide "$mid"
echo 'raise ImportError("broken on purpose")' >>"$repo/joblib/__init__.py"
wide_broken=$(commit "init: break the import (wide)")
cp "$work/init.py" "$repo/joblib/__init__.py"
sed -i "s/^    if a.flags\['F_CONTIGUOUS'\] and not a.flags\['C_CONTIGUOUS'\]:$/    if m.flags['F_CONTIGUOUS']:/" "$reducer"
wide=$(commit "restore the import, order from the backing again")
g checkout -q main
head=$(git -C "$repo" rev-parse HEAD)
untouched() {
    [ -z "$(git -C "$repo" status --porcelain)" ] &&
        ! git -C "$repo" bisect log >/dev/null 2>&1 &&
        [ "$(git -C "$repo" rev-parse HEAD)" = "$head" ] &&
        [ "$(git -C "$repo" symbolic-ref HEAD)" = refs/heads/main ]
}
check repo_should_start_clean untouched

ml bisect --help
check help_should_name_the_bug_syntax out_has "--bug ID RUN_DIR"
check help_should_name_the_skip_rule out_has "git bisect skip"

# 1 -> middle: the fix
ml bisect --repo "$repo" --old "$c1" --new "$mid" --out "$work/b1" "$pe"
check fix_bisect_should_exit_0 test "$(last_rc)" = 0
check fix_bisect_should_name_the_fixing_commit out_has "^first changed commit: $fix .* memmap reducer: order of a view"
check fix_bisect_should_show_the_old_verdict out_has "before: .*fail:data,flags,strides"
check fix_bisect_should_show_the_new_verdict out_has "at it: .*: pass"
check fix_bisect_should_say_fixed out_has "fixed range"
check fix_bisect_should_print_steps out_has "^step 1: ${mid%????????????????????????????} pass"
check fix_bisect_json_should_name_the_commit test "$(jget "$work/b1/bisect.json" 'd["first_changed"]["commit"]')" = "$fix"
check fix_bisect_json_should_say_fixed test "$(jget "$work/b1/bisect.json" 'd["result"]')" = fixed
runs=$(jget "$work/b1/bisect.json" 'd["runs"]')
echo "fix bisect: 6 commits, $runs runs"
check fix_bisect_should_take_about_log2_runs test "$runs" -le 5
[ "$(last_rc)" = 0 ] || show_last
check repo_should_be_untouched_after_a_bisect untouched

# middle -> last: the bug comes back; the broken import on the way is skipped
ml bisect --repo "$repo" --old "$mid" --new main --out "$work/b2" "$pe"
check back_bisect_should_exit_0 test "$(last_rc)" = 0
check back_bisect_should_name_the_reintroducing_commit out_has "^first changed commit: $back "
check back_bisect_should_say_regression out_has "regression range"
check back_bisect_should_report_the_skipped_commit out_has "${broken%????????????????????????????} skipped: joblib does not import: ImportError: broken on purpose"
check back_bisect_json_should_have_the_skip grep -q "broken on purpose" "$work/b2/bisect.json"
check back_bisect_json_should_not_widen test "$(jget "$work/b2/bisect.json" 'len(d["skipped"])')" = 0
[ "$(last_rc)" = 0 ] || show_last
# the wide branch: only a skipped commit separates pass from fail
ml bisect --repo "$repo" --old "$mid" --new wide --out "$work/b3" "$pe"
check wide_bisect_should_exit_0 test "$(last_rc)" = 0
check wide_bisect_should_widen_the_range out_has "range: between ${mid%????????????????????????????} and ${wide%????????????????????????????}, 1 commit skipped"
check wide_bisect_should_name_the_skipped_commit out_has "skipped ${wide_broken%????????????????????????????} init: break the import (wide): joblib does not import"
check wide_bisect_json_should_list_it test "$(jget "$work/b3/bisect.json" 'd["skipped"][0]["commit"]')" = "$wide_broken"
# the same verdict at both ends: nothing to bisect
ml bisect --repo "$repo" --old "$fix" --new "$mid" --out "$work/b4" "$pe"
check no_change_should_exit_1 test "$(last_rc)" = 1
check no_change_should_say_so out_has "^no change: pass"
check repo_should_be_untouched_after_every_bisect untouched

# bad input: one line naming the field, exit 2
bad() {   # bad NAME FIELD ARGS...
    name=$1; field=$2; shift 2
    ml bisect "$@"
    check "${name}_should_exit_2" test "$(last_rc)" = 2
    check "${name}_should_print_one_line" test "$(wc -l <"$work/last.err")" = 1
    check "${name}_should_name_$field" err_has "^memlayout bisect: --$field: "
}
mkdir -p "$work/plain"
bad not_a_repo repo --repo "$work/plain" --old HEAD~1 --new HEAD "$pe"
bad unknown_old old --repo "$repo" --old no-such-rev --new main "$pe"
bad unknown_new new --repo "$repo" --old "$c1" --new 0123456789abcdef "$pe"
bad old_not_ancestor old --repo "$repo" --old main --new "$c1" "$pe"
bad never_imports old --repo "$repo" --package no_such_pkg --old "$c1" --new main "$pe"
bad new_broken new --repo "$repo" --old "$c1" --new "$broken" "$pe"
bad bad_package package --repo "$repo" --package "../x" --old "$c1" --new main "$pe"
bad missing_repo repo --old "$c1" --new main "$pe"
bad unknown_bug bug --repo "$repo" --old "$c1" --new main --bug 00000000 "$work"
check repo_should_be_untouched_after_bad_input untouched

# a bug of a triaged run, bisected by its signature
"$ML" run -s 1 -n 300 -T reduce --out "$work/run" --report "$work/run-report.html" -q >/dev/null 2>&1
bugid=$(jget "$work/run/triage.json" '[b["id"] for b in d["bugs"] if b["aspect"] == "order" and "1-d" in b["cause"]][0]' 2>/dev/null)
echo "bug of the 1-D reshape order: ${bugid:-none}"
check run_should_find_the_order_bug test -n "$bugid"
ml bisect --repo "$repo" --old "$c1" --new "$mid" --bug "$bugid" "$work/run"
check bug_bisect_should_exit_0 test "$(last_rc)" = 0
check bug_bisect_should_name_the_fixing_commit out_has "^first changed commit: $fix "
check bug_bisect_should_say_the_bug_shows_before out_has "before: .*: bug $bugid ("
check bug_bisect_should_say_the_bug_is_gone out_has "at it: .*: no bug $bugid ("
check bug_bisect_should_write_into_the_run test "$(jget "$work/run/bisect.json" 'd["bug"]')" = "$bugid"
[ "$(last_rc)" = 0 ] || show_last
"$ML" report "$work/run" -o "$work/run-report.html" >/dev/null 2>&1
check report_should_show_the_range grep -q "first changed commit</b>: <code>${fix%????????????????????????????}</code>" "$work/run-report.html"

# matrix --revs: the case at each revision, as a table
ml matrix --repo "$repo" --revs "$c1,$fix,main" "$pe"
check matrix_revs_should_exit_1 test "$(last_rc)" = 1
check matrix_revs_should_show_the_fix out_has "fail:data,flags,strides  *pass  *fail:data,flags,strides"
[ "$(last_rc)" = 1 ] || show_last
ml matrix --repo "$repo" --revs "$c1,nope" "$pe"
check matrix_bad_rev_should_exit_2 test "$(last_rc)" = 2
check matrix_bad_rev_should_name_revs err_has "^memlayout matrix: --revs: "

# ci --repo: a new failure gets the commit range that brought it. A corpus
# with no baseline: the public example fails with the installed joblib, so
# it is new; bisected from the middle (fixed) to main, the range names the
# commit that brought the bug back. Two copies and --max-bisect 1: the
# second is named as left out.
mkdir -p "$work/cirepo"
cp "$pe" "$work/cirepo/a-public-example.json"
cp "$pe" "$work/cirepo/b-public-example.json"
ml ci "$work/cirepo" --repo "$repo" --old "$mid" --max-bisect 1 --junit "$work/cirepo.xml" \
    --sarif "$work/cirepo.sarif" -o "$work/cirepo-out"
check ci_repo_should_exit_1_on_the_new_failures test "$(last_rc)" = 1
check ci_repo_should_say_what_it_bisects out_has "^ci: bisecting a-public-example.json over 5 commits of joblib"
check ci_repo_should_print_the_range_under_the_case out_has "^  *range: first changed commit $back [0-9-]* memmap reducer: order from the backing again (regression)$"
check ci_repo_should_bisect_one_case test "$(grep -c "range: " "$work/last.out")" = 1
check ci_repo_should_count_the_left_out out_has "^ci: 1 case bisected in .*, 1 more new or changed failure left out (--max-bisect 1)$"
[ "$(last_rc)" = 1 ] || show_last
cp "$work/last.out" "$work/cirepo-repo.out"
"$PY" - "$work/cirepo.xml" "$back" <<'EOF2'
import sys
import xml.etree.ElementTree as ET
cases = {c.get("name"): c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")}
a, b = cases["a-public-example.json"].find("failure"), cases["b-public-example.json"].find("failure")
last = a.text.split("\n")[-1] if a is not None and a.text else ""
ok = (last.startswith("range: first changed commit " + sys.argv[2]) and last.endswith("(regression)")
      and b is not None and "range: " not in b.text)
sys.exit(0 if ok else 1)
EOF2
check ci_repo_junit_should_end_the_failure_with_the_range test $? = 0
check ci_repo_sarif_should_carry_the_range test "$(jget "$work/cirepo.sarif" '[r["properties"].get("range", {}).get("first_changed", {}).get("commit") for r in d["runs"][0]["results"]]')" = "['$back', None]"
cb="$work/cirepo-out/ci-bisect.json"
check ci_repo_json_should_name_the_commit test "$(jget "$cb" 'd["cases"][0]["bisect"]["first_changed"]["commit"]')" = "$back"
check ci_repo_json_should_say_regression test "$(jget "$cb" 'd["cases"][0]["bisect"]["result"]')" = regression
check ci_repo_json_should_list_the_left_out test "$(jget "$cb" 'd["left_out"]')" = "['b-public-example.json']"
check repo_should_be_untouched_after_ci untouched
# no change over the range (the case passes from the fix to the middle):
# said so, the job's verdict as without --repo
ml ci "$work/cirepo" --repo "$repo" --old "$fix" --new "$mid" --max-bisect 1 -q
check ci_repo_no_change_should_exit_1 test "$(last_rc)" = 1
check ci_repo_no_change_should_say_so out_has "range: no change between ${fix%????????????????????????????} and ${mid%????????????????????????????} (pass at both)$"
# only a skipped commit between pass and fail: the widened range
ml ci "$work/cirepo" --repo "$repo" --old "$mid" --new wide --max-bisect 1 -q
check ci_repo_wide_should_widen_the_range out_has "range: first changed commit $wide .* (regression), between ${mid%????????????????????????????} and ${wide%????????????????????????????}, 1 commit skipped$"
# without --repo: no range, no ci-bisect.json, the same lines otherwise
ml ci "$work/cirepo" -o "$work/cirepo-plain"
check ci_without_repo_should_exit_1 test "$(last_rc)" = 1
check ci_without_repo_should_print_no_range test "$(grep -c "range: \|bisect" "$work/last.out")" = 0
check ci_without_repo_should_write_no_ci_bisect test ! -e "$work/cirepo-plain/ci-bisect.json"
grep -v "range: \\|^ci: bisect\\|^ci: 1 case bisected" "$work/cirepo-repo.out" >"$work/cirepo-stripped.out"
check ci_without_repo_should_print_the_same_lines cmp -s "$work/cirepo-stripped.out" "$work/last.out"
# bad input: one line naming the field, exit 2, before any case runs
cibad() {   # cibad NAME FIELD ARGS...
    name=$1; field=$2; shift 2
    ml ci "$work/cirepo" "$@"
    check "ci_${name}_should_exit_2" test "$(last_rc)" = 2
    check "ci_${name}_should_print_one_line" test "$(wc -l <"$work/last.err")" = 1
    check "ci_${name}_should_name_$field" err_has "^memlayout ci: --$field: "
    check "ci_${name}_should_run_no_case" test ! -s "$work/last.out"
}
cibad not_a_repo repo --repo "$work/plain" --old HEAD
cibad unknown_old old --repo "$repo" --old no-such-rev
cibad unknown_new new --repo "$repo" --old "$c1" --new 0123456789abcdef
cibad old_not_ancestor old --repo "$repo" --old main --new "$c1"
cibad missing_old old --repo "$repo"
cibad old_without_repo old --old "$c1"
cibad bad_max_bisect max-bisect --repo "$repo" --old "$c1" --max-bisect -1
check repo_should_be_untouched_after_ci_bad_input untouched
# an interrupt during a bisection, of bisect or of ci --repo: 143, no temp
# dir or process left, the checkout untouched
interrupt() {   # interrupt NAME LINE ARGS...: SIGTERM once the output has LINE
    name=$1; line=$2; shift 2
    : >"$work/int.out"
    "$ML" "$@" >"$work/int.out" 2>&1 &
    pid=$!
    wait_for 60 grep -q "$line" "$work/int.out"
    kill -TERM $pid
    wait $pid
    check "interrupted_${name}_should_exit_143" test $? -eq 143
    check "interrupted_${name}_should_leave_no_temp_dir" no_temp_dirs
    check "interrupted_${name}_should_leave_no_process" no_leftover_procs
    check "repo_should_be_untouched_after_an_interrupted_$name" untouched
}
interrupt ci_bisect "^ci: bisecting" ci "$work/cirepo" --repo "$repo" --old "$c1" --new "$mid"
interrupt bisect "^step 1" bisect --repo "$repo" --old "$c1" --new "$mid" --out "$work/b5" "$pe"

finish e2e-bisect
