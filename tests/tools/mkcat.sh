#!/bin/bash
# mkcat.sh BUILD OUTDIR [PE...] — the recipe of the catalog test cases:
# a test CA, a leaf code-signing certificate under it, and for the given
# (unsigned) PE files a catalog listing their Authenticode SHA-256 digests
# (computed by osslsigncode, independently of kenshu), a tampered copy of
# that catalog, and one signed by a leaf of an untrusted root. Writes
# OUTDIR/{ca,leaf,rogue-ca,rogue}.{pem,key}, OUTDIR/good.cat,
# OUTDIR/tampered.cat, OUTDIR/untrusted.cat and OUTDIR/digests (hex name).
# The anchors to trust: OUTDIR/ca.pem (an anchor file without comments).
set -euo pipefail
BUILD=$1
OUT=$2
shift 2
mkdir -p "$OUT"
ca() { # NAME SUBJECT
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/$1.key" -out "$OUT/$1.pem" -subj "$2" -days 3650 \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1
}
leaf() { # NAME CA SUBJECT
	openssl req -newkey rsa:2048 -nodes -keyout "$OUT/$1.key" -out "$OUT/$1.csr" -subj "$3" >/dev/null 2>&1
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' \
		>"$OUT/$1.ext"
	openssl x509 -req -in "$OUT/$1.csr" -CA "$OUT/$2.pem" -CAkey "$OUT/$2.key" -CAcreateserial -days 3650 \
		-extfile "$OUT/$1.ext" -out "$OUT/$1.pem" >/dev/null 2>&1
	rm -f "$OUT/$1.csr" "$OUT/$1.ext"
}
ca ca "/CN=Kenshu Test Root CA/O=Kenshu Test"
leaf leaf ca "/CN=Example Press Machinery KK/O=Example Press Machinery KK"
ca rogue-ca "/CN=Rogue Root/O=Nobody"
leaf rogue rogue-ca "/CN=Rogue Signer/O=Nobody"
members=()
: >"$OUT/digests"
for pe in "$@"; do
	# The Authenticode digest as osslsigncode computes it: the last OCTET
	# STRING of the SpcIndirectDataContent that extract-data writes.
	osslsigncode extract-data -h sha256 -in "$pe" -out "$OUT/indirect.der" >/dev/null
	d=$(openssl asn1parse -inform DER -in "$OUT/indirect.der" | awk -F: '/HEX DUMP/ { h = $NF } END { print tolower(h) }')
	rm -f "$OUT/indirect.der"
	members+=("pe:sha256:$d:$(basename "$pe")")
	echo "$d $(basename "$pe")" >>"$OUT/digests"
done
M="$BUILD/tools/mkcat"
"$M" -key "$OUT/leaf.key" -cert "$OUT/leaf.pem" -chain "$OUT/ca.pem" -out "$OUT/good.cat" "${members[@]}"
"$M" -tamper -key "$OUT/leaf.key" -cert "$OUT/leaf.pem" -chain "$OUT/ca.pem" -out "$OUT/tampered.cat" "${members[@]}"
"$M" -key "$OUT/rogue.key" -cert "$OUT/rogue.pem" -chain "$OUT/rogue-ca.pem" -out "$OUT/untrusted.cat" "${members[@]}"
# Independent check of the good catalog's signature and of each PE
# against it (osslsigncode's own catalog support).
osslsigncode verify -in "$OUT/good.cat" -CAfile "$OUT/ca.pem" >/dev/null
for pe in "$@"; do
	osslsigncode verify -in "$pe" -catalog "$OUT/good.cat" -CAfile "$OUT/ca.pem" >/dev/null
done
