#!/bin/sh
# OSS-Fuzz / ClusterFuzzLite build script (the contract: $CC, $CXX, $CFLAGS,
# $CXXFLAGS, $LIB_FUZZING_ENGINE, $OUT, $SRC, $WORK; see .clusterfuzzlite/).
# Builds case_json, case_bytes and case_parse into $OUT with, for each,
# <target>_seed_corpus.zip (corpus/seed), <target>.options and, for the
# JSON targets, <target>.dict. The known bugs (fuzz/known-bugs.txt) go to
# $OUT/memlayout_known.txt: findings of only those are counted, not crashes.
#
# $OUT runs on a bare runner (fuzz/bare-runner-test.sh checks it): cJSON is
# compiled from source with $CC $CFLAGS into the targets ($CJSON_SRC, the
# folder of cJSON.c and cJSON.h); libpython is linked statically; and
# $OUT/memlayout_python/ is a Python prefix of its own: the runner
# (harness/python), bin/python3.X (the build interpreter's executable, which
# the workers run), the stdlib with lib-dynload, and NumPy and joblib
# installed from PyPI wheels (self-contained: NumPy's wheel carries its
# OpenBLAS). The targets find it beside themselves ("$ORIGIN/", py.c),
# wherever $OUT is copied; they need no environment.
#
# Run by hand from the repository root, OSS-Fuzz style:
#   CC=clang CXX=clang++ CFLAGS="-O1 -g -fsanitize=address,fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out \
#   WORK=/tmp/work sh fuzz/build.sh
#
# Also: PY (the build interpreter, default /usr/bin/python3, whose libpython,
# executable and stdlib go into $OUT), MLF_PY_PACKAGES (the pip requirements
# installed into $OUT; default: the NumPy and joblib versions $PY has),
# CJSON_SRC (default /usr/local/src/cjson, where ci/install-deps.sh unpacks
# Debian's source package).
set -eu
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}" "${OUT:?set OUT}" "${WORK:=${TMPDIR:-/tmp}}"
: "${CJSON_SRC:=/usr/local/src/cjson}"
PY=${PY:-/usr/bin/python3}
obj="$WORK/memlayout-fuzz"
rm -rf "$obj"
mkdir -p "$obj/lib" "$OUT"
cd "$SRC_DIR"

# cJSON_ParseWithLength is 1.7.13+.
if ! grep -q 'cJSON_ParseWithLength(' "$CJSON_SRC/cJSON.h" 2>/dev/null || [ ! -f "$CJSON_SRC/cJSON.c" ]; then
    echo "fuzz/build.sh: no cJSON 1.7.13+ source in CJSON_SRC=$CJSON_SRC (sh ci/install-deps.sh unpacks Debian's)" >&2
    exit 1
fi

# The Python targets need an interpreter the embedding supports (3.10+) with
# its static libpython; without one only case_parse is built, and this says so.
targets="case_json case_bytes case_parse"
py_vars=$($PY -c 'import os, sys, sysconfig as s
v = lambda k: s.get_config_var(k) or ""
a = os.path.join(v("LIBPL"), v("LIBRARY"))
if sys.version_info < (3, 10) or not os.path.isfile(a):
    sys.exit(1)
print("py_inc=\"-I%s\" py_static=\"%s %s %s %s %s\" py_xy=%s py_exe=\"%s\" py_stdlib=\"%s\"" % (
    s.get_path("include"), a, v("MODLIBS"), v("LIBS"), v("SYSLIBS"), v("LINKFORSHARED"),
    v("VERSION"), os.path.realpath(sys.executable), s.get_path("stdlib")))' 2>/dev/null) || {
    echo "fuzz/build.sh: $PY is not Python 3.10+ with a static libpython: building case_parse only" >&2
    targets=case_parse
}
py_inc= py_static= py_xy= py_exe= py_stdlib=
eval "$py_vars"
# The prefix the targets carry, relative to themselves.
py_dir=memlayout_python
py_bin="bin/$(basename "$py_exe")"

# libFuzzer reads the layout features from its extra-counters section; other
# engines get the targets without them.
engine_def=
case "${FUZZING_ENGINE:-libfuzzer}" in libfuzzer) engine_def=-DMLF_ENGINE_LIBFUZZER ;; esac
# fuzz/lsan.supp compiled in (fuzz/lsan.c): a bare run ends clean under LeakSanitizer.
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&\\n"/' fuzz/lsan.supp >"$obj/lsan_supp.h"
flags="$CFLAGS -std=c11 -D_GNU_SOURCE -Iharness/lib -I$obj -I$CJSON_SRC $py_inc -DML_VERSION=\"oss-fuzz\" \
    -DML_PY_EXE=\"\$ORIGIN/$py_dir/$py_bin\" -DML_RUNNER_DIR=\"\$ORIGIN/$py_dir\""

# The harness library: every harness/lib/*.c (without Python, those that
# include its headers are left out) and cJSON, as an archive that gives each
# target only the modules it calls.
$CC $CFLAGS -c -o "$obj/lib/cJSON.o" "$CJSON_SRC/cJSON.c"
for src in harness/lib/*.c; do
    if [ -z "$py_static" ] && grep -q '^#include <\(Python\|patchlevel\)\.h>' "$src"; then
        continue
    fi
    f=$(basename "$src" .c)
    $CC $flags -c -o "$obj/lib/$f.o" "$src"
done
rm -f "$obj/libmemlayout.a"
ar rcs "$obj/libmemlayout.a" "$obj"/lib/*.o

for f in fuzz mutate feedback case_parse; do
    $CC $flags $engine_def -c -o "$obj/fuzz_$f.o" "fuzz/$f.c"
done
core="$obj/fuzz_fuzz.o $obj/fuzz_mutate.o $obj/fuzz_feedback.o"
$CXX $CXXFLAGS -o "$OUT/case_parse" "$obj/fuzz_case_parse.o" $core "$obj/libmemlayout.a" $LIB_FUZZING_ENGINE -lm
if [ "$targets" != case_parse ]; then
    for f in run pytrace crash lsan case_json case_bytes; do
        $CC $flags $engine_def -c -o "$obj/fuzz_$f.o" "fuzz/$f.c"
    done
    pyside="$obj/fuzz_run.o $obj/fuzz_pytrace.o $obj/fuzz_crash.o $obj/fuzz_lsan.o"
    # libpython.a is not position-independent; its symbols stay exported
    # (LINKFORSHARED) for the extension modules NumPy and the stdlib load.
    for t in case_json case_bytes; do
        $CXX $CXXFLAGS -no-pie -o "$OUT/$t" "$obj/fuzz_$t.o" $core $pyside "$obj/libmemlayout.a" \
            $LIB_FUZZING_ENGINE $py_static -lm
    done
    sh fuzz/py-prefix.sh "$PY" "$py_exe" "$py_stdlib" "$py_xy" "$OUT/$py_dir" "$py_bin"
    # The known bugs (fuzz/known.sh, from corpus/regress's known failures):
    # the targets find the list beside themselves and abort on new bugs only.
    cp fuzz/known-bugs.txt "$OUT/memlayout_known.txt"
fi

for t in $targets; do
    rm -f "$OUT/${t}_seed_corpus.zip"
    (cd corpus/seed && zip -q -X "$OUT/${t}_seed_corpus.zip" ./*.json)
    case $t in
    case_bytes)
        printf '[libfuzzer]\nmax_len = 1024\ntimeout = 30\ndetect_leaks = 0\n' >"$OUT/$t.options" ;;
    case_json)
        cp fuzz/case.dict "$OUT/$t.dict"
        printf '[libfuzzer]\ndict = %s.dict\nmax_len = 16384\ntimeout = 30\ndetect_leaks = 0\n' "$t" >"$OUT/$t.options" ;;
    case_parse)
        cp fuzz/case.dict "$OUT/$t.dict"
        printf '[libfuzzer]\ndict = %s.dict\nmax_len = 16384\ntimeout = 10\n' "$t" >"$OUT/$t.options" ;;
    esac
done
echo "fuzz/build.sh: built $targets into $OUT ($(du -sh "$OUT" | cut -f1))"
