/* stix.h — vigil's shared items as STIX 2.1 objects (docs/stix.md): an alert
 * becomes a sighting of an indicator (a pattern over its observables) with
 * the observables as observed-data; an incident becomes an `incident` SDO
 * carrying the Circular 20 report fields in the vigil property extension
 * (VG_STIX_EXT_ID, defined by vg_stix_extension_definition); a system's
 * declared public IPs become an infrastructure that consists of ipv4-addr /
 * ipv6-addr objects; a raw event becomes observed-data over its SCOs.
 * Every object is created by the sharing organisation's
 * identity (vg_stix_identity).
 *
 * Ids are deterministic: SDO/SRO ids are UUIDv5 in vigil's namespace over
 * "<type>|<origin>|<vigil item id>", SCO ids UUIDv5 in the STIX namespace
 * over their ID contributing properties (STIX 2.1 §2.9), and created/modified
 * come from the item's own times, so converting the same item again gives
 * the same objects and a receiver de-duplicates by id + modified. A later
 * version of an incident keeps its id and gets a newer modified.
 *
 * Ownership: the converters append new objects (new references held by the
 * array) to the caller's json_t array; inputs are borrowed.
 * Errors: 0 or VG_ENOMEM; VG_EPARSE when an alert document is not a JSON
 * object with a rule id; VG_EINVAL for a missing required input (ctx->org,
 * an item id, an incident title); VG_ELIMIT past the bounds below. why (may
 * be NULL) names the field. On error the array may hold some of the item's
 * objects: discard it.
 * Thread-safety: no state; any thread. */
#ifndef VG_SHARE_STIX_H
#define VG_SHARE_STIX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* vigil's UUIDv5 namespace for SDO/SRO ids (never the STIX SCO namespace). */
#define VG_STIX_NS "5043a775-e986-4fef-91db-bdc25b465aae"
/* The STIX 2.1 namespace for SCO ids (§2.9). */
#define VG_STIX_SCO_NS "00abedb4-aa42-466c-9c01-fed23315a9b7"
/* The vigil incident extension (docs/stix.md) and the identity that defines it. */
#define VG_STIX_EXT_ID "extension-definition--a291cb45-eb13-4943-8d48-1d3c380a624b"
#define VG_STIX_EXT_CREATOR "identity--7da0cf25-be0b-4589-8cec-ea83d2ddd378"
#define VG_STIX_EXT_SCHEMA "https://vigil.example/stix/extension-incident-c20-v1.json"
#define VG_STIX_EXT_VERSION "1.0.0"
/* created/modified of the extension definition and its creator: fixed. */
#define VG_STIX_EXT_CREATED_US 1767225600000000LL /* 2026-01-01T00:00:00.000Z */

#define VG_STIX_ID_MAX 128         /* bytes of "type--uuid" and a NUL, with room */
#define VG_STIX_TS_MAX 32          /* bytes of a timestamp and a NUL */
#define VG_STIX_MAX_OBSERVABLES 32 /* observables taken from one alert; more are ignored */
#define VG_STIX_MAX_VALUE 8192     /* bytes of one observable value; longer ones are ignored */
#define VG_STIX_MAX_IPS 1024       /* public IPs of one system, incident or systems item */
#define VG_STIX_MAX_SYSTEMS 64     /* systems in one incident or systems item */

/* The sharing organisation. */
typedef struct vg_stix_ctx {
	const char *org;          /* its name (required): identity name */
	const char *origin;       /* this installation (part of every id seed; NULL = "") */
	const char *contact;      /* identity contact_information (NULL: none) */
	const char *sector;       /* identity sectors[0] (NULL: none), e.g. "government" */
	int64_t org_created_us;   /* identity created/modified (0: VG_STIX_EXT_CREATED_US) */
} vg_stix_ctx;

/* One affected system of an incident (as the Circular 20 forms name it). */
typedef struct vg_stix_system {
	int64_t id;                  /* vigil system id */
	const char *name;            /* required */
	int level;                   /* security level 1-5, 0 unknown */
	const char *unit;            /* owner unit (NULL: none) */
	int national;                /* nationally important */
	const char *const *ips;      /* declared public IPs (IPv4 or IPv6 text) */
	size_t nips;
	int64_t created_us, updated_us; /* infrastructure created/modified (0: detected/now of the caller) */
} vg_stix_system;

/* An incident with the fields of the Circular 20/2017/TT-BTTTT reports
 * (Mẫu 03 initial, Mẫu 04 closure). Strings may be NULL (absent). */
typedef struct vg_stix_incident {
	int64_t id;                   /* vigil incident id (required, > 0) */
	const char *title;            /* required */
	const char *description;
	const char *severity;         /* informational|low|medium|high|critical */
	const char *state;            /* new|triaged|contained|resolved|closed */
	const char *type;             /* malware|intrusion|encryption|destruction|data_theft|combined|other */
	int serious;                  /* serious incident (Circular 20) */
	int major_impact, beyond_capacity;
	int64_t detected_us;          /* required */
	int64_t created_us;           /* STIX created (0: detected_us) */
	int64_t updated_us;           /* STIX modified (0: created); a new version must be newer */
	int64_t reported_us;          /* initial report sent (0: not yet) */
	int64_t resolved_us, closed_us;
	const char *detection_method;
	const char *reporter_org, *reporter_name, *reporter_contact;
	const char *impact, *cause, *measures, *resolution, *recommendations;
	const vg_stix_system *systems;
	size_t nsystems;
} vg_stix_incident;

/* "2026-11-21T12:36:17.123Z" (millisecond precision, as STIX wants for
 * created/modified) into out[VG_STIX_TS_MAX]. */
void vg_stix_timestamp(int64_t us, char out[VG_STIX_TS_MAX]);
/* RFC 4122 UUIDv5 of name under namespace ns (text form), as 36 characters
 * and a NUL. VG_EINVAL: ns is not a UUID. */
VG_WUR int vg_stix_uuid5(const char *ns, const void *name, size_t len, char out[37]);
/* "type--uuid5(VG_STIX_NS, type|origin|seed)". */
VG_WUR int vg_stix_id(const vg_stix_ctx *c, const char *type, const char *seed, char out[VG_STIX_ID_MAX]);
/* Appends s[0..n) escaped for a STIX pattern string literal: '\' and '\''
 * become "\\" and "\'" (STIX 2.1 patterning §9.3). */
VG_WUR int vg_stix_pattern_escape(vg_buf *b, const char *s, size_t n);

/* The organisation's identity object (id from the org name and origin). */
VG_WUR int vg_stix_identity(const vg_stix_ctx *c, json_t *objects);
/* The vigil incident extension-definition and the identity that created it
 * (both fixed; include them in bundles that carry incidents). */
VG_WUR int vg_stix_extension_definition(json_t *objects);

/* An alert document (as stored in the alerts table: ECS fields, @timestamp,
 * rule{id,title,level,tags}, correlation{count,...}) under the stable item
 * id (e.g. "alert-42"): indicator (or, without observables, none), the
 * observables and an observed-data over them, and a sighting of the
 * indicator (or of the observed-data). */
VG_WUR int vg_stix_alert(const vg_stix_ctx *c, const char *item_id, const char *doc, size_t len, json_t *objects,
			 char *why, size_t whylen);
/* A raw event document (nested ECS, kind "event" items) under its item id
 * ("event-…"): observed-data (first/last_observed = @timestamp,
 * number_observed 1, labels "dataset:…", "layer:…", "category:…",
 * "outcome:…", "action:…") over its SCOs — ipv4-addr/ipv6-addr, domain-name,
 * url, file, process (command_line), user-account (user.name) as for an
 * alert, and network-traffic (src_ref/dst_ref, ports, protocols from
 * network.transport, else ipv4/ipv6) when the event names a port or a
 * transport — and the identity. No indicator, no sighting: nothing was
 * detected. VG_EUNSUPPORTED (objects untouched) for an event without
 * observables; VG_EPARSE without a valid @timestamp. */
VG_WUR int vg_stix_event(const vg_stix_ctx *c, const char *item_id, const char *doc, size_t len, json_t *objects,
			 char *why, size_t whylen);
/* An incident and, for each system with declared IPs, its infrastructure. */
VG_WUR int vg_stix_incident_objects(const vg_stix_ctx *c, const vg_stix_incident *inc, json_t *objects, char *why,
				    size_t whylen);
/* A system's declared public IPs: infrastructure, one ipv4-addr/ipv6-addr
 * per IP and a "consists-of" relationship to each. Invalid IPs: VG_EINVAL. */
VG_WUR int vg_stix_system_objects(const vg_stix_ctx *c, const vg_stix_system *s, int64_t now_us, json_t *objects,
				  char *why, size_t whylen);

/* Reads an incident from its JSON form (members in docs/stix.md: id, title,
 * description, severity, state, type, serious, detected_at, ...; times as
 * RFC 3339 text or integer µs; systems[] {id, name, level, unit, national,
 * public_ips[]}). Strings in *out and its systems are borrowed from doc;
 * *sys_store (caller frees with vg_stix_incident_json_free) owns the arrays. */
typedef struct vg_stix_incident_store {
	vg_stix_system *systems;
	const char **ips;
} vg_stix_incident_store;
VG_WUR int vg_stix_incident_from_json(const json_t *doc, vg_stix_incident *out, vg_stix_incident_store *store,
				      char *why, size_t whylen);
void vg_stix_incident_json_free(vg_stix_incident_store *store);

/* One outbox item payload ({"v":1,"id":…,"kind":…,"created":…,"data":{…}},
 * outbox.h) to STIX objects: kind "alert" -> vg_stix_alert over data,
 * "incident" -> vg_stix_incident_objects (data in the JSON form above, plus
 * the extension definition), "systems" -> data.systems[] through
 * vg_stix_system_objects, "event" -> vg_stix_event. Other kinds
 * (heartbeat, coverage) and events without observables: VG_EUNSUPPORTED
 * (the TAXII sink does not carry them). */
VG_WUR int vg_stix_outbox_item(const vg_stix_ctx *c, const char *payload, size_t len, json_t *objects, char *why,
			       size_t whylen);

/* A bundle {"type":"bundle","id":…,"objects":[…]} as compact JSON into out;
 * the bundle id is UUIDv5 over the object ids and modified times. */
VG_WUR int vg_stix_bundle(const json_t *objects, vg_buf *out);

#endif
