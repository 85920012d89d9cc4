# Bad input: each malformed case exits 2 with one line naming the field, and
# leaves nothing behind. tests/bad/EXPECTED: "<file>\t<message>".
. tests/e2e/lib.sh
tab=$(printf '\t')
while IFS="$tab" read -r file msg; do
    [ -n "$file" ] || continue
    ml replay "tests/bad/$file"
    check "bad_${file}_should_exit_2" test "$(last_rc)" = 2
    check "bad_${file}_should_print_one_line" test "$(wc -l <"$work/last.err")" -eq 1
    check "bad_${file}_should_name_the_field" grep -qF -- "tests/bad/$file: $msg" "$work/last.err"
    [ "$(last_rc)" = 2 ] || show_last
done <tests/bad/EXPECTED
check bad_input_should_leave_no_temp_files tmp_empty

# A cap given on the command line applies; over it is bad input too.
ml replay --max-bytes 64 corpus/seed/public-example-reshape-5x3-loky.json
check max_bytes_option_should_reject_a_case_over_it test "$(last_rc)" = 2
check max_bytes_error_should_name_the_field err_has "backing.shape: "

# A view NumPy would refuse to build is bad input as well (exit 2, names the
# op): the validator knows the strides of an F-ordered backing's last axis.
printf '%s\n' '{"memlayout":1,"dtype":"<f8","backing":{"source":"raw","shape":[4,6],"order":"F","offset":0,"mode":"r"},"ops":[{"op":"view","dtype":"<f4"}],"transport":"reduce","seed":1}' >"$work/refused.json"
ml replay "$work/refused.json"
check refused_view_should_exit_2 test "$(last_rc)" = 2
check refused_view_should_name_the_op err_has "ops\[0\].view: the last axis is not contiguous (stride 32, item size 8)"
[ "$(last_rc)" = 2 ] || show_last

# Usage errors.
ml run --cases -3
check negative_cases_should_exit_2 test "$(last_rc)" = 2
ml run --transport lokky
check unknown_transport_should_exit_2 test "$(last_rc)" = 2
check unknown_transport_should_say_so err_has 'unknown transport "lokky"'
ml frobnicate
check unknown_command_should_exit_2 test "$(last_rc)" = 2
ml replay "$work/does-not-exist.json"
check missing_file_should_exit_2 test "$(last_rc)" = 2
check bad_usage_should_leave_no_temp_files tmp_empty
finish e2e-bad-input
