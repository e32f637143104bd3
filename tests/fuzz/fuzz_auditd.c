/* fuzz_auditd.c — libFuzzer target for the auditd parser (grouped records,
 * hex decoding) and vg_audit_serial: one input is one record (see
 * fuzz_parser.h). */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"auditd", NULL};
	unsigned long long serial;
	(void)vg_audit_serial((const char *)data, size, &serial);
	return vg_fuzz_parsers(data, size, names);
}
