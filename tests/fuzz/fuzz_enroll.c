/* fuzz_enroll.c — libFuzzer target for the enrolment message parser (bytes
 * an unauthenticated peer sends before enrolment) and the token parser.
 * A message that parses must re-encode to exactly the same bytes: the format
 * has one encoding per message, so anything else is a parser bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vg_enroll_msg m;
	int r = vg_enroll_msg_parse(data, size, &m);
	if (r != 0 && r != VG_EPARSE && r != VG_EUNSUPPORTED && r != VG_ELIMIT)
		__builtin_trap();
	if (r == 0) {
		static uint8_t out[VG_ENROLL_MAX_FRAME + 4];
		size_t n = 0;
		unsigned sum = 0;
		for (int t = 1; t < VG_ENROLL_F_COUNT; t++) /* every slice must be readable */
			for (size_t i = 0; m.f[t].p && i < m.f[t].len; i++)
				sum += m.f[t].p[i];
		volatile unsigned sink = sum;
		(void)sink;
		if (vg_enroll_msg_encode(&m, out, sizeof(out), &n) != 0 || n != size + 4 ||
		    memcmp(out + 4, data, size) != 0)
			__builtin_trap();
	}

	/* the same bytes as a token typed on a command line */
	char tok[VG_ENROLL_TOKEN_BUF + 8], id[VG_ENROLL_ID_LEN + 1];
	uint8_t secret[VG_ENROLL_SECRET];
	size_t k = size < sizeof(tok) - 1 ? size : sizeof(tok) - 1;
	memcpy(tok, data, k);
	tok[k] = '\0';
	r = vg_enroll_token_parse(tok, id, secret);
	if (r != 0 && r != VG_EINVAL)
		__builtin_trap();
	if (r == 0 && (strlen(id) != VG_ENROLL_ID_LEN || tok[VG_ENROLL_ID_LEN] != '.'))
		__builtin_trap();
	return 0;
}
