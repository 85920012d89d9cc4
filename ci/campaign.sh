#!/bin/sh
# A long campaign per transport against one Python environment: what a
# release still gets wrong. One `memlayout run` per transport (the pickle
# protocols count as one transport), each minimizing its distinct bugs.
#   REQS   pip requirements of the environment (`make campaign`: the
#          current releases, the Makefile's CURRENT; unset: Debian's packages)
#   TIME   seconds per transport (default 600)
#   OUT    where the runs go (default out/campaign), one folder a transport
#   SEED   campaign seed (default 1): the same seed gives the same cases
# Afterwards `memlayout triage OUT/<transport>` shows each run's bugs; their
# minimized cases (OUT/<transport>/bugs/) are what goes into corpus/regress.
# Exit status: 0 when every run ended (with or without findings), else the
# first run's failure status (2 bad arguments, 3 broken environment, 130...).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
ML=${ML:-$BUILD/memlayout}
REQS=${REQS:-}
TIME=${TIME:-600}
OUT=${OUT:-out/campaign}
SEED=${SEED:-1}
TRANSPORTS=${TRANSPORTS:-reduce loky multiprocessing threading pickle pool-spawn pool-forkserver dask}
[ -x "$ML" ] || make -s "$ML" || exit 3
mkdir -p "$OUT"
set --
[ -z "$REQS" ] || set -- --with "$REQS"
for t in $TRANSPORTS; do
    echo "campaign: $t for $TIME s${REQS:+ with $REQS}"
    "$ML" run "$@" -T "$t" -t "$TIME" -s "$SEED" -q --out "$OUT/$t" --report "$OUT/$t/report.html"
    rc=$?
    case $rc in 0 | 1) ;; *) echo "campaign: $t stopped with exit $rc" >&2; exit $rc ;; esac
done
