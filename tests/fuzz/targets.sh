# targets.sh — sourced by campaign.sh and regress.sh: per-target libFuzzer
# options. Inputs are capped near the largest seed, so mutation stays
# inside what the format holds.
fuzz_max_len() {
	case $1 in
	fuzz-image) echo 6291456 ;;   # the 5 MiB GPT seed disk
	fuzz-guestfs) echo 8388608 ;; # its scratch disk in the appliance (longer inputs are cut)
	fuzz-bundle) echo 1048576 ;;
	fuzz-snapshot | fuzz-fleet-report) echo 524288 ;;
	fuzz-parttab | fuzz-container) echo 300000 ;;  # the 256 KiB seed disks and headers
	fuzz-hive | fuzz-wmi) echo 262144 ;;
	fuzz-evtx | fuzz-eventlog) echo 204800 ;; # a header and three chunks: the damaged seed has two
	fuzz-ctl) echo 262144 ;;        # the shipped authroot.stl seed (190 KiB)
	*) echo 65536 ;;
	esac
}
# libFuzzer's -timeout for one input, in seconds: the default the caller
# gives (campaign.sh 20, regress.sh 60), or more for a target whose single
# input is slow by nature. fuzz-guestfs: every libguestfs call is a round
# trip to the appliance (0.1-1 s under TCG), one per file listed and per
# stream read, so a seed takes 3-30 s; a kernel hang inside the appliance
# has no timeout of libguestfs's own and ends here.
fuzz_timeout() { # TARGET DEFAULT
	case $1 in
	fuzz-guestfs) echo 180 ;;
	*) echo "$2" ;;
	esac
}
# The sanitizers stop at the first error; LeakSanitizer reads the project's
# suppressions (each one explained in the file).
fuzz_env() {
	local top=$1
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	if [ -f "$top/tests/lsan.supp" ]; then
		export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
	fi
}
# Regression inputs are text: NAME.hex (hex digits, blanks and '#'
# comments ignored) or NAME.txt (the bytes as they are, no final newline
# added or removed). Writes each into DIR.
fuzz_regress_decode() { # TARGET_REGRESS_DIR OUT_DIR
	local f b
	mkdir -p "$2"
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		b=$(basename "$f")
		case $f in
		*.hex) sed 's/#.*//' "$f" | tr -d ' \t\n\r' | xxd -r -p >"$2/${b%.hex}" ;;
		*.txt) cp "$f" "$2/${b%.txt}" ;;
		*.md | README*) ;;
		*) echo "fuzz: $f: not a .hex or .txt recipe" >&2; return 1 ;;
		esac
	done
}
