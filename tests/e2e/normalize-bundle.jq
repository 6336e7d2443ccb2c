# bundle.json's counterpart of normalize.jq: times, the host's name and libclamav,
# the source tree's commit, and the bytes of archives holding a fixture
# image (mkntfs writes a random serial number; archives record mtimes).
# Loose files' sizes and hashes stay: they are fixed.
.tool.commit = "@COMMIT@"
| .bundle.sha256_before = (if .bundle.sha256_before == .bundle.sha256_after then "@SAME@" else .bundle.sha256_before end)
| .bundle.sha256_after = (if .bundle.sha256_before == "@SAME@" then "@SAME@" else .bundle.sha256_after end)
| .bundle.size = 0
| .engine.version = "@CLAMAV@"
| .scan.started = "@TIME@"
| .scan.finished = "@TIME@"
| .scan.host = "@HOST@"
| .scan.seconds = 0
| .counters.bytes_extracted = 0
| .members |= map(if .kind != "file" and .sha256 then .sha256 = "@SHA256@" else . end
                  | if .kind == "bundle" then .size = 0 else . end)
