/* netaddr.h — numeric socket addresses as vigil writes them ("1.2.3.4:514",
 * "[::1]:514"), and listening sockets bound to them.
 * Errors: VG_EINVAL for a malformed address; VG_EIO with errno for socket
 * calls. Thread-safe (no state). */
#ifndef VG_NETADDR_H
#define VG_NETADDR_H
#include <stddef.h>
#include <netdb.h>
#include <sys/socket.h>

#include "core/err.h"

#define VG_ADDR_STR 64 /* bytes for "[v6]:port" and its NUL */

/* Splits "IPv4:PORT" or "[IPv6]:PORT" (port 1..65535) into host and port
 * strings. VG_EINVAL when malformed or too long. */
VG_WUR int vg_addr_split(const char *addr, char *host, size_t hn, char *port, size_t pn);
/* One resolved numeric address (freeaddrinfo it). VG_EINVAL when malformed. */
VG_WUR int vg_addr_resolve(const char *addr, struct addrinfo **ai);
/* A non-blocking, close-on-exec socket bound to ai (SO_REUSEADDR; v6-only for
 * IPv6), listening when type is SOCK_STREAM. -1 with errno on failure. */
int vg_addr_bind(const struct addrinfo *ai, int type);
/* sa as "IP:PORT" or "[IPv6]:PORT" ("?" if it cannot be formatted). */
void vg_addr_str(const struct sockaddr *sa, socklen_t len, char *out, size_t n);

#endif
