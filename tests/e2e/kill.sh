# SIGKILL of memlayout takes every process it started with it: its Python
# children die with it (parent-death signal) and each child's guard kills
# what the child started (pool workers, resource trackers, a forkserver) and
# removes its semaphores; the private temp dir of a memlayout that is gone
# is removed by those guards or by the next memlayout that makes one.
. tests/e2e/lib.sh

# Every process of the campaign below carries this in its environment:
# memlayout, its children and their guards (forked) and the pool workers
# and resource trackers (started with the children's environment).
tag="MEMLAYOUT_E2E_CAMPAIGN=$work/kill"
campaign_procs() { grep -lsaF "$tag" /proc/[0-9]*/environ 2>/dev/null | sed 's,^/proc/,,; s,/environ$,,'; }
campaign_gone() { [ -z "$(campaign_procs)" ]; }

out="$work/kill"
env "$tag" "$ML" run --seed 5 --time 120 -j 2 -T loky,multiprocessing,pool-spawn,pool-forkserver,dask -q \
    --no-minimize --report none --out "$out" >"$work/last.out" 2>"$work/last.err" &
pid=$!
# The first batches mix the five transports: once they are answered, every
# kind of pool (and the dask cluster) has been started.
answered() { [ "$(cat "$out/results.jsonl" 2>/dev/null | wc -l)" -ge 100 ]; }
wait_for 60 answered
kids=$(children_of $pid)
procs=$(campaign_procs | wc -l)
kill -KILL $pid
wait $pid
t0=$(date +%s)
wait_for 5 campaign_gone
ok=$?
echo "kill: $procs processes, none left after $(($(date +%s) - t0)) s" >&2
check kill_should_have_had_children_and_workers test -n "$kids" -a "$procs" -gt 6
check kill_should_leave_no_process_within_5s test $ok -eq 0
[ $ok -eq 0 ] || campaign_procs | xargs -r ps -o pid,ppid,pgid,etime,args -p >&2
check kill_should_leave_no_semaphores test -z "$(sems_of $kids)"
# A later run finds the temp dir, if it is still there, and removes it.
ml version
check next_run_should_succeed test "$(last_rc)" = 0
check kill_should_leave_no_temp_dir_after_the_next_run tmp_empty
campaign_procs | xargs -r kill -KILL   # whatever a failed check left

# ---- which temp dirs a run removes: those whose owner record names a
# process that is gone, nothing else
boot=$(cat /proc/sys/kernel/random/boot_id)
ns=$(stat -L -c %i /proc/self/ns/pid)
start_of() { sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f20; }   # field 22
sh -c 'exit 0' &
dead=$!
wait $dead
me=$$
mine=$(start_of $me)
stale() {   # stale DIR [PID START BOOT NS]: a temp dir as memlayout leaves it
    mkdir -p "$1" && chmod 700 "$1" && : >"$1/case-1-1.dat"
    [ $# -eq 1 ] || printf 'pid=%s start=%s boot=%s ns=%s\n' "$2" "$3" "$4" "$5" >"$1/owner"
}
stale "$TMPDIR/memlayout-dead" $dead 1 "$boot" "$ns"
stale "$TMPDIR/memlayout-pid-reused" $me $((mine + 1)) "$boot" "$ns"
stale "$TMPDIR/memlayout-old-boot" $me "$mine" 00000000-0000-0000-0000-000000000000 "$ns"
stale "$TMPDIR/memlayout-live" $me "$mine" "$boot" "$ns"
stale "$TMPDIR/memlayout-no-record"
stale "$TMPDIR/memlayout-other-pid-ns" $dead 1 "$boot" 1
stale "$work/elsewhere" $dead 1 "$boot" "$ns"
ln -s "$work/elsewhere" "$TMPDIR/memlayout-link"
ml version
check stale_run_should_succeed test "$(last_rc)" = 0
for d in dead pid-reused old-boot; do
    check "stale_dir_owned_by_${d}_should_be_removed" test ! -e "$TMPDIR/memlayout-$d"
done
for d in live no-record other-pid-ns; do
    check "stale_dir_${d}_should_stay" test -f "$TMPDIR/memlayout-$d/case-1-1.dat"
done
check stale_symlink_should_stay test -L "$TMPDIR/memlayout-link" -a -f "$work/elsewhere/case-1-1.dat"
check stale_run_should_remove_its_own_dir test "$(ls "$TMPDIR" | wc -l)" -eq 4
rm -rf "$TMPDIR"/memlayout-*
finish e2e-kill
