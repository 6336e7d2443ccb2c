// Included by entropy.yar from the rule directory (allowed).
private rule kenshu_common_is_mz
{
	condition:
		uint16(0) == 0x5A4D
}
