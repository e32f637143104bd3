/* service.c — the sharing thread of the server: enqueue, heartbeat, send,
 * snapshot the status; sleep on a condition variable between rounds. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "share/outbox.h"
#include "share/sender.h"
#include "share/service.h"
#include "share/sign.h"
#include "store/db.h"

struct vg_share_service {
	vg_db *db;
	vg_share_keys *keys;
	vg_outbox *ob;
	vg_share_sender *snd;
	int lock_fd, poll_ms;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, woken, flush;
	json_t *status;
	unsigned long long rounds;
};

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void loop_error(const char *what, int r, vg_outbox *ob, char *buf, size_t n)
{
	snprintf(buf, n, "%s: %s (%s)", what, vg_err_str(r), vg_outbox_errmsg(ob));
	fprintf(stderr, "vigil: sharing: %s\n", buf);
}

static void round_once(vg_share_service *s)
{
	char err[512] = "";
	vg_outbox_counts c;
	int r;
	do {
		if ((r = vg_outbox_enqueue_alerts(s->ob, wall_us(), &c)) != 0) {
			loop_error("selecting alerts", r, s->ob, err, sizeof(err));
			break;
		}
	} while (c.scanned > 0);
	if ((r = vg_outbox_heartbeat(s->ob, wall_us(), 0, &c)) != 0)
		loop_error("heartbeat", r, s->ob, err, sizeof(err));
	vg_share_sender_stats st;
	pthread_mutex_lock(&s->mu);
	int flush = s->flush;
	s->flush = 0;
	pthread_mutex_unlock(&s->mu);
	if (flush)
		vg_share_sender_wake(s->snd);
	/* a bounded send budget keeps new alerts flowing into the outbox */
	if ((r = vg_share_sender_run(s->snd, wall_us(), 1000000, 1, &st)) != 0)
		loop_error("sending", r, s->ob, err, sizeof(err));
	json_t *status = NULL;
	if ((r = vg_outbox_status(s->ob, wall_us(), &status)) != 0)
		loop_error("status", r, s->ob, err, sizeof(err));
	pthread_mutex_lock(&s->mu);
	s->rounds++;
	if (status != NULL) {
		json_object_set_new(status, "rounds", json_integer((json_int_t)s->rounds));
		json_object_set_new(status, "loop_error", err[0] ? json_string(err) : json_null());
		json_decref(s->status);
		s->status = status;
	}
	pthread_mutex_unlock(&s->mu);
}

static void *service_main(void *ud)
{
	vg_share_service *s = ud;
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		pthread_mutex_unlock(&s->mu);
		round_once(s);
		pthread_mutex_lock(&s->mu);
		if (s->stop)
			break;
		if (!s->woken) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += (long)(s->poll_ms % 1000) * 1000000;
			ts.tv_sec += s->poll_ms / 1000 + ts.tv_nsec / 1000000000;
			ts.tv_nsec %= 1000000000;
			while (!s->stop && !s->woken && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
				;
		}
		s->woken = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void service_free(vg_share_service *s)
{
	vg_share_sender_free(s->snd);
	vg_outbox_close(s->ob);
	vg_share_keys_free(s->keys);
	vg_db_close(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	json_decref(s->status);
	free(s);
}

int vg_share_service_start(const vg_share_service_opts *o, vg_share_service **out, char *why, size_t whylen)
{
	*out = NULL;
	if (o == NULL || o->dir == NULL)
		return VG_EINVAL;
	vg_share_service *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return VG_ENOMEM;
	s->lock_fd = -1;
	s->poll_ms = o->poll_ms > 0 ? o->poll_ms : VG_SHARE_POLL_MS;
	int r = 0;
	if ((s->db = vg_db_open(o->dir, NULL, &r, why, whylen)) == NULL ||
	    (r = vg_share_keys_load(o->dir, 1, &s->keys, why, whylen)) != 0)
		goto err;
	vg_outbox_opts oo = {.origin = o->origin};
	if ((s->ob = vg_outbox_open(s->db, s->keys, &oo, &r, why, whylen)) == NULL)
		goto err;
	if ((r = vg_share_sender_lock(o->dir, &s->lock_fd)) != 0) {
		snprintf(why, whylen, "%s/share/sender.lock: %s", o->dir,
			 errno == EWOULDBLOCK ? "another sender (vigil sharing flush?) holds it" : strerror(errno));
		goto err;
	}
	if ((s->snd = vg_share_sender_new(s->ob, s->keys, &r)) == NULL)
		goto err;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->mu, NULL);
	if (pthread_create(&s->th, NULL, service_main, s) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		r = VG_ENOMEM;
		snprintf(why, whylen, "cannot start the sharing thread");
		goto err;
	}
	*out = s;
	return 0;
err:
	service_free(s);
	return r != 0 ? r : VG_EIO;
}

void vg_share_service_wake(vg_share_service *s)
{
	pthread_mutex_lock(&s->mu);
	s->woken = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void vg_share_service_flush(vg_share_service *s)
{
	pthread_mutex_lock(&s->mu);
	s->flush = 1;
	s->woken = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

json_t *vg_share_service_status(vg_share_service *s)
{
	pthread_mutex_lock(&s->mu);
	json_t *j = s->status ? json_deep_copy(s->status) : NULL;
	pthread_mutex_unlock(&s->mu);
	return j;
}

void vg_share_service_stop(vg_share_service *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	service_free(s);
}
