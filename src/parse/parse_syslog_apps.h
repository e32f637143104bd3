/* parse_syslog_apps.h — internal to the syslog parser: the per-program table
 * (program name → logsource service + structured extractor for sshd, PAM,
 * sudo, su, cron, useradd & co., ftpd and kernel firewall lines).
 *
 * Contract: vg_syslog_apps_apply() sets ev->service from the program name and
 * adds the ECS fields it recognises in the message (all values are slices of
 * the message or static strings, except computed/decoded text in the arena);
 * it may override ev->layer/ev->category (firewall lines). It never fails: a
 * message it does not recognise simply gets no extra fields. Thread-safe. */
#ifndef VG_PARSE_SYSLOG_APPS_H
#define VG_PARSE_SYSLOG_APPS_H

#include "core/event.h"
#include "parse/parse_util.h"

typedef struct vg_syslog_msg {
	vg_pu_str prog;   /* program: TAG/APP-NAME basename, without "[pid]" or "(module)"; n == 0 if none */
	vg_pu_str module; /* "pam_unix" of the old-style tag "sshd(pam_unix)"; n == 0 if none */
	vg_pu_str msg;    /* the MSG part */
} vg_syslog_msg;

/* The logsource service of a program name (VG_SERVICE_SYSLOG when unknown). */
uint8_t vg_syslog_service(const char *prog, size_t n);

void vg_syslog_apps_apply(vg_event *ev, const vg_syslog_msg *m);

#endif
