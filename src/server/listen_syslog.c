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
#include "net/syslog_frame.h"

#define READ_BYTES (64 * 1024)
#define UDP_PER_ROUND 512  /* datagrams per round */
#define TCP_READS_PER_ROUND 4 /* reads per ready connection per round */
#define MAX_EVENTS 256
#define ADDR_STR 64 /* "[v6]:port" */

typedef struct conn {
	struct conn *prev, *next; /* the open connections, to close them at the end */
	int fd;
	vg_syslog_framer *fr;
	struct vg_syslog_listener *l;
	char peer[ADDR_STR];
} conn;

struct vg_syslog_listener {
	int ep, udp_fd, tcp_fd;
	vg_ingest *g;
	char *buf; /* READ_BYTES, or VG_MAX_LINE + 1 for UDP, whichever is larger */
	size_t buf_cap;
	conn *conns;
	int accept_paused; /* out of descriptors: the listening socket is off epoll until a close */
	vg_syslog_listener_stats st;
	int64_t now_us; /* wall clock of the current read */
};

static const char INPUT_UDP[] = "syslog-udp";
static const char INPUT_TCP[] = "syslog-tcp";

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void addr_str(const struct sockaddr *sa, socklen_t len, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN], serv[8]; /* numeric: always fit */
	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, n, "?");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, n, "[%s]:%s", host, serv);
	else
		snprintf(out, n, "%s:%s", host, serv);
}

/* "1.2.3.4:514" or "[::1]:514" into host and port; -1 when malformed. */
static int split_addr(const char *addr, char *host, size_t hn, char *port, size_t pn)
{
	const char *colon, *h = addr;
	size_t hl;
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		h = addr + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return -1;
		hl = (size_t)(colon - addr);
	}
	const char *p = colon + 1;
	size_t plen = strlen(p);
	if (hl == 0 || hl >= hn || plen == 0 || plen >= pn || plen > 5)
		return -1;
	long v = 0;
	for (size_t i = 0; i < plen; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, p, plen + 1);
	return 0;
}

static int bind_one(const struct addrinfo *ai, int type)
{
	int fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		int rcv = 4 * 1024 * 1024; /* absorb bursts; the kernel caps it */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || (type == SOCK_STREAM && listen(fd, 128) != 0)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int ep_add(int ep, int fd, void *ptr)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = ptr};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

vg_syslog_listener *vg_syslog_listener_new(const char *addr, vg_ingest *g, int *err)
{
	char host[INET6_ADDRSTRLEN + 1], port[8];
	if (split_addr(addr, host, sizeof(host), port, sizeof(port)) != 0) {
		*err = VG_EINVAL;
		return NULL;
	}
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV}, *ai = NULL;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL) {
		*err = VG_EINVAL;
		return NULL;
	}
	vg_syslog_listener *l = calloc(1, sizeof(*l));
	int e2 = VG_ENOMEM;
	if (l == NULL)
		goto err;
	l->ep = l->udp_fd = l->tcp_fd = -1;
	l->g = g;
	l->buf_cap = READ_BYTES > VG_MAX_LINE + 1 ? READ_BYTES : VG_MAX_LINE + 1;
	if ((l->buf = malloc(l->buf_cap)) == NULL)
		goto err;
	e2 = VG_EIO;
	if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || (l->udp_fd = bind_one(ai, SOCK_DGRAM)) < 0 ||
	    (l->tcp_fd = bind_one(ai, SOCK_STREAM)) < 0 || ep_add(l->ep, l->udp_fd, &l->udp_fd) != 0 ||
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

static int on_tcp_msg(void *ud, const char *msg, size_t len)
{
	conn *c = ud;
	if (vg_ingest_message(c->l->g, msg, len, c->peer, INPUT_TCP, c->l->now_us) != 0)
		c->l->st.ingest_errors++;
	return 0; /* an archive error is the server's, not the peer's: keep reading */
}

static void conn_close(vg_syslog_listener *l, conn *c, int deliver_tail)
{
	if (deliver_tail && vg_syslog_framer_end(c->fr, on_tcp_msg, c) != 0)
		l->st.tcp_frame_errors++;
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
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
	if (l->accept_paused && ep_add(l->ep, l->tcp_fd, &l->tcp_fd) == 0)
		l->accept_paused = 0;
}

static void accept_all(vg_syslog_listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->tcp_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* level-triggered: the pending connection would wake every
				 * round; wait for a close to free a descriptor */
				(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->tcp_fd, NULL);
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
		addr_str((struct sockaddr *)&ss, sl, c->peer, sizeof(c->peer));
		if (ep_add(l->ep, fd, c) != 0) {
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
		l->st.tcp_accepted++;
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
		addr_str((struct sockaddr *)&ss, sl, peer, sizeof(peer));
		l->st.udp_datagrams++;
		if (vg_ingest_message(l->g, l->buf, len, peer, INPUT_UDP, wall_us()) != 0)
			l->st.ingest_errors++;
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
			accept_all(l);
		else
			read_tcp(l, p);
	}
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
	if (l->ep >= 0)
		close(l->ep);
	free(l->buf);
	free(l);
}

void vg_syslog_listener_stats_get(const vg_syslog_listener *l, vg_syslog_listener_stats *st)
{
	*st = l->st;
}
