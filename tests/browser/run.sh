#!/bin/sh
# Reports in a real browser (Debian's chromium, headless, no GPU, no network):
# the DOM has the findings table and the verdict matrix; hostile strings stay
# text and nothing in the page runs or fetches; a screenshot is not blank; a
# 100,000-case report is under 2 MB and renders in under a second; the report
# of a real short run renders too. Slow (a browser start per check), so it is
# not in `make test`; ci/browser-test.sh runs it (and .ci/run runs that).
#
# Prints "browser: N passed, N failed". ARTIFACTS=DIR keeps the screenshots.
set -u
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build/release}
ML="$PWD/$BUILD/memlayout"
PY=${PY:-/usr/bin/python3}
CHROMIUM=${CHROMIUM:-chromium}
here=tests/browser
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
passed=0
failed=0

check() {   # check NAME CMD...: passes when CMD exits 0
    name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
    fi
}

n=0
browser() {   # browser ARGS...: a fresh profile each time; any request would go nowhere
    n=$((n + 1))
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-extensions --mute-audio --hide-scrollbars \
        --proxy-server=http://127.0.0.1:9 --host-resolver-rules='MAP * ~NOTFOUND' \
        --user-data-dir="$work/profile-$n" "$@" 2>"$work/chromium-$n.err"
}

dump() {   # dump HTML OUT: the DOM after load
    browser --dump-dom "file://$1" >"$2"
}

shot() {   # shot HTML PNG
    browser --screenshot="$2" --window-size=1280,2000 "file://$1" >/dev/null
}

not_blank() {   # the screenshot has content: many colours, much unlike the background
    "$PY" $here/png.py stats "$1" >"$work/png.txt" || return 1
    cat "$work/png.txt"
    read -r _ colours _ busy _ <"$work/png.txt"
    busy=${busy%\%}
    [ "$colours" -ge 64 ] && [ "${busy%.*}" -ge 10 ]
}

small() {   # small FILE BYTES
    size=$(wc -c <"$1")
    echo "$1: $size bytes"
    [ "$size" -lt "$2" ]
}

ms() { date +%s%N | cut -c1-13; }

if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    echo "no $CHROMIUM (ci/browser-test.sh installs it)"
    echo "browser: 0 passed, 1 failed"
    exit 1
fi
"$CHROMIUM" --version 2>/dev/null | head -1

# 1. a run's report: the findings table, the verdict matrix, nothing active
"$PY" $here/make_fixture.py "$work/run" --cases 3000 --findings 300
"$ML" report -q "$work/run" -o "$work/run.html"
check report_should_be_written test -s "$work/run.html"
dump "$work/run.html" "$work/run.dom"
check dom_should_hold_findings_table_and_verdict_matrix \
    "$PY" $here/dom_check.py "$work/run.dom" table:findings:3 table:verdict-matrix:3 \
    table:per-transport:3 table:coverage-C:3 title:"memlayout report"
check report_should_neither_run_nor_fetch_anything "$PY" $here/dom_check.py "$work/run.dom" inert
shot "$work/run.html" "$work/run.png"
check screenshot_should_not_be_blank not_blank "$work/run.png"

# 2. hostile strings in every field that reaches the page stay text
"$PY" $here/make_fixture.py "$work/<script>x" --cases 2000 --findings 100 --hostile --ci
"$ML" report -q "$work/<script>x" -o "$work/hostile.html"
dump "$work/hostile.html" "$work/hostile.dom"
check hostile_report_should_have_no_active_element "$PY" $here/dom_check.py "$work/hostile.dom" inert
check hostile_strings_should_show_as_text "$PY" $here/dom_check.py "$work/hostile.dom" \
    'text:<script>alert("x")</script>' 'text:<img src=x onerror=alert(1)>' \
    'title:memlayout report — <script>x' table:findings:1 table:regression-summary:1
shot "$work/hostile.html" "$work/hostile.png"
check hostile_screenshot_should_not_be_blank not_blank "$work/hostile.png"

# 3. a 100,000-case run: at most 2 MB, rendered in under a second
"$PY" $here/make_fixture.py "$work/big" --cases 100000 --findings 3000
t0=$(ms)
"$ML" report -q "$work/big" -o "$work/big.html"
t1=$(ms)
echo "report of 100000 cases written in $((t1 - t0)) ms"
check big_report_should_be_under_2_MB small "$work/big.html" 2000000
# Timed by the browser itself, in a copy with a timing script (the report
# has none, and its CSP would block one): from navigation start to the
# document laid out, then to the second animation frame after that, by which
# the first frame has been painted. --virtual-time-budget only lets the frames
# run before the DOM is dumped; the times are real.
sed -e 's/<meta http-equiv="Content-Security-Policy"[^>]*>//' \
    -e 's#</body>#<script>document.body.offsetHeight;var l=performance.now();requestAnimationFrame(function(){requestAnimationFrame(function(){document.title="render-ms="+performance.now().toFixed(0)+" layout-ms="+l.toFixed(0)})})</script></body>#' \
    "$work/big.html" >"$work/big-timed.html"
best=99999
for i in 1 2 3; do
    browser --virtual-time-budget=5000 --dump-dom "file://$work/big-timed.html" >"$work/big.dom"
    "$PY" $here/dom_check.py "$work/big.dom" title:render-ms= >"$work/timing.txt"
    cat "$work/timing.txt"
    t=$(sed -n 's/^title: render-ms=\([0-9]*\).*/\1/p' "$work/timing.txt")
    [ "${t:-99999}" -lt "$best" ] && best=$t
done
echo "100000-case report rendered in $best ms (best of 3, from navigation start)"
check big_report_should_render_in_under_a_second test "$best" -lt 1000
shot "$work/big.html" "$work/b.png"
check big_screenshot_should_not_be_blank not_blank "$work/b.png"

# 4. the report of a real short run
if "$ML" run --seed 1 --cases 200 -T reduce,loky,pickle5 -q --out "$work/real" \
        --report "$work/real.html" >"$work/real.out" 2>&1 || [ $? -eq 1 ]; then
    dump "$work/real.html" "$work/real.dom"
    check real_run_report_should_hold_findings_and_matrix \
        "$PY" $here/dom_check.py "$work/real.dom" table:findings:1 table:verdict-matrix:3 inert
    shot "$work/real.html" "$work/real.png"
    check real_run_screenshot_should_not_be_blank not_blank "$work/real.png"
else
    cat "$work/real.out"
    check real_run_should_finish false
fi

if [ -n "${ARTIFACTS:-}" ]; then
    mkdir -p "$ARTIFACTS"
    cp "$work"/*.png "$work"/run.html "$work"/real.html "$ARTIFACTS"/ 2>/dev/null
fi
echo "browser: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
