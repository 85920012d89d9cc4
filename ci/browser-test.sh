#!/bin/sh
# The HTML report in a real browser: installs Debian's chromium (and a font)
# when missing (ci/install-deps.sh browser), builds memlayout when it is not built, and runs
# tests/browser/run.sh, which prints "browser: N passed, N failed".
# Not part of `make test` (a browser start per check); .ci/run runs it.
#
# env: BUILD (default build/release), ARTIFACTS=DIR keeps screenshots and pages
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
export BUILD

sh ci/install-deps.sh browser
[ -x "$BUILD/memlayout" ] || make "$BUILD/memlayout"
exec sh tests/browser/run.sh
