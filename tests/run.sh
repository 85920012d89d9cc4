#!/bin/sh
# Runs every test: C units, the Python runner's tests, end-to-end CLI tests.
# Each suite prints "<suite>: N passed, N failed"; the last line sums them.
set -u
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build/release}
PY=${PY:-/usr/bin/python3}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT INT TERM

suite() {   # suite NAME COMMAND...: run, keep its output, note a crash as a failure
    name=$1; shift
    echo "== $name"
    "$@" >"$log/$name.out" 2>&1
    rc=$?
    cat "$log/$name.out"
    if ! grep -Eq '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$log/$name.out"; then
        echo "$name: 0 passed, 1 failed   (exit $rc, no summary line)" | tee -a "$log/$name.out"
    elif [ $rc -ne 0 ] && ! grep -Eq ': [0-9]+ passed, [1-9][0-9]* failed' "$log/$name.out"; then
        echo "$name: 0 passed, 1 failed   (exit $rc)" | tee -a "$log/$name.out"
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    case $t in *test_layout_numpy) continue ;; esac
    suite "$(basename "$t")" "$t"
done
if [ -x "$BUILD/tests/test_layout_numpy" ]; then
    suite layout-numpy sh -c "'$BUILD/tests/test_layout_numpy' 100000 | '$PY' tests/layout_numpy.py"
    suite layout-numpy-ops sh -c "'$BUILD/tests/test_layout_numpy' --ops 10000 | '$PY' tests/layout_numpy_ops.py"
fi
suite runner "$PY" -m pytest -q -p no:cacheprovider tests/python
# the same and the layout test under NumPy 2 and joblib 1.6 from PyPI (cached)
suite numpy2 env BUILD="$BUILD" PY="$PY" sh tests/numpy2.sh
for t in tests/e2e/*.sh; do
    [ "$(basename "$t")" = lib.sh ] && continue
    suite "e2e-$(basename "$t" .sh)" env BUILD="$BUILD" PY="$PY" sh "$t"
done

cat "$log"/*.out | grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' | awk '
    { split($0, a, ": "); split(a[2], b, " "); p += b[1]; f += b[3] }
    END { printf "total: %d passed, %d failed\n", p, f; exit (f > 0) }'
