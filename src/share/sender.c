/* sender.c — per destination: peek a batch, send it through the sink, ack
 * what was delivered, back off on failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "share/sender.h"
#include "share/sink.h"

typedef struct dest_state {
	char name[VG_OUTBOX_NAME_MAX + 1];
	char *config;       /* the text the sink was opened with */
	vg_sink_conf *conf; /* parsed; on the heap: the sink borrows it while slots move */
	vg_sink *sink;
	int64_t next_try_us;
	int64_t backoff_ms;
	int seen;
} dest_state;

struct vg_share_sender {
	vg_outbox *ob;
	const vg_share_keys *k;
	dest_state d[VG_OUTBOX_MAX_DESTS];
	size_t n;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void dest_clear(dest_state *d)
{
	vg_sink_close(d->sink);
	free(d->conf);
	free(d->config);
	memset(d, 0, sizeof(*d));
}

vg_share_sender *vg_share_sender_new(vg_outbox *ob, const vg_share_keys *k, int *err)
{
	vg_share_sender *s = calloc(1, sizeof(*s));
	*err = s ? 0 : VG_ENOMEM;
	if (s != NULL) {
		s->ob = ob;
		s->k = k;
	}
	return s;
}

void vg_share_sender_free(vg_share_sender *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		dest_clear(&s->d[i]);
	free(s);
}

void vg_share_sender_wake(vg_share_sender *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->d[i].next_try_us = 0;
}

/* Brings s->d in line with the destinations table. */
static int sync_dests(vg_share_sender *s)
{
	json_t *list = NULL;
	int r = vg_outbox_dests(s->ob, &list);
	if (r != 0)
		return r;
	for (size_t i = 0; i < s->n; i++)
		s->d[i].seen = 0;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		if (name == NULL || !json_is_true(json_object_get(e, "enabled")))
			continue;
		char *cfg = json_dumps(json_object_get(e, "config"), JSON_COMPACT | JSON_SORT_KEYS);
		if (cfg == NULL)
			continue;
		dest_state *d = NULL;
		for (size_t j = 0; j < s->n; j++)
			if (strcmp(s->d[j].name, name) == 0)
				d = &s->d[j];
		if (d != NULL && strcmp(d->config, cfg) != 0) {
			dest_clear(d); /* reconfigured: a new sink, and no back-off */
			snprintf(d->name, sizeof(d->name), "%s", name);
		}
		if (d == NULL) {
			if (s->n == VG_OUTBOX_MAX_DESTS) {
				free(cfg);
				continue;
			}
			d = &s->d[s->n++];
			memset(d, 0, sizeof(*d));
			snprintf(d->name, sizeof(d->name), "%s", name);
		}
		d->seen = 1;
		if (d->config == NULL)
			d->config = cfg;
		else
			free(cfg);
	}
	json_decref(list);
	for (size_t j = 0; j < s->n;) {
		if (!s->d[j].seen) {
			dest_clear(&s->d[j]);
			s->d[j] = s->d[--s->n];
			memset(&s->d[s->n], 0, sizeof(s->d[s->n]));
		} else {
			j++;
		}
	}
	return 0;
}

static int failed(vg_share_sender *s, dest_state *d, const vg_sink_result *res, int64_t now_us, int verbose)
{
	if (res->retryable)
		d->backoff_ms = d->backoff_ms == 0 ? VG_SENDER_BACKOFF_MIN_MS : d->backoff_ms * 2;
	else
		d->backoff_ms = VG_SENDER_BACKOFF_MAX_MS;
	if (d->backoff_ms > VG_SENDER_BACKOFF_MAX_MS)
		d->backoff_ms = VG_SENDER_BACKOFF_MAX_MS;
	if (res->retryable && res->retry_after_ms > d->backoff_ms)
		d->backoff_ms = res->retry_after_ms; /* the receiver asked for at least this */
	d->next_try_us = mono_us() + d->backoff_ms * 1000;
	if (verbose)
		fprintf(stderr, "vigil: sharing: destination %s: %s (%s; retry in %lld s)\n", d->name, res->why,
			res->retryable ? "transient" : "needs an operator", (long long)(d->backoff_ms / 1000));
	return vg_outbox_fail(s->ob, d->name, res->why, now_us);
}

/* Sends d's backlog until empty, a failure or the deadline. */
static int drain(vg_share_sender *s, dest_state *d, int64_t now_us, int64_t deadline, int verbose,
		 vg_share_sender_stats *st)
{
	vg_sink_result res;
	int r;
	if (d->sink == NULL) {
		char why[256] = "";
		if (d->conf == NULL && (d->conf = malloc(sizeof(*d->conf))) == NULL)
			return VG_ENOMEM;
		if (vg_sink_conf_parse(d->config, strlen(d->config), d->conf, why, sizeof(why)) != 0) {
			memset(&res, 0, sizeof(res));
			snprintf(res.why, sizeof(res.why), "configuration refused: %s", why);
			st->failures++;
			return failed(s, d, &res, now_us, verbose);
		}
		if (vg_sink_open(d->conf, s->k, &d->sink, &res) != 0) {
			d->sink = NULL;
			st->failures++;
			return failed(s, d, &res, now_us, verbose);
		}
	}
	for (;;) {
		vg_outbox_item *items = NULL;
		size_t n = 0;
		if ((r = vg_outbox_peek(s->ob, d->name, d->conf->batch, VG_SINK_BATCH_BYTES, &items, &n)) != 0)
			return r;
		if (n == 0) {
			vg_outbox_items_free(items, n);
			return 0;
		}
		int sr = vg_sink_send(d->sink, items, n, &res);
		if (res.done > 0) {
			struct timespec ts; /* the ack's own wall time: a long send takes a while */
			clock_gettime(CLOCK_REALTIME, &ts);
			r = vg_outbox_ack(s->ob, d->name, items[res.done - 1].seq, res.done,
					  (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
			st->sent += res.done;
		}
		vg_outbox_items_free(items, n);
		if (r != 0)
			return r;
		if (sr != 0) {
			st->failures++;
			return failed(s, d, &res, now_us, verbose);
		}
		d->backoff_ms = 0;
		if (mono_us() >= deadline) {
			st->pending++;
			return 0;
		}
	}
}

int vg_share_sender_run(vg_share_sender *s, int64_t now_us, int64_t budget_us, int verbose,
			vg_share_sender_stats *st)
{
	memset(st, 0, sizeof(*st));
	int r = sync_dests(s);
	if (r != 0)
		return r;
	int64_t now = mono_us(), deadline = now + budget_us;
	for (size_t i = 0; i < s->n; i++) {
		dest_state *d = &s->d[i];
		if (d->next_try_us > now) {
			st->pending++;
			if (st->next_us == 0 || d->next_try_us < st->next_us)
				st->next_us = d->next_try_us;
			continue;
		}
		if ((r = drain(s, d, now_us, deadline, verbose, st)) != 0)
			return r;
		if (d->next_try_us > now) {
			st->pending++;
			if (st->next_us == 0 || d->next_try_us < st->next_us)
				st->next_us = d->next_try_us;
		}
	}
	/* next_us is on the monotonic clock; report it relative to now_us */
	if (st->next_us != 0)
		st->next_us = now_us + (st->next_us - now);
	return 0;
}

int vg_share_sender_lock(const char *dir, int *fd)
{
	char path[4200];
	if ((size_t)snprintf(path, sizeof(path), "%s/share/sender.lock", dir) >= sizeof(path))
		return VG_EINVAL;
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return VG_EIO;
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(f);
		errno = e;
		return VG_EIO;
	}
	*fd = f;
	return 0;
}
