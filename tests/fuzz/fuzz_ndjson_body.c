/* fuzz_ndjson_body.c — the NDJSON validation of POST /api/v1/events
 * (vg_ndjson_check) on arbitrary bytes. The first byte picks the line limit.
 * Every line handed out must be a JSON object within the limits, contain no
 * LF, come in increasing line order, and the count must match; a rejection
 * must name a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/api_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
	size_t last, n;
} seen;

static int check(void *ud, size_t lineno, const char *line, size_t len)
{
	seen *s = ud;
	if (lineno <= s->last || len == 0 || len > VG_MAX_RECORD || memchr(line, '\n', len) != NULL)
		abort();
	json_t *j = json_loadb(line, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
	if (j == NULL || !json_is_object(j))
		abort();
	json_decref(j);
	s->last = lineno;
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t max_lines = (size_t)data[0] % 8 + 1;
	seen s = {0};
	size_t n = 0;
	vg_ndjson_err e;
	int r = vg_ndjson_check(data + 1, size - 1, max_lines, check, &s, &n, &e);
	if (r == 0 && (n != s.n || n > max_lines || e.line != 0))
		abort();
	if ((r == VG_EPARSE || r == VG_ELIMIT) && (e.line == 0 || e.reason[0] == '\0' || e.line <= s.last))
		abort();
	if (r != 0 && r != VG_EPARSE && r != VG_ELIMIT && r != VG_ENOMEM)
		abort();
	return 0;
}
