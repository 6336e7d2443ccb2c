// A hex string with a jump: "MZ", 2 to 8 bytes of anything, then 0x90.
rule kenshu_test_hex_jump
{
	meta:
		reference = "https://example.invalid/kenshu/yara/hex"
	strings:
		$h = { 4D 5A [2-8] 90 }
	condition:
		$h
}
