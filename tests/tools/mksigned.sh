#!/bin/bash
# mksigned.sh DIR — signed PE fixtures for the trust stage, made at test time
# with a test PKI of its own (openssl), a tiny PE (mingw-w64) and Debian's
# osslsigncode, whose built-in timestamp authority (-TSA-*) stamps offline.
#
# Every date is relative to the clock the script runs under (the suite also
# runs with the clock years ahead), so the fixtures mean the same on any day.
#
#   anchors.pem         the test root, no comment lines (code signing + time stamping)
#   root.pem            the same certificate, for anchor files the test writes
#   ec-anchors.pem      the root of the explicit-curve chain
#   unsigned.exe        the tiny PE
#   valid.exe           leaf (now-1y .. now+2y) < intermediate < root, no timestamp
#   expired.exe         leaf expired a year ago, no timestamp
#   expired-ts.exe      the same leaf, RFC 3161 timestamp inside its validity
#   expired-badts.exe   the same leaf, timestamp after it expired
#   expired-lifetime.exe  like expired-ts.exe, but the leaf has the lifetime-signing EKU
#   wrong-eku.exe       leaf for serverAuth only
#   other-root.exe      chain to a root that anchors.pem does not hold
#   dual.exe            SHA-1 signature with a nested SHA-256 one (-nest)
#   explicit-ec.exe     EC chain whose keys carry explicit curve parameters
#   leaf-notbefore      the unix time of valid.exe's leaf notBefore (for the test's not-before anchors)
#
# Exits 2 with one line on stderr when a tool is missing.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: mksigned.sh DIR" >&2; exit 64; }
dir=$1
cc=x86_64-w64-mingw32-gcc
for tool in openssl osslsigncode "$cc"; do
	command -v "$tool" >/dev/null || {
		echo "mksigned.sh: $tool not found: install openssl, osslsigncode and gcc-mingw-w64-x86-64 (tests/install-deps.sh)" >&2
		exit 2
	}
done
mkdir -p "$dir"
cd "$dir"

now=$(date +%s)
day=86400
year=$((365 * day))
# openssl ca's date form, UTC
stamp() { date -u -d "@$1" +%Y%m%d%H%M%SZ; }

cat >ca.cnf <<'EOF'
[ca]
default_ca = test
[test]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
countryName = optional
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[codesign]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[lifetime]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning, 1.3.6.1.4.1.311.10.3.13
authorityKeyIdentifier = keyid
[server]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
[tsa]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
authorityKeyIdentifier = keyid
EOF
: >index.txt
echo 1000 >serial

# cert NAME SUBJECT EXT ISSUER START END [KEYSPEC]: NAME.key, NAME.pem.
# ISSUER "self" makes a root. KEYSPEC: rsa (default) or ec-explicit.
cert() {
	local name=$1 subj=$2 ext=$3 issuer=$4 start=$5 end=$6 key=${7:-rsa}
	case $key in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key" 2>/dev/null ;;
	ec-explicit) openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out "$name.key" ;;
	esac
	openssl req -new -config ca.cnf -key "$name.key" -subj "$subj" -out "$name.csr"
	if [ "$issuer" = self ]; then
		openssl ca -batch -config ca.cnf -selfsign -keyfile "$name.key" -cert /dev/null -extensions "$ext" \
			-startdate "$(stamp "$start")" -enddate "$(stamp "$end")" -in "$name.csr" -out "$name.pem" \
			-notext 2>/dev/null
	else
		openssl ca -batch -config ca.cnf -keyfile "$issuer.key" -cert "$issuer.pem" -extensions "$ext" \
			-startdate "$(stamp "$start")" -enddate "$(stamp "$end")" -in "$name.csr" -out "$name.pem" \
			-notext 2>/dev/null
	fi
}

cert root "/CN=Kenshu Test Root/O=Kenshu Test/C=JP" root self $((now - 20 * year)) $((now + 30 * year))
cert inter "/CN=Kenshu Test Code Signing CA/O=Kenshu Test/C=JP" inter root $((now - 10 * year)) $((now + 20 * year))
cert leaf "/CN=Example Press Machinery KK/O=Example Press Machinery KK/C=JP" codesign inter \
	$((now - year)) $((now + 2 * year))
cert old "/CN=Example Old Signer/O=Example Press Machinery KK/C=JP" codesign inter \
	$((now - 5 * year)) $((now - year))
cert oldlife "/CN=Example Lifetime Signer/O=Example Press Machinery KK/C=JP" lifetime inter \
	$((now - 5 * year)) $((now - year))
cert server "/CN=www.example.com/O=Example Press Machinery KK/C=JP" server inter $((now - year)) $((now + 2 * year))
cert tsa "/CN=Kenshu Test Timestamp Authority/O=Kenshu Test/C=JP" tsa root $((now - 10 * year)) $((now + 10 * year))
cert other "/CN=Kenshu Other Root/O=Elsewhere/C=JP" root self $((now - 20 * year)) $((now + 30 * year))
cert otherleaf "/CN=Example Elsewhere Signer/O=Elsewhere/C=JP" codesign other $((now - year)) $((now + 2 * year))
cert ecroot "/CN=Kenshu Test EC Root/O=Kenshu Test/C=JP" root self $((now - 20 * year)) $((now + 30 * year)) ec-explicit
cert ecleaf "/CN=Example EC Signer/O=Example Press Machinery KK/C=JP" codesign ecroot \
	$((now - year)) $((now + 2 * year)) ec-explicit

cp root.pem anchors.pem
cp ecroot.pem ec-anchors.pem
cat leaf.pem inter.pem >leaf-chain.pem
cat old.pem inter.pem >old-chain.pem
cat oldlife.pem inter.pem >oldlife-chain.pem
cat server.pem inter.pem >server-chain.pem
cat tsa.pem root.pem >tsa-chain.pem
date -u -d "$(openssl x509 -in leaf.pem -noout -startdate | cut -d= -f2)" +%s >leaf-notbefore

cat >tiny.c <<'EOF'
void start(void);
volatile int kenshu_data[64] = { 1, 2, 3 };
void start(void) { kenshu_data[0]++; }
EOF
"$cc" -nostdlib -Wl,--entry=start -s -o unsigned.exe tiny.c

# sign OUT CHAIN KEY [osslsigncode options...]
sign() {
	local out=$1 chain=$2 key=$3
	shift 3
	rm -f "$out"
	osslsigncode sign -certs "$chain" -key "$key" -h sha256 -n "kenshu test" "$@" -in unsigned.exe -out "$out" >/dev/null
}

sign valid.exe leaf-chain.pem leaf.key -time "$now"
sign expired.exe old-chain.pem old.key -time $((now - 2 * year))
sign expired-ts.exe old-chain.pem old.key -time $((now - 2 * year)) \
	-TSA-certs tsa-chain.pem -TSA-key tsa.key -TSA-time $((now - 2 * year))
sign expired-badts.exe old-chain.pem old.key -time $((now - 2 * year)) \
	-TSA-certs tsa-chain.pem -TSA-key tsa.key -TSA-time $((now - 30 * day))
sign expired-lifetime.exe oldlife-chain.pem oldlife.key -time $((now - 2 * year)) \
	-TSA-certs tsa-chain.pem -TSA-key tsa.key -TSA-time $((now - 2 * year))
sign wrong-eku.exe server-chain.pem server.key -time "$now"
sign other-root.exe otherleaf.pem otherleaf.key -time "$now"
sign explicit-ec.exe ecleaf.pem ecleaf.key -time "$now"
rm -f dual1.exe dual.exe
osslsigncode sign -certs leaf-chain.pem -key leaf.key -h sha1 -time "$now" -in unsigned.exe -out dual1.exe >/dev/null
osslsigncode sign -certs leaf-chain.pem -key leaf.key -h sha256 -time "$now" -nest -in dual1.exe -out dual.exe >/dev/null
rm -f dual1.exe ./*.csr
