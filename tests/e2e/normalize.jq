# Blanks what legitimately differs between two scans of the same recipe:
# times, durations, the scanning host's name and libclamav build, the image
# bytes (mkntfs writes a random serial number), and the source tree's commit.
.tool.commit = "@COMMIT@"
| .image.sha256_before = (if .image.sha256_before == .image.sha256_after then "@SAME@" else .image.sha256_before end)
| .image.sha256_after = (if .image.sha256_before == "@SAME@" then "@SAME@" else .image.sha256_after end)
| .engine.version = "@CLAMAV@"
| .engine.functionality_level = 0
| .scan.started = "@TIME@"
| .scan.finished = "@TIME@"
| .scan.host = "@HOST@"
| .scan.seconds = 0
| .scan.seconds_hashing = 0
| .scan.seconds_scanning = 0
| if .yara then .yara.rule_sets |= map(.seconds = 0) else . end
