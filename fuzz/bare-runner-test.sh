#!/bin/sh
# $OUT on a bare runner: OSS-Fuzz's and ClusterFuzzLite's runner images have
# neither this system's Python, NumPy and joblib nor its cJSON. Builds $OUT
# with fuzz/build.sh the OSS-Fuzz way (ASan + libFuzzer), checks that no
# target links libpython or libcjson, moves $OUT elsewhere (no build path may
# be baked in), then, in a private mount namespace where /usr/lib/python3*,
# /usr/local/lib/python3* and every libpython3*.so* and libcjson*.so* are
# hidden, runs each target with no environment (env -i) for RUNS inputs from
# its seed corpus, with ASan and LeakSanitizer on (leaks at exit included).
# Fails when the hiding does not hold, a target does not start, does not
# finish its runs, exits non-zero or reports a sanitizer error.
#
# usage: sh fuzz/bare-runner-test.sh      env: RUNS (default 300); needs root
# or unprivileged user namespaces (unshare).
set -eu
LC_ALL=C
export LC_ALL
RUNS=${RUNS:-300}
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
san="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
CC=clang CXX=clang++ CFLAGS="$san" CXXFLAGS="$san" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
    SANITIZER=address FUZZING_ENGINE=libfuzzer OUT="$work/build-out" WORK="$work/build" \
    sh fuzz/build.sh >"$work/build.log" 2>&1 || {
    tail -20 "$work/build.log" >&2
    echo "bare-runner: fuzz/build.sh failed" >&2
    exit 1
}
tail -1 "$work/build.log" | sed 's/^fuzz\/build.sh: /bare-runner: /'
mkdir -p "$work/bare"
mv "$work/build-out" "$work/bare/out"
out="$work/bare/out"
failed=0
for t in case_json case_bytes case_parse; do
    if ldd "$out/$t" | grep -E 'libpython|libcjson|not found'; then
        echo "FAIL $t links the above"
        failed=1
    else
        echo "ok   $t: ldd: $(ldd "$out/$t" | awk '{print $1}' | grep -v '^linux-vdso' | tr '\n' ' ')"
    fi
done

# Inside the namespace: hide, prove it hidden, run.
cat >"$work/inside.sh" <<'INSIDE'
set -u
out=$1 work=$2 runs=$3
for f in $(find /usr /opt /root -xdev \( -name 'libpython3*.so*' -o -name 'libcjson*.so*' \) 2>/dev/null); do
    mount --bind /dev/null "$f" || exit 1
done
for d in /usr/lib/python3* /usr/local/lib/python3*; do
    [ -d "$d" ] && { mount -t tmpfs tmpfs "$d" || exit 1; }
done
if env -i /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    echo "FAIL the namespace still has the system's Python and NumPy"
    exit 1
fi
echo "ok   hidden: $(ls -d /usr/lib/python3* /usr/local/lib/python3* 2>/dev/null | tr '\n' ' ')and $(find /usr /opt /root -xdev \( -name 'libpython3*.so*' -o -name 'libcjson*.so*' \) 2>/dev/null | wc -l) libpython/libcjson files"
py=$(ls "$out"/memlayout_python/bin/python3*)
echo "ok   worker interpreter: $(env -i "$py" -I -c 'import sys, numpy, joblib; print(sys.version.split()[0], sys.prefix, "numpy", numpy.__version__, "joblib", joblib.__version__)')" || exit 1
failed=0
for t in case_json case_bytes case_parse; do
    mkdir -p "$work/$t/seeds" "$work/$t/corpus" "$work/$t/art"
    (cd "$work/$t/seeds" && unzip -q "$out/${t}_seed_corpus.zip")
    dict=
    [ "$t" = case_bytes ] || dict="-dict=$out/$t.dict"
    (cd "$work/$t" && timeout -k 5 600 env -i "$out/$t" -runs="$runs" $dict \
        -artifact_prefix="$work/$t/art/" "$work/$t/corpus" "$work/$t/seeds") >"$work/$t.log" 2>&1
    rc=$?
    done_line=$(grep '^Done [0-9]* runs' "$work/$t.log" | tail -1)
    if [ $rc -ne 0 ] || [ -z "$done_line" ] || grep -Eq 'HARNESS BUG|==[0-9]+==ERROR|runtime error:|memlayout-fuzz: FINDING' "$work/$t.log"; then
        echo "FAIL $t (exit $rc):"
        grep -E 'HARNESS BUG|ERROR|runtime error|FINDING|deadly signal|SUMMARY|cannot|Error' "$work/$t.log" | head -20 | sed 's/^/    /'
        tail -5 "$work/$t.log" | sed 's/^/    /'
        failed=1
    else
        v=$(sed -n 's/^memlayout-fuzz: [a-z_]*: \(Python .*\), on finding.*/\1/p' "$work/$t.log" | head -1)
        echo "ok   $t: env -i, $done_line${v:+; $v}"
    fi
done
exit $failed
INSIDE
if [ "$(id -u)" -eq 0 ]; then ns="unshare -m"; else ns="unshare -r -m"; fi
$ns sh "$work/inside.sh" "$out" "$work" "$RUNS" || failed=1
if [ $failed -eq 0 ]; then
    echo "bare-runner: passed"
else
    echo "bare-runner: FAILED"
fi
exit $failed
