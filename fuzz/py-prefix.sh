#!/bin/sh
# The Python prefix an OSS-Fuzz $OUT carries (fuzz/build.sh): the runner
# (harness/python), the interpreter the workers run, the stdlib with
# lib-dynload, and NumPy and joblib from PyPI wheels in the prefix's own site
# folder. The interpreter finds the prefix relative to itself (its landmark,
# lib/pythonX.Y/os.py), as does the embedding (py.c: sys.executable is
# DEST/BIN), so nothing outside DEST is on sys.path.
#
# usage: fuzz/py-prefix.sh PY EXE STDLIB X.Y DEST BIN (run from the repository root)
#   PY the build interpreter (runs pip), EXE its executable (real path),
#   STDLIB its stdlib folder, X.Y its version, BIN the executable's path in DEST.
# env: MLF_PY_PACKAGES, the pip requirements (default: PY's numpy and joblib versions).
set -eu
PY=$1 exe=$2 stdlib=$3 xy=$4 dest=$5 bin=$6
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib/python$xy"
cp harness/python/*.py "$dest/"
cp "$exe" "$dest/$bin"
if ldd "$dest/$bin" | grep -q libpython; then
    echo "fuzz/py-prefix.sh: $exe links libpython dynamically: its copy would not start on a bare runner" >&2
    exit 1
fi
# The stdlib without its tests, GUI, IDE, installers, static libraries, the
# distribution's site folders and hooks.
(cd "$stdlib" && tar -cf - --exclude=./test --exclude=./idlelib --exclude=./tkinter \
    --exclude=./turtledemo --exclude=./ensurepip --exclude=./lib2to3 --exclude='./config-*' \
    --exclude=./dist-packages --exclude=./site-packages --exclude=./sitecustomize.py \
    --exclude='./lib-dynload/_test*' --exclude='./lib-dynload/xx*' .) |
    (cd "$dest/lib/python$xy" && tar -xf -)

# Where the copy looks for packages, asked from the copy itself.
where=$(env -i "$dest/$bin" -I -c 'import site, sys; print(sys.prefix); print(site.getsitepackages()[0])')
prefix=$(echo "$where" | sed -n 1p)
site=$(echo "$where" | sed -n 2p)
if [ "$prefix" != "$(cd "$dest" && pwd -P)" ]; then
    echo "fuzz/py-prefix.sh: $dest/$bin takes $prefix as its prefix, not $dest" >&2
    exit 1
fi
pkgs=${MLF_PY_PACKAGES:-$($PY -c 'import numpy, joblib; print("numpy==%s joblib==%s" % (numpy.__version__, joblib.__version__))')}
# shellcheck disable=SC2086  # one word per requirement
$PY -m pip install -q --disable-pip-version-check --no-warn-script-location --root-user-action=ignore --only-binary :all: \
    --no-deps --target "$site" $pkgs
# Without their test suites and scripts.
rm -rf "$site/bin" "$site"/*/tests "$site"/*/*/tests "$site/joblib/test"
env -i "$dest/$bin" -I -c 'import sys, numpy, joblib
for m in numpy, joblib:
    assert m.__file__.startswith(sys.prefix + "/"), m.__file__
print("fuzz/py-prefix.sh: Python %s, NumPy %s, joblib %s in %s" % (
    sys.version.split()[0], numpy.__version__, joblib.__version__, sys.prefix))'
