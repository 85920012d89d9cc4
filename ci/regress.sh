#!/bin/sh
# The regression job: replay corpus/regress/ against the baseline of this
# environment (joblib and NumPy versions). Writes to $OUT (default out/ci):
#   junit.xml       one testcase per case file (known failures are skipped)
#   memlayout.sarif SARIF 2.1.0, one result per case that is not a plain pass
#   results/        results.jsonl, summary.json, findings/ (as `run` writes)
#   report.html     the HTML report of those results
# Exit status is memlayout ci's: 0 every verdict as expected, 1 a new or
# changed failure or an XPASS (fixed upstream: pass --allow-fixed, or update
# the baseline with --update-baseline), 2 bad cases, 3 broken environment.
# Extra arguments go to `memlayout ci` (--allow-fixed, --reducer reference, ...).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
ML=${ML:-$BUILD/memlayout}
OUT=${OUT:-out/ci}
CORPUS=${CORPUS:-corpus/regress}
[ -x "$ML" ] || make -s "$ML" || exit 3
mkdir -p "$OUT"
"$ML" ci "$CORPUS" --junit "$OUT/junit.xml" --sarif "$OUT/memlayout.sarif" --out "$OUT/results" -q "$@"
rc=$?
# The report is for people; its failure must not hide the verdict.
if "$ML" report --help >/dev/null 2>&1; then
    "$ML" report "$OUT/results" -o "$OUT/report.html" -q --title "memlayout regression job" ||
        echo "regress.sh: no HTML report (see above)" >&2
fi
exit $rc
