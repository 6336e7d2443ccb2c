#!/bin/bash
# test-cli-docs.sh BUILD — docs/kenshu.1 documents every option of every
# command and no option that does not exist (curl's test1139). The options
# come from each command's --help, which scanner/cli/options.c generates
# from the command's option table, so the table, --help and the man page
# cannot drift apart; each option listed must also be taken by the parser.
# The same for the environment: the variables scanner/ reads against the
# man page's ENVIRONMENT section. And README's usage block is kenshu's.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
ROOT=$(cd "$(dirname -- "$0")/../.." && pwd)
MAN=$ROOT/docs/kenshu.1
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-cli-docs.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname -- "$0")/tap.sh"
cd "$W" || exit 1

# The man page read as its option lists: "SECTION<TAB>COMMAND<TAB>FORM" per
# option form ("-d DBDIR", "--database DBDIR", "--quiet"), from the tag line
# of every .TP entry (the OPTIONS section is scan's; elsewhere an entry whose
# tag starts with a command's name opens that command's part), and from the
# SYNOPSIS ("SYNOPSIS<TAB>COMMAND<TAB>FORM"); then "MENTION<TAB>-<TAB>--x"
# for every long option named anywhere, and "ENV<TAB>-<TAB>NAME" for every
# variable the ENVIRONMENT section documents.
man_options() { # COMMAND...
	python3 - "$MAN" "$@" <<'EOF'
import re
import sys

man, commands = sys.argv[1], set(sys.argv[2:])


def args_of(rest):
    out, rest = [], rest.strip()
    while rest:
        if rest[0] == '"':
            end = rest.find('"', 1)
            end = len(rest) if end < 0 else end
            out.append(rest[1:end])
            rest = rest[end + 1:].lstrip()
        else:
            word = rest.split(None, 1)
            out.append(word[0])
            rest = word[1] if len(word) > 1 else ''
    return out


def text(line):
    """A troff line as the reader sees it."""
    m = re.match(r'^\.([A-Z]{1,2})(\s+(.*))?$', line)
    if m:
        macro, args = m.group(1), args_of(m.group(3) or '')
        # .B and .I join their words with spaces; .BR, .IR... alternate
        # fonts and join theirs without.
        line = ' '.join(args) if len(macro) == 1 else ''.join(args)
    line = re.sub(r'\\f[BIRP]', '', line)
    for a, b in (('\\-', '-'), ('\\(en', '-'), ('\\(em', '-'), ('\\(dq', '"'), ('\\e', '\\'), ('\\ ', ' ')):
        line = line.replace(a, b)
    return line


def forms(tag):
    """'-d DBDIR, --database DBDIR' -> ['-d DBDIR', '--database DBDIR']"""
    words, out = tag.split(), []
    for i, w in enumerate(words):
        m = re.match(r'^(--?[A-Za-z0-9][A-Za-z0-9-]*)(,?)$', w)
        if not m:
            continue
        arg = ''
        if not m.group(2) and i + 1 < len(words) and not words[i + 1].startswith('-'):
            arg = ' ' + words[i + 1].rstrip(',')
        out.append(m.group(1) + arg)
    return out


lines = open(man, encoding='utf-8').read().split('\n')
section, command = None, None
synopsis = []
for i, line in enumerate(lines):
    if line.startswith('.SH '):
        section = text(line)
        command = 'scan' if section == 'OPTIONS' else None
        continue
    if section == 'SYNOPSIS':
        synopsis.append(line)
    if line == '.TP' and i + 1 < len(lines):
        tag = text(lines[i + 1])
        words = tag.split()
        # "fleet run MANIFEST": a command may be two words.
        first = ' '.join(words[:2]) if ' '.join(words[:2]) in commands else (words[0] if words else '')
        if section != 'OPTIONS' and first in commands:
            command = first
            tag = ' '.join(tag.split()[len(first.split()):])
        if section == 'ENVIRONMENT':
            for w in tag.replace(',', ' ').split():
                if re.match(r'^[A-Z][A-Z0-9_]+$', w):
                    print(f'ENV\t-\t{w}')
        elif command:
            for f in forms(tag):
                print(f'{section}\t{command}\t{f}')
# SYNOPSIS: one command per .br-separated chunk, "kenshu CMD ...".
for chunk in '\n'.join(synopsis).split('\n.br\n'):
    words = ' '.join(text(l) for l in chunk.split('\n') if l.strip()).replace('[', ' ').replace(']', ' ')
    words = words.split()
    if len(words) >= 3 and words[0] == 'kenshu' and ' '.join(words[1:3]) in commands:
        for f in forms(' '.join(words[3:]).replace('...', '')):
            print(f'SYNOPSIS\t{" ".join(words[1:3])}\t{f}')
    elif len(words) >= 2 and words[0] == 'kenshu' and words[1] in commands:
        for f in forms(' '.join(words[2:]).replace('...', '')):
            print(f'SYNOPSIS\t{words[1]}\t{f}')
for line in lines:
    for m in re.finditer(r'(?<![\w-])--([a-z][a-z0-9-]*)', line.replace('\\-', '-')):
        print(f'MENTION\t-\t--{m.group(1)}')
EOF
}

# A command's options as its --help lists them: "LONG<TAB>SHORT<TAB>ARG"
# (SHORT and ARG may be empty), -h, --help left out.
help_rows() { # COMMAND
	"$KENSHU" $1 --help |
		sed -n -E 's/^  (-([A-Za-z0-9]), |    )--([a-z][a-z0-9-]*)( ([^ ]+))?( .*)?$/\3\t\2\t\5/p' |
		grep -v '^help	'
}
# The forms of those rows, one a line: "-d DBDIR", "--database DBDIR".
forms_of() { # ROWS
	awk -F'\t' 'NF { a = $3 == "" ? "" : " " $3; print "--" $1 a; if ($2 != "") print "-" $2 a }' <<<"$1"
}

# The same set, or the forms one side has and the other not, named.
same_set() { # NAME HAVE_NAME HAVE WANT_NAME WANT
	local only_a only_b
	only_a=$(comm -23 <(sort -u <<<"$3") <(sort -u <<<"$5") | sed '/^$/d')
	only_b=$(comm -13 <(sort -u <<<"$3") <(sort -u <<<"$5") | sed '/^$/d')
	if [ -z "$only_a$only_b" ]; then
		ok "$1"
	else
		not_ok "$1"
		[ -n "$only_a" ] && awk -v p="#   only in $2: " '{ print p $0 }' <<<"$only_a"
		[ -n "$only_b" ] && awk -v p="#   only in $4: " '{ print p $0 }' <<<"$only_b"
	fi
	return 0
}

"$KENSHU" --help >help.txt
check "kenshu --help exits 0" test $? = 0
# A command is a word, or two for fleet's ("fleet run").
commands=$(sed -n -E '/^$/q; s/^(usage: |       )kenshu (fleet [a-z]+|[a-z][a-z-]*).*/\2/p' help.txt | uniq)
check "the usage block names the commands" test -n "$commands"
mapfile -t cmd_list <<<"$commands"
man_options "${cmd_list[@]}" >man.tsv
check "docs/kenshu.1 is read" test -s man.tsv
from_man() { # SECTION COMMAND
	awk -F'\t' -v s="$1" -v c="$2" '($1 == s || s == "*") && $2 == c && $1 != "SYNOPSIS" && $3 !~ /^--?h(elp)?$/ { print $3 }' man.tsv
}

all_options=""
for c in "${cmd_list[@]}"; do
	# shellcheck disable=SC2086 # "fleet run" is two words
	"$KENSHU" $c --help >"help-$c.txt" 2>&1
	check "$c --help exits 0" test $? = 0
	check_eval "$c -h exits 0" '"$KENSHU" $c -h >/dev/null 2>&1'
	check_eval "$c --help lists -h, --help" 'grep -qE "^  -h, --help( |$)" "help-$c.txt"'
	rows=$(help_rows "$c")
	opts=$(forms_of "$rows")
	all_options+="$opts"$'\n'
	same_set "docs/kenshu.1 documents every option of $c, and only those" \
		"$c --help" "$opts" "docs/kenshu.1" "$(from_man '*' "$c")"
	# The synopsis shows each option by one of its names (-d, --quiet).
	syn=$(awk -F'\t' -v c="$c" '$1 == "SYNOPSIS" && $2 == c { sub(/ .*/, "", $3); print $3 }' man.tsv)
	missing=$(awk -F'\t' 'NR == FNR { s[$0] = 1; next }
		NF && !(("--" $1) in s) && !(("-" $2) in s) { print "--" $1 }' <(echo "$syn") <(echo "$rows"))
	check_eval "the SYNOPSIS of docs/kenshu.1 shows every option of $c" '[ -z "$missing" ]'
	[ -n "$missing" ] && sed 's/^/#   not in the SYNOPSIS: /' <<<"$missing"
	stray=$(comm -23 <(sed '/^$/d' <<<"$syn" | sort -u) <(forms_of "$rows" | sed 's/ .*//' | sort -u))
	check_eval "the SYNOPSIS of docs/kenshu.1 shows no option $c does not have" '[ -z "$stray" ]'
	[ -n "$stray" ] && sed 's/^/#   not an option: /' <<<"$stray"

	# Every form is taken by the parser: with a value when it shows one,
	# and then refused without it ("needs a value", not "unknown option").
	bad=""
	while IFS= read -r form; do
		[ -z "$form" ] && continue
		opt=${form%% *}
		if [ "$opt" != "$form" ]; then
			"$KENSHU" $c "$opt" x >out 2>err
			grep -q "unknown option" err && bad+=" $opt(with a value)"
			"$KENSHU" $c "$opt" >out 2>err
			grep -q "option '$opt' needs a value" err || bad+=" $opt(without a value: $(head -1 err))"
		else
			"$KENSHU" $c "$opt" >out 2>err
			grep -q "unknown option\|needs a value" err && bad+=" $opt"
		fi
	done <<<"$opts"
	check_eval "every option $c --help lists is taken by its parser" '[ -z "$bad" ]'
	[ -n "$bad" ] && echo "#   refused:$bad"
done

check_eval "docs/kenshu.1 documents -h, --help" \
	'awk -F"\t" '\''$1 == "OPTIONS" && ($3 == "-h" || $3 == "--help")'\'' man.tsv | grep -q .'
# No long option named anywhere in the page that no command has (a stale
# mention in prose, an example with a renamed option).
known=$( (sed -E 's/ .*//' <<<"$all_options"; printf '%s\n' --help --version) | grep -- '^--' | sort -u)
mentioned=$(awk -F'\t' '$1 == "MENTION" { print $3 }' man.tsv | sort -u)
unknown=$(comm -23 <(echo "$mentioned") <(echo "$known"))
check_eval "docs/kenshu.1 names no option that does not exist" '[ -z "$unknown" ]'
[ -n "$unknown" ] && sed 's/^/#   not an option: /' <<<"$unknown"

# The environment: what scanner/ reads (getenv of a literal name, and the
# KENSHU_* names it passes to its getenv helpers) against ENVIRONMENT.
code_env=$( (grep -rhoE 'getenv\("[A-Za-z_][A-Za-z0-9_]*"\)' "$ROOT/scanner" | sed -E 's/getenv\("(.*)"\)/\1/'
	grep -rhoE '"KENSHU_[A-Z0-9_]+"' "$ROOT/scanner" | tr -d '"') | sort -u)
man_env=$(awk -F'\t' '$1 == "ENV" { print $3 }' man.tsv | sort -u)
check "scanner/ reads environment variables (the grep still finds them)" test -n "$code_env"
same_set "docs/kenshu.1 ENVIRONMENT documents every variable kenshu reads, and only those" \
	"scanner/" "$code_env" "ENVIRONMENT" "$man_env"

# README's usage block is kenshu's, without the "usage: " column.
usage=$(sed -n '/^$/q; p' help.txt | cut -c8-)
readme=$(awk '/^## Using it/ { u = 1 } u && /^```$/ { if (b) exit; b = 1; next } b { print }' "$ROOT/README.md")
same "README.md's usage block is kenshu --help's" "$usage" "$readme"

tap_summary
