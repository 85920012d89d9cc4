#!/bin/sh
# Lists the distinct findings of a fuzz session and confirms each through a
# real process. First the store's raw findings (findings/raw/, written as
# found during the session) are minimized in process by the fuzz target
# itself (MLF_BIN, MLF_MINIMIZE_STORE=1): the first of each signature class
# always, other variants for MIN_TIME seconds; a second call goes on where
# one stopped. Then the minimized case is replayed by the memlayout CLI (its own
# supervised Python child) through the transports the in-process one stands
# for: reduce -> loky and multiprocessing (the pools that call that reducer),
# reference -> the same with --reducer reference, others -> themselves (plus
# the worker transport the input asked for, if any). A finding is CONFIRMED
# when a real process fails the same case; "in-process only" otherwise.
#
# usage: fuzz/findings.sh WORKDIR     (WORKDIR/findings from MLF_FINDINGS,
#                                      WORKDIR/artifacts from libFuzzer)
# env:   ML (memlayout binary, default build/release/memlayout), MLF_BIN (the
#        fuzz target that stored them; without it raw findings stay raw),
#        MIN_TIME (seconds, default 60)
# Writes WORKDIR/findings/summary.txt; exit 0 (findings are the product).
set -u
LC_ALL=C
export LC_ALL
ML=${ML:-build/release/memlayout}
dir=${1:?usage: fuzz/findings.sh WORKDIR}
fd="$dir/findings"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

raw_left() { for r in "$fd"/raw/*.json; do
    case $r in *.orig.json) continue ;; esac
    [ -e "$r" ] && [ ! -e "${r%.json}.min" ] && echo "$r"
done | wc -l; }
if [ -n "${MLF_BIN:-}" ] && [ "$(raw_left)" -gt 0 ]; then
    TMPDIR="$tmp" MLF_MINIMIZE_STORE=1 MLF_FINDINGS="$fd" MLF_MINIMIZE_TIME="${MIN_TIME:-60}" "$MLF_BIN" 2>&1 |
        grep -E '^memlayout-fuzz: (minimiz|[0-9]+ of|HARNESS)' || true
fi

transport_of() { sed -n 's/.*"transport":"\([^"]*\)".*/\1/p' "$1"; }

confirm_set() {   # confirm_set MINIMIZED ORIG -> "transports|reducer"
    t=$(transport_of "$1")
    o=$(transport_of "$2" 2>/dev/null)
    case $t in
    reduce) s="loky,multiprocessing"; r=joblib ;;
    reference) s="loky,multiprocessing"; r=reference ;;
    *) s=$t; r=joblib ;;
    esac
    case $o in
    loky|multiprocessing|pool-spawn|pool-forkserver)
        case ",$s," in *",$o,"*) ;; *) s="$s,$o" ;; esac ;;
    esac
    echo "$s|$r"
}

n=0
if [ -d "$fd" ]; then
    for f in "$fd"/*.json; do
        [ -e "$f" ] || continue
        case $f in *.orig.json) continue ;; esac
        n=$((n + 1))
        key=$(confirm_set "$f" "${f%.json}.orig.json")
        echo "$f" >>"$tmp/group.$(echo "$key" | tr ',|' '_-')"
        echo "$key" >"$tmp/key.$(echo "$key" | tr ',|' '_-')"
    done
fi
# Crash files without a case beside them: the process itself died (a finding
# aborted on with STOP=1 leaves crash-<sha1>.json next to its crash file).
faults() {
    for a in "$dir"/artifacts/crash-* "$dir"/artifacts/timeout-* "$dir"/artifacts/oom-*; do
        case $a in *.json) continue ;; esac
        [ -e "$a" ] && [ ! -e "$a.json" ] && echo "$a"
    done
}
crashes=$(faults | wc -l)
afl_crashes=$(ls "$dir"/sync/*/crashes/id:* 2>/dev/null | wc -l)

# One CLI run per set of confirming transports: pools start once per group.
for g in "$tmp"/group.*; do
    [ -e "$g" ] || continue
    key=$(cat "$tmp/key.${g##*/group.}")
    set -- $(echo "$key" | tr '|' ' ')
    xargs "$ML" replay -q --timeout 30 -T "$1" --reducer "$2" <"$g" >>"$tmp/replay.out" 2>>"$tmp/replay.err"
done

# Each minimized file with the signature and class id the fuzzer logged for it.
mkdir -p "$fd"
for f in "$fd"/*.json; do
    [ -e "$f" ] || continue
    case $f in *.orig.json) continue ;; esac
    echo "$f"
done >"$tmp/files"
awk -F'\t' '
    FILENAME == ARGV[1] { if ($5 == "new" || $5 == "abort") { sig[$7] = $6; id[$7] = ($8 == "" ? "-" : $8) } next }
    { b = $0; sub(/.*\//, "", b); sub(/[.]json$/, "", b)
      printf "%s\t%s\t%s\n", (b in sig ? sig[b] : b), (b in id ? id[b] : "-"), $0 }' \
    "$([ -e "$fd/log.tsv" ] && echo "$fd/log.tsv" || echo /dev/null)" "$tmp/files" | sort >"$tmp/list"

# One row per stored variant: class id, class, structure, status, real-process verdicts, file, size.
tab=$(printf '\t')
while IFS="$tab" read -r sig id f; do
    verdicts=$(grep -F "$f [" "$tmp/replay.out" 2>/dev/null | sed 's/^.* \[\([^]]*\)\]: \(.*\)$/\1: \2/' | tr '\n' ' ')
    if echo "$verdicts" | grep -Eq ': (fail|error):'; then status=CONFIRMED; else status="in-process only"; fi
    class=$(echo "$sig" | sed 's/ | .*//')
    structure=$(echo "$sig" | sed -n 's/^.* | //p')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$([ "$id" = - ] && echo "$class" || echo "$id")" "$class" "${structure:--}" "$status" "${verdicts:-no verdict}" "$f" "$(wc -c <"$f")"
done <"$tmp/list" >"$tmp/rows"

# A bug is a signature class (its id: signature.h; values that happen to
# match after a layout broke do not split it); it is CONFIRMED when a real
# process fails one of its minimized variants. Shown with its smallest variant.
{
    awk -F'\t' -v dir="$fd" -v n="$n" '
        !($1 in cls) { order[++nb] = $1 }
        { cls[$1]++; if ($4 == "CONFIRMED") conf[$1]++
          if (!($1 in best) || $7 + 0 < size[$1] + 0) { best[$1] = $6; size[$1] = $7; real[$1] = $5; label[$1] = $2 }
          vars[$1] = vars[$1] (vars[$1] == "" ? "" : "; ") $3 }
        END {
          nc = 0
          for (i = 1; i <= nb; i++) if (conf[order[i]]) nc++
          printf "memlayout fuzz findings in %s: %d distinct bugs (%d minimized variants), %d confirmed through a real process\n", dir, nb, n, nc
          for (i = 1; i <= nb; i++) {
            c = order[i]
            printf "%-16s %s  (%d variant%s, %d confirmed)\n", (conf[c] ? "CONFIRMED" : "in-process only"), label[c], cls[c], (cls[c] > 1 ? "s" : ""), conf[c] + 0
            json = ""
            getline json < best[c]
            close(best[c])
            printf "    smallest: %s\n    %s\n", best[c], json
            printf "    real process: %s\n", real[c]
            printf "    variants: %s\n", vars[c]
          }
        }' "$tmp/rows"
    if [ "$crashes" -gt 0 ] || [ "$afl_crashes" -gt 0 ]; then
        echo "crashes of the fuzzed process itself (a fault in NumPy/joblib or the harness): $crashes libFuzzer, $afl_crashes AFL++"
        { faults; ls "$dir"/sync/*/crashes/id:* 2>/dev/null; } | sed 's/^/  /'
    fi
    left=$(raw_left)
    if [ "$left" -gt 0 ]; then
        echo "$left raw finding(s) in $fd/raw not minimized yet: make fuzz-findings (MIN_TIME=seconds) goes on"
    fi
    if [ -s "$tmp/replay.err" ]; then
        echo "replay errors:"
        sed 's/^/  /' "$tmp/replay.err"
    fi
} | tee "$fd/summary.txt"
exit 0
