// A real PE built by mingw (images/vendor-yara.recipe): the pe module's
// section table and version resource. (The fixture's PEs import nothing:
// they are linked without a C library, so pe.imports has nothing to find.)
import "pe"

rule kenshu_test_pe_vendor : vendor_tool
{
	meta:
		author = "kenshu tests"
		reference = "https://example.invalid/kenshu/yara/pe"
		date = "2026-12-08"
	condition:
		pe.is_pe and pe.number_of_imports == 0 and
		pe.version_info["CompanyName"] == "Example Machine Works" and
		for any i in (0 .. pe.number_of_sections - 1) : (pe.sections[i].name == ".rdata")
}
