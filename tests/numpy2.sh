#!/bin/sh
# The runner's tests (tests/python) and the layout differential test
# (tests/layout_numpy.py, tests/layout_numpy_ops.py) again, under NumPy 2 and the current joblib from
# PyPI: memlayout installs them (`memlayout env add`, wheels only) into its
# environment cache, where they stay for the next run on this machine.
#
#   BUILD=build/release sh tests/numpy2.sh
#   NUMPY2_REQS="joblib==1.6.0 numpy==2.4.*" sh tests/numpy2.sh
#
# Prints "runner-numpy2: N passed, N failed", "layout-numpy2: ..." and
# "layout-numpy-ops2: ..." (the op-level model's differential test). When
# the environment can be neither found in the cache nor installed (PyPI
# unreachable), it says SKIP and counts as a failure: a test that could not
# run does not pass.
set -u
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build/release}
PY=${PY:-/usr/bin/python3}
REQS=${NUMPY2_REQS:-"joblib==1.6.0 numpy==2.3.*"}
ML="$BUILD/memlayout"
err=$(mktemp)
trap 'rm -f "$err"' EXIT INT TERM

# shellcheck disable=SC2086  # one argument per requirement
if ! site=$("$ML" env add -q $REQS 2>"$err"); then
    if grep -Eq "PyPI unreachable|No matching distribution" "$err"; then   # pinned releases that exist
        echo "SKIP runner-numpy2 (PyPI unreachable and nothing cached): $(tail -n 1 "$err")"
    else
        echo "FAIL runner-numpy2: cannot install $REQS: $(tail -n 1 "$err")"
    fi
    echo "runner-numpy2: 0 passed, 1 failed"
    echo "layout-numpy2: 0 passed, 1 failed"
    echo "layout-numpy-ops2: 0 passed, 1 failed"
    exit 1
fi

# The suites must really run on that NumPy, from that folder.
got=$(PYTHONPATH=$site "$PY" -c 'import numpy; print(numpy.__version__, numpy.__file__)')
case $got in
2.*" $site/numpy/__init__.py") echo "numpy2: running on NumPy $got" ;;
*)
    echo "FAIL numpy2: PYTHONPATH=$site imports NumPy $got"
    echo "runner-numpy2: 0 passed, 1 failed"
    exit 1
    ;;
esac

# A DeprecationWarning the runner or the reference reducer triggers is an
# error: the next NumPy removes what it warns about.
MEMLAYOUT_SUITE=runner-numpy2 PYTHONPATH=$site "$PY" -m pytest -q -p no:cacheprovider \
    -W error::DeprecationWarning:memlayout_runner -W error::DeprecationWarning:memlayout_reference \
    tests/python
rc=$?
"$BUILD/tests/test_layout_numpy" 20000 | PYTHONPATH=$site "$PY" -W error::DeprecationWarning tests/layout_numpy.py |
    sed 's/^layout-numpy:/layout-numpy2:/'
"$BUILD/tests/test_layout_numpy" --ops 2000 | PYTHONPATH=$site "$PY" -W error::DeprecationWarning tests/layout_numpy_ops.py |
    sed 's/^layout-numpy-ops:/layout-numpy-ops2:/'
[ $rc -eq 0 ]
