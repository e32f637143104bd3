/* listen_agents.c — agents over mutual TLS (see listen_agents.h): a
 * level-triggered epoll loop; per connection a TLS session, a framer, an
 * output buffer; enrolments on detached worker threads. */
#include "server/listen_agents.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "net/agent_proto.h"
#include "net/enroll.h"
#include "net/netaddr.h"

#define MAX_EVENTS 256
#define READ_BYTES (256 * 1024)
#define FRAMES_PER_ROUND 4 /* frames handled per ready connection per round */
#define READS_PER_ROUND 16

enum cstate { C_HANDSHAKE, C_HELLO, C_RUN, C_CLOSING };

typedef struct conn {
	struct conn *prev, *next;
	int fd;
	enum cstate state;
	vg_tls_conn *tls;
	vg_ap_framer *fr;
	vg_buf out;       /* frames waiting to be written */
	size_t out_off;
	uint32_t ev;
	int64_t deadline; /* handshake / HELLO deadline (monotonic µs) */
	char peer[VG_ADDR_STR];
	char agent_id[VG_PKI_MAX_ID + 1];
	char host[VG_AP_MAX_HOST + 1];
	uint64_t max_seq;   /* the highest seq this connection handed to the ingest */
	uint64_t acked;     /* the highest seq ACKed on this connection */
	uint64_t gen;       /* ingest generation when max_seq was last raised */
	int again;          /* stopped with input left: serve again next round */
	int64_t last_frame; /* monotonic µs of the last frame received */
} conn;

struct vg_agent_listener {
	int ep, lfd;
	vg_ingest *g;
	vg_tls_ctx *tls;
	vg_pki_ca *ca;
	conn *conns;
	size_t nconns, max_conns;
	int64_t silent_us;
	uint8_t *rbuf;
	vg_ap_batch_decoder *dec;
	conn *cur; /* the connection whose batch is being ingested */
	vg_agent_listener_stats st;
	atomic_int enrolling;
	atomic_ulong enrolled, enroll_failures;
	pthread_mutex_t fail_lock;
	char failure[VG_ADDR_STR + VG_TLS_ERRLEN + 16];
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void set_failure(vg_agent_listener *l, const char *peer, const char *why)
{
	pthread_mutex_lock(&l->fail_lock);
	snprintf(l->failure, sizeof(l->failure), "%s: %s", peer, why);
	pthread_mutex_unlock(&l->fail_lock);
}

const char *vg_agent_listener_last_failure(const vg_agent_listener *l)
{
	return l->failure;
}

static int ep_set(vg_agent_listener *l, conn *c, uint32_t ev)
{
	if (ev == c->ev)
		return 0;
	struct epoll_event e = {.events = ev, .data.ptr = c};
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
		return -1;
	c->ev = ev;
	return 0;
}

static void conn_free(vg_agent_listener *l, conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	l->nconns--;
	vg_ap_framer_free(c->fr);
	vg_buf_free(&c->out);
	free(c);
}

/* Releases c's socket and session; the struct stays on the list (state
 * C_CLOSING) until reap(), so that pointers held in this round stay valid. */
static void conn_close(vg_agent_listener *l, conn *c)
{
	if (c->state == C_CLOSING)
		return;
	if (c->fd >= 0) {
		(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
		if (c->state == C_RUN || c->state == C_HELLO)
			vg_tls_shutdown(c->tls);
		vg_tls_conn_free(c->tls);
		close(c->fd);
	}
	if (c->state == C_RUN)
		l->st.agents_connected--;
	c->tls = NULL;
	c->fd = -1;
	c->state = C_CLOSING;
	c->again = 0;
}

static void reap(vg_agent_listener *l)
{
	conn *c = l->conns;
	while (c != NULL) {
		conn *next = c->next;
		if (c->state == C_CLOSING)
			conn_free(l, c);
		c = next;
	}
}

/* Writes what is buffered; 0, or -1 when the connection broke. */
static int flush_out(vg_agent_listener *l, conn *c)
{
	while (c->out_off < c->out.len) {
		size_t put = 0;
		int r = vg_tls_write(c->tls, c->out.data + c->out_off, c->out.len - c->out_off, &put);
		if (r > 0)
			return ep_set(l, c, EPOLLIN | EPOLLOUT);
		if (r < 0)
			return -1;
		c->out_off += put;
	}
	c->out.len = c->out_off = 0;
	return ep_set(l, c, EPOLLIN);
}

/* Sends ERROR (best effort, bounded wait) and closes. */
static void refuse(vg_agent_listener *l, conn *c, const char *why)
{
	set_failure(l, c->peer, why);
	l->st.protocol_errors++;
	c->out.len = c->out_off = 0;
	if (vg_ap_error_encode(&c->out, why) == 0 && vg_tls_write_all(c->tls, c->out.data, c->out.len, 200) != 0)
		c->out.len = 0; /* best effort: the peer may be gone already */
	conn_close(l, c);
}

/* ---- enrolment on a worker thread ---- */

struct enrol_job {
	vg_agent_listener *l;
	int fd;
	vg_tls_conn *tls;
	char peer[VG_ADDR_STR];
};

static void *enrol_main(void *arg)
{
	struct enrol_job *j = arg;
	vg_enroll_result res = {0};
	char why[256] = "";
	int r = vg_enroll_serve(j->tls, j->l->ca, &res, why, sizeof(why));
	if (r == 0) {
		atomic_fetch_add(&j->l->enrolled, 1);
		fprintf(stderr, "vigil server: enrolled agent %s (host %s, certificate %s) from %s\n", res.agent_id,
			res.hostname[0] ? res.hostname : "-", res.serial, j->peer);
	} else {
		atomic_fetch_add(&j->l->enroll_failures, 1);
		set_failure(j->l, j->peer, why[0] ? why : "enrolment failed");
		fprintf(stderr, "vigil server: enrolment from %s refused: %s\n", j->peer, why[0] ? why : vg_err_str(r));
	}
	vg_enroll_result_clear(&res);
	vg_tls_shutdown(j->tls);
	vg_tls_conn_free(j->tls);
	close(j->fd);
	atomic_fetch_sub(&j->l->enrolling, 1);
	free(j);
	return NULL;
}

/* The handshake finished without a client certificate: enrol or refuse. */
static void start_enrolment(vg_agent_listener *l, conn *c)
{
	if (l->ca == NULL || atomic_load(&l->enrolling) >= VG_AGENT_MAX_ENROLLING) {
		refuse(l, c, l->ca == NULL ? "a client certificate is required" : "too many enrolments at once");
		return;
	}
	struct enrol_job *j = calloc(1, sizeof(*j));
	pthread_attr_t at;
	pthread_t tid;
	if (j == NULL) {
		refuse(l, c, "out of memory");
		return;
	}
	j->l = l;
	j->fd = c->fd;
	j->tls = c->tls;
	memcpy(j->peer, c->peer, sizeof(j->peer));
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
	atomic_fetch_add(&l->enrolling, 1);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &at, enrol_main, j) != 0) {
		atomic_fetch_sub(&l->enrolling, 1);
		pthread_attr_destroy(&at);
		free(j);
		(void)ep_set(l, c, 0);
		refuse(l, c, "cannot start enrolment");
		return;
	}
	pthread_attr_destroy(&at);
	/* the fd and TLS session now belong to the thread */
	c->fd = -1;
	c->tls = NULL;
	c->state = C_CLOSING;
}

/* ---- sessions ---- */

static int on_record(void *ud, uint64_t seq, const uint8_t *payload, size_t len)
{
	vg_agent_listener *l = ud;
	conn *c = l->cur;
	vg_ap_record r;
	if (vg_ap_record_decode(payload, len, &r) != 0)
		return VG_EPARSE;
	vg_ingest_src s = {
		.input = "agent",
		.peer = c->peer,
		.path = r.path.p,
		.path_len = r.path.len,
		.line = r.line,
		.agent_id = c->agent_id,
		.agent_host = c->host,
		.seq = seq,
		.ts_us = r.ts_us,
	};
	l->st.records++;
	int rc = vg_ingest_record(l->g, r.msg.p, r.msg.len, &s, wall_us());
	if (rc == VG_INGEST_DUPLICATE) {
		l->st.duplicates++;
		return 0;
	}
	if (rc < 0) {
		l->st.ingest_errors++;
		return rc; /* rolled back: the generation check closes the connections */
	}
	c->max_seq = seq;
	c->gen = vg_ingest_generation(l->g);
	return 0;
}

static void copy_str(char *dst, size_t cap, vg_ap_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* One whole frame from c. 0 to go on, -1 when c was closed. */
static int on_frame(vg_agent_listener *l, conn *c, const uint8_t *body, size_t len)
{
	vg_ap_msg m;
	c->last_frame = mono_us();
	int r = vg_ap_msg_parse(body, len, &m);
	if (r != 0) {
		refuse(l, c, r == VG_EUNSUPPORTED ? "unsupported protocol version" : "malformed frame");
		return -1;
	}
	if (c->state == C_HELLO) {
		if (m.type != VG_AP_HELLO) {
			refuse(l, c, "expected HELLO");
			return -1;
		}
		copy_str(c->host, sizeof(c->host), m.hostname);
		/* a new session of the same agent replaces the old one */
		for (conn *o = l->conns; o != NULL; o = o->next)
			if (o != c && o->state == C_RUN && strcmp(o->agent_id, c->agent_id) == 0) {
				conn_close(l, o);
				break;
			}
		c->state = C_RUN;
		l->st.agents_connected++;
		c->acked = vg_ingest_agent_committed(l->g, c->agent_id);
		c->gen = vg_ingest_generation(l->g);
		if (vg_ap_welcome_encode(&c->out, c->acked) != 0 || flush_out(l, c) != 0) {
			conn_close(l, c);
			return -1;
		}
		return 0;
	}
	if (m.type != VG_AP_BATCH) {
		refuse(l, c, "expected BATCH");
		return -1;
	}
	l->st.batches++;
	if (c->gen != vg_ingest_generation(l->g) && c->max_seq > vg_ingest_agent_pending(l->g, c->agent_id)) {
		/* A commit failed and rolled back records this connection sent:
		 * batches already in flight behind them must not be taken, or the
		 * agent's seqs would jump a gap that it fills later, after the
		 * alerted mark has passed it (its alerts would be suppressed as
		 * stored). Refused here, not only at the next housekeeping. */
		l->st.resets++;
		refuse(l, c, "server could not store the data; resend");
		return -1;
	}
	l->cur = c;
	r = vg_ap_batch_decode(l->dec, &m, on_record, l);
	l->cur = NULL;
	if (r == VG_EPARSE || r == VG_ELIMIT || r == VG_EUNSUPPORTED) {
		refuse(l, c, "malformed batch");
		return -1;
	}
	if (r != 0) { /* the ingest failed (rolled back) or no memory: resend later */
		refuse(l, c, "server cannot store the batch now");
		return -1;
	}
	return 0;
}

static void finish_handshake(vg_agent_listener *l, conn *c)
{
	const char *id = vg_tls_peer_id(c->tls);
	if (id == NULL) {
		start_enrolment(l, c);
		return;
	}
	size_t n = strlen(id);
	if (n == 0 || n > VG_PKI_MAX_ID) {
		refuse(l, c, "bad certificate subject");
		return;
	}
	memcpy(c->agent_id, id, n + 1);
	c->state = C_HELLO;
	c->deadline = mono_us() + (int64_t)VG_AGENT_HELLO_MS * 1000;
}

static void serve(vg_agent_listener *l, conn *c, uint32_t events)
{
	if (c->state == C_CLOSING)
		return;
	c->again = 0;
	if (c->state == C_HANDSHAKE) {
		int r = vg_tls_handshake(c->tls);
		if (r > 0) {
			if (ep_set(l, c, r == VG_TLS_WANT_WRITE ? EPOLLOUT : EPOLLIN) != 0)
				conn_close(l, c);
			return;
		}
		if (r < 0) {
			l->st.handshake_failures++;
			set_failure(l, c->peer, vg_tls_error(c->tls));
			conn_close(l, c);
			return;
		}
		(void)ep_set(l, c, EPOLLIN);
		finish_handshake(l, c);
		return; /* (the enrolment thread or the next round reads on) */
	}
	if ((events & EPOLLOUT) && flush_out(l, c) != 0) {
		conn_close(l, c);
		return;
	}
	int frames = 0;
	for (int i = 0; i < READS_PER_ROUND; i++) {
		const uint8_t *body;
		size_t blen;
		while (vg_ap_framer_next(c->fr, &body, &blen) == 1) {
			if (on_frame(l, c, body, blen) != 0)
				return;
			if (++frames >= FRAMES_PER_ROUND) {
				c->again = 1;
				return;
			}
		}
		size_t cap;
		uint8_t *p = vg_ap_framer_space(c->fr, &cap);
		size_t got = 0;
		int r = vg_tls_read(c->tls, p, cap, &got);
		if (r > 0)
			return; /* wait for more */
		if (r < 0 || got == 0) {
			if (r < 0)
				set_failure(l, c->peer, vg_tls_error(c->tls));
			conn_close(l, c);
			return;
		}
		if (vg_ap_framer_commit(c->fr, got) != 0) {
			refuse(l, c, "frame too large");
			return;
		}
	}
	c->again = 1;
}

static void accept_all(vg_agent_listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		conn *c = NULL;
		if (l->nconns >= l->max_conns || (c = calloc(1, sizeof(*c))) == NULL ||
		    (c->fr = vg_ap_framer_new(0)) == NULL || vg_tls_conn_new(l->tls, fd, NULL, &c->tls) != 0) {
			if (c != NULL)
				vg_ap_framer_free(c->fr);
			free(c);
			close(fd);
			l->st.refused++;
			continue;
		}
		c->fd = fd;
		c->state = C_HANDSHAKE;
		c->ev = EPOLLIN;
		c->deadline = mono_us() + (int64_t)VG_AGENT_HANDSHAKE_MS * 1000;
		vg_addr_str((struct sockaddr *)&ss, sl, c->peer, sizeof(c->peer));
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
			vg_tls_conn_free(c->tls);
			vg_ap_framer_free(c->fr);
			free(c);
			close(fd);
			l->st.refused++;
			continue;
		}
		c->next = l->conns;
		if (l->conns != NULL)
			l->conns->prev = c;
		l->conns = c;
		l->nconns++;
		l->st.accepted++;
	}
}

/* Timeouts, ACKs due, and connections a failed commit invalidated. */
static void housekeeping(vg_agent_listener *l)
{
	int64_t now = mono_us();
	uint64_t gen = vg_ingest_generation(l->g);
	conn *c = l->conns;
	while (c != NULL) {
		conn *next = c->next;
		if ((c->state == C_HANDSHAKE || c->state == C_HELLO) && now >= c->deadline) {
			if (c->state == C_HANDSHAKE) {
				l->st.handshake_failures++;
				set_failure(l, c->peer, "TLS handshake timed out");
				conn_close(l, c);
			} else {
				refuse(l, c, "no HELLO in time");
			}
		} else if (c->state == C_RUN && now - c->last_frame > l->silent_us) {
			l->st.lost++;
			fprintf(stderr, "vigil server: agent %s (%s, %s) silent for %lld s: reported lost, connection closed\n",
				c->agent_id, c->host, c->peer, (long long)((now - c->last_frame) / 1000000));
			conn_close(l, c);
		} else if (c->state == C_RUN) {
			if (c->gen != gen && c->max_seq > vg_ingest_agent_pending(l->g, c->agent_id)) {
				/* its uncommitted records were rolled back: make it resend */
				l->st.resets++;
				refuse(l, c, "server could not store the data; resend");
			} else if (c->out.len == 0) { /* (a blocked peer gets one ACK later, not a pile) */
				uint64_t done = vg_ingest_agent_committed(l->g, c->agent_id);
				if (done > c->acked) {
					c->acked = done;
					l->st.acks++;
					if (vg_ap_ack_encode(&c->out, done) != 0 || flush_out(l, c) != 0)
						conn_close(l, c);
				}
			}
		}
		c = next;
	}
	reap(l);
}

vg_agent_listener *vg_agent_listener_new(const char *addr, vg_ingest *g, vg_tls_ctx *tls, vg_pki_ca *ca, int *err)
{
	struct addrinfo *ai = NULL;
	if ((*err = vg_addr_resolve(addr, &ai)) != 0)
		return NULL;
	vg_agent_listener *l = calloc(1, sizeof(*l));
	int e2 = VG_ENOMEM;
	if (l == NULL)
		goto err;
	l->ep = l->lfd = -1;
	l->g = g;
	l->tls = tls;
	l->max_conns = VG_AGENT_MAX_CONNS;
	l->silent_us = VG_AGENT_SILENT_US;
	l->ca = ca;
	pthread_mutex_init(&l->fail_lock, NULL);
	if ((l->dec = vg_ap_batch_decoder_new()) == NULL)
		goto err;
	e2 = VG_EIO;
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
	if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || (l->lfd = vg_addr_bind(ai, SOCK_STREAM)) < 0 ||
	    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->lfd, &e) != 0)
		goto err;
	freeaddrinfo(ai);
	return l;
err:
	freeaddrinfo(ai);
	if (l != NULL) {
		int saved = errno;
		vg_agent_listener_free(l);
		errno = saved;
	}
	*err = e2;
	return NULL;
}

void vg_agent_listener_free(vg_agent_listener *l)
{
	if (l == NULL)
		return;
	for (conn *c = l->conns; c != NULL; c = c->next)
		conn_close(l, c);
	reap(l);
	for (int i = 0; i < 1000 && atomic_load(&l->enrolling) > 0; i++) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (l->lfd >= 0)
		close(l->lfd);
	if (l->ep >= 0)
		close(l->ep);
	vg_ap_batch_decoder_free(l->dec);
	if (atomic_load(&l->enrolling) == 0) { /* else a stuck thread still uses them: leak */
		pthread_mutex_destroy(&l->fail_lock);
		free(l);
	}
}

void vg_agent_listener_set_limits(vg_agent_listener *l, size_t max_conns, int64_t silent_us)
{
	l->max_conns = max_conns > 0 ? max_conns : VG_AGENT_MAX_CONNS;
	l->silent_us = silent_us > 0 ? silent_us : VG_AGENT_SILENT_US;
}

int vg_agent_listener_fd(const vg_agent_listener *l)
{
	return l->ep;
}

int vg_agent_listener_poll(vg_agent_listener *l, int timeout_ms)
{
	for (conn *c = l->conns; c != NULL; c = c->next)
		if (c->again)
			timeout_ms = 0;
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(l->ep, evs, MAX_EVENTS, timeout_ms);
	if (n < 0 && errno != EINTR)
		return VG_EIO;
	/* connections with input left from the last round first (they are not
	 * in evs when their bytes sit in the framer) */
	conn *c = l->conns;
	while (c != NULL) {
		conn *next = c->next;
		int in_evs = 0;
		for (int i = 0; i < n && !in_evs; i++)
			in_evs = evs[i].data.ptr == c;
		if (c->again && !in_evs)
			serve(l, c, 0);
		c = next;
	}
	for (int i = 0; i < n; i++) {
		if (evs[i].data.ptr == NULL)
			accept_all(l);
		else
			serve(l, evs[i].data.ptr, evs[i].events);
	}
	housekeeping(l);
	return 0;
}

void vg_agent_listener_stats_get(const vg_agent_listener *l, vg_agent_listener_stats *st)
{
	*st = l->st;
	st->open = l->nconns;
	st->enrolled = atomic_load(&l->enrolled);
	st->enroll_failures = atomic_load(&l->enroll_failures);
}
