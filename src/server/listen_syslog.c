/* listen_syslog.c — syslog over UDP and TCP on one ADDR:PORT (see
 * listen_syslog.h): a level-triggered epoll loop with bounded work per round
 * so that one busy sender cannot starve the others. */
#include "server/listen_syslog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "net/netaddr.h"
#include "net/syslog_frame.h"
#include "net/tls.h"

#define READ_BYTES (64 * 1024)
#define UDP_PER_ROUND 512  /* datagrams per round */
#define TCP_READS_PER_ROUND 4 /* reads per ready connection per round */
#define MAX_EVENTS 256
#define ADDR_STR VG_ADDR_STR
#define HANDSHAKE_US ((int64_t)VG_SYSLOG_TLS_HANDSHAKE_MS * 1000)

typedef struct conn {
	struct conn *prev, *next; /* the open connections, to close them at the end */
	int fd;
	vg_syslog_framer *fr;
	struct vg_syslog_listener *l;
	vg_tls_conn *tls;     /* NULL: plain TCP */
	int handshaking;      /* TLS: handshake not finished yet */
	uint32_t ev;          /* the epoll events registered */
	int64_t deadline_mono; /* TLS: the handshake must end by then */
	char peer[ADDR_STR];
} conn;

struct vg_syslog_listener {
	int ep, udp_fd, tcp_fd, tls_fd;
	vg_ingest *g;
	vg_tls_ctx *tls; /* borrowed; NULL: no TLS input */
	size_t handshaking; /* TLS connections still in their handshake */
	char tls_failure[ADDR_STR + VG_TLS_ERRLEN + 8]; /* the last failed handshake: "PEER: why" */
	char *buf; /* READ_BYTES, or VG_MAX_LINE + 1 for UDP, whichever is larger */
	size_t buf_cap;
	conn *conns;
	int accept_paused; /* out of descriptors: the listening sockets are off epoll until a close */
	vg_syslog_listener_stats st;
	int64_t now_us; /* wall clock of the current read */
};

static const char INPUT_UDP[] = "syslog-udp";
static const char INPUT_TCP[] = "syslog-tcp";
static const char INPUT_TLS[] = "syslog-tls";

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int ep_add(int ep, int fd, void *ptr)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = ptr};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

vg_syslog_listener *vg_syslog_listener_new(const char *addr, vg_ingest *g, int *err)
{
	struct addrinfo *ai = NULL;
	if ((*err = vg_addr_resolve(addr, &ai)) != 0)
		return NULL;
	vg_syslog_listener *l = calloc(1, sizeof(*l));
	int e2 = VG_ENOMEM;
	if (l == NULL)
		goto err;
	l->ep = l->udp_fd = l->tcp_fd = l->tls_fd = -1;
	l->g = g;
	l->buf_cap = READ_BYTES > VG_MAX_LINE + 1 ? READ_BYTES : VG_MAX_LINE + 1;
	if ((l->buf = malloc(l->buf_cap)) == NULL)
		goto err;
	e2 = VG_EIO;
	if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || (l->udp_fd = vg_addr_bind(ai, SOCK_DGRAM)) < 0 ||
	    (l->tcp_fd = vg_addr_bind(ai, SOCK_STREAM)) < 0 || ep_add(l->ep, l->udp_fd, &l->udp_fd) != 0 ||
	    ep_add(l->ep, l->tcp_fd, &l->tcp_fd) != 0)
		goto err;
	freeaddrinfo(ai);
	return l;
err:
	freeaddrinfo(ai);
	if (l != NULL) {
		int saved = errno;
		vg_syslog_listener_free(l);
		errno = saved;
	}
	*err = e2;
	return NULL;
}

int vg_syslog_listener_add_tls(vg_syslog_listener *l, const char *addr, vg_tls_ctx *ctx)
{
	struct addrinfo *ai = NULL;
	int r;
	if (l->tls_fd >= 0)
		return VG_EINVAL;
	if ((r = vg_addr_resolve(addr, &ai)) != 0)
		return r;
	if ((l->tls_fd = vg_addr_bind(ai, SOCK_STREAM)) < 0 || ep_add(l->ep, l->tls_fd, &l->tls_fd) != 0) {
		int saved = errno;
		if (l->tls_fd >= 0)
			close(l->tls_fd);
		l->tls_fd = -1;
		freeaddrinfo(ai);
		errno = saved;
		return VG_EIO;
	}
	freeaddrinfo(ai);
	l->tls = ctx;
	return 0;
}

static int on_tcp_msg(void *ud, const char *msg, size_t len)
{
	conn *c = ud;
	if (vg_ingest_message(c->l->g, msg, len, c->peer, c->tls != NULL ? INPUT_TLS : INPUT_TCP, c->l->now_us) != 0)
		c->l->st.ingest_errors++;
	return 0; /* an archive error is the server's, not the peer's: keep reading */
}

static void conn_close(vg_syslog_listener *l, conn *c, int deliver_tail)
{
	if (deliver_tail && vg_syslog_framer_end(c->fr, on_tcp_msg, c) != 0)
		l->st.tcp_frame_errors++;
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->tls != NULL) {
		if (!c->handshaking)
			vg_tls_shutdown(c->tls);
		else
			l->handshaking--;
		vg_tls_conn_free(c->tls);
	}
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	vg_syslog_framer_free(c->fr);
	free(c);
	l->st.tcp_open--;
	if (l->accept_paused && ep_add(l->ep, l->tcp_fd, &l->tcp_fd) == 0 &&
	    (l->tls_fd < 0 || ep_add(l->ep, l->tls_fd, &l->tls_fd) == 0))
		l->accept_paused = 0;
}

static void accept_all(vg_syslog_listener *l, int lfd)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* level-triggered: the pending connection would wake every
				 * round; wait for a close to free a descriptor */
				(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->tcp_fd, NULL);
				if (l->tls_fd >= 0)
					(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->tls_fd, NULL);
				l->accept_paused = 1;
			}
			return; /* EAGAIN, ECONNABORTED...: retried when ready again */
		}
		if (l->st.tcp_open >= VG_SYSLOG_MAX_CONNS) {
			close(fd);
			l->st.tcp_refused++;
			continue;
		}
		conn *c = calloc(1, sizeof(*c));
		if (c == NULL || (c->fr = vg_syslog_framer_new(VG_MAX_LINE)) == NULL) {
			free(c);
			close(fd);
			l->st.tcp_refused++;
			continue;
		}
		c->fd = fd;
		c->l = l;
		c->ev = EPOLLIN;
		vg_addr_str((struct sockaddr *)&ss, sl, c->peer, sizeof(c->peer));
		if (lfd == l->tls_fd && vg_tls_conn_new(l->tls, fd, NULL, &c->tls) != 0) {
			c->tls = NULL;
			c->fd = -1;
		}
		if (c->fd < 0 || ep_add(l->ep, fd, c) != 0) {
			vg_tls_conn_free(c->tls);
			vg_syslog_framer_free(c->fr);
			free(c);
			close(fd);
			l->st.tcp_refused++;
			continue;
		}
		c->next = l->conns;
		if (l->conns != NULL)
			l->conns->prev = c;
		l->conns = c;
		l->st.tcp_open++;
		if (c->tls != NULL) {
			c->handshaking = 1;
			c->deadline_mono = mono_us() + HANDSHAKE_US;
			l->handshaking++;
			l->st.tls_accepted++;
		} else {
			l->st.tcp_accepted++;
		}
	}
}

static void read_udp(vg_syslog_listener *l)
{
	for (int i = 0; i < UDP_PER_ROUND; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(l->udp_fd, l->buf, l->buf_cap, MSG_TRUNC, (struct sockaddr *)&ss, &sl);
		if (n < 0)
			return;
		size_t len = (size_t)n < l->buf_cap ? (size_t)n : l->buf_cap; /* truncated: the ingest cuts */
		char peer[ADDR_STR];
		vg_addr_str((struct sockaddr *)&ss, sl, peer, sizeof(peer));
		l->st.udp_datagrams++;
		if (vg_ingest_message(l->g, l->buf, len, peer, INPUT_UDP, wall_us()) != 0)
			l->st.ingest_errors++;
	}
}

/* Waits for what the TLS step asked for (level-triggered). 0, or -1 if
 * epoll refused (the caller closes). */
static int want(vg_syslog_listener *l, conn *c, int r)
{
	uint32_t ev = r == VG_TLS_WANT_WRITE ? EPOLLOUT : EPOLLIN;
	if (ev == c->ev)
		return 0;
	struct epoll_event e = {.events = ev, .data.ptr = c};
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
		return -1;
	c->ev = ev;
	return 0;
}

/* Handshake, then decrypted bytes into the framer. A failed or timed-out
 * handshake, a TLS error or a framing error closes this connection only. */
static void serve_tls(vg_syslog_listener *l, conn *c)
{
	if (c->handshaking) {
		int r = vg_tls_handshake(c->tls);
		if (r > 0) {
			if (want(l, c, r) != 0) {
				l->st.tls_handshake_failures++;
				conn_close(l, c, 0);
			}
			return;
		}
		if (r < 0) {
			snprintf(l->tls_failure, sizeof(l->tls_failure), "%s: %s", c->peer, vg_tls_error(c->tls));
			l->st.tls_handshake_failures++;
			conn_close(l, c, 0);
			return;
		}
		c->handshaking = 0;
		l->handshaking--;
		l->st.tls_handshakes++;
		/* records that came with the Finished are read now, not at the next wake-up */
	}
	for (int i = 0; i < TCP_READS_PER_ROUND; i++) {
		size_t got = 0;
		int r = vg_tls_read(c->tls, l->buf, l->buf_cap, &got);
		if (r > 0) {
			if (want(l, c, r) != 0)
				conn_close(l, c, 1);
			return;
		}
		if (r < 0 || got == 0) {
			/* close_notify or EOF: an unterminated last line counts; a TLS
			 * error (a bad record, a reset) keeps what was framed only */
			if (r < 0)
				l->st.tls_errors++;
			conn_close(l, c, r == 0);
			return;
		}
		l->now_us = wall_us();
		if (vg_syslog_framer_feed(c->fr, l->buf, got, on_tcp_msg, c) != 0) {
			l->st.tcp_frame_errors++;
			conn_close(l, c, 0);
			return;
		}
	}
	(void)want(l, c, VG_TLS_WANT_READ);
}

/* Closes the TLS connections whose handshake outlived HANDSHAKE_US. */
static void expire_handshakes(vg_syslog_listener *l)
{
	int64_t now = mono_us();
	conn *c = l->conns;
	while (c != NULL && l->handshaking > 0) {
		conn *next = c->next;
		if (c->tls != NULL && c->handshaking && now >= c->deadline_mono) {
			l->st.tls_handshake_failures++;
			l->st.tls_handshake_timeouts++;
			snprintf(l->tls_failure, sizeof(l->tls_failure), "%s: TLS handshake timed out", c->peer);
			conn_close(l, c, 0);
		}
		c = next;
	}
}

static void read_tcp(vg_syslog_listener *l, conn *c)
{
	for (int i = 0; i < TCP_READS_PER_ROUND; i++) {
		ssize_t n = read(c->fd, l->buf, l->buf_cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(l, c, n == 0); /* EOF: an unterminated last line counts */
			return;
		}
		l->now_us = wall_us();
		if (vg_syslog_framer_feed(c->fr, l->buf, (size_t)n, on_tcp_msg, c) != 0) {
			l->st.tcp_frame_errors++;
			conn_close(l, c, 0);
			return;
		}
	}
}

int vg_syslog_listener_poll(vg_syslog_listener *l, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(l->ep, evs, MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : VG_EIO;
	for (int i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;
		if (p == &l->udp_fd)
			read_udp(l);
		else if (p == &l->tcp_fd)
			accept_all(l, l->tcp_fd);
		else if (p == &l->tls_fd)
			accept_all(l, l->tls_fd);
		else if (((conn *)p)->tls != NULL)
			serve_tls(l, p);
		else
			read_tcp(l, p);
	}
	if (l->handshaking > 0)
		expire_handshakes(l);
	return 0;
}

void vg_syslog_listener_free(vg_syslog_listener *l)
{
	if (l == NULL)
		return;
	l->now_us = wall_us();
	while (l->conns != NULL)
		conn_close(l, l->conns, 1);
	if (l->udp_fd >= 0)
		close(l->udp_fd);
	if (l->tcp_fd >= 0)
		close(l->tcp_fd);
	if (l->tls_fd >= 0)
		close(l->tls_fd);
	if (l->ep >= 0)
		close(l->ep);
	free(l->buf);
	free(l);
}

int vg_syslog_listener_fd(const vg_syslog_listener *l)
{
	return l->ep;
}

void vg_syslog_listener_stats_get(const vg_syslog_listener *l, vg_syslog_listener_stats *st)
{
	*st = l->st;
}

const char *vg_syslog_listener_tls_failure(const vg_syslog_listener *l)
{
	return l->tls_failure;
}
