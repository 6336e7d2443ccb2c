// A file of random bytes: entropy near 8 bits per byte (packed or encrypted).
import "math"
include "inc/common.yar"

rule kenshu_test_high_entropy : packed
{
	meta:
		author = "kenshu tests"
		severity = "fail"
	condition:
		filesize >= 4096 and math.entropy(0, filesize) > 7.9 and not kenshu_common_is_mz
}
