# tap.sh — sourced by the end-to-end scripts: "ok - NAME" / "not ok - NAME"
# lines (what tests/run-all.sh counts) and the tally, in one place.
#   ok NAME / not_ok NAME      one result
#   check NAME COMMAND...      ok when the command succeeds (no eval)
#   check_eval NAME 'SHELL'    ok when the shell text succeeds (eval'd)
#   jqe ARGS...                jq -e, quiet: a JSON condition as a command
#   same NAME EXPECTED ACTUAL  ok when the texts are equal, else the diff
#   tap_summary                "# N passed, N failed"; status 0 when none failed
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
check_eval() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
jqe() { jq -e "$@" >/dev/null; }
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/#   /'
	fi
}
tap_summary() {
	echo "# $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
