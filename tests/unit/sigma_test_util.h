/* sigma_test_util.h — helpers shared by the tests/unit/test_sigma_*.c and
 * test_matcher_*.c files: build an engine from YAML text, build an event by
 * hand, run a matcher and collect the matching rule indices, read an input
 * file. Header-only (static) so each test stays one executable. */
#ifndef VG_SIGMA_TEST_UTIL_H
#define VG_SIGMA_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "core/logsource.h"
#include "detect/engine.h"

typedef struct st_rejects {
	int n;
	char last[640];   /* reason of the last rejection */
	char last_id[128];
	char all[4096];   /* every reason, one per line */
} st_rejects;

static __attribute__((unused)) void st_on_reject(void *ud, const char *path, const char *id, const char *reason)
{
	(void)path;
	st_rejects *r = ud;
	r->n++;
	snprintf(r->last, sizeof(r->last), "%s", reason);
	snprintf(r->last_id, sizeof(r->last_id), "%s", id);
	size_t l = strlen(r->all);
	snprintf(r->all + l, sizeof(r->all) - l, "%s\n", reason);
}

/* An engine from YAML text, loaded and compiled; NULL if the API failed. */
static __attribute__((unused)) vg_engine *st_engine(const char *yaml, st_rejects *rj)
{
	vg_engine *e = vg_engine_new();
	if (e == NULL)
		return NULL;
	memset(rj, 0, sizeof(*rj));
	if (vg_engine_load_buffer(e, yaml, strlen(yaml), "test.yml", st_on_reject, rj) != 0 ||
	    vg_engine_compile(e, st_on_reject, rj) != 0) {
		vg_engine_free(e);
		return NULL;
	}
	return e;
}

typedef struct st_hits {
	size_t idx[256];
	size_t n;
} st_hits;

static __attribute__((unused)) void st_on_match(void *ud, size_t idx, const vg_rule_info *r)
{
	(void)r;
	st_hits *h = ud;
	if (h->n < sizeof(h->idx) / sizeof(h->idx[0]))
		h->idx[h->n++] = idx;
}

/* Match an event with logsource (p, s, c), raw text and NULL-terminated
 * name/value pairs; returns the number of matching rules (indices in *h). */
static __attribute__((unused)) size_t st_run(const vg_engine *e, uint8_t p, uint8_t s, uint8_t c, const char *raw, const char *const *kv,
		     st_hits *h)
{
	vg_matcher *m = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	memset(h, 0, sizeof(*h));
	if (m == NULL || ev == NULL) {
		vg_matcher_free(m);
		vg_event_free(ev);
		return (size_t)-1;
	}
	vg_event_reset(ev, raw, raw ? strlen(raw) : 0, "-", 1);
	ev->product = p;
	ev->service = s;
	ev->category = c;
	for (size_t i = 0; kv != NULL && kv[i] != NULL; i += 2) {
		if (strcmp(kv[i + 1], "\x01NULL") == 0)
			(void)vg_event_add(ev, kv[i], strlen(kv[i]), "null", 4, VG_V_NULL);
		else
			(void)vg_event_add_str(ev, kv[i], kv[i + 1], strlen(kv[i + 1]));
	}
	int r = vg_matcher_run(m, ev, st_on_match, h);
	vg_event_free(ev);
	vg_matcher_free(m);
	return r == 0 ? h->n : (size_t)-1;
}

/* One rule, category antivirus (fields are read under their Sigma names):
 * does the event with these fields match? -1 when the rule was rejected. */
static __attribute__((unused)) int st_match1(const char *detection, const char *raw, const char *const *kv)
{
	size_t cap = strlen(detection) + 256;
	char *yaml = malloc(cap);
	if (yaml == NULL)
		return -3;
	snprintf(yaml, cap, "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  category: antivirus\n"
		 "detection:\n%s\n", detection);
	st_rejects rj;
	vg_engine *e = st_engine(yaml, &rj);
	free(yaml);
	if (e == NULL || vg_engine_rule_count(e) != 1) {
		vg_engine_free(e);
		return -1;
	}
	st_hits h;
	size_t n = st_run(e, 0, 0, VG_CATEGORY_ANTIVIRUS, raw, kv, &h);
	vg_engine_free(e);
	return n == (size_t)-1 ? -2 : (int)n;
}

/* The rejection reason of one rule ("" when it loads). */
static __attribute__((unused)) const char *st_reject1(const char *yaml, char *buf, size_t n)
{
	st_rejects rj;
	vg_engine *e = st_engine(yaml, &rj);
	snprintf(buf, n, "%s", rj.n ? rj.last : "");
	vg_engine_free(e);
	return buf;
}

/* path's bytes (malloc'd, *n of them), or NULL when it cannot be opened. */
static __attribute__((unused)) char *st_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	*n = 0;
	for (;;) {
		if (*n + 65536 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 65536);
			if (nb == NULL)
				break;
			buf = nb;
		}
		size_t got = fread(buf + *n, 1, cap - *n, f);
		*n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	return buf;
}

#endif
