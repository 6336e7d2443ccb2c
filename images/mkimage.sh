#!/bin/bash
# mkimage.sh RECIPE OUTPUT - build a raw disk image from a text recipe.
#
# Fixtures are never committed as binaries; tests rebuild them from the
# recipes in this directory.  Needs no root and mounts nothing: sfdisk writes
# the partition table into a plain file, mkntfs formats each volume into its
# own temporary file, build/tools/ntfs-populate fills it through libntfs-3g,
# and dd copies it to its offset.  `hive` lines build registry hives from
# .reg files with build/tools/mkhive first.  The recipe format is in
# images/README.
#
# Environment:
#   KENSHU_TOOLS          directory holding ntfs-populate and mkhive
#                         (default build/tools)
#   NTFS_POPULATE_SRCDIR  base for relative @paths (default: recipe directory)
set -euo pipefail

PROG=mkimage
MIB_SECTORS=2048	# 1 MiB in 512-byte sectors: the alignment of everything

usage() {
	echo "usage: $0 RECIPE OUTPUT" >&2
	exit 2
}
[[ $# -eq 2 ]] || usage
RECIPE=$1
OUTPUT=$2

# mkntfs and sfdisk live in /usr/sbin, which unprivileged PATHs often lack.
PATH=$PATH:/usr/sbin:/sbin
TOOLS=${KENSHU_TOOLS:-build/tools}
POPULATE=$TOOLS/ntfs-populate
MKHIVE=$TOOLS/mkhive
MKWMIREPO=$TOOLS/mkwmirepo
MKEVTX=$TOOLS/mkevtx
MKPE=$(cd "$(dirname "$0")/.." && pwd)/tests/tools/mkpe.sh
MKCAT=$TOOLS/mkcat
MKQUARANTINE=$TOOLS/mkquarantine
MKDETHIST=$TOOLS/mkdethist
# signpe/catalog lines sign with the test PKI (tests/tools/mktestpki.sh).
PKI=${KENSHU_TEST_PKI:-}
declare -A PE_HOST   # image path of each pe/signpe file -> its file here

LINENO_RECIPE=0
die() {
	if ((LINENO_RECIPE)); then
		echo "$PROG: $RECIPE:$LINENO_RECIPE: $*" >&2
	else
		echo "$PROG: $*" >&2
	fi
	exit 1
}

[[ -f $RECIPE && -r $RECIPE ]] || die "cannot read recipe '$RECIPE'"
RECIPE_DIR=$(cd "$(dirname -- "$RECIPE")" && pwd)
for cmd in sfdisk mkntfs dd truncate sha256sum; do
	command -v "$cmd" >/dev/null || die "'$cmd' not found (need util-linux, ntfs-3g, coreutils)"
done
[[ -x $POPULATE ]] || die "'$POPULATE' not found: run 'make $POPULATE' or set KENSHU_TOOLS"

TMPDIR_MK=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
TMPDIR_MK=$(cd "$TMPDIR_MK" && pwd)
OUT_TMP=$OUTPUT.tmp
OUT_TMP_OURS=0
cleanup() {
	rm -rf -- "$TMPDIR_MK"
	if ((OUT_TMP_OURS)); then
		rm -f -- "$OUT_TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- helpers ---------------------------------------------------------------

# Splits $1 into TOKENS.  Double quotes group words (\" and \\ inside); an
# unquoted '#' at a token boundary starts a comment.  Returns 1 on an
# unterminated quote.
tokenize() {
	local s=$1 tok='' c n i have=0 inq=0
	TOKENS=()
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if ((inq)); then
			n=${s:i+1:1}
			if [[ $c == '"' ]]; then
				inq=0
			elif [[ $c == "\\" && ( $n == '"' || $n == "\\" ) ]]; then
				tok+=$n
				((i += 1))
			else
				tok+=$c
			fi
			continue
		fi
		case $c in
		'"') inq=1; have=1 ;;
		' ' | $'\t')
			if ((have)); then
				TOKENS+=("$tok")
				tok=''
				have=0
			fi ;;
		'#')
			if ((have)); then tok+=$c; else break; fi ;;
		*) tok+=$c; have=1 ;;
		esac
	done
	((inq)) && return 1
	if ((have)); then TOKENS+=("$tok"); fi
	return 0
}

# Size with optional K/M/G suffix (binary) -> bytes on stdout.
parse_size() {
	local s=$1 n mul=1
	[[ $s =~ ^([0-9]+)([KMG]?)$ ]] || return 1
	n=$((10#${BASH_REMATCH[1]}))
	case ${BASH_REMATCH[2]} in
	K) mul=1024 ;;
	M) mul=$((1024 * 1024)) ;;
	G) mul=$((1024 * 1024 * 1024)) ;;
	esac
	echo $((n * mul))
}

# Quotes $1 as one ntfs-populate token (\" and \\ are its only escapes).
quote_token() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# The path a hive's base block records, as Windows writes it when it loads
# the hive: \SystemRoot\System32\Config\NAME for the system hives,
# \??\C:\path\NTUSER.DAT for the others (mkhive keeps the last 31
# characters).
hive_name() {
	local p=$1 sys=/windows/system32/config/
	if [[ ${p,,} == "$sys"* ]]; then
		printf '\\SystemRoot\\System32\\Config\\%s' "${p:${#sys}}"
	else
		printf '\\??\\C:%s' "${p//\//\\}"
	fi
}

# Bumps a hive's primary sequence number and fixes the base block's
# checksum (XOR of its first 127 dwords) so that hivex still opens it.
hive_make_dirty() {
	python3 - "$1" <<'PY' || die "cannot make '$1' dirty"
import struct, sys
with open(sys.argv[1], 'r+b') as f:
    b = bytearray(f.read(4096))
    seq1, seq2 = struct.unpack_from('<II', b, 4)
    struct.pack_into('<I', b, 4, seq2 + 1)
    x = 0
    for i in range(127):
        x ^= struct.unpack_from('<I', b, i * 4)[0]
    struct.pack_into('<I', b, 0x1fc, x)
    f.seek(0)
    f.write(b)
PY
}

# fat_populate VOL SCRIPT: the `dir` and `file` lines of a FAT volume's
# script (the recipe's line numbers, as for ntfs-populate).
fat_populate() {
	local vol=$1 script=$2 ln=0 line parent
	[[ -f $script ]] || return 0
	while IFS= read -r line || [[ -n $line ]]; do
		ln=$((ln + 1))
		[[ -z $line ]] && continue
		LINENO_RECIPE=$ln
		tokenize "$line" || die "unterminated double quote"
		set -- "${TOKENS[@]}"
		case $1 in
		dir | file)
			[[ $2 == /* ]] || die "path '$2' must be absolute"
			parent=
			local IFS_SAVE=$IFS comp
			IFS=/
			local comps=(${2#/})
			IFS=$IFS_SAVE
			local last=$(( ${#comps[@]} - 1 ))
			[[ $1 == dir ]] && last=${#comps[@]}
			for ((c = 0; c < last; c++)); do
				parent+=/${comps[c]}
				MTOOLS_NO_VFAT=0 mmd -D s -i "$vol" "::$parent" 2>/dev/null || true
			done
			if [[ $1 == file ]]; then
				local src=${3:-}
				# text: takes the rest of the line, blanks included, as in ntfs-populate.
				[[ $src == text:* ]] && src=text:${line#*text:}
				(($# == 3)) || [[ $src == text:* ]] || die "usage: file /path SRC"
				"$POPULATE" --cat "$src" >"$TMPDIR_MK/fatsrc" 2>"$TMPDIR_MK/populate.log" ||
					die "$(cat "$TMPDIR_MK/populate.log")"
				mcopy -o -i "$vol" "$TMPDIR_MK/fatsrc" "::$2" 2>"$TMPDIR_MK/mcopy.log" ||
					die "mcopy failed: $(tr '\n' ' ' <"$TMPDIR_MK/mcopy.log")"
			fi
			;;
		*)
			die "'$1' is not supported on a FAT volume (only dir and file)"
			;;
		esac
	done <"$script"
}

# Adds a line to the script of the current fs, padded with empty lines so
# that the script's line numbers are the recipe's and ntfs-populate errors
# point into the recipe.
script_add() {
	local script=$TMPDIR_MK/fs$cur_fs.script
	while ((F_SCRIPT_LINES[cur_fs] < line_no - 1)); do
		echo >>"$script"
		((F_SCRIPT_LINES[cur_fs] += 1))
	done
	printf '%s\n' "$1" >>"$script"
	((F_SCRIPT_LINES[cur_fs] += 1))
}

# Stable identifiers, so two builds of a recipe agree on disk and partition
# GUIDs even though mkntfs serials and timestamps still differ.
stable_hex() {
	printf 'kenshu:%s:%s' "$(basename -- "$RECIPE")" "$1" | sha256sum | cut -c1-32
}
stable_guid() {
	local h
	h=$(stable_hex "$1")
	# Make it a well-formed random (version 4, RFC 4122 variant) GUID.
	h=${h:0:12}4${h:13:3}$(printf '%x' $(((16#${h:16:1} & 3) | 8)))${h:17}
	echo "${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}" | tr 'a-f' 'A-F'
}

gpt_type() {
	case $1 in
	msr) echo E3C9E316-0B5C-4DB8-817D-F92DF00215AE ;;
	basic) echo EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 ;;
	esp) echo C12A7328-F81F-11D2-BA4B-00A0C93EC93B ;;
	recovery) echo DE94BBA4-06D1-4D40-A16A-BFD50179D6AC ;;
	linux) echo 0FC63DAF-8483-4772-8E79-3D69D8477DE4 ;;
	raw:*)
		local g=${1#raw:}
		[[ $g =~ ^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$ ]] || return 1
		echo "$g" ;;
	*) return 1 ;;
	esac
}

mbr_type() {
	case $1 in
	basic) echo 7 ;;
	esp) echo ef ;;
	recovery) echo 27 ;;
	linux) echo 83 ;;
	raw:0x* | raw:0X*)
		local t=${1#raw:0?}
		[[ $t =~ ^[0-9A-Fa-f]{1,2}$ ]] || return 1
		((16#$t != 0 && 16#$t != 5 && 16#$t != 15)) || return 1
		printf '%x\n' $((16#$t)) ;;
	*) return 1 ;;
	esac
}

# ---- parse ---------------------------------------------------------------

DISK_BYTES=''
SCHEME=''
# Partition lines, in recipe order.
P_SIZE=() P_TYPE=() P_NAME=() P_LOGICAL=() P_LINE=()
# fs lines.
F_NUM=() F_TYPE=() F_LABEL=() F_LINE=() F_SCRIPT_LINES=()
POPULATE_CMDS=' dir file ads link sparse compressed symlink junction efs wof wofraw '

line_no=0
cur_fs=-1
while IFS= read -r line || [[ -n $line ]]; do
	((line_no += 1))
	LINENO_RECIPE=$line_no
	line=${line%$'\r'}
	trimmed=${line#"${line%%[![:space:]]*}"}
	[[ -z $trimmed || $trimmed == \#* ]] && continue
	word=${trimmed%%[[:space:]]*}

	if [[ $POPULATE_CMDS == *" $word "* ]]; then
		((cur_fs >= 0)) || die "'$word' before any 'fs' line"
		script_add "$line"
		continue
	fi

	tokenize "$line" || die "unterminated double quote"
	set -- "${TOKENS[@]}"
	case $1 in
	disk)
		[[ -z $SCHEME ]] || die "only one 'disk' line is allowed"
		(($# == 3)) || die "usage: disk SIZE gpt|mbr|none"
		DISK_BYTES=$(parse_size "$2") || die "bad disk size '$2'"
		((DISK_BYTES > 0 && DISK_BYTES % 512 == 0)) || die "disk size must be a positive multiple of 512"
		case $3 in
		gpt | mbr | none) SCHEME=$3 ;;
		*) die "unknown partition scheme '$3' (gpt, mbr or none)" ;;
		esac
		;;
	part)
		[[ -n $SCHEME ]] || die "'part' before 'disk'"
		[[ $SCHEME != none ]] || die "'disk ... none' takes no 'part' lines"
		shift
		logical=0
		if [[ ${2-} == logical ]]; then
			[[ $SCHEME == mbr ]] || die "logical partitions need an mbr disk"
			logical=1
			set -- "$1" "${@:3}"
		fi
		(($# == 2 || $# == 3)) || die "usage: part SIZE|rest [logical] TYPE [NAME]"
		if [[ $1 == rest ]]; then
			size=rest
		else
			size=$(parse_size "$1") || die "bad partition size '$1'"
			((size > 0 && size % (MIB_SECTORS * 512) == 0)) ||
				die "partition size must be a positive multiple of 1M"
			size=$((size / 512))
		fi
		if [[ $SCHEME == gpt ]]; then
			gpt_type "$2" >/dev/null || die "unknown gpt partition type '$2'"
		else
			mbr_type "$2" >/dev/null || die "unknown mbr partition type '$2' (basic, esp, recovery, linux, raw:0xNN)"
		fi
		if (($# == 3)); then
			[[ $SCHEME == gpt ]] || die "partition names need a gpt disk"
			[[ $3 != *'"'* && $3 != *"\\"* ]] || die "partition name must not contain '\"' or '\\'"
		fi
		if ((!logical)) && ((${#P_LOGICAL[@]})) && ((P_LOGICAL[-1])); then
			die "primary partitions must come before logical ones"
		fi
		P_SIZE+=("$size") P_TYPE+=("$2") P_NAME+=("${3-}") P_LOGICAL+=("$logical") P_LINE+=("$line_no")
		;;
	fs)
		[[ -n $SCHEME ]] || die "'fs' before 'disk'"
		(($# == 3 || $# == 4)) || die "usage: fs PARTNUM ntfs [LABEL]"
		[[ $2 =~ ^[1-9][0-9]*$ ]] || die "bad partition number '$2'"
		[[ $3 == ntfs || $3 == fat ]] || die "unsupported filesystem '$3' (ntfs or fat)"
		for n in "${F_NUM[@]}"; do
			[[ $n != "$2" ]] || die "partition $2 is formatted twice"
		done
		F_NUM+=("$2") F_TYPE+=("$3") F_LABEL+=("${4-}") F_LINE+=("$line_no")
		cur_fs=$((${#F_NUM[@]} - 1))
		F_SCRIPT_LINES[cur_fs]=0
		: >"$TMPDIR_MK/fs$cur_fs.script"
		;;
	hive)
		# hive [--dirty] /PATH FILE.reg...: mkhive builds the hive now,
		# and the volume gets it as `file /PATH @tempfile`. --dirty
		# leaves it as Windows does when writes were in flight: the base
		# block's primary sequence number one ahead of the secondary.
		((cur_fs >= 0)) || die "'hive' before any 'fs' line"
		dirty=0
		if [[ ${2:-} == --dirty ]]; then
			dirty=1
			set -- "$1" "${@:3}"
		fi
		(($# >= 3)) || die "usage: hive /PATH FILE.reg [FILE.reg...]"
		[[ $2 == /* ]] || die "hive path '$2' must be absolute"
		[[ -x $MKHIVE ]] || die "'$MKHIVE' not found: run 'make $MKHIVE' or set KENSHU_TOOLS"
		[[ $MKHIVE == /* ]] || MKHIVE=$PWD/$MKHIVE
		hive_file=$TMPDIR_MK/hive$line_no
		# Relative .reg paths are the recipe directory's; mkhive runs
		# there so that its FILE:LINE messages show them as written.
		if ! (cd "$RECIPE_DIR" && "$MKHIVE" -n "$(hive_name "$2")" "$hive_file" "${@:3}") \
			2>"$TMPDIR_MK/mkhive.log"; then
			msg=$(tr '\n' ' ' <"$TMPDIR_MK/mkhive.log")
			msg=${msg% }
			die "${msg#mkhive: }"
		fi
		((dirty)) && hive_make_dirty "$hive_file"
		script_add "file $(quote_token "$2") $(quote_token "@$hive_file")"
		;;
	pe)
		# pe /PATH COMPANY PRODUCT VERSION KIND [ORIGINALNAME]: a real PE
		# with a version resource, built now by tests/tools/mkpe.sh
		# (mingw-w64); OriginalFilename is ORIGINALNAME (default: the
		# name in /PATH), so a renamed tool can be planted.
		((cur_fs >= 0)) || die "'pe' before any 'fs' line"
		(($# == 6 || $# == 7)) || die "usage: pe /PATH COMPANY PRODUCT VERSION exe|dll|sys [ORIGINALNAME]"
		[[ $2 == /* ]] || die "pe path '$2' must be absolute"
		pe_dir=$TMPDIR_MK/pe$line_no
		mkdir -p "$pe_dir"
		pe_file=$pe_dir/${7:-${2##*/}}
		if ! "$MKPE" "$pe_file" "$3" "$4" "$5" "$6" 2>"$TMPDIR_MK/mkpe.log"; then
			msg=$(tr '\n' ' ' <"$TMPDIR_MK/mkpe.log")
			die "${msg% }"
		fi
		PE_HOST[$2]=$pe_file
		script_add "file $(quote_token "$2") $(quote_token "@$pe_file")"
		;;
	signpe)
		# signpe /PATH SIGNER COMPANY PRODUCT VERSION KIND [tamper|truncate]:
		# a `pe` file signed (Authenticode, SHA-256) by the test PKI's
		# SIGNER; tamper flips a byte inside its code after signing,
		# truncate cuts the signature blob short.
		((cur_fs >= 0)) || die "'signpe' before any 'fs' line"
		(($# == 7 || $# == 8)) || die "usage: signpe /PATH SIGNER COMPANY PRODUCT VERSION exe|dll|sys [tamper|truncate]"
		[[ $2 == /* ]] || die "signpe path '$2' must be absolute"
		[[ -n $PKI && -f $PKI/$3.key ]] || die "signer '$3': set KENSHU_TEST_PKI to a tests/tools/mktestpki.sh directory"
		command -v osslsigncode >/dev/null || die "osslsigncode is not installed (tests/install-deps.sh)"
		pe_dir=$TMPDIR_MK/pe$line_no
		mkdir -p "$pe_dir"
		pe_file=$pe_dir/${2##*/}
		# Built under its own name (its OriginalFilename), then signed.
		mkdir -p "$pe_dir/unsigned"
		if ! "$MKPE" "$pe_dir/unsigned/${2##*/}" "$4" "$5" "$6" "$7" 2>"$TMPDIR_MK/mkpe.log"; then
			msg=$(tr '\n' ' ' <"$TMPDIR_MK/mkpe.log")
			die "${msg% }"
		fi
		osslsigncode sign -certs "$PKI/$3.chain.pem" -key "$PKI/$3.key" -h sha256 \
			-in "$pe_dir/unsigned/${2##*/}" -out "$pe_file" >"$TMPDIR_MK/sign.log" 2>&1 ||
			die "osslsigncode: $(tr '\n' ' ' <"$TMPDIR_MK/sign.log")"
		case ${8:-} in
		"") ;;
		tamper)
			# A byte of the first section (.text starts at 0x400 in
			# mingw's layout): the signed digest no longer matches.
			printf '\xcc' | dd of="$pe_file" bs=1 seek=1040 conv=notrunc status=none
			;;
		truncate)
			truncate -s -64 "$pe_file"
			;;
		*) die "signpe: '$8' is not tamper or truncate" ;;
		esac
		PE_HOST[$2]=$pe_file
		script_add "file $(quote_token "$2") $(quote_token "@$pe_file")"
		;;
	catalog)
		# catalog /PATH SIGNER /MEMBER...: a Windows catalog signed by
		# the test PKI's SIGNER listing the Authenticode SHA-256 digest
		# of each earlier pe/signpe file MEMBER (as osslsigncode
		# computes it, not kenshu).
		((cur_fs >= 0)) || die "'catalog' before any 'fs' line"
		(($# >= 4)) || die "usage: catalog /PATH SIGNER /MEMBER..."
		[[ $2 == /* ]] || die "catalog path '$2' must be absolute"
		[[ -n $PKI && -f $PKI/$3.key ]] || die "signer '$3': set KENSHU_TEST_PKI to a tests/tools/mktestpki.sh directory"
		[[ -x $MKCAT ]] || die "'$MKCAT' not found: run 'make $MKCAT' or set KENSHU_TOOLS"
		cat_path=$2 cat_signer=$3
		shift 3
		members=()
		for m in "$@"; do
			[[ -n ${PE_HOST[$m]:-} ]] || die "catalog member '$m' is not an earlier pe or signpe file"
			rm -f "$TMPDIR_MK/data.der"
			osslsigncode extract-data -h sha256 -in "${PE_HOST[$m]}" -out "$TMPDIR_MK/data.der" \
				>/dev/null 2>&1 || die "osslsigncode extract-data failed for '$m'"
			hex=$(openssl asn1parse -inform DER -in "$TMPDIR_MK/data.der" |
				sed -n 's/.*l=  32 prim: OCTET STRING *\[HEX DUMP\]://p' | tail -1)
			[[ ${#hex} == 64 ]] || die "no SHA-256 digest from osslsigncode for '$m'"
			members+=("pe:sha256:$hex:${m##*/}")
		done
		cat_file=$TMPDIR_MK/cat$line_no.cat
		"$MKCAT" -key "$PKI/$cat_signer.key" -cert "$PKI/$cat_signer.pem" -chain "$PKI/$cat_signer.chain.pem" \
			-out "$cat_file" "${members[@]}" 2>"$TMPDIR_MK/mkcat.log" ||
			die "$(tr '\n' ' ' <"$TMPDIR_MK/mkcat.log")"
		script_add "file $(quote_token "$cat_path") $(quote_token "@$cat_file")"
		;;
	wmirepo)
		# wmirepo /PATH RECIPE: mkwmirepo writes a WMI repository
		# objects file from RECIPE (the recipe directory's) now, and the
		# volume gets it as `file /PATH @tempfile`.
		((cur_fs >= 0)) || die "'wmirepo' before any 'fs' line"
		(($# == 3)) || die "usage: wmirepo /PATH RECIPE"
		[[ $2 == /* ]] || die "wmirepo path '$2' must be absolute"
		[[ -x $MKWMIREPO ]] || die "'$MKWMIREPO' not found: run 'make $MKWMIREPO' or set KENSHU_TOOLS"
		[[ $MKWMIREPO == /* ]] || MKWMIREPO=$PWD/$MKWMIREPO
		wmi_file=$TMPDIR_MK/wmi$line_no
		if ! (cd "$RECIPE_DIR" && "$MKWMIREPO" "$wmi_file" "$3") 2>"$TMPDIR_MK/mkwmirepo.log"; then
			msg=$(tr '\n' ' ' <"$TMPDIR_MK/mkwmirepo.log")
			msg=${msg% }
			die "$3: ${msg#mkwmirepo: }"
		fi
		script_add "file $(quote_token "$2") $(quote_token "@$wmi_file")"
		;;
	evtx)
		# evtx /PATH RECIPE: mkevtx writes an event log (.evtx, or .evt
		# when the recipe says `format evt`) from RECIPE (the recipe
		# directory's) now, and the volume gets it as `file /PATH @tempfile`.
		((cur_fs >= 0)) || die "'evtx' before any 'fs' line"
		(($# == 3)) || die "usage: evtx /PATH RECIPE"
		[[ $2 == /* ]] || die "evtx path '$2' must be absolute"
		[[ -x $MKEVTX ]] || die "'$MKEVTX' not found: run 'make $MKEVTX' or set KENSHU_TOOLS"
		[[ $MKEVTX == /* ]] || MKEVTX=$PWD/$MKEVTX
		evtx_file=$TMPDIR_MK/evtx$line_no
		if ! (cd "$RECIPE_DIR" && "$MKEVTX" "$3" "$evtx_file") 2>"$TMPDIR_MK/mkevtx.log"; then
			msg=$(tr '\n' ' ' <"$TMPDIR_MK/mkevtx.log")
			msg=${msg% }
			die "${msg#mkevtx: }"
		fi
		script_add "file $(quote_token "$2") $(quote_token "@$evtx_file")"
		;;
	quarantine)
		# quarantine /QUARANTINE_DIR THREAT ORIGINAL_PATH SRC: a Windows
		# Defender quarantine entry (tests/tools/mkquarantine, the
		# published RC4 scheme) for the file SRC (a populate source:
		# eicar, text:..., @file) that Defender found at ORIGINAL_PATH
		# as THREAT; the volume gets Entries/{GUID} and
		# ResourceData/XX/<SHA-1> below QUARANTINE_DIR.
		((cur_fs >= 0)) || die "'quarantine' before any 'fs' line"
		(($# == 5)) || die "usage: quarantine /QUARANTINE_DIR THREAT ORIGINAL_PATH SRC"
		[[ $2 == /* ]] || die "quarantine path '$2' must be absolute"
		[[ -x $MKQUARANTINE ]] || die "'$MKQUARANTINE' not found: run 'make $MKQUARANTINE' or set KENSHU_TOOLS"
		q_dir=$TMPDIR_MK/q$line_no
		q_pop=$POPULATE
		[[ $q_pop == /* ]] || q_pop=$PWD/$q_pop
		# relative @paths are the recipe directory's, as for populate lines
		(cd "${NTFS_POPULATE_SRCDIR:-$RECIPE_DIR}" && "$q_pop" --cat "$5") >"$TMPDIR_MK/q$line_no.src" \
			2>"$TMPDIR_MK/q.log" || die "quarantine source '$5': $(tr '\n' ' ' <"$TMPDIR_MK/q.log")"
		"$MKQUARANTINE" "$q_dir" "$3" "$4" "$TMPDIR_MK/q$line_no.src" >"$TMPDIR_MK/q.out" 2>"$TMPDIR_MK/q.log" ||
			die "$(tr '\n' ' ' <"$TMPDIR_MK/q.log")"
		read -r q_guid q_id <"$TMPDIR_MK/q.out"
		script_add "file $(quote_token "$2/Entries/$q_guid") $(quote_token "@$q_dir/Entries/$q_guid")"
		script_add "file $(quote_token "$2/ResourceData/${q_id:0:2}/$q_id") $(quote_token "@$q_dir/ResourceData/${q_id:0:2}/$q_id")"
		;;
	dethist)
		# dethist /DIR [OPTIONS] THREAT TYPE:LOCATION...: a Windows
		# Defender DetectionHistory file (tests/tools/mkdethist, whose
		# options -time, -user, -process, -sha256... pass through) that
		# records THREAT in each resource; the volume gets DIR/<GUID>.
		((cur_fs >= 0)) || die "'dethist' before any 'fs' line"
		(($# >= 4)) || die "usage: dethist /DIR [OPTIONS] THREAT TYPE:LOCATION..."
		[[ $2 == /* ]] || die "dethist path '$2' must be absolute"
		[[ -x $MKDETHIST ]] || die "'$MKDETHIST' not found: run 'make $MKDETHIST' or set KENSHU_TOOLS"
		dh_dir=$TMPDIR_MK/dh$line_no
		mkdir -p "$dh_dir"
		dh_at=$2
		shift 2
		# options come first and take a value, except the flags
		dh_opts=()
		while (($#)) && [[ $1 == -* ]]; do
			case $1 in
			-header|-extra|-no-magic|-no-state) dh_opts+=("$1"); shift ;;
			*) (($# >= 2)) || die "dethist option '$1' needs a value"; dh_opts+=("$1" "$2"); shift 2 ;;
			esac
		done
		"$MKDETHIST" "${dh_opts[@]}" "$dh_dir" "$@" >"$TMPDIR_MK/dh.out" 2>"$TMPDIR_MK/dh.log" ||
			die "$(tr '\n' ' ' <"$TMPDIR_MK/dh.log")"
		read -r dh_guid <"$TMPDIR_MK/dh.out"
		script_add "file $(quote_token "$dh_at/$dh_guid") $(quote_token "@$dh_dir/$dh_guid")"
		;;
	*)
		die "unknown keyword '$1'"
		;;
	esac
done <"$RECIPE"
LINENO_RECIPE=0

[[ -n $SCHEME ]] || die "$RECIPE: no 'disk' line"

# ---- layout (all numbers in 512-byte sectors) -----------------------------

TOTAL=$((DISK_BYTES / 512))
# Partition number -> start/size/type, as the OS would number them.
declare -A NUM_START NUM_SIZE NUM_KIND
SFDISK_LINES=()

align_down() { echo $(($1 / MIB_SECTORS * MIB_SECTORS)); }

nparts=${#P_SIZE[@]}
for ((i = 0; i < nparts; i++)); do
	if [[ ${P_SIZE[i]} == rest ]] && ((i != nparts - 1)); then
		LINENO_RECIPE=${P_LINE[i]}
		die "only the last partition can be 'rest'"
	fi
done

case $SCHEME in
none)
	if ((${#F_NUM[@]} != 1)) || [[ ${F_NUM[0]} != 1 ]]; then
		die "$RECIPE: 'disk ... none' needs exactly one 'fs 1' line"
	fi
	NUM_START[1]=0
	NUM_SIZE[1]=$TOTAL
	NUM_KIND[1]=volume
	;;
gpt)
	((nparts <= 128)) || die "$RECIPE: at most 128 gpt partitions"
	# Leave room for the backup GPT (header + 32 sectors of entries).
	last_usable=$((TOTAL - 34))
	end_limit=$(align_down $((last_usable + 1)))
	next=$MIB_SECTORS
	for ((i = 0; i < nparts; i++)); do
		LINENO_RECIPE=${P_LINE[i]}
		num=$((i + 1))
		size=${P_SIZE[i]}
		[[ $size == rest ]] && size=$((end_limit - next))
		((size > 0 && next + size - 1 <= last_usable)) || die "partition $num does not fit on the disk"
		entry="start=$next, size=$size, type=$(gpt_type "${P_TYPE[i]}"), uuid=$(stable_guid "part$num")"
		[[ -n ${P_NAME[i]} ]] && entry+=", name=\"${P_NAME[i]}\""
		SFDISK_LINES+=("$entry")
		NUM_START[$num]=$next
		NUM_SIZE[$num]=$size
		NUM_KIND[$num]=${P_TYPE[i]}
		next=$((next + size))
	done
	;;
mbr)
	end_limit=$(align_down "$TOTAL")
	next=$MIB_SECTORS
	nprimary=0
	nlogical=0
	for ((i = 0; i < nparts; i++)); do
		((P_LOGICAL[i])) || ((nprimary += 1))
		((P_LOGICAL[i])) && ((nlogical += 1))
	done
	if ((nlogical)); then
		((nprimary <= 3)) || die "$RECIPE: at most 3 primary partitions next to logical ones"
	else
		((nprimary <= 4)) || die "$RECIPE: at most 4 primary partitions"
	fi
	# The extended container goes right after the primaries; each logical
	# volume is preceded by a 1 MiB gap holding its EBR.
	num=0
	lnum=4
	ext_start=''
	for ((i = 0; i < nparts; i++)); do
		LINENO_RECIPE=${P_LINE[i]}
		if ((P_LOGICAL[i])); then
			if [[ -z $ext_start ]]; then
				ext_start=$next
				((num += 1))
				ext_num=$num
			fi
			((lnum += 1))
			pnum=$lnum
			start=$((next + MIB_SECTORS))
		else
			((num += 1))
			pnum=$num
			start=$next
		fi
		size=${P_SIZE[i]}
		[[ $size == rest ]] && size=$((end_limit - start))
		((size > 0 && start + size <= TOTAL)) || die "partition $pnum does not fit on the disk"
		((start + size <= 0xFFFFFFFF)) || die "partition $pnum is beyond the 2 TiB MBR limit"
		NUM_START[$pnum]=$start
		NUM_SIZE[$pnum]=$size
		NUM_KIND[$pnum]=${P_TYPE[i]}
		next=$((start + size))
	done
	LINENO_RECIPE=0
	# sfdisk numbers entries in input order: primaries, extended, logicals.
	for ((n = 1; n <= num; n++)); do
		if [[ -n $ext_start && $n == "$ext_num" ]]; then
			SFDISK_LINES+=("start=$ext_start, size=$((next - ext_start)), type=f")
			NUM_START[$n]=$ext_start
			NUM_SIZE[$n]=$((next - ext_start))
			NUM_KIND[$n]=extended
		else
			SFDISK_LINES+=("start=${NUM_START[$n]}, size=${NUM_SIZE[$n]}, type=$(mbr_type "${NUM_KIND[$n]}")")
		fi
	done
	for ((n = 5; n <= lnum; n++)); do
		SFDISK_LINES+=("start=${NUM_START[$n]}, size=${NUM_SIZE[$n]}, type=$(mbr_type "${NUM_KIND[$n]}")")
	done
	;;
esac

for ((k = 0; k < ${#F_NUM[@]}; k++)); do
	LINENO_RECIPE=${F_LINE[k]}
	n=${F_NUM[k]}
	[[ -n ${NUM_START[$n]-} ]] || die "partition $n does not exist"
	[[ ${NUM_KIND[$n]} != extended ]] || die "partition $n is the extended container"
done
LINENO_RECIPE=0

# ---- build -----------------------------------------------------------------

rm -f -- "$OUT_TMP"
OUT_TMP_OURS=1
truncate -s "$DISK_BYTES" -- "$OUT_TMP"

if [[ $SCHEME != none ]]; then
	table=$TMPDIR_MK/table.sfdisk
	{
		if [[ $SCHEME == gpt ]]; then
			echo "label: gpt"
			echo "label-id: $(stable_guid disk)"
		else
			echo "label: dos"
			echo "label-id: 0x$(stable_hex disk | cut -c1-8)"
		fi
		echo "unit: sectors"
		echo "sector-size: 512"
		echo
		printf '%s\n' "${SFDISK_LINES[@]}"
	} >"$table"
	sfdisk --quiet --no-reread --no-tell-kernel "$OUT_TMP" <"$table" >"$TMPDIR_MK/sfdisk.log" 2>&1 ||
		die "sfdisk failed: $(tr '\n' ' ' <"$TMPDIR_MK/sfdisk.log")"
	# mkntfs is told the start sector, so sfdisk must not have moved anything.
	while read -r pnum pstart psize; do
		[[ ${NUM_START[$pnum]-} == "$pstart" && ${NUM_SIZE[$pnum]-} == "$psize" ]] ||
			die "sfdisk placed partition $pnum at $pstart+$psize, expected ${NUM_START[$pnum]-?}+${NUM_SIZE[$pnum]-?}"
	done < <(sfdisk -d "$OUT_TMP" 2>/dev/null |
		sed -n 's/^.*[^0-9]\([0-9][0-9]*\) *: *start= *\([0-9]*\), *size= *\([0-9]*\),.*/\1 \2 \3/p')
fi

for ((k = 0; k < ${#F_NUM[@]}; k++)); do
	LINENO_RECIPE=${F_LINE[k]}
	n=${F_NUM[k]}
	start=${NUM_START[$n]}
	size=${NUM_SIZE[$n]}
	vol=$TMPDIR_MK/fs$k.img
	script=$TMPDIR_MK/fs$k.script
	truncate -s $((size * 512)) -- "$vol"
	label_opt=()
	if [[ ${F_TYPE[k]} == fat ]]; then
		# A FAT file system (an EFI system partition, a data stick image):
		# `dir` and `file` lines are written with mtools, the bytes of a
		# file's SRC coming from ntfs-populate --cat.
		[[ -n ${F_LABEL[k]} ]] && label_opt=(-n "${F_LABEL[k]}")
		mkfs.fat -i 4b454e53 -h "$start" "${label_opt[@]}" "$vol" >"$TMPDIR_MK/mkfs.log" 2>&1 ||
			die "mkfs.fat failed: $(tr '\n' ' ' <"$TMPDIR_MK/mkfs.log")"
		fat_populate "$vol" "$script"
		dd if="$vol" of="$OUT_TMP" bs=1M seek=$((start * 512)) oflag=seek_bytes \
			conv=notrunc,sparse status=none
		rm -f -- "$vol"
		continue
	fi
	[[ -n ${F_LABEL[k]} ]] && label_opt=(-L "${F_LABEL[k]}")
	mkntfs -F -Q -q -s 512 -p "$start" -H 255 -S 63 "${label_opt[@]}" "$vol" \
		>"$TMPDIR_MK/mkntfs.log" 2>&1 ||
		die "mkntfs failed: $(tr '\n' ' ' <"$TMPDIR_MK/mkntfs.log")"
	if ! NTFS_POPULATE_SRCDIR=${NTFS_POPULATE_SRCDIR:-$(cd "$(dirname -- "$RECIPE")" && pwd)} \
		"$POPULATE" "$vol" "$script" 2>"$TMPDIR_MK/populate.log"; then
		LINENO_RECIPE=0
		msg=$(cat "$TMPDIR_MK/populate.log")
		# ntfs-populate reports SCRIPT:LINE; the padded script shares the
		# recipe's line numbers, so only the file name needs swapping.
		die "${msg/#ntfs-populate: $script:/$RECIPE:}"
	fi
	dd if="$vol" of="$OUT_TMP" bs=1M seek=$((start * 512)) oflag=seek_bytes \
		conv=notrunc,sparse status=none
	rm -f -- "$vol"
done
LINENO_RECIPE=0

mv -f -- "$OUT_TMP" "$OUTPUT"
OUT_TMP_OURS=0
