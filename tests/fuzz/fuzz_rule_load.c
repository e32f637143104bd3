/* fuzz_rule_load.c — libFuzzer target for the Sigma rule loader: one input is
 * one rule file (any number of YAML documents). Loads it, compiles it (so
 * modifiers, regexes and Hyperscan databases are built), reads every rule's
 * metadata and correlation definition back, and matches a few events
 * (including the input itself as the raw record) against it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "core/logsource.h"
#include "detect/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned touch(const char *s)
{
	unsigned sum = 0;
	for (; s != NULL && *s; s++)
		sum += (unsigned char)*s;
	return sum;
}

static void on_reject(void *ud, const char *path, const char *id, const char *reason)
{
	*(unsigned *)ud += touch(path) + touch(id) + touch(reason);
}

static void on_match(void *ud, size_t idx, const vg_rule_info *r)
{
	*(unsigned *)ud += (unsigned)idx + touch(r->title);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once) {
		/* every input compiles: keep the Hyperscan database cache out of it */
		setenv("VIGIL_CACHE_DIR", "", 1);
		once = 1;
	}
	unsigned sum = 0;
	vg_engine *e = vg_engine_new();
	if (e == NULL)
		return 0;
	if (vg_engine_load_buffer(e, (const char *)data, size, "fuzz.yml", on_reject, &sum) != 0 ||
	    vg_engine_compile(e, on_reject, &sum) != 0) {
		vg_engine_free(e);
		return 0;
	}
	for (size_t i = 0; i < vg_engine_rule_count(e); i++) {
		const vg_rule_info *r = vg_engine_rule(e, i);
		sum += touch(r->id) + touch(r->name) + touch(r->title) + touch(r->level) + touch(r->product);
		for (size_t t = 0; t < r->ntags; t++)
			sum += touch(r->tags[t]);
		const vg_corr_def *c = vg_engine_corr_def(e, i);
		if (c != NULL) {
			for (size_t k = 0; k < c->nrules; k++)
				if (c->rules[k] >= vg_engine_rule_count(e))
					__builtin_trap();
			for (size_t k = 0; k < c->ngroup; k++)
				sum += touch(c->group_by[k]);
			for (size_t a = 0; a < c->naliases; a++)
				for (size_t k = 0; k < c->nrules; k++)
					sum += touch(c->aliases[a].rule_fields[k]);
		}
		size_t n;
		const char *const *names = vg_engine_map_field(e, i, "Image", &n);
		for (size_t k = 0; k < n; k++)
			sum += touch(names[k]);
	}
	vg_matcher *m = vg_matcher_new(e);
	vg_event *ev = vg_event_new();
	if (m != NULL && ev != NULL) {
		static const char *const fields[][2] = {
			{"F", "foo"}, {"A", "1"}, {"B", "10.1.2.3"}, {"EventID", "4688"},
			{"winlog.event_data.Image", "C:\\Windows\\System32\\cmd.exe"},
			{"winlog.event_data.CommandLine", "cmd.exe /c whoami -all"},
			{"T", "2026-04-17T05:24:53Z"},
		};
		for (size_t i = 0; i <= vg_engine_rule_count(e) && i < 8; i++) {
			const vg_rule_info *r = vg_engine_rule(e, i);
			vg_event_reset(ev, (const char *)data, size, "fuzz", 1);
			if (r != NULL) {
				uint8_t p = vg_product_id(r->product), s = vg_service_id(r->service), c = vg_category_id(r->category);
				ev->product = p == VG_LS_UNKNOWN ? 0 : p;
				ev->service = s == VG_LS_UNKNOWN ? 0 : s;
				ev->category = c == VG_LS_UNKNOWN ? 0 : c;
			}
			for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
				(void)vg_event_add_str(ev, fields[f][0], fields[f][1], strlen(fields[f][1]));
			(void)vg_event_add_str(ev, "F", (const char *)data, size < 256 ? size : 256);
			if (vg_matcher_run(m, ev, on_match, &sum) != 0)
				__builtin_trap();
		}
	}
	vg_event_free(ev);
	vg_matcher_free(m);
	vg_engine_free(e);
	volatile unsigned sink = sum;
	(void)sink;
	return 0;
}
