# Environments from PyPI: --with REQS and `memlayout env`; the cache (reuse,
# list, rm, offline, two installs at once, a failed or interrupted install
# leaving nothing); workers importing the environment; NumPy 2.
#
# The environments these tests run in stay in memlayout's cache (default
# ~/.cache/memlayout/envs) between runs; installing them needs PyPI once.
# A test whose environment can be neither found there nor installed prints
# SKIP and counts as failed: it never passes unseen.
. tests/e2e/lib.sh
JL="joblib==1.6.0"
NP2="joblib==1.6.0 numpy==2.3.*"
pe=corpus/seed/public-example-reshape-5x3-loky.json
refused=http://127.0.0.1:9/simple   # an index that refuses connections: offline

skip() {   # skip NAME FILE: could not run (FILE: memlayout's error), counted as failed
    e2e_failed=$((e2e_failed + 1))
    if grep -Eq "PyPI unreachable|No matching distribution" "$2"; then
        echo "SKIP $1 (PyPI unreachable and nothing cached): $(tail -n 1 "$2")" >&2
    else
        echo "FAIL $1: $(tail -n 1 "$2")" >&2
    fi
}

# cached REQS: prints the sys.path folder of REQS in the default cache,
# installing it first if needed; false (memlayout's error in $work/add.err) if neither.
cached() {
    # shellcheck disable=SC2086  # one argument per requirement
    "$ML" env add -q $1 2>"$work/add.err"
}

# ---- joblib 1.6.0: the public example is fixed there ----------------------------
if site=$(cached "$JL"); then
    ml replay --with "$JL" "$pe"
    check public_example_should_pass_with_joblib_1_6_0 test "$(last_rc)" = 0
    [ "$(last_rc)" = 0 ] || show_last
    ml replay "$pe"
    check public_example_should_fail_with_debians_joblib_1_2_0 test "$(last_rc)" = 1

    ino=$(stat -c %i "$site")
    ml --version --with "$JL"
    check version_with_should_exit_0 test "$(last_rc)" = 0
    check version_with_should_name_joblib_1_6_0 out_has "^joblib 1\.6\.0$"
    check version_with_should_import_joblib_from_the_env_dir out_has "^joblib_path $site/joblib$"
    check version_with_should_keep_debians_numpy out_has "^numpy 1\.24\."
    check version_with_should_name_the_environment out_has "^environment $JL $site$"
    for w in loky multiprocessing pool-spawn pool-forkserver; do
        check "a_${w}_worker_should_import_joblib_from_the_env_dir" \
            out_has "^worker $w numpy 1\.24\.[^ ]* [^ ]*, joblib 1\.6\.0 $site/joblib$"
    done
    [ "$(last_rc)" = 0 ] || show_last
    # the cache is reused: no pip run, the same folder
    check a_cached_environment_should_not_run_pip sh -c "! grep -q installing '$work/last.err'"
    check a_cached_environment_should_stay_in_place test "$(stat -c %i "$site")" = "$ino"

    ml env list
    check env_list_should_name_the_requirements out_has "^$JL$"
    check env_list_should_name_the_resolved_versions out_has "joblib 1\.6\.0 (Python 3\."
    check env_list_should_name_the_folder out_has "^    $site$"
    ml env path "Joblib==1.6.0"
    check env_path_should_normalize_names test "$(cat "$work/last.out")" = "$site"

    # offline, a cached environment still works
    (PIP_INDEX_URL=$refused; export PIP_INDEX_URL; ml replay -q --with "$JL" "$pe")
    check a_cached_environment_should_work_offline test "$(last_rc)" = 0

    # rm, on a copy of the cached environment in a cache of its own
    mkdir -p "$work/envs"
    cp -a "$(dirname "$(dirname "$site")")" "$work/envs/"
    ml env --env-dir "$work/envs" list
    check env_list_should_list_a_copied_cache out_has "^$JL$"
    ml env --env-dir "$work/envs" rm "$JL"
    check env_rm_should_exit_0 test "$(last_rc)" = 0
    check env_rm_should_leave_nothing test -z "$(ls -A "$work/envs")"
    ml env --env-dir "$work/envs" list
    check env_list_should_say_when_empty out_has "^env: no environments"
    ml env --env-dir "$work/envs" path "$JL"
    check env_path_of_a_removed_environment_should_exit_1 test "$(last_rc)" = 1
    ml env --env-dir "$work/envs" rm "$JL"
    check env_rm_of_a_missing_environment_should_exit_1 test "$(last_rc)" = 1
    check the_default_cache_should_keep_its_copy test -d "$site/joblib"
else
    skip joblib_1_6_0_environment "$work/add.err"
fi

# ---- matrix --with-each: the release that broke a case and the one that fixed it ----
if cached "joblib==1.2.0" >/dev/null && cached "$JL" >/dev/null; then
    ml matrix --with-each "joblib==1.2.0" "$JL" corpus/regress/cases --json "$work/mx.json"
    check matrix_with_each_should_exit_1_when_releases_differ test "$(last_rc)" = 1
    check matrix_with_each_should_label_environments_by_versions out_has "^  B = joblib-1\.6\.0+numpy-1\.24\.[0-9]*  (reducer joblib, with $JL)$"
    check matrix_with_each_should_say_when_the_public_example_was_fixed \
        out_has "^  public-example-reshape-5x3-reduce.json \[reduce\]: fails from A (joblib-1\.2\.0+numpy-1\.24\.[0-9]*); fixed in B (joblib-1\.6\.0"
    check matrix_with_each_should_say_when_its_f_twin_broke \
        out_has "^  reshape-f-5x3-of-1d-memmap-reduce.json \[reduce\]: passes from A (.*); fails since B (joblib-1\.6\.0"
    check matrix_with_each_should_say_what_never_changed \
        out_has "^  transpose-c-2d-memmap-loky.json \[loky\]: fails in every environment$"
    "$PY" -c "
import json, sys
m = json.load(open('$work/mx.json'))
c = {x['case'].split('/')[-1]: x for x in m['cases']}
pe = c['public-example-reshape-5x3-reduce.json']
ok = (m['environments'][1]['with'] == '$JL' and pe['first_failing'].startswith('joblib-1.2.0')
      and pe['first_fixed'].startswith('joblib-1.6.0')
      and c['control-backing-shape-5x3-loky.json']['first_failing'] is None)
sys.exit(0 if ok else 1)"
    check matrix_with_each_json_should_name_first_failing_and_fixed test $? = 0
    [ "$(last_rc)" = 1 ] || show_last
else
    skip matrix_with_each_environments "$work/add.err"
fi

# ---- installing: two at once, refresh --------------------------------------------
fresh="$work/fresh"
("$ML" env --env-dir "$fresh" add "$JL" >"$work/a.out" 2>"$work/a.err"; echo $? >"$work/a.rc") &
("$ML" env --env-dir "$fresh" add "$JL" >"$work/b.out" 2>"$work/b.err"; echo $? >"$work/b.rc") &
wait
if [ "$(cat "$work/a.rc")" = 0 ] && [ "$(cat "$work/b.rc")" = 0 ]; then
    check two_installs_at_once_should_give_one_folder cmp -s "$work/a.out" "$work/b.out"
    check two_installs_at_once_should_run_pip_once \
        test "$(cat "$work/a.err" "$work/b.err" | grep -c "installing $JL")" = 1
    check the_folder_should_be_in_the_env_dir grep -q "^$fresh/joblib-1\.6\.0-py3\.[0-9]*-[0-9a-f]*/cloudpickle-[^/]*+joblib-1\.6\.0/site$" "$work/a.out"
    check two_installs_should_leave_no_temp_folder test "$(ls -A "$fresh" | wc -l)" = 1
    set_dir=$(ls -d "$fresh"/joblib-*)
    check a_set_should_hold_one_resolution_and_current test "$(ls -A "$set_dir" | tr '\n' ' ')" = \
        "$(basename "$(dirname "$(cat "$work/a.out")")") current "
    check env_json_should_record_the_requirements grep -q "\"requirements\":.*\"$JL\"" "$set_dir"/*/env.json
    ml env --env-dir "$fresh" add --refresh "$JL"
    check env_add_refresh_should_exit_0 test "$(last_rc)" = 0
    check env_add_refresh_should_run_pip err_has "installing $JL"
    check env_add_refresh_of_the_same_versions_should_keep_the_folder cmp -s "$work/a.out" "$work/last.out"
    check env_add_refresh_should_leave_no_temp_folder test "$(ls -A "$fresh" | wc -l)" = 1
else
    cat "$work/a.err" "$work/b.err" >"$work/ab.err"
    skip install_into_an_empty_cache "$work/ab.err"
fi

# ---- failures: one line, exit 3, nothing left -------------------------------------
bad="$work/bad"
ml replay -q --env-dir "$bad" --with "joblib==0.0.0" "$pe"
check a_bad_requirement_should_exit_3 test "$(last_rc)" = 3
check a_bad_requirement_should_say_one_line test "$(wc -l <"$work/last.err")" = 1
check a_bad_requirement_should_be_named err_has '--with "joblib==0.0.0": pip install failed: .'
check a_failed_install_should_leave_nothing test -z "$(ls -A "$bad")"
[ "$(last_rc)" = 3 ] || show_last
(PIP_INDEX_URL=$refused PIP_RETRIES=1; export PIP_INDEX_URL PIP_RETRIES
 ml replay -q --env-dir "$bad" --with "joblib==1.5.0" "$pe")
check offline_without_a_cache_should_exit_3 test "$(last_rc)" = 3
check offline_should_say_pypi_is_unreachable err_has 'joblib==1.5.0.*PyPI unreachable'
check an_offline_install_should_leave_nothing test -z "$(ls -A "$bad")"
ml replay --with "-U joblib" "$pe"
check a_pip_option_should_be_a_usage_error test "$(last_rc)" = 2
ml replay --with "./joblib" "$pe"
check a_path_should_be_a_usage_error test "$(last_rc)" = 2

# an install interrupted by SIGTERM stops pip and leaves nothing
"$PY" -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$work/port" &
hang=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ -s "$work/port" ] && break
    sleep 0.5
done
PIP_INDEX_URL="http://127.0.0.1:$(cat "$work/port")/simple" "$ML" env --env-dir "$work/int" add -q "$JL" \
    >/dev/null 2>"$work/int.err" &
inst=$!
sleep 2
check an_install_should_work_in_a_temp_folder sh -c "ls -A '$work/int' | grep -q '^\.tmp-'"
kill -TERM $inst
wait $inst
check an_interrupted_install_should_exit_143 test $? = 143
check an_interrupted_install_should_leave_nothing test -z "$(ls -A "$work/int")"
check an_interrupted_install_should_stop_pip sh -c "! pgrep -f 'pip install --target $work/in[t]/' >/dev/null"
kill $hang 2>/dev/null
wait $hang 2>/dev/null

# ---- NumPy 2 -----------------------------------------------------------------------
if site2=$(cached "$NP2"); then
    ml --version --with "$NP2"
    check version_should_name_numpy_2 out_has "^numpy 2\.3\."
    check numpy_2_should_shadow_debians_numpy out_has "^numpy_path $site2/numpy$"
    for w in loky multiprocessing pool-spawn pool-forkserver; do
        check "a_${w}_worker_should_import_numpy_2" \
            out_has "^worker $w numpy 2\.3\.[^ ]* $site2/numpy, joblib 1\.6\.0 $site2/joblib$"
    done
    [ "$(last_rc)" = 0 ] || show_last
    ml replay --with "$NP2" corpus/seed
    check seed_corpus_should_pass_with_joblib_1_6_and_numpy_2 test "$(last_rc)" = 0
    [ "$(last_rc)" = 0 ] || show_last
    # the reproducers run on NumPy 2 and reach memlayout's verdicts there
    ml replay -q --with "$NP2" corpus/regress/cases
    cp "$work/last.out" "$work/np2.verdicts"
    differ=0
    for f in corpus/regress/cases/*.json; do
        want=0
        grep -q "^$f \[[a-z0-9-]*\]: \(fail\|error\)" "$work/np2.verdicts" && want=1
        "$ML" repro --no-run "$f" >"$work/repro.py"
        PYTHONPATH=$site2 "$PY" -W error::DeprecationWarning:__main__ "$work/repro.py" >"$work/repro.out" 2>&1
        rc=$?
        if [ $rc != $want ]; then
            differ=$((differ + 1))
            echo "  repro of $f exits $rc under NumPy 2, memlayout's verdict wants $want" >&2
            tail -n 3 "$work/repro.out" >&2
        fi
    done
    check repro_scripts_should_agree_with_memlayout_under_numpy_2 test $differ = 0
    check some_regress_cases_should_still_fail_under_joblib_1_6 grep -q ": fail:" "$work/np2.verdicts"
    ml ci corpus/regress --with "$NP2"
    check regress_corpus_should_match_its_numpy_2_baseline test "$(last_rc)" = 0
    [ "$(last_rc)" = 0 ] || show_last
    ml run --with "$NP2" --seed 2 --time 10 -T all -q --no-minimize --report none --out "$work/np2"
    check a_numpy_2_campaign_should_exit_0_or_1 test "$(last_rc)" -le 1
    check a_numpy_2_campaign_should_run_cases test "$(wc -l <"$work/np2/results.jsonl")" -gt 100
    check a_numpy_2_campaign_should_have_no_protocol_or_build_error \
        sh -c "! grep -Eq '\"verdict\":\"error:(protocol|build)' '$work/np2/results.jsonl'"
    check a_numpy_2_campaign_should_print_versions out_has "NumPy 2\.3\."
    # the control: memlayout's correct reducer finds nothing on NumPy 2 either
    ml run --with "$NP2" --reducer reference --seed 3 --time 5 -T reduce,loky,multiprocessing,reference,threading \
        -q --no-minimize --report none --out "$work/np2ref"
    check the_reference_reducer_should_pass_everything_on_numpy_2 test "$(last_rc)" = 0
    check the_reference_campaign_should_run_cases test "$(wc -l <"$work/np2ref/results.jsonl")" -gt 50
    [ "$(last_rc)" = 0 ] || show_last
else
    skip numpy_2_environment "$work/add.err"
fi

# NumPy 2 under Debian's joblib 1.2.0, which calls np.byte_bounds: a broken environment
if cached "numpy==2.3.*" >/dev/null; then
    ml replay -q --with "numpy==2.3.*" "$pe"
    check joblib_1_2_with_numpy_2_should_exit_3 test "$(last_rc)" = 3
    check joblib_1_2_with_numpy_2_should_say_why err_has "joblib 1\.2\.0 cannot send a memmap with NumPy 2\.3"
    check joblib_1_2_with_numpy_2_should_say_one_line test "$(wc -l <"$work/last.err")" = 1
else
    skip numpy_2_alone_environment "$work/add.err"
fi

check envs_should_leave_no_temp_files tmp_empty
check envs_should_leave_no_processes no_leftover_procs
finish e2e-envs
