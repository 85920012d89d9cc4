#!/bin/sh
# OSS-Fuzz / ClusterFuzzLite build script (the contract: $CC, $CXX, $CFLAGS,
# $CXXFLAGS, $LIB_FUZZING_ENGINE, $OUT, $SRC, $WORK; see .clusterfuzzlite/).
# Builds case_json, case_bytes and case_parse into $OUT with, for each,
# <target>_seed_corpus.zip (corpus/seed), <target>.options and, for the
# JSON targets, <target>.dict. The runner the Python targets embed is copied
# to $OUT/memlayout_python/, where the targets look for it first, and the
# known bugs (fuzz/known-bugs.txt) to $OUT/memlayout_known.txt: findings of
# only those are counted, not crashes.
#
# Run by hand from the repository root, OSS-Fuzz style:
#   CC=clang CXX=clang++ CFLAGS="-O1 -g -fsanitize=address,fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out \
#   WORK=/tmp/work sh fuzz/build.sh
#
# Runtime needs of the Python targets (case_json, case_bytes): Debian 12's
# libpython3.11 with NumPy and joblib in the runner image (the base-runner
# image lacks them; case_parse needs nothing but libc and libcjson).
set -eu
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}" "${OUT:?set OUT}" "${WORK:=${TMPDIR:-/tmp}}"
PY=${PY:-/usr/bin/python3}
PYCONFIG=${PYCONFIG:-/usr/bin/python3-config}
obj="$WORK/memlayout-fuzz"
rm -rf "$obj"
mkdir -p "$obj" "$OUT"
cd "$SRC_DIR"

# The Python targets need an interpreter the embedding supports (3.10+) with
# NumPy and joblib; without one (OSS-Fuzz's Ubuntu 20.04 images) only
# case_parse is built, and this says so.
targets="case_json case_bytes case_parse"
if $PY -c 'import sys, numpy, joblib; sys.exit(sys.version_info < (3, 10))' 2>/dev/null &&
    $PYCONFIG --embed --ldflags >/dev/null 2>&1; then
    py_cflags=$($PYCONFIG --includes)
    py_libs=$($PYCONFIG --embed --ldflags)
    py_exe=$($PY -c 'import os, sys; print(os.path.realpath(sys.executable))')
else
    echo "fuzz/build.sh: $PY is not Python 3.10+ with numpy and joblib: building case_parse only" >&2
    targets=case_parse
    py_cflags= py_libs= py_exe=$PY
fi
cjson_cflags=$(pkg-config --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)
# A static cJSON keeps case_parse free of runtime dependencies where it exists.
cjson_libs=$(ls /usr/lib/*/libcjson.a /usr/lib/libcjson.a /usr/local/lib/libcjson.a 2>/dev/null | head -1)
[ -n "$cjson_libs" ] || cjson_libs=$(pkg-config --libs libcjson 2>/dev/null || echo -lcjson)
# libFuzzer reads the layout features from its extra-counters section; other
# engines get the targets without them.
engine_def=
case "${FUZZING_ENGINE:-libfuzzer}" in libfuzzer) engine_def=-DMLF_ENGINE_LIBFUZZER ;; esac
# fuzz/lsan.supp compiled in (fuzz/lsan.c): a bare run ends clean under LeakSanitizer.
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&\\n"/' fuzz/lsan.supp >"$obj/lsan_supp.h"
flags="$CFLAGS -std=c11 -D_GNU_SOURCE -Iharness/lib -I$obj $cjson_cflags $py_cflags \
    -DML_VERSION=\"oss-fuzz\" -DML_PY_EXE=\"$py_exe\" -DML_RUNNER_DIR=\"$SRC_DIR/harness/python\""

for f in case strbuf gen layout oracle; do
    $CC $flags -c -o "$obj/$f.o" "harness/lib/$f.c"
done
for f in fuzz mutate feedback case_parse; do
    $CC $flags $engine_def -c -o "$obj/fuzz_$f.o" "fuzz/$f.c"
done
core="$obj/fuzz_fuzz.o $obj/fuzz_mutate.o $obj/fuzz_feedback.o $obj/case.o $obj/strbuf.o $obj/gen.o $obj/layout.o $obj/oracle.o"
$CXX $CXXFLAGS -o "$OUT/case_parse" "$obj/fuzz_case_parse.o" $core $LIB_FUZZING_ENGINE $cjson_libs -lm
if [ "$targets" != case_parse ]; then
    for f in fsutil fstore py signature minimize session sup; do
        $CC $flags -c -o "$obj/$f.o" "harness/lib/$f.c"
    done
    for f in run pytrace crash lsan case_json case_bytes; do
        $CC $flags $engine_def -c -o "$obj/fuzz_$f.o" "fuzz/$f.c"
    done
    pyside="$obj/fuzz_run.o $obj/fuzz_pytrace.o $obj/fuzz_crash.o $obj/fuzz_lsan.o $obj/signature.o $obj/minimize.o $obj/session.o $obj/sup.o $obj/fsutil.o $obj/fstore.o $obj/py.o"
    for t in case_json case_bytes; do
        $CXX $CXXFLAGS -o "$OUT/$t" "$obj/fuzz_$t.o" $core $pyside $LIB_FUZZING_ENGINE $cjson_libs $py_libs -lm
    done
    rm -rf "$OUT/memlayout_python"
    mkdir -p "$OUT/memlayout_python"
    cp harness/python/*.py "$OUT/memlayout_python/"
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
echo "fuzz/build.sh: built $targets into $OUT"
