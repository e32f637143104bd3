/* server.h — `vigil server` assembled: state directory, rules, ingest,
 * the syslog, syslog-TLS and agent inputs, the HTTPS API (event intake,
 * /metrics), rule reload and retention. docs/server.md has the long form.
 *
 * Threads: the calling thread runs the inputs' epoll loops, the ingest's
 * commits, retention and reloads; the HTTP server has its own worker
 * threads, which reach the ingest only through its lock and the state
 * database through their own connection. Agent enrolments run on short-lived
 * threads (listen_agents.h).
 *
 * Errors: vg_server_run returns 0 after a clean stop, 2 when it could not
 * start (the reason is printed on stderr, naming the address, file or key). */
#ifndef VG_SERVER_H
#define VG_SERVER_H
#include <signal.h>

#include "server/server_config.h"

/* Runs until *stop is set; *hup set: reload the rules (then cleared). */
int vg_server_run(const vg_server_config *cfg, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup);

#endif
