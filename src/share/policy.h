/* policy.h — the sharing policy of one destination, kept as data (a JSON
 * document in table share_policy, docs/sharing.md): which streams leave,
 * which items of them (minimum level, hosts, systems, units, rule tags) and
 * what is removed, redacted or pseudonymised in a payload before it is
 * written to the outbox. Example:
 *   {"streams":["alerts","incidents","heartbeats"], "min_level":"medium",
 *    "tags":["attack.credential_access"], "internal_ips":"pseudonymise",
 *    "fields":{"user.name":"pseudonymise","event.original":"remove"}}
 * The events stream (selected raw events) has its own selection, member
 * "events": {"layers":[…], "datasets":[…], "categories":[…], "outcomes":[…],
 * "max_per_second":N}; hosts/systems/units apply to events too, min_level
 * and tags do not (an event has no level nor rule).
 * Unknown members, unknown values and lists over the limits below are
 * refused with a message naming the member.
 *
 * Ownership: a vg_share_policy is immutable once parsed and owned by the
 * caller (vg_share_policy_free). Documents passed to match/apply are
 * borrowed; apply modifies its document in place.
 * Errors: 0 or a negative VG_E* code; parse writes why.
 * Thread-safety: a parsed policy may be shared by threads. */
#ifndef VG_SHARE_POLICY_H
#define VG_SHARE_POLICY_H

#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "share/sign.h"

#define VG_SHARE_POLICY_MAX_BYTES (64 * 1024) /* bytes of a policy document */
#define VG_SHARE_POLICY_MAX_LIST 256          /* entries in hosts/systems/units/tags */
#define VG_SHARE_POLICY_MAX_FIELDS 64         /* entries in fields */
#define VG_SHARE_POLICY_MAX_NAME 256          /* bytes of one entry or field path */
#define VG_SHARE_POLICY_MAX_DEPTH 8           /* components of a field path */
#define VG_SHARE_EVENTS_DEFAULT_RATE 100      /* events.max_per_second when not given */
#define VG_SHARE_EVENTS_MAX_RATE 10000        /* highest events.max_per_second */
#define VG_SHARE_SUBJECT_CATEGORIES 8         /* event.category values a subject carries */

/* Streams (bit mask). */
enum {
	VG_SHARE_ALERTS = 1,
	VG_SHARE_INCIDENTS = 2,
	VG_SHARE_EVENTS = 4,     /* selected raw events */
	VG_SHARE_HEARTBEATS = 8, /* periodic status: "quiet" is not "disconnected" */
	VG_SHARE_PUBLIC_IPS = 16 /* declared public IP list of each system */
};

typedef struct vg_share_policy vg_share_policy;

/* The facts a filter looks at; NULL members are unknown (an unknown value
 * never matches a non-empty filter on it). tags: a JSON array of strings or
 * NULL. */
typedef struct vg_share_subject {
	const char *level; /* informational|low|medium|high|critical */
	const char *host;
	const char *system;
	const char *unit; /* unit path "a/b/c"; a filter entry matches it and its sub-units */
	const json_t *tags;
	/* raw events only (VG_SHARE_EVENTS) */
	const char *layer;   /* vigil.layer: network|host|application|endpoint|unknown */
	const char *dataset; /* event.dataset, else process.name (syslog: the program, "sshd") */
	const char *outcome; /* event.outcome */
	const char *categories[VG_SHARE_SUBJECT_CATEGORIES]; /* event.category values */
	size_t ncategories;
} vg_share_subject;

/* Parses a policy document; len bytes (not NUL-terminated). NULL text or
 * len 0 gives the default policy (alerts, incidents and heartbeats, every
 * level, nothing redacted). */
VG_WUR int vg_share_policy_parse(const char *text, size_t len, vg_share_policy **out, char *why, size_t whylen);
void vg_share_policy_free(vg_share_policy *p);
/* The policy in canonical form (new reference; NULL on ENOMEM). */
json_t *vg_share_policy_json(const vg_share_policy *p);

/* The stream bit mask. */
unsigned vg_share_policy_streams(const vg_share_policy *p);
/* Stream bit of a name ("alerts", ...), 0 if unknown. */
unsigned vg_share_stream_bit(const char *name);
/* Rank of a level name: informational 0 ... critical 4; -1 if unknown. */
int vg_share_level_rank(const char *level);

/* 1 if an item of `stream` with these facts is selected, else 0. For
 * VG_SHARE_EVENTS: hosts, systems, units and the "events" selection
 * (layers, datasets, categories: any value listed, outcomes); min_level and
 * tags are not looked at. */
int vg_share_policy_match(const vg_share_policy *p, unsigned stream, const vg_share_subject *s);
/* The subject of an alert document (rule.level, host.name, rule.tags,
 * vigil.system, vigil.unit), host_col overriding host.name when not NULL.
 * Strings are borrowed from doc. */
void vg_share_alert_subject(const json_t *doc, const char *host_col, vg_share_subject *s);

/* The subject of an event document (nested ECS, as vg_event_json_renest
 * writes it): vigil.layer, event.dataset (else process.name), event.category
 * (string or array),
 * event.outcome, host.name (else host.hostname), vigil.system, vigil.unit;
 * host_col overriding the host when not NULL. Strings borrowed from doc. */
void vg_share_event_subject(const json_t *doc, const char *host_col, vg_share_subject *s);
/* events.max_per_second of the policy (VG_SHARE_EVENTS_DEFAULT_RATE when
 * not given). */
unsigned vg_share_policy_event_rate(const vg_share_policy *p);

/* Applies the field rules, then the internal-IP rule, to doc in place:
 * "remove" deletes the member, "redact" replaces it by "REDACTED",
 * "pseudonymise" replaces a string or number by "pn:" + 32 hex digits
 * (vg_share_pseudonym; arrays element by element). With internal_ips not
 * "keep", every RFC 1918 IPv4 address inside any string (also inside free
 * text such as event.original) and every string that is an IPv6 ULA
 * (fc00::/7) becomes "REDACTED-IP" or "ip:" + 32 hex digits. */
VG_WUR int vg_share_policy_apply(const vg_share_policy *p, const vg_share_keys *k, json_t *doc);

#endif
