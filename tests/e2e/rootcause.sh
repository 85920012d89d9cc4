# One bug per root cause: the committed findings of tests/findings/rootcause,
# labelled by hand, triage into exactly as many bugs as there are labels,
# each with the findings of one label; the run's other outputs agree.
. tests/e2e/lib.sh
set_dir=tests/findings/rootcause
ml triage --no-minimize --json "$set_dir"
check triage_should_exit_1_with_bugs test "$(last_rc)" = 1
[ "$(last_rc)" = 1 ] || show_last
cp "$work/last.out" "$work/triage.json"

# label -> number of findings, and the bugs' counts, both sorted
awk -F'\t' '!/^#/ { n = split($2, l, ","); for (i = 1; i <= n; i++) c[l[i]]++ }
            END { for (k in c) print c[k] }' "$set_dir/expected.tsv" | sort -n >"$work/want"
jget "$work/triage.json" '"\n".join(str(b["count"]) for b in d["bugs"])' | sort -n >"$work/got"
check one_bug_per_root_cause test "$(wc -l <"$work/got")" = "$(wc -l <"$work/want")"
check each_bug_should_hold_the_findings_of_one_cause cmp -s "$work/want" "$work/got"
cmp -s "$work/want" "$work/got" || { echo "want counts:"; cat "$work/want"; echo "got counts:"; cat "$work/got"; } >&2
check every_finding_should_be_counted test "$(jget "$work/triage.json" 'd["findings"]')" = \
    "$(grep -vc '^#' "$set_dir/expected.tsv")"

# each label's findings are exactly one bug's: the finding that names a bug
# (its earliest) carries that bug's label
jget "$work/triage.json" '"\n".join(b["first_finding"] + " " + b["aspect"] for b in d["bugs"])' >"$work/firsts"
while read -r f aspect; do
    labels=$(awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$set_dir/expected.tsv")
    case $aspect in
    order) want_l="order-" ;; bounds) want_l=bounds- ;; rebuild) want_l=rebuild- ;;
    writeable) want_l=writeable- ;; dtype) want_l=byteorder ;; *) want_l="?" ;;
    esac
    check "bug_of_${f%.json}_should_carry_a_${aspect}_label" sh -c "echo '$labels' | grep -q '$want_l'"
done <"$work/firsts"

# ranked: the first bug is a corrupt one, representation ones last
check the_first_bug_should_be_corrupt test "$(jget "$work/triage.json" 'd["bugs"][0]["severity"]')" = corrupt
check representation_bugs_should_come_last test "$(jget "$work/triage.json" \
    '[b["severity"] for b in d["bugs"]] == sorted((b["severity"] for b in d["bugs"]), key=["corrupt","error","layout","representation"].index)')" = True

# the HTML report of the same findings counts the same bugs
ml report "$set_dir" -o "$work/report.html"
check the_report_should_count_the_same_bugs grep -q "in $(wc -l <"$work/got") distinct bugs" "$work/report.html"
# A campaign's outputs all count the same bugs, by the same ids: its own
# listing, summary.json, triage.json, `memlayout triage` and the report.
out="$work/run"
ml run --seed 5 --time 4 -T reduce,loky,pickle4 -q --out "$out"
check a_run_should_find_bugs test "$(last_rc)" = 1
n_listed=$(sed -n 's/^\([0-9]*\) distinct bugs\{0,1\}, most harmful first.*/\1/p' "$work/last.out")
ids_summary=$(jget "$out/summary.json" '" ".join(b["id"] for b in d["bugs"])')
ids_triage=$(jget "$out/triage.json" '" ".join(b["id"] for b in d["bugs"])')
ml triage --no-minimize --json "$out"
ids_again=$(jget "$work/last.out" '" ".join(b["id"] for b in d["bugs"])')
check run_listing_and_summary_should_agree test "$n_listed" = "$(echo "$ids_summary" | wc -w)"
check summary_and_triage_json_should_list_the_same_bugs_in_order test "$ids_summary" = "$ids_triage"
check triage_again_should_list_the_same_bugs_in_order test "$ids_triage" = "$ids_again"
check the_run_report_should_count_the_same_bugs grep -q "in $n_listed distinct bugs" "$out/report.html"
[ "$ids_summary" = "$ids_again" ] || { echo "summary: $ids_summary"; echo "triage:  $ids_again"; } >&2
check campaigns_should_leave_no_temp_files tmp_empty
finish e2e-rootcause
