#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kenshu/core.h>
#include <kenshu/banned.h>

struct progress {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	FILE *out;
	char *label;
	const char *phase;
	struct progress_counts *c;
	struct timespec t0;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

void progress_format(char *out, size_t len, const char *label, const char *phase,
		     uint64_t bytes_done, uint64_t bytes_total, uint64_t files_done,
		     uint64_t files_total, double elapsed)
{
	double mib = (double)bytes_done / 1048576.0, tot = (double)bytes_total / 1048576.0;
	double rate = elapsed > 0.1 ? mib / elapsed : 0.0;
	char eta[32] = "--:--";

	if (rate > 0.0 && bytes_total >= bytes_done) {
		unsigned long s = (unsigned long)((tot - mib) / rate + 0.5);
		snprintf(eta, sizeof(eta), "%lu:%02lu", s / 60, s % 60);
	}
	if (files_total)
		snprintf(out, len, "%s: %s %llu/%llu files, %.1f/%.1f MiB, %.1f MiB/s, ETA %s",
			 label, phase, (unsigned long long)files_done, (unsigned long long)files_total,
			 mib, tot, rate, eta);
	else
		snprintf(out, len, "%s: %s %.1f/%.1f MiB, %.1f MiB/s, ETA %s",
			 label, phase, mib, tot, rate, eta);
}

static void *run(void *arg)
{
	struct progress *p = arg;
	char line[512];

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec until;

		progress_format(line, sizeof(line), p->label, p->phase,
				atomic_load(&p->c->bytes_done), p->c->bytes_total,
				atomic_load(&p->c->files_done), p->c->files_total, since(&p->t0));
		fprintf(p->out, "\r%s\033[K", line);
		fflush(p->out);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &until);
	}
	pthread_mutex_unlock(&p->lock);
	fprintf(p->out, "\r\033[K");
	fflush(p->out);
	return NULL;
}

struct progress *progress_start(FILE *out, const char *label, const char *phase,
				struct progress_counts *c)
{
	struct progress *p;

	if (!out)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->out = out;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->label = xstrdup(label);
	p->phase = phase;
	p->c = c;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		free(p->label);
		free(p);
		return NULL;
	}
	return p;
}

void progress_phase(struct progress *p, const char *phase)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->phase = phase;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	pthread_mutex_unlock(&p->lock);
}

void progress_stop(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->label);
	free(p);
}
