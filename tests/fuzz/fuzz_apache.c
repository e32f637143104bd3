/* fuzz_apache.c — libFuzzer target for the Apache/Nginx access and error log parsers:
 * one input is one record (see fuzz_parser.h). */
#include "fuzz_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"apache_access", "apache_error", NULL};
	return vg_fuzz_parsers(data, size, names);
}
