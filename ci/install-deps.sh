#!/bin/sh
# The one list of the Debian packages memlayout uses; installs those that are
# missing (apt-get, as root or through sudo) and nothing else.
#
#   sh ci/install-deps.sh            what the build, `make test`, `make run`,
#                                    `make bench` and the fuzzers use
#   sh ci/install-deps.sh browser    also what the browser test of the HTML
#                                    report uses (ci/browser-test.sh)
set -eu

# The harness: C compiler and make, libpython3.11 to embed, NumPy and joblib
# under test, cJSON for the case format, pip for the environments --with
# installs from PyPI (wheels only).
BUILD_PKGS="build-essential pkg-config python3-dev python3-numpy python3-joblib python3-pip libcjson-dev"
# The runner's tests (tests/python), the process tools the e2e tests use,
# and dask.distributed for the dask transport (-T dask).
TEST_PKGS="python3-pytest procps python3-distributed"
# The fuzzers: clang with libFuzzer's runtime, llvm-symbolizer (llvm-14) for
# the crash frames, AFL++, zip for the OSS-Fuzz seed corpora
# (fuzz/build.sh, tests/e2e/fuzz.sh), and dpkg-dev to unpack cJSON's source
# package, which fuzz/build.sh compiles into the targets (CJSON_SRC below).
FUZZ_PKGS="clang libclang-rt-14-dev llvm-14 afl++ zip unzip dpkg-dev"
# Where cJSON's Debian source package is unpacked (fuzz/build.sh's default).
CJSON_SRC=/usr/local/src/cjson
# The HTML report in a real browser.
BROWSER_PKGS="chromium fonts-dejavu-core"

pkgs="$BUILD_PKGS $TEST_PKGS $FUZZ_PKGS"
for group in "$@"; do
    case $group in
    browser) pkgs="$pkgs $BROWSER_PKGS" ;;
    *) echo "install-deps.sh: unknown group \"$group\" (known: browser)" >&2; exit 2 ;;
    esac
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# cJSON's source (Debian's package, with its patches) for fuzz/build.sh: it
# needs deb-src entries, added for the release's main archive if missing.
cjson_source() {
    [ -f "$CJSON_SRC/cJSON.c" ] && return 0
    if ! apt-cache showsrc cjson 2>/dev/null | grep -q '^Package: cjson'; then
        . /etc/os-release
        printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$VERSION_CODENAME" | $SUDO tee /etc/apt/sources.list.d/memlayout-src.sources >/dev/null
        $SUDO apt-get update -q
    fi
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get source -q cjson >/dev/null)
    $SUDO mkdir -p "$(dirname "$CJSON_SRC")"
    $SUDO rm -rf "$CJSON_SRC"
    $SUDO cp -r "$tmp"/cjson-*/ "$CJSON_SRC"
    rm -rf "$tmp"
    echo "install-deps.sh: cJSON source in $CJSON_SRC" >&2
}

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps.sh: missing Debian packages:$missing (run as root, or install sudo)" >&2
        exit 3
    fi
    $SUDO apt-get update -q
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
cjson_source
