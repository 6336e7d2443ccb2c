/* A vendor delivery archive through libarchive in process: format and
 * filter sniffing, member names (traversal, control characters, repeats),
 * nested archives, size and ratio caps, members spilled to disk or kept in
 * memory, each member scanned by the engine, disk images among them
 * scanned as images, and the bundle report written as JSON and text.
 *
 * The engine holds one body signature (for "KENSHU-FUZZ-MARKER", which the
 * seeds carry) so detections are reached without a real database.
 *
 * Property: the archive file is byte for byte what it was. */
#include <kenshu/core.h>
#include <kenshu/av.h>
#include <kenshu/scan.h>
#include <kenshu/report.h>
#include <kenshu/input.h>
#include <kenshu/output.h>
#include "fuzz.h"

static struct av *av;
static FILE *devnull;
static char outdir[4096];

/* The engine lives for the process; closed at exit, since LeakSanitizer
 * cannot see pointers libclamav keeps in its mmap'd pools. */
static void close_engine(void)
{
	av_close(av);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char db[4096], path[4096];
	static const char sig[] = "Kenshu.Fuzz.Marker:0:*:4b454e5348552d46555a5a2d4d41524b4552\n";
	struct av_limits lim;
	struct ks_err err = { 0 };

	snprintf(db, sizeof(db), "%s/db", fuzz_tmpdir());
	snprintf(outdir, sizeof(outdir), "%s/out", fuzz_tmpdir());
	if (mkdir(db, 0700) < 0 || mkdir(outdir, 0700) < 0)
		abort();
	fuzz_write(path, sizeof(path), "db/fuzz.ndb", sig, strlen(sig));
	av_default_limits(&lim);
	if (av_open(db, NULL, &lim, &av, &err) < 0) {
		fprintf(stderr, "fuzz-bundle: %s\n", err.msg);
		abort();
	}
	atexit(close_engine);
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

/* What the CLI's sink does, minus the files: every writer runs over the
 * member's report, whose names came from the archive. */
static int save(void *ctx, struct report *r, const char *dir, struct ks_err *err)
{
	report_write_json(r, devnull);
	report_write_text(r, devnull);
	report_write_html(r, devnull);
	report_write_manifest(r, devnull);
	report_release(r);
	return 0;
}

static void failed(void *ctx, const struct ks_err *err)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096];
	struct scan_opts so = { .threads = 1 };
	struct bundle_caps caps;
	struct bundle_report br;
	const struct image_sink sink = { save, failed, NULL };
	struct ks_err err = { 0 };

	fuzz_write(path, sizeof(path), "delivery.bin", data, size);
	bundle_default_caps(&caps);
	caps.max_bytes = 64u << 20;
	caps.max_entries = 256;
	caps.mem_max = 16384; /* larger members take the spill-file path */
	memset(&br, 0, sizeof(br));
	if (bundle_scan(path, av, &so, &caps, outdir, &sink, &br, &err) == 0) {
		bundle_write_json(&br, devnull);
		bundle_write_text(&br, devnull);
	}
	bundle_report_release(&br);
	fuzz_unchanged(path, data, size);
	return 0;
}
