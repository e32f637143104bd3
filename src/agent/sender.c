/* sender.c — queue -> server delivery with acknowledgements (see sender.h). */
#include "agent/sender.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "core/buf.h"
#include "net/agent_proto.h"
#include "net/enroll.h"
#include "net/tls.h"

#define STOP_BYTES_OVER (-100) /* peek visitor: the batch is full before this record */

struct vg_sender {
	vg_sender_opts o;
	vg_dq *q;
	vg_tls_ctx *ctx;
	vg_ap_batch_builder *bb;
	vg_ap_framer *fr;
	vg_buf out;
	uint64_t last_added; /* seq of the last record put into the batch */
	char host[256];
	pthread_mutex_t lock; /* guards st */
	vg_sender_stats st;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void say(char *why, size_t n, const char *fmt, ...)
{
	if (why == NULL || n == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

/* "host:port", "[v6]:port": host and port parts; -1 when malformed. */
static int split_server(const char *server, char *host, size_t hn, char *port, size_t pn)
{
	const char *h = server, *colon;
	size_t hl;
	if (server[0] == '[') {
		const char *e = strchr(server, ']');
		if (e == NULL || e[1] != ':')
			return -1;
		h = server + 1;
		hl = (size_t)(e - h);
		colon = e + 1;
	} else {
		colon = strrchr(server, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - server);
	}
	size_t pl = strlen(colon + 1);
	if (hl == 0 || hl >= hn || pl == 0 || pl >= pn || strspn(colon + 1, "0123456789") != pl)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, colon + 1, pl + 1);
	return 0;
}

int vg_sender_connect(const char *server, int timeout_ms, char *host, size_t hostlen, char *why, size_t whylen)
{
	char port[8];
	if (split_server(server, host, hostlen, port, sizeof(port)) != 0) {
		say(why, whylen, "'%s' is not HOST:PORT", server);
		return -1;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	int gr = getaddrinfo(host, port, &hints, &ai);
	if (gr != 0) {
		say(why, whylen, "%s: %s", host, gai_strerror(gr));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int err = 0;
			socklen_t el = sizeof(err);
			if (poll(&p, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
			    err == 0)
				break;
			errno = err != 0 ? err : ETIMEDOUT;
		}
		say(why, whylen, "connect to %s: %s", server, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void set_error(vg_sender *s, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&s->lock);
	if (strcmp(s->st.last_error, buf) != 0)
		fprintf(stderr, "vigil agent: %s\n", buf);
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", buf);
	pthread_mutex_unlock(&s->lock);
}

vg_sender *vg_sender_new(const vg_sender_opts *o, vg_dq *q, int *err)
{
	vg_sender *s = calloc(1, sizeof(*s));
	char why[256] = "";
	if (s == NULL) {
		*err = VG_ENOMEM;
		return NULL;
	}
	s->o = *o;
	s->q = q;
	if (s->o.batch_events == 0)
		s->o.batch_events = 5000;
	if (s->o.batch_bytes == 0)
		s->o.batch_bytes = 1u << 20;
	/* incompressible payload must still fit one frame (zstd adds a little) */
	if (s->o.batch_bytes > VG_AP_MAX_FRAME / 2)
		s->o.batch_bytes = VG_AP_MAX_FRAME / 2;
	if (s->o.batch_events > VG_AP_MAX_BATCH_RECORDS)
		s->o.batch_events = VG_AP_MAX_BATCH_RECORDS;
	if (s->o.backoff_min_us <= 0)
		s->o.backoff_min_us = 500000;
	if (s->o.backoff_max_us < s->o.backoff_min_us)
		s->o.backoff_max_us = 30000000;
	pthread_mutex_init(&s->lock, NULL);
	char port[8];
	if (o->server == NULL || split_server(o->server, s->host, sizeof(s->host), port, sizeof(port)) != 0) {
		fprintf(stderr, "vigil agent: server '%s' is not HOST:PORT\n", o->server ? o->server : "");
		*err = VG_EINVAL;
		vg_sender_free(s);
		return NULL;
	}
	int r = vg_tls_client_from_agent_dir(o->dir, &s->ctx, why, sizeof(why));
	if (r != 0) {
		fprintf(stderr, "vigil agent: %s: %s (enrol first: --enroll TOKEN)\n", o->dir, why[0] ? why : vg_err_str(r));
		*err = r;
		vg_sender_free(s);
		return NULL;
	}
	if ((s->bb = vg_ap_batch_builder_new(1)) == NULL || (s->fr = vg_ap_framer_new(64 * 1024)) == NULL) {
		*err = VG_ENOMEM;
		vg_sender_free(s);
		return NULL;
	}
	return s;
}

void vg_sender_free(vg_sender *s)
{
	if (s == NULL)
		return;
	vg_tls_ctx_free(s->ctx);
	vg_ap_batch_builder_free(s->bb);
	vg_ap_framer_free(s->fr);
	vg_buf_free(&s->out);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void vg_sender_stats_get(vg_sender *s, vg_sender_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}

/* ---- one session ---- */

typedef struct session {
	vg_sender *s;
	vg_tls_conn *c;
	int fd;
	uint64_t cursor;               /* the last seq sent */
	uint64_t inflight[VG_SENDER_WINDOW]; /* last seq of each unacked batch, oldest first */
	int ninflight;
	int64_t waiting_since;         /* when the oldest unacked batch left */
	int delivered;                 /* an ACK arrived: the back-off resets */
} session;

/* Reads whatever is there (timeout_ms: wait that long for the first byte)
 * and handles whole frames. 0, or -1 with the error set. */
static int read_frames(session *ss, int timeout_ms, volatile sig_atomic_t *stop)
{
	vg_sender *s = ss->s;
	for (int round = 0; round < 64; round++) {
		const uint8_t *body;
		size_t len;
		while (vg_ap_framer_next(s->fr, &body, &len) == 1) {
			vg_ap_msg m;
			if (vg_ap_msg_parse(body, len, &m) != 0) {
				set_error(s, "%s: malformed frame from the server", s->o.server);
				return -1;
			}
			if (m.type == VG_AP_ERROR) {
				set_error(s, "%s: server: %.*s", s->o.server, (int)m.message.len, m.message.p);
				return -1;
			}
			if (m.type != VG_AP_ACK || m.seq > ss->cursor) {
				set_error(s, "%s: unexpected frame from the server", s->o.server);
				return -1;
			}
			int r = vg_dq_ack(s->q, m.seq);
			if (r != 0) {
				set_error(s, "queue: cannot record an acknowledgement: %s", vg_err_str(r));
				return -1;
			}
			int k = 0;
			while (k < ss->ninflight && ss->inflight[k] <= m.seq)
				k++;
			memmove(ss->inflight, ss->inflight + k, (size_t)(ss->ninflight - k) * sizeof(uint64_t));
			ss->ninflight -= k;
			ss->waiting_since = mono_us();
			ss->delivered = 1;
			pthread_mutex_lock(&s->lock);
			s->st.acked_seq = m.seq;
			pthread_mutex_unlock(&s->lock);
		}
		size_t cap, got = 0;
		uint8_t *p = vg_ap_framer_space(s->fr, &cap);
		int r = vg_tls_read(ss->c, p, cap, &got);
		if (r == VG_TLS_WANT_READ || r == VG_TLS_WANT_WRITE) {
			if (timeout_ms == 0 || *stop)
				return 0;
			struct pollfd pf = {.fd = ss->fd, .events = r == VG_TLS_WANT_READ ? POLLIN : POLLOUT};
			int pr = poll(&pf, 1, timeout_ms);
			timeout_ms = 0;
			if (pr <= 0)
				return 0;
			continue;
		}
		if (r < 0 || got == 0) {
			set_error(s, "%s: connection lost: %s", s->o.server, r < 0 ? vg_tls_error(ss->c) : "closed by the server");
			return -1;
		}
		if (vg_ap_framer_commit(s->fr, got) != 0) {
			set_error(s, "%s: oversized frame from the server", s->o.server);
			return -1;
		}
	}
	return 0;
}

static int add_record(void *ud, uint64_t seq, const void *payload, size_t len)
{
	vg_sender *s = ud;
	int r = vg_ap_batch_add(s->bb, seq, payload, len);
	if (r == VG_ELIMIT)
		return STOP_BYTES_OVER;
	if (r == 0)
		s->last_added = seq;
	return r;
}

/* Sends the next batch if there is one. 1 sent, 0 nothing to send, -1 error. */
static int send_batch(session *ss)
{
	vg_sender *s = ss->s;
	int r = vg_dq_peek(s->q, ss->cursor, s->o.batch_events, s->o.batch_bytes, add_record, s);
	if (r != 0 && r != STOP_BYTES_OVER) {
		set_error(s, "queue: read failed: %s", vg_err_str(r));
		return -1;
	}
	size_t n = vg_ap_batch_records(s->bb);
	if (n == 0)
		return 0;
	s->out.len = 0;
	if ((r = vg_ap_batch_finish(s->bb, &s->out)) != 0) {
		set_error(s, "cannot build a batch: %s", vg_err_str(r));
		return -1;
	}
	if (vg_tls_write_all(ss->c, s->out.data, s->out.len, VG_SENDER_IO_MS) != 0) {
		set_error(s, "%s: send failed: %s", s->o.server, vg_tls_error(ss->c));
		return -1;
	}
	if (ss->ninflight == 0)
		ss->waiting_since = mono_us();
	ss->cursor = s->last_added;
	ss->inflight[ss->ninflight++] = s->last_added;
	pthread_mutex_lock(&s->lock);
	s->st.batches++;
	s->st.records += n;
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static void session_run(vg_sender *s, int fd, volatile sig_atomic_t *stop, int *delivered)
{
	session ss = {.s = s, .fd = fd};
	int r;
	s->out.len = 0;
	if ((r = vg_tls_conn_new(s->ctx, fd, s->host, &ss.c)) != 0) {
		set_error(s, "TLS: %s", vg_err_str(r));
		return;
	}
	if (vg_tls_handshake_wait(ss.c, VG_SENDER_CONNECT_MS) != 0) {
		set_error(s, "%s: %s", s->o.server, vg_tls_error(ss.c));
		goto out;
	}
	if (vg_ap_hello_encode(&s->out, s->o.hostname, VG_VERSION) != 0 ||
	    vg_tls_write_all(ss.c, s->out.data, s->out.len, VG_SENDER_CONNECT_MS) != 0) {
		set_error(s, "%s: %s", s->o.server, vg_tls_error(ss.c));
		goto out;
	}
	/* WELCOME (a refused certificate shows up here, as the first read fails) */
	vg_ap_framer_free(s->fr);
	if ((s->fr = vg_ap_framer_new(64 * 1024)) == NULL)
		goto out;
	int64_t deadline = mono_us() + (int64_t)VG_SENDER_CONNECT_MS * 1000;
	const uint8_t *body = NULL;
	size_t blen = 0;
	while (vg_ap_framer_next(s->fr, &body, &blen) != 1) {
		if (*stop || mono_us() >= deadline) {
			set_error(s, "%s: no WELCOME from the server", s->o.server);
			goto out;
		}
		size_t cap, got = 0;
		uint8_t *p = vg_ap_framer_space(s->fr, &cap);
		r = vg_tls_read(ss.c, p, cap, &got);
		if (r > 0) {
			struct pollfd pf = {.fd = fd, .events = r == VG_TLS_WANT_READ ? POLLIN : POLLOUT};
			(void)poll(&pf, 1, 100);
			continue;
		}
		if (r < 0 || got == 0 || vg_ap_framer_commit(s->fr, got) != 0) {
			set_error(s, "%s: refused: %s", s->o.server, r < 0 ? vg_tls_error(ss.c) : "connection closed");
			goto out;
		}
	}
	vg_ap_msg m;
	if (vg_ap_msg_parse(body, blen, &m) != 0 || (m.type != VG_AP_WELCOME && m.type != VG_AP_ERROR)) {
		set_error(s, "%s: not a vigil agent port", s->o.server);
		goto out;
	}
	if (m.type == VG_AP_ERROR) {
		set_error(s, "%s: server: %.*s", s->o.server, (int)m.message.len, m.message.p);
		goto out;
	}
	vg_dq_stats qs;
	vg_dq_stats_get(s->q, &qs);
	uint64_t acked = m.seq < qs.committed_seq ? m.seq : qs.committed_seq;
	if (acked > qs.acked_seq && vg_dq_ack(s->q, acked) != 0) {
		set_error(s, "queue: cannot record an acknowledgement");
		goto out;
	}
	if (m.seq < qs.floor_seq)
		fprintf(stderr, "vigil agent: the server holds seq %llu, older than this agent's queue (%llu): "
				"records in between were acknowledged before and cannot be resent\n",
			(unsigned long long)m.seq, (unsigned long long)qs.floor_seq);
	ss.cursor = acked > qs.floor_seq ? acked : qs.floor_seq;
	pthread_mutex_lock(&s->lock);
	s->st.connects++;
	s->st.connected = 1;
	s->st.last_error[0] = '\0';
	pthread_mutex_unlock(&s->lock);
	fprintf(stderr, "vigil agent: connected to %s; server holds up to seq %llu\n", s->o.server,
		(unsigned long long)m.seq);
	ss.waiting_since = mono_us();
	while (!*stop) {
		int sent = 0;
		r = 0;
		while (ss.ninflight < VG_SENDER_WINDOW && (r = send_batch(&ss)) > 0)
			sent++;
		if (r < 0)
			goto out;
		/* with nothing sent, wait for an ACK or for new records (up to 100 ms) */
		if (read_frames(&ss, sent > 0 ? 0 : 100, stop) != 0)
			goto out;
		if (ss.ninflight > 0 && mono_us() - ss.waiting_since > (int64_t)VG_SENDER_IO_MS * 1000) {
			set_error(s, "%s: no acknowledgement for %d s", s->o.server, VG_SENDER_IO_MS / 1000);
			goto out;
		}
	}
out:
	*delivered = ss.delivered;
	pthread_mutex_lock(&s->lock);
	s->st.connected = 0;
	pthread_mutex_unlock(&s->lock);
	vg_tls_shutdown(ss.c);
	vg_tls_conn_free(ss.c);
}

static void nap(int64_t us, volatile sig_atomic_t *stop)
{
	int64_t end = mono_us() + us;
	while (!*stop && mono_us() < end) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

int vg_sender_run(vg_sender *s, volatile sig_atomic_t *stop)
{
	int64_t backoff = s->o.backoff_min_us;
	while (!*stop) {
		char why[256] = "", host[256];
		int fd = vg_sender_connect(s->o.server, VG_SENDER_CONNECT_MS, host, sizeof(host), why, sizeof(why));
		int delivered = 0;
		if (fd < 0) {
			set_error(s, "%s", why);
			pthread_mutex_lock(&s->lock);
			s->st.connect_failures++;
			pthread_mutex_unlock(&s->lock);
		} else {
			session_run(s, fd, stop, &delivered);
			close(fd);
		}
		if (*stop)
			break;
		if (delivered)
			backoff = s->o.backoff_min_us;
		unsigned char j = 0;
		(void)RAND_bytes(&j, 1);
		nap(backoff / 2 + (backoff / 2) * j / 255, stop);
		backoff = backoff * 2 > s->o.backoff_max_us ? s->o.backoff_max_us : backoff * 2;
	}
	return 0;
}

int vg_sender_enroll(const char *server, const char *dir, const char *token, const char *hostname, char *agent_id,
		     size_t idlen, char *why, size_t whylen)
{
	char host[256];
	int fd = vg_sender_connect(server, VG_SENDER_CONNECT_MS, host, sizeof(host), why, whylen);
	if (fd < 0)
		return VG_EIO;
	vg_tls_ctx *ctx = NULL;
	vg_tls_conn *c = NULL;
	vg_tls_client_opts o = {.enrolment = true};
	char id[VG_PKI_MAX_ID + 1] = "";
	int r = vg_tls_client_new(&o, &ctx, why, whylen);
	if (r == 0 && (r = vg_tls_conn_new(ctx, fd, host, &c)) == 0)
		r = vg_enroll_agent(c, dir, token, hostname, id, why, whylen);
	if (r == 0)
		snprintf(agent_id, idlen, "%s", id);
	if (c != NULL)
		vg_tls_shutdown(c);
	vg_tls_conn_free(c);
	vg_tls_ctx_free(ctx);
	close(fd);
	return r;
}
