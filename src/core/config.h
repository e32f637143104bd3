/* config.h — configuration as data: a component describes its settings in one
 * key table (name, type, default, help, offsetof into its struct) and this
 * module fills the struct from the defaults, a YAML file and command-line
 * overrides, prints help and dumps the effective configuration.
 *
 * Types and how a row's field in the caller's struct must be declared:
 *   VG_CFG_STRING, VG_CFG_PATH   char *            (owned by the struct; never NULL
 *   VG_CFG_ADDR, VG_CFG_HOSTPORT char *             once defaults are filled)
 *   VG_CFG_BOOL                  bool
 *   VG_CFG_INT                   int64_t
 *   VG_CFG_BYTES                 uint64_t          ("64MiB", "500KB", "1048576")
 *   VG_CFG_DURATION              uint64_t, in ms   ("100ms", "30s", "5m", "24h", "7d";
 *                                                  a plain number is seconds)
 *   VG_CFG_ENUM                  int, index into the row's words
 *   VG_CFG_LIST                  vg_config_list    (owned by the struct)
 * VG_CFG_ADDR is a numeric IPV4:PORT or [IPV6]:PORT, port 1..65535;
 * VG_CFG_HOSTPORT also allows a DNS name as the host. Either is the empty
 * string ("off", "unset") only in rows with VG_CFG_OPTIONAL. No value may
 * contain control characters or be longer than VG_CONFIG_MAX_VALUE bytes.
 *
 * YAML: one document whose top level is a mapping. Nested mappings flatten to
 * dotted names (listen: {syslog: x} is listen.syslog) and dotted keys may be
 * written flat; both forms may be mixed. Refused, with "FILE:LINE:COL: key
 * 'x.y': reason" in why: unknown keys, a key set twice (in any form), wrong
 * types, values out of range, a collection where a scalar is expected,
 * anchors, aliases and tags other than !!str, more than one document,
 * nesting deeper than VG_CONFIG_MAX_DEPTH, lists longer than
 * VG_CONFIG_MAX_LIST, files larger than VG_CONFIG_MAX_FILE. An empty
 * plain value (`key:`) is "" for string-like keys and [] for lists.
 *
 * Errors: 0, or VG_EIO (cannot read the file), VG_ELIMIT (a bound above),
 * VG_EPARSE (anything wrong with the content), VG_ENOTFOUND (vg_config_set
 * with an unknown name), VG_ENOMEM. On any error the struct is unchanged
 * (values are staged and committed only when everything is valid) and why
 * holds one line naming the file, line, column and key (or flag).
 * Thread-safety: none of these functions keeps state; calls on distinct
 * structs may run concurrently. Tables are read-only. */
#ifndef VG_CONFIG_H
#define VG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

#define VG_CONFIG_MAX_FILE  (1024 * 1024) /* bytes in a configuration file */
#define VG_CONFIG_MAX_DEPTH 8             /* nested YAML collections, the top mapping included */
#define VG_CONFIG_MAX_VALUE 4096          /* bytes in one value or list item */
#define VG_CONFIG_MAX_LIST  1024          /* items in one list */
#define VG_CONFIG_MAX_NAME  128           /* bytes in a (dotted) key name */
/* Upper bounds of every bytes / duration value, whatever the row says, so
 * that callers may convert to other units without overflow checks. */
#define VG_CONFIG_MAX_BYTES       (1ull << 60)                    /* 1 EiB */
#define VG_CONFIG_MAX_DURATION_MS (36500ull * 24 * 3600 * 1000)  /* 36500 days */

enum vg_config_type {
	VG_CFG_STRING = 1,
	VG_CFG_PATH,
	VG_CFG_ADDR,
	VG_CFG_HOSTPORT,
	VG_CFG_BOOL,
	VG_CFG_INT,
	VG_CFG_BYTES,
	VG_CFG_DURATION,
	VG_CFG_ENUM,
	VG_CFG_LIST,
};

/* Row flags. */
#define VG_CFG_OPTIONAL 0x1u /* addr / hostport: "" is allowed (off, unset) */
#define VG_CFG_SECRET   0x2u /* dump prints <redacted>; wiped on free */

/* A list of strings; items are owned by the struct that holds the list. */
typedef struct vg_config_list {
	char **v;
	size_t n;
} vg_config_list;

/* One row of a key table. Designated initialisers, please. */
typedef struct vg_config_key {
	const char *name; /* dotted: [a-z0-9_] segments; never a prefix of another row's name */
	int type;         /* enum vg_config_type */
	const char *def;  /* default as text, parsed like a value (lists: NULL or "" = empty) */
	const char *help; /* one line */
	size_t offset;    /* offsetof(struct, field) */
	unsigned flags;   /* VG_CFG_OPTIONAL, VG_CFG_SECRET */
	/* int / bytes / duration (ms): inclusive bounds, applied when min != max */
	int64_t min, max;
	const char *const *words; /* enum: NULL-terminated list of allowed words */
} vg_config_key;

/* Checks a table itself: names well formed, unique and not prefixes of one
 * another, rows of one section contiguous (so dumps nest), help present,
 * enum words present, and every default parses and is in range. 0, or
 * VG_EINVAL with the first problem in why. For unit tests and start-up
 * asserts; the other functions assume a valid table. */
VG_WUR int vg_config_check_table(const vg_config_key *t, size_t n, char *why, size_t whylen);

/* Fills every field of s from the defaults; whatever s held is overwritten,
 * not freed (s is expected to be uninitialised or zeroed). VG_ENOMEM (s then
 * holds NULLs where allocation failed, safe to vg_config_free) or VG_EPARSE
 * for a broken default. */
VG_WUR int vg_config_defaults(const vg_config_key *t, size_t n, void *s, char *why, size_t whylen);

/* Loads the YAML file at path over s (keys absent from the file keep their
 * value). See the contract above for what is refused. */
VG_WUR int vg_config_load_yaml(const vg_config_key *t, size_t n, void *s, const char *path, char *why,
			       size_t whylen);
/* The same from memory; name stands for the file in messages. */
VG_WUR int vg_config_load_yaml_mem(const vg_config_key *t, size_t n, void *s, const char *name,
				   const char *buf, size_t len, char *why, size_t whylen);

/* Sets one key from text, as a command-line flag overriding the file (call
 * after loading). origin names the flag in messages ("--listen-api: ...").
 * A list key is replaced by the one-item list [value]. VG_ENOTFOUND for an
 * unknown name, VG_EPARSE for a bad value (why says which). */
VG_WUR int vg_config_set(const vg_config_key *t, size_t n, void *s, const char *name, const char *value,
			 const char *origin, char *why, size_t whylen);
/* Replaces a list key with items[0..nitems) (repeatable flags: collect them,
 * then set them at once). Each item is checked as a list item. */
VG_WUR int vg_config_set_list(const vg_config_key *t, size_t n, void *s, const char *name,
			      const char *const *items, size_t nitems, const char *origin, char *why,
			      size_t whylen);

/* Every key with its type, default and help, for --help-config. */
void vg_config_help(const vg_config_key *t, size_t n, FILE *out);
/* The effective configuration as YAML that vg_config_load_yaml reads back to
 * the same struct (sections nested, help as comments); secrets print as
 * "<redacted>". */
void vg_config_dump(const vg_config_key *t, size_t n, const void *s, FILE *out);

/* Frees the strings and lists of s and sets them to NULL / empty (secrets are
 * wiped first). Safe on a struct that was zeroed or partly filled. */
void vg_config_free(const vg_config_key *t, size_t n, void *s);

/* The row named name, or NULL. */
const vg_config_key *vg_config_find(const vg_config_key *t, size_t n, const char *name);
/* The value parsers behind the types, for callers that take such values
 * elsewhere: 0 or VG_EPARSE. Bytes up to VG_CONFIG_MAX_BYTES, durations up
 * to VG_CONFIG_MAX_DURATION_MS. */
VG_WUR int vg_config_parse_bytes(const char *s, uint64_t *out);
VG_WUR int vg_config_parse_duration_ms(const char *s, uint64_t *out);
/* 0 if s is a numeric IPV4:PORT or [IPV6]:PORT (allow_name: or a DNS
 * NAME:PORT), else VG_EPARSE. */
VG_WUR int vg_config_parse_addr(const char *s, bool allow_name);

#endif
