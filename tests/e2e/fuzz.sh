# The OSS-Fuzz/ClusterFuzzLite contract: fuzz/build.sh with OSS-Fuzz-like
# variables puts each target, its seed corpus, options and dictionary into
# $OUT; the targets run from there; a finding aborts with its signature and
# leaves the canonical case next to the crash file; the finding store keeps
# fuzzing going instead.
. tests/e2e/lib.sh
OUT="$work/out"
root=$PWD
san="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
mkdir -p "$work/build"
CC=clang CXX=clang++ CFLAGS="$san" CXXFLAGS="$san" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
    SANITIZER=address FUZZING_ENGINE=libfuzzer OUT="$OUT" WORK="$work/build" \
    sh fuzz/build.sh >"$work/build.log" 2>&1
check build_sh_should_succeed_with_oss_fuzz_variables test $? = 0
[ -x "$OUT/case_parse" ] || tail -20 "$work/build.log" >&2

for t in case_json case_bytes case_parse; do
    check "build_sh_should_put_${t}_in_out" test -x "$OUT/$t"
    check "build_sh_should_zip_${t}_seed_corpus" sh -c \
        "unzip -l '$OUT/${t}_seed_corpus.zip' | grep -q public-example-reshape-5x3-reduce.json"
    check "build_sh_should_write_${t}_options" grep -q '^\[libfuzzer\]' "$OUT/$t.options"
done
for t in case_json case_parse; do
    check "${t}_options_should_name_its_dict" grep -q "^dict = $t.dict" "$OUT/$t.options"
    check "${t}_dict_should_hold_the_case_keys" grep -q 'memlayout' "$OUT/$t.dict"
done
check build_sh_should_ship_the_runner test -f "$OUT/memlayout_python/memlayout_runner.py"
check case_parse_should_not_need_python sh -c "! ldd '$OUT/case_parse' | grep -q libpython"
# The targets judge in process: the supervisor of Python children (sup.c,
# session.c) stays out of them.
for t in case_json case_bytes; do
    check "${t}_should_not_link_the_supervisor" sh -c "! nm '$OUT/$t' | grep -Eq ' T (ml_child_|ml_session_)'"
done

# No LSAN_OPTIONS: the targets carry fuzz/lsan.supp compiled in.
mkdir -p "$work/seeds" "$work/corpus" "$work/art"
(cd "$work/seeds" && unzip -q "$OUT/case_json_seed_corpus.zip")

"$OUT/case_parse" -runs=400 -dict="$OUT/case_parse.dict" "$work/corpus" "$work/seeds" >"$work/parse.log" 2>&1
rc=$?
check case_parse_should_run_clean_under_asan test $rc = 0
[ $rc = 0 ] || tail -20 "$work/parse.log" >&2

rm -rf "$work/corpus" && mkdir -p "$work/corpus"
MLF_ON_FINDING=store MLF_FINDINGS="$work/findings" "$OUT/case_json" -runs=60 -detect_leaks=0 \
    "$work/corpus" "$work/seeds" >"$work/json.log" 2>&1
rc=$?
check case_json_should_keep_going_past_findings test $rc = 0
check case_json_should_store_the_public_example_family_as_found \
    grep -q '	raw	share/joblib order: a C-contiguous view of a 1-d backing arrives F-contiguous	raw/' "$work/findings/log.tsv"
check case_json_should_not_minimize_while_fuzzing \
    grep -Eq 'findings \([0-9]+ classes, [1-9][0-9]* stored, 0 minimized\)' "$work/json.log"
[ $rc = 0 ] || tail -20 "$work/json.log" >&2
MLF_MINIMIZE_STORE=1 MLF_FINDINGS="$work/findings" "$OUT/case_json" >"$work/min.log" 2>&1
check minimizing_the_store_should_succeed test $? = 0
check the_store_should_hold_the_public_example_minimized \
    grep -q '	new	share/joblib order: a C-contiguous view of a 1-d backing arrives F-contiguous | raw 1d r <f8: reshape(C,2d)	' "$work/findings/log.tsv"
raws() { ls "$1"/raw/*.json 2>/dev/null | grep -vc '[.]orig[.]json$'; }
mins() { ls "$1"/raw/*.min 2>/dev/null | wc -l; }
check every_raw_finding_should_say_what_became_of_it \
    test "$(raws "$work/findings")" = "$(mins "$work/findings")" -a "$(mins "$work/findings")" -gt 0
check each_new_signature_should_have_one_minimized_file test \
    "$(grep -c '	new	' "$work/findings/log.tsv")" = "$(ls "$work/findings"/*.json | grep -vc '[.]orig[.]json$')"
check minimized_files_should_be_canonical_cases sh -c \
    "for f in '$work/findings'/*.json; do '$ML' replay -q --timeout 30 \"\$f\" >/dev/null; [ \$? -le 1 ] || exit 1; done"
MLF_MINIMIZE_STORE=1 MLF_FINDINGS="$work/findings" "$OUT/case_json" >"$work/min2.log" 2>&1
check a_second_pass_should_find_nothing_left grep -q '^memlayout-fuzz: minimized 0 raw findings' "$work/min2.log"

# A whole session: raw findings while fuzzing; after it, with no time for
# variants (MIN_TIME=0), the first of each class minimized and the rest left
# for `make fuzz-findings` (session.sh --findings-only), which goes on where
# the session stopped. Triage confirms each bug through real processes.
FUZZ_TIME=5 MIN_TIME=0 MLF_PROGRESS=1 FUZZ_WORK="$work/sess" SEEDS="$work/seeds" BIN="$OUT" ML="$ML" \
    sh fuzz/session.sh libfuzzer case_json >"$work/sess.log" 2>&1
rc=$?
check a_session_should_exit_0_with_findings test $rc = 0
check a_session_should_show_progress \
    grep -Eq '^memlayout-fuzz: case_json: [0-9]+ s, [0-9]+ inputs \([0-9]+/s\), [0-9]+ findings' "$work/sess.log"
[ $rc = 0 ] || tail -30 "$work/sess.log" >&2
sf="$work/sess/case_json/findings"
st="$work/sess/case_json/triage/triage.json"
# confirmed BUG-ID FILE: the bug's "confirmed" in a triage.json
confirmed() { "$PY" -c 'import json,sys
print(" ".join(b["confirmed"] or "-" for b in json.load(open(sys.argv[2]))["bugs"] if b["id"] == sys.argv[1]))' "$1" "$2"; }
check the_session_should_confirm_the_public_example_bug test "$(confirmed 5ac3df85 "$st")" = CONFIRMED
check its_listing_should_say_so grep -q '^  confirmed   CONFIRMED: loky fail:[a-z,]*; multiprocessing fail:' "$work/sess.log"
check and_write_no_summary_txt test ! -e "$sf/summary.txt"
classes=$(awk -F'\t' '$5 == "raw" && !($8 in c) { c[$8] = 1; n++ } END { print n + 0 }' "$sf/log.tsv")
check every_class_should_get_a_minimized_case_without_time_for_variants test "$classes" -gt 0 -a \
    "$(awk -F'\t' '$5 == "raw" { r[$8] = 1 } $5 == "new" { m[$8] = 1 } END { for (k in r) if (!(k in m)) n++; print n + 0 }' "$sf/log.tsv")" = 0
left=$(( $(raws "$sf") - $(mins "$sf") ))
if [ "$left" -gt 0 ]; then
    check the_listing_should_say_what_is_left_raw grep -q "^$left raw findings\? in .*/raw not minimized yet" "$work/sess.log"
fi
nmin() { ls "$sf"/*.json | grep -vc '[.]orig[.]json$'; }
reported() { "$ML" report -o "$work/sess.html" "$work/sess/case_json" 2>&1 | sed -n 's/.* \([0-9]*\) findings in .*/\1/p'; }
check the_report_should_count_each_finding_once_minimized_or_pending test "$(reported)" = "$(( $(nmin) + left ))"
# raw findings not minimized yet count as findings of triage too
check triage_should_count_each_finding_once_minimized_or_pending \
    test "$("$ML" triage --no-minimize --json "$sf" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["findings"])')" -ge "$(( $(nmin) + left ))"
MIN_TIME=60 FUZZ_WORK="$work/sess" SEEDS="$work/seeds" BIN="$OUT" ML="$ML" \
    sh fuzz/session.sh --findings-only libfuzzer case_json >"$work/findings2.log" 2>&1
check the_findings_step_should_succeed test $? = 0
check the_findings_step_should_minimize_what_the_session_left test "$(raws "$sf")" = "$(mins "$sf")"
check and_then_say_nothing_is_left sh -c "! grep -q 'not minimized yet' '$work/findings2.log'"
check and_confirm_the_public_example_bug_again test "$(confirmed 5ac3df85 "$st")" = CONFIRMED
check and_the_report_should_show_the_minimized_ones test "$(reported)" = "$(nmin)"
# one definition of a bug: triage of the store and the report of the session count the same bugs
bugs_triage=$("$ML" triage --no-minimize --json "$sf" 2>/dev/null | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["bugs"]))')
bugs_session=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["bugs"]))' "$st")
bugs_report=$("$ML" report -o "$work/sess2.html" "$work/sess/case_json" 2>&1 | sed -n 's/.* findings in \([0-9]*\) distinct.*/\1/p')
check the_session_triage_and_report_should_count_the_same_bugs \
    test -n "$bugs_session" -a "$bugs_session" = "$bugs_triage" -a "$bugs_triage" = "$bugs_report"
[ "$bugs_session" = "$bugs_triage" ] && [ "$bugs_triage" = "$bugs_report" ] ||
    echo "bugs: session $bugs_session, triage $bugs_triage, report $bugs_report" >&2
# --confirm over the store of the short run above: the public example's bug
# through loky and multiprocessing; without --confirm nothing is claimed
ml triage --confirm --no-minimize --json "$work/findings"
check triage_confirm_should_list_bugs test "$(last_rc)" = 1
check triage_confirm_should_confirm_the_public_example_bug test "$(confirmed 5ac3df85 "$work/last.out")" = CONFIRMED
ml triage --no-minimize --json "$work/findings"
check without_confirm_nothing_should_be_claimed test "$(confirmed 5ac3df85 "$work/last.out")" = -

# The store is opened as a run directory is: a link planted at raw/ is never
# followed, a group-writable store is refused; the target stops before it writes.
mkdir -p "$work/linked/findings" "$work/victim" "$work/linked/corpus"
echo keep >"$work/victim/marker"
ln -s "$work/victim" "$work/linked/findings/raw"
(cd "$work/linked" && MLF_ON_FINDING=store MLF_FINDINGS="$work/linked/findings" "$OUT/case_json" -runs=40 \
    -detect_leaks=0 corpus "$work/seeds") >"$work/linked.log" 2>&1
check a_linked_raw_dir_should_stop_the_target grep -q 'HARNESS BUG: MLF_FINDINGS: .*/findings/raw is not a directory' \
    "$work/linked.log"
check and_leave_the_victim_unchanged test "$(ls "$work/victim")" = marker
check and_write_no_log_through_it test ! -e "$work/linked/findings/log.tsv"
rm "$work/linked/findings/raw"
chmod g+w "$work/linked/findings"
(cd "$work/linked" && MLF_ON_FINDING=store MLF_FINDINGS="$work/linked/findings" "$OUT/case_json" -runs=40 \
    -detect_leaks=0 corpus "$work/seeds") >"$work/gw.log" 2>&1
check a_group_writable_store_should_be_refused grep -q 'MLF_FINDINGS: .*/findings is group- or world-writable' "$work/gw.log"

MLF_KNOWN=none "$OUT/case_json" -detect_leaks=0 -artifact_prefix="$work/art/" \
    "$work/seeds/public-example-reshape-5x3-reduce.json" >"$work/abort.log" 2>&1
check case_json_should_abort_on_a_finding test $? != 0
check the_abort_should_print_a_one_line_signature \
    grep -q '^memlayout-fuzz: FINDING 5ac3df85 corrupt share/joblib order: a C-contiguous view of a 1-d backing arrives F-contiguous | raw 1d r <f8: reshape(C,2d)$' "$work/abort.log"
sha=$(sha1sum "$work/seeds/public-example-reshape-5x3-reduce.json" | cut -d' ' -f1)
check the_canonical_case_should_land_next_to_the_crash_file \
    grep -q '"transport":"reduce"' "$work/art/crash-$sha.json"
check its_minimized_case_should_land_there_too test -s "$work/art/crash-$sha.min.json"

# One crash state per bug: ClusterFuzz groups crashes by their top three
# frames, less the ones it ignores (abort, raise, libc, the sanitizer's and
# libFuzzer's own). Those frames name the finding's bug: the same for two
# findings of one bug, different for different bugs.
if ! command -v llvm-symbolizer >/dev/null 2>&1; then
    for s in /usr/lib/llvm-14/bin/llvm-symbolizer /usr/bin/llvm-symbolizer-14; do
        [ -x "$s" ] && { ASAN_SYMBOLIZER_PATH=$s; export ASAN_SYMBOLIZER_PATH; break; }
    done
fi
# crash_state LOG: the top three frames of the stack trace, as ClusterFuzz picks them.
crash_state() {
    sed -n 's/^ *#[0-9][0-9]* 0x[0-9a-f]* in \([^ ]*\).*/\1/p' "$1" |
        grep -Ev '^(abort|raise|exit|pthread_kill|__pthread_kill|__GI_|__libc_|__sanitizer|fuzzer::|__asan|__ubsan|__interceptor_)' |
        head -3 | tr '\n' ' '
}
abort_on() {   # abort_on NAME CASE [ENV...]: runs the ASan target on one case, keeps its log
    name=$1 f=$2; shift 2
    (cd "$work/art" && env -i PATH="$PATH" TMPDIR="$TMPDIR" ${ASAN_SYMBOLIZER_PATH:+ASAN_SYMBOLIZER_PATH=$ASAN_SYMBOLIZER_PATH} \
        MLF_KNOWN=none "$@" "$OUT/case_json" "$f") >"$work/frames-$name.log" 2>&1
}
rc_dir=tests/findings/rootcause
abort_on seed-reduce "$PWD/corpus/seed/public-example-reshape-5x3-reduce.json"
abort_on seed-loky "$PWD/corpus/seed/public-example-reshape-5x3-loky.json"
abort_on seed-mp "$PWD/corpus/seed/public-example-reshape-5x3-multiprocessing.json"
# one finding of each of the six bugs of the root-cause set, two of order-1d
for f in 000182-loky-fail-data-flags-strides 000121-reduce-fail-data-flags-strides \
    000511-loky-fail-data-flags-strides 000043-loky-fail-backing-oob 002377-loky-fail-dtype \
    000391-loky-error-rebuild 000099-loky-fail-writeable; do
    abort_on "$f" "$PWD/$rc_dir/$f.json"
done
st() { crash_state "$work/frames-$1.log"; }
check the_stack_should_be_symbolized grep -q ' in mlf_finding_order .*fuzz/crash.c' "$work/frames-seed-reduce.log"
check the_crash_state_should_name_aspect_and_bug_id \
    test "$(st seed-reduce)" = "mlf_bug_id_2nd_digit_a mlf_bug_id_1st_digit_5 mlf_finding_order "
check findings_of_one_bug_should_share_their_top_frames \
    test "$(st seed-reduce)" = "$(st seed-loky)" -a "$(st seed-loky)" = "$(st seed-mp)"
check root_cause_findings_of_one_bug_should_share_their_top_frames \
    test "$(st 000182-loky-fail-data-flags-strides)" = "$(st 000121-reduce-fail-data-flags-strides)" -a \
    "$(st 000121-reduce-fail-data-flags-strides)" = "$(st seed-reduce)"
states=$(for f in 000182-loky-fail-data-flags-strides 000511-loky-fail-data-flags-strides \
    000043-loky-fail-backing-oob 002377-loky-fail-dtype 000391-loky-error-rebuild \
    000099-loky-fail-writeable; do st "$f"; echo; done)
check six_bugs_should_give_six_crash_states test "$(echo "$states" | grep -c mlf_finding_)" = 6 -a \
    "$(echo "$states" | sort -u | grep -c mlf_finding_)" = 6
[ "$(echo "$states" | sort -u | grep -c mlf_finding_)" = 6 ] || echo "$states" >&2
# The FINDING line names the bug the frames name.
finding_matches_frames() {
    line=$(grep '^memlayout-fuzz: FINDING ' "$work/frames-$1.log")
    id=$(echo "$line" | cut -d' ' -f3)
    echo "$line" | grep -Eq '^memlayout-fuzz: FINDING [0-9a-f]{8} (corrupt|error|layout|representation) [a-z]+/[a-z]+ [a-z]+: ' &&
        st "$1" | grep -q "^mlf_bug_id_2nd_digit_$(echo "$id" | cut -c2) mlf_bug_id_1st_digit_$(echo "$id" | cut -c1) mlf_finding_"
}
for f in 000511-loky-fail-data-flags-strides 000043-loky-fail-backing-oob 002377-loky-fail-dtype \
    000391-loky-error-rebuild 000099-loky-fail-writeable; do
    check "the_finding_line_of_${f}_should_name_the_bug_of_its_frames" finding_matches_frames "$f"
done

# Known bugs: findings of only known bugs are counted, not aborted on; the
# list ships in $OUT beside the targets, which read it with no environment.
check build_sh_should_ship_the_known_bugs test -s "$OUT/memlayout_known.txt"
sh fuzz/known.sh "$OUT/case_json" >"$work/known.txt" 2>"$work/known.err"
check the_committed_known_list_should_be_current diff "$work/known.txt" fuzz/known-bugs.txt
check the_known_list_should_hold_the_regression_corpus_failures sh -c \
    "grep -q '^5ac3df85	' '$work/known.txt' && grep -q '^0b74a295	' '$work/known.txt' && grep -q '^dd16e7ff	' '$work/known.txt'"
pr_run() {   # pr_run NAME [ENV...]: a PR-mode run from the seeds, no environment but ENV
    name=$1; shift
    rm -rf "$work/pr-$name" && mkdir -p "$work/pr-$name/corpus"
    (cd "$work/pr-$name" && env -i TMPDIR="$TMPDIR" "$@" "$OUT/case_json" -runs=200 corpus "$root/corpus/seed") \
        >"$work/pr-$name.log" 2>&1
}
pr_run known
rc=$?
check a_pr_run_from_the_seeds_should_pass_over_known_bugs test $rc = 0
[ $rc = 0 ] || tail -20 "$work/pr-known.log" >&2
check and_count_them grep -Eq '^memlayout-fuzz: case_json: [1-9][0-9]* findings? of [1-9] known bugs? \(of [0-9]+ listed\) passed over' "$work/pr-known.log"
check and_store_nothing_without_a_store test ! -e "$work/pr-known/findings"
pr_run none MLF_KNOWN=none
check without_the_known_list_it_should_abort test $? != 0
check with_a_finding_line grep -q '^memlayout-fuzz: FINDING [0-9a-f]\{8\} ' "$work/pr-none.log"
pr_run store MLF_FINDINGS="$work/pr-store/findings"
check a_pr_run_with_a_store_should_pass_too test $? = 0
check and_store_the_known_findings grep -q '	raw	' "$work/pr-store/findings/log.tsv"
# MLF_KNOWN as a JSON list: a finding with a known and a new defect aborts
# through the new one (order-1d known, writeable not).
printf '["5ac3df85"]\n' >"$work/known.json"
abort_on two-defects "$PWD/$rc_dir/006305-loky-fail-data-flags-strides-writeable.json" MLF_KNOWN="$work/known.json"
check a_new_defect_beside_a_known_one_should_abort_through_the_new_one \
    test "$(st two-defects)" = "$(st 000099-loky-fail-writeable)"
abort_on seed-known "$PWD/corpus/seed/public-example-reshape-5x3-reduce.json" MLF_KNOWN="$work/known.json"
check a_finding_of_a_json_listed_bug_should_not_abort test $? = 0
printf '5ac3df85\nnot-an-id\n' >"$work/bad-known.txt"
abort_on bad-known "$PWD/corpus/seed/control-backing-shape-5x3-loky.json" MLF_KNOWN="$work/bad-known.txt"
check a_malformed_known_list_should_fail_at_start grep -q 'HARNESS BUG: MLF_KNOWN: .*bad-known.txt:2: expected a bug id' \
    "$work/frames-bad-known.log"

# LeakSanitizer clean with no environment at all: fuzz/lsan.supp is compiled in.
for t in case_json case_bytes; do
    rm -rf "$work/bare" && mkdir -p "$work/bare/corpus"
    (cd "$work/bare" && env -i "$OUT/$t" -runs=100 corpus "$root/corpus/seed") >"$work/bare-$t.log" 2>&1
    rc=$?
    check "a_bare_${t}_run_should_end_clean_under_lsan" test $rc = 0
    check "a_bare_${t}_run_should_report_no_leak" sh -c "! grep -q 'LeakSanitizer' '$work/bare-$t.log'"
    [ $rc = 0 ] || tail -20 "$work/bare-$t.log" >&2
done

# corpus-min (libFuzzer): counts inputs, not ls's folder headers.
mkdir -p "$work/cm/case_json/corpus"
cp "$root"/corpus/seed/control-*.json "$work/cm/case_json/corpus/"
ncorpus=$(ls "$work/cm/case_json/corpus" | wc -l)
nseeds=$(ls "$root/corpus/seed" | wc -l)
FUZZ_WORK="$work/cm" SEEDS="$root/corpus/seed" BIN="$OUT" sh fuzz/corpus-min.sh libfuzzer case_json >"$work/cm.log" 2>&1
check corpus_min_should_succeed test $? = 0
check corpus_min_should_count_the_inputs grep -q "^corpus-min: case_json (libfuzzer): $((ncorpus + nseeds)) inputs -> [1-9][0-9]* in " "$work/cm.log"

# AFL++: a session says how it goes every MLF_PROGRESS seconds, and
# corpus-min works on its queues from a work dir under /tmp.
if command -v afl-fuzz >/dev/null 2>&1 && command -v afl-clang-fast >/dev/null 2>&1; then
    make -s fuzz-build-afl >"$work/afl-build.log" 2>&1
    check the_afl_build_should_succeed test $? = 0
    FUZZ_TIME=6 MIN_TIME=0 MLF_PROGRESS=2 FUZZ_WORK="$work/afl" SEEDS="$root/corpus/seed" BIN=build/fuzz-afl ML="$ML" \
        sh fuzz/session.sh afl case_json >"$work/afl.log" 2>&1
    rc=$?
    check an_afl_session_should_exit_0 test $rc = 0
    [ $rc = 0 ] || tail -20 "$work/afl.log" >&2
    pat='^memlayout-fuzz: afl case_json: [0-9]+ s, [0-9]+ execs \([0-9]+/s\), stability [0-9.]+%, paths [0-9]+, [0-9]+ findings stored, [0-9]+ distinct bugs, [0-9]+ crashes$'
    check an_afl_session_should_print_progress_lines test "$(grep -Ec "$pat" "$work/afl.log")" -ge 2
    check with_inputs_run_and_paths_found \
        grep -Eq '^memlayout-fuzz: afl case_json: [0-9]+ s, [1-9][0-9]* execs \([1-9][0-9]*/s\), .*paths [1-9]' "$work/afl.log"
    # the progress line counts the store's bugs as it goes: at most what the
    # store holds at the end, and some once it found any
    last_bugs=$(grep '^memlayout-fuzz: afl case_json' "$work/afl.log" | tail -1 | sed -n 's/.* \([0-9]*\) distinct bugs.*/\1/p')
    store_bugs=$(cut -f8 "$work/afl/afl/case_json/findings/log.tsv" 2>/dev/null | sort -u | grep -c .)
    check and_the_bugs_the_store_holds test -n "$last_bugs" -a "${last_bugs:-0}" -ge 1 -a "${last_bugs:-0}" -le "$store_bugs"
    MLF_PROGRESS=0 FUZZ_TIME=2 MIN_TIME=0 FUZZ_WORK="$work/afl0" SEEDS="$root/corpus/seed" BIN=build/fuzz-afl ML="$ML" \
        sh fuzz/session.sh afl case_json >"$work/afl0.log" 2>&1
    check mlf_progress_0_should_silence_them sh -c "! grep -q '^memlayout-fuzz: afl ' '$work/afl0.log'"
    nq=$(find "$work"/afl/afl/case_json/sync/*/queue -maxdepth 1 -type f -name 'id:*' | wc -l)
    FUZZ_WORK="$work/afl" SEEDS="$root/corpus/seed" BIN=build/fuzz-afl sh fuzz/corpus-min.sh afl case_json >"$work/cmin.log" 2>&1
    rc=$?
    check afl_corpus_min_should_work_in_tmp test $rc = 0
    [ $rc = 0 ] || cat "$work/cmin.log" >&2
    check afl_corpus_min_should_count_the_inputs \
        grep -q "^corpus-min: case_json (afl): $((nq + nseeds)) inputs -> [1-9][0-9]* in " "$work/cmin.log"
else
    echo "e2e-fuzz: AFL++ not installed: the AFL++ session tests are skipped" >&2
fi

# The ClusterFuzzLite workflows use only the inputs ClusterFuzzLite documents,
# keep the corpus in one storage repo and upload their SARIF; a broken copy fails.
"$PY" ci/github/check_workflow.py --cflite >"$work/cflite.log" 2>&1
check the_cflite_workflows_should_pass_their_check test $? = 0
grep FAIL "$work/cflite.log" >&2
mkdir -p "$work/cflite"
cp ci/cflite/*.yml "$work/cflite/"
sed -i 's/fuzz-seconds: 300/fuzz-time: 300/' "$work/cflite/cflite_pr.yml"
"$PY" ci/github/check_workflow.py --cflite "$work/cflite" >"$work/cflite-bad.log" 2>&1
check an_undocumented_input_should_fail_the_check grep -q '^FAIL cflite_pr_PR_run_inputs_should_be_documented' \
    "$work/cflite-bad.log"
check fuzzing_should_leave_no_temp_files tmp_empty
finish e2e-fuzz
