/* fuzz_reader.c — the input framing (lines, JSON documents, auditd groups,
 * gzip detection) on arbitrary bytes, then every record through the parser
 * fallback chain, as `vigil scan` does. Oracles: records lie inside their
 * batch; the batches' bytes_in add up to the whole input (plain input). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/event.h"
#include "scan/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	const char *formats[] = {NULL, "json", "auditd", "syslog"};
	vg_event *ev = vg_event_new();
	for (size_t k = 0; ev != NULL && k < sizeof(formats) / sizeof(formats[0]); k++) {
		int err = 0;
		vg_reader *r = vg_reader_open(path, formats[k] ? vg_parser_find(formats[k]) : NULL, &err);
		if (r == NULL)
			continue;
		vg_batch b;
		vg_batch_init(&b);
		uint64_t in = 0;
		int rc;
		while ((rc = vg_reader_next(r, &b, 3, 4096)) == 1) {
			in += b.bytes_in;
			for (size_t i = 0; i < b.nrecs; i++) {
				if (b.recs[i].off + b.recs[i].len > b.len)
					__builtin_trap();
				vg_event_reset(ev, b.buf + b.recs[i].off, b.recs[i].len, path, b.recs[i].line);
				vg_parse_record(b.parser, ev);
			}
		}
		in += b.bytes_in;
		if (rc == 0 && !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b) && in != size)
			__builtin_trap();
		vg_batch_clear(&b);
		vg_reader_close(r);
	}
	vg_event_free(ev);
	close(fd);
	return 0;
}
