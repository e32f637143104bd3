/* fuzz_dqueue.c — libFuzzer target for the durable queue's recovery: the input
 * becomes the files of a queue directory (segments, optionally a ledger slot),
 * which is opened, read to the end, written to and reopened. Whatever the
 * bytes, open must not crash, delivered seqs must rise strictly within
 * (floor, committed], and the queue must stay writable and consistent.
 * Input: [flags][64-byte ledger slot if flags&1][2-byte split if flags&2][segment bytes].
 * flags&4 fixes up the checksums of the records laid end to end after the
 * segment header, so mutations reach the seq and commit logic, not only the
 * checksum rejections. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/dqueue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char qdir[256];

static uint32_t crc32c_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrites both checksums of each record, walking by the length fields. */
static void fix_crcs(uint8_t *b, size_t n)
{
	size_t off = VG_DQ_SEGMENT_HEADER;
	while (off + VG_DQ_RECORD_OVERHEAD <= n) {
		uint8_t *h = b + off;
		size_t len = (size_t)(h[0] | h[1] << 8 | h[2] << 16);
		if (len > n - off - VG_DQ_RECORD_OVERHEAD)
			len = n - off - VG_DQ_RECORD_OVERHEAD;
		put32(h + 4, crc32c_bitwise(h + VG_DQ_RECORD_OVERHEAD, len));
		put32(h + 16, crc32c_bitwise(h, 16));
		off += VG_DQ_RECORD_OVERHEAD + len;
	}
}

static int make_dir(void)
{
	if (qdir[0] != '\0')
		return 0;
	char base[200];
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(base, sizeof(base), "%s/fuzz_dqueue-XXXXXX", tmp);
	if (mkdtemp(base) == NULL)
		return -1;
	snprintf(qdir, sizeof(qdir), "%s/q", base);
	return 0;
}

static void clear_dir(void)
{
	DIR *d = opendir(qdir);
	if (d == NULL)
		return;
	struct dirent *de;
	char p[600];
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", qdir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(qdir);
}

static int put_file(const char *name, const uint8_t *p, size_t n)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", qdir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t w = n ? fwrite(p, 1, n, f) : 0;
	fclose(f);
	return w == n ? 0 : -1;
}

struct chk {
	uint64_t last, floor, committed;
	size_t n;
};

static int visit(void *ctx, uint64_t seq, const void *p, size_t len)
{
	struct chk *c = ctx;
	if (seq <= c->last || seq <= c->floor || seq > c->committed || (len != 0 && p == NULL))
		__builtin_trap();
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < len; i++)
		sink ^= ((const uint8_t *)p)[i];
	(void)sink;
	c->last = seq;
	c->n++;
	return 0;
}

static void read_all(vg_dq *q, struct chk *c)
{
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	if (st.next_seq != st.committed_seq + 1 || st.floor_seq > st.committed_seq)
		__builtin_trap();
	*c = (struct chk){.floor = st.floor_seq, .committed = st.committed_seq};
	/* in small steps, so resuming in place is exercised too */
	for (;;) {
		size_t before = c->n;
		if (vg_dq_peek(q, c->last, 3, 0, visit, c) != 0 || c->n == before)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20) || make_dir() != 0)
		return 0;
	clear_dir();
	if (mkdir(qdir, 0700) != 0)
		return 0;
	uint8_t flags = data[0];
	data++, size--;
	if ((flags & 1) && size >= 64) {
		uint8_t led[4096 + 64];
		memset(led, 0, sizeof(led));
		memcpy(led, data, 64);
		put_file("ledger", led, sizeof(led));
		data += 64, size -= 64;
	}
	size_t split = size;
	if ((flags & 2) && size >= 2) {
		split = (size_t)(data[0] | data[1] << 8);
		data += 2, size -= 2;
		if (split > size)
			split = size;
	}
	uint8_t *copy = NULL;
	if (flags & 4) {
		if ((copy = malloc(size ? size : 1)) == NULL)
			return 0;
		memcpy(copy, data, size);
		fix_crcs(copy, split);
		fix_crcs(copy + split, size - split);
		data = copy;
	}
	put_file("q-00000000000000000001.vgq", data, split);
	if (split < size)
		put_file("q-00000000000000000100.vgq", data + split, size - split);
	free(copy);

	int err = 0;
	vg_dq *q = vg_dq_open(qdir, NULL, &err);
	if (q == NULL)
		return 0;
	vg_dq_stats first;
	vg_dq_stats_get(q, &first);
	struct chk c;
	read_all(q, &c);
	/* a rescan from the floor finds the same records */
	struct chk c2 = c;
	c2.last = 0, c2.n = 0;
	if (vg_dq_peek(q, 0, SIZE_MAX, 0, visit, &c2) != 0 || c2.n != c.n)
		__builtin_trap();
	vg_dq_stats st;
	vg_dq_stats_get(q, &st);
	uint64_t seq = 0;
	if (vg_dq_push(q, "fuzz", 4, &seq) != 0 || seq != st.next_seq || vg_dq_sync(q, "m", 1) != 0) {
		vg_dq_close(q);
		return 0; /* a write error on the test file system is not a finding */
	}
	if (vg_dq_ack(q, st.floor_seq) != 0)
		__builtin_trap();
	vg_dq_close(q);

	q = vg_dq_open(qdir, NULL, &err);
	if (q == NULL)
		__builtin_trap(); /* what we wrote ourselves must open */
	vg_dq_stats_get(q, &st);
	/* the first open cut the damaged tail: nothing new may look damaged */
	if (st.committed_seq != seq || st.corrupt_records > first.corrupt_records ||
	    st.truncated_bytes > first.truncated_bytes)
		__builtin_trap();
	read_all(q, &c);
	if (c.last != seq)
		__builtin_trap();
	char m[4];
	size_t len = 0;
	if (vg_dq_meta(q, m, sizeof(m), &len) != 0 || len != 1 || m[0] != 'm')
		__builtin_trap();
	vg_dq_close(q);
	return 0;
}
