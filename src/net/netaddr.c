/* netaddr.c — numeric addresses and listening sockets (see netaddr.h). */
#include "net/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void vg_addr_str(const struct sockaddr *sa, socklen_t len, char *out, size_t n)
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

int vg_addr_split(const char *addr, char *host, size_t hn, char *port, size_t pn)
{
	const char *colon, *h = addr;
	size_t hl;
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (end == NULL || end[1] != ':')
			return VG_EINVAL;
		h = addr + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return VG_EINVAL;
		hl = (size_t)(colon - addr);
	}
	const char *p = colon + 1;
	size_t plen = strlen(p);
	if (hl == 0 || hl >= hn || plen == 0 || plen >= pn || plen > 5)
		return VG_EINVAL;
	long v = 0;
	for (size_t i = 0; i < plen; i++) {
		if (p[i] < '0' || p[i] > '9')
			return VG_EINVAL;
		v = v * 10 + (p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return VG_EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, p, plen + 1);
	return 0;
}

int vg_addr_bind(const struct addrinfo *ai, int type)
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

/* "1.2.3.4:514" into one resolved numeric address; VG_EINVAL when malformed. */
int vg_addr_resolve(const char *addr, struct addrinfo **ai)
{
	char host[INET6_ADDRSTRLEN + 1], port[8];
	if (vg_addr_split(addr, host, sizeof(host), port, sizeof(port)) != 0)
		return VG_EINVAL;
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
	*ai = NULL;
	if (getaddrinfo(host, port, &hints, ai) != 0 || *ai == NULL)
		return VG_EINVAL;
	return 0;
}

