#!/bin/bash
# test-sign.sh BUILD — signed report directories end to end: keygen, a
# signed scan with case metadata, verify; one flipped byte in any signed
# file, or another key, and verify says no and names the file; a key that
# cannot sign stops the scan before anything is written; the openssl
# commands in docs/report.md verify a signature without kenshu; a bundle's
# directory and its members' are signed and verified together.
set -uo pipefail
BUILD=${1:-build}
KENSHU=$(cd "$BUILD" && pwd)/kenshu
W=$(mktemp -d "${TMPDIR:-/tmp}/kenshu-sign.XXXXXX")
trap 'rm -rf "$W"' EXIT
export KENSHU_TOOLS=$BUILD/tools
. "$(dirname -- "$0")/tap.sh"

tests/mkdb.sh "$W/db" >/dev/null
images/mkimage.sh images/vendor-clean.recipe "$W/disk.img" >/dev/null || { not_ok "build vendor-clean"; exit 1; }

# flip FILE OFFSET: invert the low bit of one byte in place.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# ---- keygen ----
"$KENSHU" keygen "$W/plant.key" >"$W/keygen.out" 2>&1
rc=$?
check_eval "keygen: exit 0" '[ $rc = 0 ]'
check_eval "keygen: private key mode 0600" '[ "$(stat -c %a "$W/plant.key")" = 600 ]'
check_eval "keygen: public key written beside it" '[ -s "$W/plant.key.pub" ]'
check_eval "keygen: prints the key id, never the private key" \
	'grep -q "key id [0-9a-f]\{64\}" "$W/keygen.out" && ! grep -q "BEGIN" "$W/keygen.out"'
id=$(openssl pkey -pubin -in "$W/plant.key.pub" -outform DER | tail -c 32 | sha256sum | cut -d" " -f1)
check_eval "keygen: key id is SHA-256 of the raw public key (openssl)" 'grep -q "key id $id" "$W/plant.key.pub"'
cp "$W/plant.key" "$W/plant.key.before"
"$KENSHU" keygen "$W/plant.key" >/dev/null 2>"$W/err"
rc=$?
check_eval "keygen: refuses to overwrite an existing key (exit 2)" '[ $rc = 2 ] && grep -q "already exists: not overwritten" "$W/err"'
check_eval "keygen: the existing key is unchanged" 'cmp -s "$W/plant.key" "$W/plant.key.before"'
"$KENSHU" keygen >/dev/null 2>&1
check_eval "keygen: no KEYFILE is a usage error (64)" '[ $? = 64 ]'
"$KENSHU" keygen "$W/other.key" >/dev/null 2>&1

# ---- a signed scan with case metadata ----
"$KENSHU" scan -q -d "$W/db" -o "$W/plain" "$W/disk.img" 2>"$W/err"
plain_rc=$?
"$KENSHU" scan -q -d "$W/db" -o "$W/out" --sign-key "$W/plant.key" \
	--meta vendor="Acme Präzision GmbH" --meta po=4500012345 --meta asset=PRESS-HMI-01 \
	--meta operator="山田 太郎" "$W/disk.img" 2>"$W/err"
rc=$?
check_eval "signed scan: same exit code as unsigned ($plain_rc)" '[ $rc = $plain_rc ] && [ ! -s "$W/err" ]'
check_eval "signed scan: report.sig written" '[ -s "$W/out/report.sig" ]'
check_eval "signed scan: no temporary file left" '[ -z "$(ls -A "$W/out" | grep "^\.")" ]'
check_eval "--meta: report.json .case holds every entry, keys sorted" \
	'[ "$(jq -c .case "$W/out/report.json")" = "{\"asset\":\"PRESS-HMI-01\",\"operator\":\"山田 太郎\",\"po\":\"4500012345\",\"vendor\":\"Acme Präzision GmbH\"}" ]'
check_eval "--meta: report.txt header shows the case" \
	'grep -q "^Case:       asset: PRESS-HMI-01$" "$W/out/report.txt" && grep -q "^            vendor: Acme Präzision GmbH$" "$W/out/report.txt"'
check_eval "scan.host is this machine's name" '[ "$(jq -r .scan.host "$W/out/report.json")" = "$(hostname)" ]'
check_eval "report.txt names the host" 'grep -q "^Host:       $(hostname)$" "$W/out/report.txt"'
check_eval "unsigned scan: empty case object, no report.sig" \
	'[ "$(jq -c .case "$W/plain/report.json")" = "{}" ] && [ ! -e "$W/plain/report.sig" ]'

"$KENSHU" verify "$W/out" --pub "$W/plant.key.pub" >"$W/v.out" 2>&1
rc=$?
check_eval "verify: exit 0 for the untouched directory" '[ $rc = 0 ]'
check_eval "verify: says what it verified and with which key" 'grep -q "verified (manifest.jsonl, report.html, report.json, report.txt), signed .* by key id $id" "$W/v.out"'
"$KENSHU" verify --pub "$W/plant.key.pub" "$W/out" "$W/out" >/dev/null 2>&1
check_eval "verify: several directories, --pub first" '[ $? = 0 ]'

# The documented openssl procedure, without kenshu.
(
	cd "$W/out" || exit 1
	sed '$d' report.sig >"$W/statement"
	sed -n 's/^signature: //p' report.sig | base64 -d >"$W/signature.bin"
	openssl pkeyutl -verify -pubin -inkey "$W/plant.key.pub" -rawin -in "$W/statement" \
		-sigfile "$W/signature.bin" >/dev/null &&
		awk '$1 == "file:" { print $4 "  " $2 }' report.sig | sha256sum --quiet -c
) >"$W/openssl.out" 2>&1
check_eval "openssl alone verifies the signature and sha256sum the files (docs/report.md)" '[ $? = 0 ]'
[ -s "$W/openssl.out" ] && sed 's/^/#   /' "$W/openssl.out" | head -5

# ---- one flipped byte anywhere ----
for f in report.json manifest.jsonl report.txt; do
	rm -rf "$W/t"
	cp -a "$W/out" "$W/t"
	size=$(stat -c %s "$W/t/$f")
	flip "$W/t/$f" $((size / 2))
	"$KENSHU" verify "$W/t" --pub "$W/plant.key.pub" >"$W/v.out" 2>&1
	rc=$?
	check_eval "flipped byte in $f: exit 1, $f named" \
		'[ $rc = 1 ] && grep -q "^$W/t/$f: SHA-256 differs from the signed statement$" "$W/v.out"'
done
sig_line=$(grep -n '^signature: ' "$W/out/report.sig" | cut -d: -f1)
sig_off=$(head -n $((sig_line - 1)) "$W/out/report.sig" | wc -c)
for where in "signature:$((sig_off + 20))" "key-id line:50" "file line:$((sig_off - 10))"; do
	rm -rf "$W/t"
	cp -a "$W/out" "$W/t"
	flip "$W/t/report.sig" "${where#*:}"
	"$KENSHU" verify "$W/t" --pub "$W/plant.key.pub" >"$W/v.out" 2>&1
	rc=$?
	check_eval "flipped byte in report.sig (${where%:*}): exit 1, report.sig named" \
		'[ $rc = 1 ] && grep -q "^$W/t/report.sig: " "$W/v.out"'
done
rm -rf "$W/t"
cp -a "$W/out" "$W/t"
rm "$W/t/manifest.jsonl"
echo note >"$W/t/operator-notes.txt"
"$KENSHU" verify "$W/t" --pub "$W/plant.key.pub" >"$W/v.out" 2>&1
rc=$?
check_eval "missing manifest.jsonl: exit 1, named; an unlisted notes file is not" \
	'[ $rc = 1 ] && grep -q "manifest.jsonl: missing$" "$W/v.out" && ! grep -q operator-notes "$W/v.out"'

"$KENSHU" verify "$W/out" --pub "$W/other.key.pub" >"$W/v.out" 2>&1
rc=$?
check_eval "another key: exit 1, signature does not verify" \
	'[ $rc = 1 ] && grep -q "report.sig: signature does not verify with $W/other.key.pub (key id" "$W/v.out"'
"$KENSHU" verify "$W/plain" --pub "$W/plant.key.pub" >"$W/v.out" 2>&1
check_eval "unsigned directory: exit 1, report.sig missing" '[ $? = 1 ] && grep -q "report.sig: missing" "$W/v.out"'
"$KENSHU" verify "$W/out" --pub "$W/plant.key" >/dev/null 2>"$W/err"
rc=$?
check_eval "verify with the private key: refused (exit 2), key not printed" \
	'[ $rc = 2 ] && grep -q "a private key: verify wants the public key" "$W/err" && ! grep -q "BEGIN\|MC4C" "$W/err"'
"$KENSHU" verify "$W/out" --pub "$W/nonexistent.pub" >/dev/null 2>&1
check_eval "verify with an unreadable key: exit 2" '[ $? = 2 ]'
"$KENSHU" verify "$W/out" >/dev/null 2>&1
check_eval "verify without --pub: usage error (64)" '[ $? = 64 ]'

# ---- a key that cannot sign: nothing scanned, nothing written ----
cp "$W/plant.key" "$W/loose.key"
chmod 644 "$W/loose.key"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rsa.key" 2>/dev/null
chmod 600 "$W/rsa.key"
printf 'garbage\n' >"$W/garbage.key"
chmod 600 "$W/garbage.key"
for k in "missing:$W/nonexistent.key:cannot read the key" "readable by others:$W/loose.key:accessible by group or others" \
	"RSA:$W/rsa.key:not Ed25519" "public key:$W/plant.key.pub:a public key" "garbage:$W/garbage.key:not a readable private key"; do
	IFS=: read -r what file msg <<<"$k"
	rm -rf "$W/nokey"
	"$KENSHU" scan -q -d "$W/db" -o "$W/nokey" --sign-key "$file" "$W/disk.img" >/dev/null 2>"$W/err"
	rc=$?
	check_eval "--sign-key $what: exit 2 before scanning, nothing written" \
		'[ $rc = 2 ] && [ ! -e "$W/nokey" ] && grep -q "$msg" "$W/err" && [ $(wc -l <"$W/err") = 1 ]'
done

# ---- bad --meta: usage errors ----
# ARG[|ARG...] > what the one error line says
while IFS='>' read -r list msg; do
	args=()
	IFS='|' read -r -a metas <<<"$list"
	for m in "${metas[@]}"; do args+=(--meta "$m"); done
	rm -rf "$W/nometa"
	"$KENSHU" scan -q -d "$W/db" -o "$W/nometa" "${args[@]}" "$W/disk.img" >/dev/null 2>"$W/err"
	rc=$?
	check_eval "bad --meta '$list': exit 64, '$msg', nothing written" \
		'[ $rc = 64 ] && grep -q "^kenshu: --meta.*$msg" "$W/err" && [ ! -e "$W/nometa" ]'
done <<'EOF'
novalue>wants KEY=VALUE
po=1|po=2>'po': given twice
po number=1>may hold only A-Z a-z 0-9
operator=>'operator': empty value
=x>a KEY must be 1 to 64 characters
EOF
"$KENSHU" scan -q -d "$W/db" -o "$W/nometa" --meta "note=$(printf 'two\nlines')" "$W/disk.img" >/dev/null 2>"$W/err"
check_eval "--meta value with a newline: exit 64" '[ $? = 64 ] && grep -q "control character" "$W/err"'

# ---- an unsigned scan into a signed directory drops the old signature ----
cp -a "$W/out" "$W/rescan"
"$KENSHU" scan -q -d "$W/db" -o "$W/rescan" "$W/disk.img" 2>/dev/null
check_eval "unsigned rescan: the stale report.sig is removed" '[ ! -e "$W/rescan/report.sig" ]'

# ---- a bundle: its directory and each member's ----
mkdir -p "$W/z"
ln -f "$W/disk.img" "$W/z/disk.img"
printf 'readme\n' >"$W/z/readme.txt"
(cd "$W/z" && bsdtar --format zip -cf "$W/delivery.zip" disk.img readme.txt)
"$KENSHU" scan -q -d "$W/db" -o "$W/bout" --sign-key "$W/plant.key" --meta po=4500012345 "$W/delivery.zip" 2>"$W/err"
rc=$?
check_eval "signed bundle: exit $plain_rc" '[ $rc = $plain_rc ]'
check_eval "signed bundle: bundle.json carries the case, its member's report.json too" \
	'[ "$(jq -r .case.po "$W/bout/bundle.json")" = 4500012345 ] && [ "$(jq -r .case.po "$W/bout/disk.img/report.json")" = 4500012345 ]'
"$KENSHU" verify "$W/bout" --pub "$W/plant.key.pub" >"$W/v.out" 2>&1
rc=$?
check_eval "signed bundle: verify passes for the bundle and its member" \
	'[ $rc = 0 ] && grep -q "^$W/bout: verified (bundle.json, bundle.txt)" "$W/v.out" && grep -q "^$W/bout/disk.img: verified" "$W/v.out"'
flip "$W/bout/disk.img/manifest.jsonl" 10
"$KENSHU" verify "$W/bout" --pub "$W/plant.key.pub" >"$W/v.out" 2>&1
rc=$?
check_eval "signed bundle: a member's flipped byte fails the bundle's verify" \
	'[ $rc = 1 ] && grep -q "^$W/bout/disk.img/manifest.jsonl: SHA-256 differs" "$W/v.out"'

tap_summary
