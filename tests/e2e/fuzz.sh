# The OSS-Fuzz/ClusterFuzzLite contract: fuzz/build.sh with OSS-Fuzz-like
# variables puts each target, its seed corpus, options and dictionary into
# $OUT; the targets run from there; a finding aborts with its signature and
# leaves the canonical case next to the crash file; the finding store keeps
# fuzzing going instead.
. tests/e2e/lib.sh
OUT="$work/out"
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

export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0"
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
check case_json_should_store_the_public_example_family \
    grep -q '	new	share/joblib fail:data,flags,strides C>F | raw 1d r <f8: reshape(C,2d)	' "$work/findings/log.tsv"
[ $rc = 0 ] || tail -20 "$work/json.log" >&2

"$OUT/case_json" -detect_leaks=0 -artifact_prefix="$work/art/" \
    "$work/seeds/public-example-reshape-5x3-reduce.json" >"$work/abort.log" 2>&1
check case_json_should_abort_on_a_finding test $? != 0
check the_abort_should_print_a_one_line_signature \
    grep -q '^memlayout-fuzz: FINDING share/joblib fail:data,flags,strides C>F' "$work/abort.log"
sha=$(sha1sum "$work/seeds/public-example-reshape-5x3-reduce.json" | cut -d' ' -f1)
check the_canonical_case_should_land_next_to_the_crash_file \
    grep -q '"transport":"reduce"' "$work/art/crash-$sha.json"
check its_minimized_case_should_land_there_too test -s "$work/art/crash-$sha.min.json"
check fuzzing_should_leave_no_temp_files tmp_empty
finish e2e-fuzz
