#!/bin/bash
# mktestpki.sh DIR — a code-signing PKI for test images: a test root (the
# only anchor), leaf certificates for the signers the recipes name, and an
# anchor file for `kenshu scan --trust-anchors DIR/anchors.pem`.
#
# Every certificate has fixed dates (made under faketime), so a report
# judged on a pinned KENSHU_SCAN_DATE is the same whatever day, or clock,
# the suite runs on:
#   root      CN=Microsoft Root Certificate Authority (kenshu test PKI)
#             2020-01-01, 30 years. kenshu calls a signer Windows' own only
#             when its chain ends at a Microsoft root (a root named
#             "Microsoft ... Root" in the anchor file): the test root is
#             named so to stand in for one
#   vendor    CN=Example Press Machinery KK 2020-01-02, 20 years, codeSigning
#   windows   CN=Microsoft Windows (O=Microsoft Corporation, issued by the
#             test root: a plant's own anchor file stands in for Microsoft's)
#   expired   CN=Example Old Vendor         2020-01-02, 30 days, codeSigning
#   tls       CN=Example TLS Server         2020-01-02, 20 years, serverAuth only
#   rogue     CN=Rogue Signer, issued by "CN=Rogue Root" (not an anchor)
# Each signer NAME has DIR/NAME.key and DIR/NAME.pem (its certificate) and
# DIR/NAME.chain.pem (certificate, then its issuer).
#
# Idempotent: an existing complete DIR is kept (DIR/.done).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: mktestpki.sh DIR" >&2; exit 64; }
dir=$1
[ -f "$dir/.done" ] && exit 0
command -v faketime >/dev/null || { echo "mktestpki.sh: faketime is not installed (tests/install-deps.sh)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "mktestpki.sh: openssl is not installed" >&2; exit 2; }
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

at() { # DATE CMD...: run CMD with the clock at DATE
	local d=$1
	shift
	faketime -f "@$d 00:00:00" "$@" 2> >(grep -v "libfaketime environment" >&2)
}

cat >"$tmp/ext.cnf" <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[code]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tls]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

root() { # NAME SUBJECT DATE DAYS
	openssl genrsa -out "$dir/$1.key" 2048 2>/dev/null
	at "$3" openssl req -new -x509 -key "$dir/$1.key" -subj "$2" -days "$4" -sha256 \
		-extensions ca -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat "$tmp/ext.cnf") \
		-out "$dir/$1.pem"
}

leaf() { # NAME SUBJECT ISSUER DATE DAYS EXT
	openssl genrsa -out "$dir/$1.key" 2048 2>/dev/null
	openssl req -new -key "$dir/$1.key" -subj "$2" -out "$tmp/$1.csr"
	at "$4" openssl x509 -req -in "$tmp/$1.csr" -CA "$dir/$3.pem" -CAkey "$dir/$3.key" \
		-CAcreateserial -CAserial "$tmp/$3.srl" -days "$5" -sha256 \
		-extfile "$tmp/ext.cnf" -extensions "$6" -out "$dir/$1.pem" 2>/dev/null
	cat "$dir/$1.pem" "$dir/$3.pem" >"$dir/$1.chain.pem"
}

root root "/O=kenshu tests/CN=Microsoft Root Certificate Authority (kenshu test PKI)" 2020-01-01 10957
leaf vendor "/C=JP/O=Example Press Machinery KK/CN=Example Press Machinery KK" root 2020-01-02 7305 code
leaf windows "/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation/CN=Microsoft Windows" root 2020-01-02 7305 code
leaf expired "/O=Example Old Vendor/CN=Example Old Vendor" root 2020-01-02 30 code
leaf tls "/O=Example TLS/CN=Example TLS Server" root 2020-01-02 7305 tls
root rogue-root "/O=Rogue/CN=Rogue Root" 2020-01-01 10957
leaf rogue "/O=Rogue/CN=Rogue Signer" rogue-root 2020-01-02 7305 code

sha1=$(openssl x509 -in "$dir/root.pem" -outform DER | sha1sum | cut -d' ' -f1)
{
	echo "# Subject Identifier: $sha1"
	echo "# Friendly Name: Microsoft Root Certificate Authority (kenshu test PKI)"
	echo "# Extended key usages: ['code_signing', 'time_stamping']"
	cat "$dir/root.pem"
} >"$dir/anchors.pem"
: >"$dir/.done"
