/* fleet: campaigns of many images — the fleet manifest, the campaign
 * directory (the one state a campaign shares between the machines that run
 * it), Slurm's side of a campaign, and the fleet summary (fleet.json,
 * fleet.html). docs/fleet.md.
 *
 * One public header per stage (docs/architecture.md): the sections below
 * are the stage's parts. The scans themselves are the cli's (cmd_fleet.c
 * drives scan_image exactly as `kenshu scan` does); this stage never scans,
 * prints or exits. */
#ifndef KENSHU_FLEET_H
#define KENSHU_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kenshu/core.h>
#include <kenshu/report.h>

/* ---- manifest: the CSV the plant keeps, one row per machine ----------- */

#define FLEET_MANIFEST_MAX ((uint64_t)64 << 20)  /* bytes of the whole file */
#define FLEET_MAX_ROWS 100000u
#define FLEET_FIELD_MAX 4096u                     /* bytes of one field */
#define FLEET_ASSET_MAX 64u                       /* bytes of an asset id */

struct fleet_row {
	unsigned line;          /* manifest line the row starts on (the header is line 1) */
	char *asset;            /* 1-64 of [A-Za-z0-9._-], not starting with '.' or '-' */
	char *image;            /* as written in the manifest */
	char *image_path;       /* resolved: relative ones against the manifest's directory */
	char *baseline;         /* resolved like image_path; NULL when the cell is empty */
	char *profile;          /* a shipped name as written, a file resolved; NULL: the campaign's */
	struct case_meta meta;  /* the meta cell, KEY=VALUE;KEY=VALUE */
};

struct fleet_manifest {
	char *name;             /* how messages name it: the path as given */
	char sha256[SHA256_HEX_LEN + 1];   /* of the bytes parsed */
	struct fleet_row *rows;
	size_t nrows;
};

/* Parses CSV bytes (RFC 4180; header row first): the columns asset and
 * image required, baseline, profile and meta optional, in any order, any
 * other column refused; quoted fields with "" inside, LF or CRLF, a UTF-8
 * BOM skipped, blank lines skipped; every row has the header's number of
 * fields. Asset ids are unique ignoring case (they become file names on
 * file systems that ignore it). base_dir resolves relative paths (image,
 * baseline, a profile cell that names a file: one with a '/' or ending in
 * .ini); NULL keeps them as written. Syntax only: nothing named is opened.
 * Returns 0, or -1 with err "NAME:LINE: problem" for the first bad row
 * (*m then empty; release it either way). */
int fleet_manifest_parse(const char *name, const char *base_dir, const char *text, size_t len,
			 struct fleet_manifest *m, struct ks_err *err);
/* Reads path (a regular file, at most FLEET_MANIFEST_MAX) and parses it
 * with base_dir = the directory of its real path. */
int fleet_manifest_load(const char *path, struct fleet_manifest *m, struct ks_err *err);
void fleet_manifest_release(struct fleet_manifest *m);

/* What a campaign needs of every row, checked before anything runs or is
 * submitted: the image a readable regular file (or block device), the
 * baseline a report directory snapshot_load() accepts (and, with
 * baseline_pub, whose report.sig verifies), the profile one
 * profile_load() accepts (default_profile for rows without one). Every
 * problem is one line "NAME:LINE: problem" in *problems (caller frees
 * each and the array). Returns the number of problems. */
size_t fleet_manifest_check(const struct fleet_manifest *m, const char *default_profile,
			    const char *baseline_pub, char ***problems);

/* ---- campaign: the campaign directory ------------------------------- */

/* CAMPAIGN/campaign.json   the campaign: options, every machine (written once)
 * CAMPAIGN/manifest.csv    the manifest's bytes as given (evidence)
 * CAMPAIGN/machines/ASSET/ that machine's report directory
 * CAMPAIGN/state/ASSET.claim   who is scanning it (host, pid, Slurm task)
 * CAMPAIGN/state/ASSET.result  how its scan ended (exit code, verdict, error)
 * CAMPAIGN/slurm/          job scripts, submission-N.json, task logs
 * CAMPAIGN/fleet.json, fleet.html   the summary
 * Every file is written under a name unique to its writer (host and pid)
 * and renamed into place, so two tasks never write the same file and a
 * reader never sees half of one. */

enum fleet_mode { FLEET_LOCAL = 0, FLEET_SLURM };

struct fleet_campaign {
	char *dir;                  /* as given */
	enum fleet_mode mode;
	char *created;              /* ISO 8601 UTC */
	char *manifest_name;        /* the manifest as given */
	char manifest_sha256[SHA256_HEX_LEN + 1];
	char *database;             /* ClamAV database directory, absolute */
	char *profile;              /* the default profile (rows may name their own) */
	char *sign_key;             /* absolute, or NULL */
	char *baseline_pub;         /* absolute, or NULL */
	char *trust_anchors;        /* absolute, or NULL */
	unsigned exports;           /* REPORT_EXPORT_* */
	unsigned threads;           /* scan threads per image */
	struct case_meta meta;      /* --meta for every machine (a row's own win) */
	struct fleet_row *rows;     /* every machine, manifest order */
	size_t nrows;
};

/* Makes the campaign directory (it must not exist, or be empty) with
 * campaign.json, manifest.csv and the sub-directories. c->rows come from
 * the manifest; manifest_text is its bytes. */
int fleet_campaign_create(const struct fleet_campaign *c, const char *manifest_text, size_t len,
			  struct ks_err *err);
/* Reads DIR/campaign.json back (untrusted: every field checked). */
int fleet_campaign_open(const char *dir, struct fleet_campaign *c, struct ks_err *err);
void fleet_campaign_release(struct fleet_campaign *c);
/* DIR/machines/ASSET, DIR/state/ASSET.claim, DIR/state/ASSET.result.
 * Caller frees. */
char *fleet_report_dir(const struct fleet_campaign *c, size_t row);
/* The report directory relative to the campaign: "machines/ASSET". */
char *fleet_report_rel(const struct fleet_campaign *c, size_t row);

/* Who scans an image: this process, and its Slurm task when in one. */
struct fleet_worker {
	char *host;
	long pid;
	char *slurm_job;     /* "ARRAYJOB_TASK" (SLURM_ARRAY_JOB_ID, _TASK_ID), or NULL */
	unsigned submission; /* 0: local */
};

/* The end of one image's scan, written after its report directory. */
struct fleet_result {
	int exit_code;          /* kenshu scan's: 0, 1, 3, or 2 could not complete */
	char *verdict;          /* "PASS", "REVIEW", "FAIL", or "ERROR" (exit code 2) */
	char *error;            /* exit code 2: the one error line; else NULL */
	char *started, *finished;   /* ISO 8601 UTC */
	double seconds;
	char *host;
	long pid;
	char *slurm_job;        /* or NULL */
	unsigned submission;
	char *commit;           /* kenshu build that scanned it */
};

struct fleet_claim {
	char *host;
	long pid;
	char *slurm_job;
	unsigned submission;
	char *started;
};

int fleet_claim_write(const struct fleet_campaign *c, size_t row, const struct fleet_worker *w,
		      struct ks_err *err);
/* 1 with *cl filled, 0 when there is none, -1 with err (unreadable, damaged). */
int fleet_claim_read(const struct fleet_campaign *c, size_t row, struct fleet_claim *cl, struct ks_err *err);
void fleet_claim_release(struct fleet_claim *cl);
/* Writes the result, then removes the claim. */
int fleet_result_write(const struct fleet_campaign *c, size_t row, const struct fleet_result *r,
		       struct ks_err *err);
int fleet_result_read(const struct fleet_campaign *c, size_t row, struct fleet_result *r, struct ks_err *err);
/* Removes a row's result and claim before it is scanned again. */
int fleet_result_clear(const struct fleet_campaign *c, size_t row, struct ks_err *err);
void fleet_result_release(struct fleet_result *r);

/* ---- slurm: job arrays through sbatch, squeue and scontrol ---------- */

/* One submission: a job array over rows (indices into c->rows), M per
 * task, and the summary job that depends on it. */
struct fleet_submission {
	unsigned number;            /* 1, 2, ... (resubmissions) */
	char *submitted;            /* ISO 8601 UTC */
	char *array_job, *summary_job;   /* Slurm job ids */
	char *partition;            /* or NULL: the cluster's default */
	unsigned images_per_task, max_parallel, cpus_per_task;
	uint64_t mem_mib;           /* --mem of each task */
	size_t *rows;
	size_t nrows;
};

/* The rows of a submission's task (0-based array index): *first and *n. */
void fleet_task_rows(const struct fleet_submission *s, unsigned task, size_t *first, size_t *n);
unsigned fleet_task_count(const struct fleet_submission *s);

int fleet_submission_write(const struct fleet_campaign *c, const struct fleet_submission *s, struct ks_err *err);
/* Every CAMPAIGN/slurm/submission-N.json, by number. */
int fleet_submissions_read(const struct fleet_campaign *c, struct fleet_submission **out, size_t *n,
			   struct ks_err *err);
void fleet_submission_release(struct fleet_submission *s);

/* Writes CAMPAIGN/slurm/NAME (a job script) atomically, executable;
 * *path is where (caller frees). */
int fleet_write_script(const struct fleet_campaign *c, const char *name, const char *text, char **path,
		       struct ks_err *err);

/* A Slurm job (or array task) as squeue/scontrol/sacct last saw it. */
struct slurm_job {
	char *id;          /* "12" or "12_3" (array job _ task) */
	char *state;       /* PENDING RUNNING COMPLETED CANCELLED FAILED TIMEOUT NODE_FAIL OUT_OF_MEMORY ... */
	char *reason;      /* or NULL */
	char *exit_code;   /* "0:0", "0:9" (exit:signal), or NULL */
};

/* Runs sbatch with argv (after "sbatch"); *job_id the job id it printed
 * (--parsable). err holds sbatch's own message when it refuses. */
int slurm_sbatch(const char *const *argv, char **job_id, struct ks_err *err);
/* What Slurm knows of job_id and its array tasks: scontrol show job -o
 * (what the controller still holds, MinJobAge), else sacct. */
int slurm_query(const char *job_id, struct slurm_job **out, size_t *n, struct ks_err *err);
/* Parsers of their output (untrusted text: bounded, never crash). */
int slurm_parse_scontrol(const char *text, size_t len, struct slurm_job **out, size_t *n);
int slurm_parse_sacct(const char *text, size_t len, struct slurm_job **out, size_t *n);
void slurm_jobs_free(struct slurm_job *v, size_t n);

/* ---- status: where every machine of a campaign stands --------------- */

enum fleet_state { FLEET_PENDING = 0, FLEET_RUNNING, FLEET_DONE, FLEET_FAILED };

struct fleet_status {
	enum fleet_state state;
	char *verdict;        /* "PASS" "REVIEW" "FAIL", or "NOT-AUDITED" */
	char *reason;         /* NOT-AUDITED: why, one line; else NULL */
	bool have_result;
	struct fleet_result result;
	char *slurm_job;      /* the task that had it, or NULL */
	char *slurm_state;    /* as Slurm reports that task, or NULL */
};

/* One fleet_status per row (*out, c->nrows of them). With Slurm in use
 * (c->mode FLEET_SLURM) the submissions' tasks are asked of Slurm; a
 * Slurm that does not answer is a reason, not an error. */
int fleet_status_read(const struct fleet_campaign *c, struct fleet_status **out, struct ks_err *err);
void fleet_status_free(struct fleet_status *v, size_t n);
const char *fleet_state_name(enum fleet_state s);

/* ---- summary: fleet.json and fleet.html ------------------------------ */

#define FLEET_MAX_DECISIVE 5   /* decisive findings shown per machine */

struct fleet_finding {
	char *rule, *severity, *message, *path;
};

struct fleet_machine {
	char *asset;
	char *verdict;          /* "PASS" "REVIEW" "FAIL" "NOT-AUDITED" */
	char *reason;           /* NOT-AUDITED: why; else NULL */
	char *verdict_reason;   /* the report's own, or NULL */
	char *report;           /* the report directory, relative to the campaign, or NULL */
	char *report_html;      /* relative link to its report.html (a bundle: bundle.txt), or NULL */
	char *image, *image_sha256, *baseline, *profile;
	struct case_meta meta;
	char *started, *finished;
	double seconds;         /* -1: unknown */
	unsigned detections;
	bool has_drift;         /* compared with a baseline */
	struct {
		uint64_t files_added, files_removed, files_changed;
		uint64_t autoruns_added, autoruns_removed, autoruns_changed;
		uint64_t detections_new, detections_gone;
		bool unchanged;
	} drift;
	struct fleet_finding *decisive;   /* fail first, then review; at most FLEET_MAX_DECISIVE */
	size_t ndecisive, decisive_total;
	char *previous_verdict; /* with --previous: that campaign's verdict for the asset, or NULL */
	bool worse;             /* worse than in the previous campaign */
};

struct fleet_summary {
	char *campaign_dir;
	char *created;          /* when the campaign was made */
	char *generated;        /* when this summary was */
	char *manifest_name;
	char manifest_sha256[SHA256_HEX_LEN + 1];
	char *previous;         /* --previous DIR, or NULL */
	struct fleet_machine *machines;   /* manifest order */
	size_t nmachines;
	size_t counts[4];       /* PASS, REVIEW, FAIL, NOT-AUDITED */
	size_t worse;           /* machines worse than in the previous campaign */
};

/* Builds the summary from the campaign's results and each machine's
 * report directory (read back as untrusted input: a damaged report makes
 * its machine NOT-AUDITED with the reason, never an error of the whole).
 * previous: an earlier campaign directory (its fleet.json) or NULL. */
int fleet_summary_build(const struct fleet_campaign *c, const struct fleet_status *st, const char *previous,
			struct fleet_summary *s, struct ks_err *err);
void fleet_summary_release(struct fleet_summary *s);
/* fleet.json (docs/fleet.md) and fleet.html (self-contained: inline CSS,
 * no script, no URL but the relative links to the reports). 0, or -1 with
 * errno. */
int fleet_summary_write_json(const struct fleet_summary *s, FILE *f);
int fleet_summary_write_html(const struct fleet_summary *s, FILE *f);
/* Writes both into the campaign directory, each renamed into place. */
int fleet_summary_save(const struct fleet_summary *s, const char *dir, struct ks_err *err);

#endif
