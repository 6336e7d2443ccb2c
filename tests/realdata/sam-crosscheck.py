#!/usr/bin/env python3
# sam-crosscheck.py — a developer check, not part of make check: decrypts
# the NT hashes of images/hives/accounts-sam.reg (written by tests/tools/mksam)
# the way impacket's secretsdump does, with python3-cryptography rather
# than kenshu's C, and compares each with the empty password's hash and with
# MD4 of the password mksam was given (openssl dgst -md4, legacy provider).
# Prints judgements only, never a hash. Run from the top of the tree.
import re, struct, subprocess, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
text = open('images/hives/accounts-sam.reg').read().replace('\\\n', '')
keys = {}
cur = None
for line in text.splitlines():
    m = re.match(r'\[(.*)\]', line)
    if m: cur = m.group(1); keys[cur] = {}; continue
    m = re.match(r'"(\w)"=hex:([0-9a-f, ]*)', line)
    if m and cur: keys[cur][m.group(1)] = bytes.fromhex(m.group(2).replace(',', ''))
boot = bytes.fromhex('3a7e0c5591d24b8fa6e1c07d2b9f4e68')
F = keys['HKEY_LOCAL_MACHINE\\SAM\\SAM\\Domains\\Account']['F']
assert struct.unpack('<I', F[0x68:0x6c])[0] == 2
salt = F[0x78:0x88]; dlen = struct.unpack('<I', F[0x74:0x78])[0]
d = Cipher(algorithms.AES(boot), modes.CBC(salt)).decryptor()
hbk = (d.update(F[0x88:0x88+dlen]) + d.finalize())[:16]
def deskey(k7):
    k = [k7[0]>>1, ((k7[0]&1)<<6)|(k7[1]>>2), ((k7[1]&3)<<5)|(k7[2]>>3), ((k7[2]&7)<<4)|(k7[3]>>4),
         ((k7[3]&15)<<3)|(k7[4]>>5), ((k7[4]&31)<<2)|(k7[5]>>6), ((k7[5]&63)<<1)|(k7[6]>>7), k7[6]&127]
    return bytes((x<<1)&0xfe for x in k)
def des_dec(k, b):
    d = Cipher(TripleDES(k*3), modes.ECB()).decryptor(); return d.update(b)+d.finalize()
for path, v in keys.items():
    if '\\Users\\0' not in path or 'V' not in v: continue
    V = v['V']; rid = int(path.rsplit('\\',1)[1], 16)
    name_off, name_len = struct.unpack('<II', V[0x0c:0x14]); name = V[0xcc+name_off:0xcc+name_off+name_len].decode('utf-16le')
    off, ln = struct.unpack('<II', V[0xa8:0xb0]); e = V[0xcc+off:0xcc+off+ln]
    if ln <= 24: print(rid, name, 'none'); continue
    d = Cipher(algorithms.AES(hbk), modes.CBC(e[8:24])).decryptor()
    obf = (d.update(e[24:24+((ln-24)//16)*16]) + d.finalize())[:16]
    r = struct.pack('<I', rid)
    k1 = deskey(bytes([r[0],r[1],r[2],r[3],r[0],r[1],r[2]])); k2 = deskey(bytes([r[3],r[0],r[1],r[2],r[3],r[0],r[1]]))
    nt = des_dec(k1, obf[:8]) + des_dec(k2, obf[8:])
    print(rid, name, 'empty' if nt.hex() == '31d6cfe0d16ae931b73c59d7e0c089c0' else 'set', end=' ')
    pw = {'Administrator': 'Adm1n-Plant7', 'support': 'Vendor123', 'operator': 'Line3-op'}.get(name)
    if pw:
        md4 = subprocess.run(['openssl', 'dgst', '-md4', '-binary', '-provider', 'legacy', '-provider', 'default'],
                             input=pw.encode('utf-16le'), capture_output=True, check=True).stdout
        print('(MD4 of its password)' if md4 == nt else 'MISMATCH', end='')
    print()
