#!/bin/sh
# The HTML report in a real browser: installs Debian's chromium (and a font)
# when missing, builds memlayout when it is not built, and runs
# tests/browser/run.sh, which prints "browser: N passed, N failed".
# Not part of `make test` (a browser start per check); .ci/run runs it.
#
# env: BUILD (default build/release), ARTIFACTS=DIR keeps screenshots and pages
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
export BUILD

missing=""
command -v chromium >/dev/null 2>&1 || missing="chromium"
dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing fonts-dejavu-core"
if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
[ -x "$BUILD/memlayout" ] || make "$BUILD/memlayout"
exec sh tests/browser/run.sh
