/* fuzz_reader.c — the input framing (lines, JSON documents, auditd groups,
 * gzip detection) on arbitrary bytes, then every record through the parser
 * fallback chain, as `vigil scan` does. */
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
		while (vg_reader_next(r, &b, 3, 4096) == 1) {
			for (size_t i = 0; i < b.nrecs; i++) {
				if (b.recs[i].off + b.recs[i].len > b.len)
					__builtin_trap();
				vg_event_reset(ev, b.buf + b.recs[i].off, b.recs[i].len, path, b.recs[i].line);
				vg_parse_record(b.parser, ev);
			}
		}
		vg_batch_clear(&b);
		vg_reader_close(r);
	}
	vg_event_free(ev);
	close(fd);
	return 0;
}
