/* fuzz_syslog.c — libFuzzer target for the syslog parser (RFC 3164/5424 headers and the per-program extractors):
 * one input is one record (see fuzz_parser.h). */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"syslog", NULL};
	return vg_fuzz_parsers(data, size, names);
}
