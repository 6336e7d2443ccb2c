// Windows saves scheduled tasks as UTF-16LE with a BOM: the program a
// task runs is found only as a wide string.
rule kenshu_test_task_wide : persistence
{
	meta:
		author = "kenshu tests"
	strings:
		$agent = "vendorsyncagent.exe" wide nocase
		$task = "<Task version=" wide
	condition:
		uint16(0) == 0xFEFF and $task and $agent
}
