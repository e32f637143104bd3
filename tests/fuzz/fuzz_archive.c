/* fuzz_archive.c — arbitrary bytes as an archive segment file (and, by the
 * first byte's low bit, a segment index cut from the input) through the
 * reader, then through the writer's crash recovery: what recovery keeps must
 * read back exactly, followed by records appended after it.
 * Input: mode byte, then [u32 index length, index bytes] when mode & 1, then
 * the segment bytes. mode & 2: also open the writer (recover, append, sync),
 * then close and reopen: the committed metadata recovered at the first open
 * must come back unchanged, or with mode & 8 the meta committed with the
 * appended records (vg_archive_sync_meta with the input's first bytes).
 * mode & 4: the input is made structurally valid so the fuzzer can reach the
 * record and host-table checks behind the checksums: the segment bytes are
 * read as [44-byte header template][u16 n][n raw record bytes]..., each
 * payload compressed and its lengths and CRCs filled in, and the index's CRC
 * is recomputed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "store/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256], adir[300];

static void clear(void);

static void teardown(void)
{
	clear();
	rmdir(adir);
	rmdir(root);
}

static void setup(void)
{
	if (root[0] != '\0')
		return;
	atexit(teardown);
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(root, sizeof(root), "%s/vg_fuzz_archive_%ld", tmp, (long)getpid());
	snprintf(adir, sizeof(adir), "%s/archive", root);
	mkdir(root, 0700);
	mkdir(adir, 0700);
}

static void clear(void)
{
	DIR *d = opendir(adir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", adir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", adir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return;
	if (n > 0)
		fwrite(p, 1, n, f);
	fclose(f);
}

static uint32_t crc(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Builds a segment whose blocks carry valid lengths, compression and CRCs
 * around the fuzzer's header fields and raw records. Caller frees. */
static uint8_t *make_valid(const uint8_t *p, size_t n, size_t *out_len)
{
	size_t cap = 64 + n * 2 + 65536, len = 0;
	uint8_t *out = malloc(cap);
	if (out == NULL)
		return NULL;
	size_t off = 0;
	while (n - off >= 46) {
		size_t raw = (size_t)(p[off + 44] | p[off + 45] << 8);
		if (raw > n - off - 46)
			raw = n - off - 46;
		size_t bound = ZSTD_compressBound(raw);
		if (cap - len < 44 + bound)
			break;
		uint8_t *h = out + len;
		memcpy(h, p + off, 44);
		size_t c = raw == 0 ? 0 : ZSTD_compress(h + 44, bound, p + off + 46, raw, 1);
		if (ZSTD_isError(c))
			break;
		le32(h, 0x42414756u); /* keep the magic right: the rest is the fuzzer's */
		le32(h + 8, (uint32_t)raw);
		le32(h + 12, (uint32_t)c);
		le32(h + 20, crc(h + 44, c));
		le32(h + 40, crc(h, 40));
		len += 44 + c;
		off += 46 + raw;
	}
	*out_len = len;
	return out;
}

typedef struct seen {
	uint64_t n;
	int64_t last_ts[3];
	char last_doc[3][16];
} seen;

static int count(void *ud, const vg_archive_rec *r)
{
	seen *s = ud;
	if (r->doc_len > VG_ARCHIVE_MAX_DOC || strlen(r->host) > VG_ARCHIVE_MAX_HOST)
		__builtin_trap();
	s->last_ts[0] = s->last_ts[1];
	s->last_ts[1] = s->last_ts[2];
	s->last_ts[2] = r->ts_us;
	memmove(s->last_doc[0], s->last_doc[1], 2 * sizeof(s->last_doc[0]));
	snprintf(s->last_doc[2], sizeof(s->last_doc[2]), "%.*s", (int)(r->doc_len < 15 ? r->doc_len : 15), r->doc);
	s->n++;
	return 0;
}

static int64_t age_of(void *ud, const char *host)
{
	(void)ud;
	return host[0] == 'k' ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	clear();
	uint8_t mode = size > 0 ? data[0] : 0;
	if (size > 0) {
		data++;
		size--;
	}
	int with_idx = 0;
	if ((mode & 1) && size >= 4) {
		size_t il = (size_t)(data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24) % (size - 4 + 1);
		uint8_t *ix = malloc(il + 1);
		if (ix == NULL)
			return 0;
		memcpy(ix, data + 4, il);
		if ((mode & 4) && il >= 4)
			le32(ix + il - 4, crc(ix, il - 4));
		put("seg-000000000001-0.idx", ix, il);
		free(ix);
		data += 4 + il;
		size -= 4 + il;
		with_idx = 1;
	}
	if (mode & 4) {
		size_t vl;
		uint8_t *v = make_valid(data, size, &vl);
		if (v == NULL)
			return 0;
		put("seg-000000000001-0.vga", v, vl);
		free(v);
	} else {
		put("seg-000000000001-0.vga", data, size);
	}

	seen s = {0};
	vg_archive_scan_stats st;
	if (vg_archive_scan(root, NULL, count, &s, &st) != 0 || st.records_matched != s.n)
		__builtin_trap();
	vg_archive_filter f = {.from_us = 0, .to_us = 1000000, .has_from = 1, .has_to = 1, .host = "h0"};
	memset(&s, 0, sizeof(s));
	if (vg_archive_scan(root, &f, count, &s, &st) != 0)
		__builtin_trap();

	if (!(mode & 2))
		return 0;
	vg_archive_opts o = {.block_bytes = 4096, .quiet = 1, .max_age_us = 1, .max_age_for_host = age_of};
	int err;
	vg_archive *a = vg_archive_open(root, &o, &err);
	if (a == NULL)
		return 0;
	vg_archive_stats ast;
	vg_archive_stats_get(a, &ast);
	uint64_t kept = ast.records;
	static uint8_t meta[VG_ARCHIVE_MAX_META];
	size_t mlen = 0;
	int mr = vg_archive_meta(a, meta, sizeof(meta), &mlen);
	if ((mr != 0 && mr != VG_ENOTFOUND) || (mr == 0 && mlen > VG_ARCHIVE_MAX_META))
		__builtin_trap();
	static const char *docs[3] = {"{\"fuzz\":1}", "{\"fuzz\":2}", "{\"fuzz\":3}"};
	for (int i = 0; i < 3; i++)
		if (vg_archive_append(a, INT64_MAX - 3 + i, "h", docs[i], strlen(docs[i])) != 0)
			__builtin_trap();
	if (mode & 8) {
		mlen = size < 64 ? size : 64;
		memcpy(meta, data, mlen);
		mr = 0;
		if (vg_archive_sync_meta(a, meta, mlen) != 0)
			__builtin_trap();
	} else if (vg_archive_sync(a) != 0) {
		__builtin_trap();
	}
	memset(&s, 0, sizeof(s));
	if (vg_archive_scan(root, NULL, count, &s, &st) != 0)
		__builtin_trap();
	/* Without a planted index, recovery decided from the bytes alone: the
	 * reader must agree with it exactly. */
	if (!with_idx && (s.n != kept + 3 || st.errors != 0))
		__builtin_trap();
	for (int i = 0; i < 3; i++)
		if (s.last_ts[i] != INT64_MAX - 3 + i || strcmp(s.last_doc[i], docs[i]) != 0)
			__builtin_trap();
	if (vg_archive_retain(a, INT64_MAX) < 0)
		__builtin_trap();
	vg_archive_close(a);
	/* the meta is the last commit's, whatever retention deleted */
	if ((a = vg_archive_open(root, &o, &err)) == NULL)
		__builtin_trap();
	static uint8_t back[VG_ARCHIVE_MAX_META];
	size_t blen = 0;
	int br = vg_archive_meta(a, back, sizeof(back), &blen);
	if (br != mr || (br == 0 && (blen != mlen || memcmp(back, meta, mlen) != 0)))
		__builtin_trap();
	vg_archive_close(a);
	return 0;
}
