/* fuzz_config.c — libFuzzer target for the configuration loader
 * (core/config.h) with the server and agent key tables. Oracles: only the
 * documented error codes; a refused file leaves the struct exactly as it
 * was (same dump) with a message; an accepted one dumps to YAML that loads
 * back to the same dump. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_config.h"
#include "server/server_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const vg_config_key *t, size_t n, const void *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		__builtin_trap();
	vg_config_dump(t, n, s, f);
	fclose(f);
	return buf;
}

static void one(const vg_config_key *t, size_t n, void *a, void *b, const uint8_t *data, size_t size)
{
	char why[512];
	size_t l0, l1, l2;
	if (vg_config_defaults(t, n, a, why, sizeof(why)) != 0)
		__builtin_trap();
	char *before = dump(t, n, a, &l0);
	int r = vg_config_load_yaml_mem(t, n, a, "fuzz", (const char *)data, size, why, sizeof(why));
	if (r != 0 && r != VG_EPARSE && r != VG_ELIMIT && r != VG_ENOMEM)
		__builtin_trap();
	char *after = dump(t, n, a, &l1);
	if (r != 0) {
		/* refused: a message, and nothing applied */
		if (why[0] == '\0' || l0 != l1 || memcmp(before, after, l0) != 0)
			__builtin_trap();
	} else {
		if (vg_config_defaults(t, n, b, why, sizeof(why)) != 0)
			__builtin_trap();
		if (vg_config_load_yaml_mem(t, n, b, "dump", after, l1, why, sizeof(why)) != 0)
			__builtin_trap();
		char *again = dump(t, n, b, &l2);
		if (l1 != l2 || memcmp(after, again, l1) != 0)
			__builtin_trap();
		free(again);
		vg_config_free(t, n, b);
	}
	free(before);
	free(after);
	vg_config_free(t, n, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vg_server_config s1, s2;
	vg_agent_config a1, a2;
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	memset(&a1, 0, sizeof(a1));
	memset(&a2, 0, sizeof(a2));
	one(vg_server_config_keys, vg_server_config_nkeys, &s1, &s2, data, size);
	one(vg_agent_config_keys, vg_agent_config_nkeys, &a1, &a2, data, size);
	return 0;
}
