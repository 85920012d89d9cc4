# Every command line in README.md's code blocks, run as written, in order, in
# a scratch folder laid out like the repository (corpus/, and build/release/
# pointing at the build under test). `make test` and `make run` are the
# exceptions: CI runs them itself (.ci/run), and this suite is part of the
# first. A new command line in the README fails this suite until it is known.
. tests/e2e/lib.sh
root=$PWD
scratch="$work/readme"
mkdir -p "$scratch/build/release"
ln -s "$ML" "$scratch/build/release/memlayout"
cp -R corpus "$scratch/corpus"

# The lines of the ```sh blocks, without their comments.
"$PY" - README.md >"$work/readme.cmds" <<'EOF'
import sys
inside = False
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("```"):
        inside = line.strip() == "```sh"
        continue
    cmd = line.split("#")[0].strip() if line.lstrip().startswith("#") else line.split("  #")[0].strip()
    if inside and cmd:
        print(cmd)
EOF
check readme_should_show_commands test -s "$work/readme.cmds"

# What each command must exit with on Debian 12's joblib, whose known bugs
# are findings (1); ci reads them against the corpus baseline (0).
want_rc() {
    case $1 in
    PYTHONPATH=*bug2.py) echo 1 ;;   # a bug joblib 1.6.0 still has
    *" replay --with "*) echo 0 ;;   # joblib 1.6.0 fixed the public example
    *" env "*) echo 0 ;;
    *" ci "*) echo 0 ;;
    *" gen "* | *" --version"* | *" report "*) echo 0 ;;
    *" minimize "*) echo 0 ;;
    *" repro "*) echo 0 ;;
    *" run "* | *" replay "* | *" triage "* | *" matrix "* | *bug.py) echo 1 ;;
    *) echo unknown ;;
    esac
}

n=0
while IFS= read -r cmd; do
    case $cmd in
    "make run" | "make test") continue ;;   # run by .ci/run
    esac
    n=$((n + 1))
    want=$(want_rc "$cmd")
    if [ "$want" = unknown ]; then
        check "readme_command_${n}_should_be_known_to_this_test" false
        echo "  not known: $cmd" >&2
        continue
    fi
    (cd "$scratch" && sh -c "$cmd" >"$work/readme.$n.out" 2>"$work/readme.$n.err" </dev/null)
    rc=$?
    check "readme_command_${n}_should_exit_$want" test "$rc" = "$want"
    if [ "$rc" != "$want" ]; then
        grep -q "PyPI unreachable" "$work/readme.$n.err" &&
            echo "SKIP readme command $n (PyPI unreachable and nothing cached): counted as failed" >&2
        echo "  command: $cmd (exit $rc)" >&2
        tail -5 "$work/readme.$n.err" >&2
    fi
done <"$work/readme.cmds"
check readme_should_have_shown_a_dozen_commands test "$n" -ge 10

# What the commands say they write is there.
check readme_run_should_write_its_out_dir test -f "$scratch/out/run-1/summary.json"
check readme_run_should_write_its_report test -s "$scratch/reports/run-1/index.html"
check readme_repro_should_write_a_script grep -q "import numpy" "$scratch/bug.py"
check readme_ci_should_write_junit grep -q "<testsuite" "$scratch/junit.xml"
check readme_ci_should_write_sarif grep -q '"2.1.0"' "$scratch/out.sarif"
check readme_commands_should_not_write_into_the_repository test ! -e "$root/bug.py"
check readme_commands_should_leave_no_temp_files tmp_empty
finish e2e-readme
