# fleet-fixtures.sh — sourced by the fleet tests: the sample images of a
# fleet, built at test time from the recipes in images/.
#   fleet_fixtures DIR   DIR/db, DIR/img/{clean,infected,ltsc,drifted,big,
#                        garbage}.img, DIR/img/delivery.zip, DIR/gold (the
#                        accepted report of ltsc, the drifted one's baseline)
#   fleet_manifest DIR   the manifest of five machines on stdout: clean,
#                        infected, drifted (with its baseline), one whose
#                        image is cut short (could not complete), a
#                        delivery archive
fleet_fixtures() {
	local d=$1
	mkdir -p "$d/img" "$d/zip"
	tests/mkdb.sh "$d/db" >/dev/null || return 1
	images/mkimage.sh images/vendor-clean.recipe "$d/img/clean.img" >/dev/null || return 1
	images/mkimage.sh images/vendor-infected.recipe "$d/img/infected.img" >/dev/null || return 1
	images/mkimage.sh images/vendor-iot-ltsc.recipe "$d/img/ltsc.img" >/dev/null || return 1
	images/mkimage.sh images/vendor-iot-ltsc-drifted.recipe "$d/img/drifted.img" >/dev/null || return 1
	# Slow to scan (300 MiB of random data, one thread): time to kill it
	# mid-scan.
	cat >"$d/big.recipe" <<-EOF
		disk 400M gpt
		part rest basic "DATA"
		fs 1 ntfs DATA
		file /data/blob1.bin random:104857600:11
		file /data/blob2.bin random:104857600:12
		file /data/blob3.bin random:104857600:13
	EOF
	images/mkimage.sh "$d/big.recipe" "$d/img/big.img" >/dev/null || return 1
	# The vendor's copy did not finish: the partition table points past the
	# end, which only the scan finds (exit 2, no report).
	cp "$d/img/clean.img" "$d/img/garbage.img"
	truncate -s 64M "$d/img/garbage.img"
	cp "$d/img/clean.img" "$d/zip/vendor-clean.img"
	"$KENSHU_TOOLS/ntfs-populate" --cat eicar >"$d/zip/eicar.com" || return 1
	(cd "$d/zip" && bsdtar --format zip -cf "$d/img/delivery.zip" vendor-clean.img eicar.com) || return 1
	"$KENSHU" scan -q -j 1 -d "$d/db" -o "$d/gold" "$d/img/ltsc.img" >/dev/null 2>&1
	[ -f "$d/gold/report.json" ]
}

fleet_manifest() {
	cat <<-EOF
		asset,image,baseline,profile,meta
		plc-clean,img/clean.img,,,line=3;vendor=Example KK
		plc-infected,img/infected.img,,default,line=3;note=<script>alert(1)</script>
		plc-drifted,img/drifted.img,gold,,
		plc-garbage,img/garbage.img,,,
		delivery,img/delivery.zip,,,po=PO-4711
	EOF
}

# A report.json with what two scans of the same image may differ in blanked
# (tests/e2e/normalize.jq, and the drift section's scan time).
fleet_norm() { # REPORT.json
	jq -S -f tests/e2e/normalize.jq "$1" | jq -S 'if .drift.new? then .drift.new.started = "@TIME@" else . end'
}
