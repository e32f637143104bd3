/* hsdb_cache.c — compiled Hyperscan databases on disk (see hsdb_cache.h). */
#include "detect/hsdb_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char MAGIC[8] = "VGHSDB1\n";

/* The header before the payload (the extra ids, then the serialised database). */
struct head {
	char magic[8];
	uint32_t nextra;
	uint32_t zero;
	uint64_t dblen;
	uint8_t sum[32]; /* SHA-256 of key, extra ids and database bytes */
};

static pthread_once_t dir_once = PTHREAD_ONCE_INIT;
static char dir_path[PATH_MAX];
static int dir_ok;

/* mkdir -p with mode 0700 for the parts that are missing. */
static int make_dirs(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, 0700);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

static void resolve_dir(void)
{
	const char *root = getenv("VIGIL_CACHE_DIR"), *base, *sub = "";
	if (root != NULL) {
		if (root[0] == '\0')
			return; /* switched off */
		base = root;
	} else if ((base = getenv("CACHE_DIRECTORY")) != NULL && base[0] == '/') {
		/* systemd: one directory, or a colon-separated list: the first */
		const char *colon = strchr(base, ':');
		if (colon != NULL && (size_t)(colon - base) < sizeof(dir_path) - 16) {
			memcpy(dir_path, base, (size_t)(colon - base));
			dir_path[colon - base] = '\0';
			base = dir_path;
		}
	} else if ((base = getenv("XDG_CACHE_HOME")) != NULL && base[0] == '/') {
		sub = "/vigil";
	} else if ((base = getenv("HOME")) != NULL && base[0] == '/') {
		sub = "/.cache/vigil";
	} else {
		return;
	}
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s%s/hyperscan", base, sub);
	if (n < 0 || (size_t)n >= sizeof(path) || make_dirs(path) != 0)
		return;
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		return; /* not private to us: do not trust its files */
	memcpy(dir_path, path, (size_t)n + 1);
	dir_ok = 1;
}

const char *vg_hsdb_cache_dir(void)
{
	pthread_once(&dir_once, resolve_dir);
	return dir_ok ? dir_path : NULL;
}

static int entry_path(const vg_hsdb_key *k, char *out, size_t cap)
{
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", k->d[i]);
	int n = snprintf(out, cap, "%s/%s.hsdb", dir_path, hex);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int vg_hsdb_key_of(const char *const *exprs, const unsigned *flags, const unsigned *ids, size_t n, unsigned mode,
		   vg_hsdb_key *k)
{
	hs_platform_info_t plat;
	if (hs_populate_platform(&plat) != HS_SUCCESS)
		return -1;
	const char *ver = hs_version();
	uint64_t hdr[4] = {(uint64_t)mode, (uint64_t)n, (uint64_t)plat.tune, (uint64_t)plat.cpu_features};
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok = h != NULL && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(h, MAGIC, sizeof(MAGIC)) == 1 && EVP_DigestUpdate(h, ver, strlen(ver) + 1) == 1 &&
		 EVP_DigestUpdate(h, hdr, sizeof(hdr)) == 1;
	for (size_t i = 0; i < n && ok; i++) {
		uint32_t rec[3] = {flags[i], ids[i], (uint32_t)strlen(exprs[i])};
		ok = EVP_DigestUpdate(h, rec, sizeof(rec)) == 1 && EVP_DigestUpdate(h, exprs[i], rec[2]) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(h, k->d, &len) == 1 && len == sizeof(k->d);
	EVP_MD_CTX_free(h);
	return ok ? 0 : -1;
}

static int payload_sum(const vg_hsdb_key *k, const void *extra, size_t extra_len, const void *db, size_t dblen,
		       uint8_t out[32])
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok = h != NULL && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(h, k->d, sizeof(k->d)) == 1 && EVP_DigestUpdate(h, extra, extra_len) == 1 &&
		 EVP_DigestUpdate(h, db, dblen) == 1 && EVP_DigestFinal_ex(h, out, &len) == 1 && len == 32;
	EVP_MD_CTX_free(h);
	return ok ? 0 : -1;
}

static int read_all(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	for (size_t put = 0; put < n;) {
		ssize_t r = write(fd, (const char *)buf + put, n - put);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		put += (size_t)r;
	}
	return 0;
}

hs_database_t *vg_hsdb_entry_load(const vg_hsdb_key *k, const void *buf, size_t n, uint32_t **extra, size_t *nextra)
{
	*extra = NULL;
	*nextra = 0;
	struct head h;
	uint8_t sum[32];
	if (n < sizeof(h))
		return NULL;
	memcpy(&h, buf, sizeof(h));
	const char *body = (const char *)buf + sizeof(h);
	if (memcmp(h.magic, MAGIC, sizeof(MAGIC)) != 0 || h.zero != 0 || h.dblen > VG_HSDB_CACHE_MAX_ENTRY ||
	    h.nextra > VG_HSDB_CACHE_MAX_ENTRY / 4 || n - sizeof(h) != (uint64_t)h.nextra * 4 + h.dblen)
		return NULL;
	size_t elen = (size_t)h.nextra * 4;
	if (payload_sum(k, body, elen, body + elen, (size_t)h.dblen, sum) != 0 || memcmp(sum, h.sum, 32) != 0)
		return NULL;
	hs_database_t *db = NULL;
	if (hs_deserialize_database(body + elen, (size_t)h.dblen, &db) != HS_SUCCESS)
		return NULL;
	if (h.nextra != 0) {
		if ((*extra = malloc(elen)) == NULL) {
			hs_free_database(db);
			return NULL;
		}
		memcpy(*extra, body, elen);
		*nextra = h.nextra;
	}
	return db;
}

hs_database_t *vg_hsdb_cache_get(const vg_hsdb_key *k, uint32_t **extra, size_t *nextra)
{
	*extra = NULL;
	*nextra = 0;
	char path[PATH_MAX];
	if (vg_hsdb_cache_dir() == NULL || entry_path(k, path, sizeof(path)) != 0)
		return NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *buf = NULL;
	hs_database_t *db = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (uint64_t)st.st_size >= sizeof(struct head) &&
	    (uint64_t)st.st_size <= sizeof(struct head) + VG_HSDB_CACHE_MAX_ENTRY &&
	    (buf = malloc((size_t)st.st_size)) != NULL && read_all(fd, buf, (size_t)st.st_size) == 0 &&
	    (db = vg_hsdb_entry_load(k, buf, (size_t)st.st_size, extra, nextra)) != NULL)
		(void)futimens(fd, NULL); /* recently used: pruned last */
	free(buf);
	close(fd);
	return db;
}

struct ent {
	char name[80];
	time_t mtime;
	off_t size;
};

static int by_age(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Keeps the directory within its bounds, the oldest entries going first;
 * temporary files older than an hour (a writer that died) go too. */
static void prune(void)
{
	DIR *d = opendir(dir_path);
	if (d == NULL)
		return;
	struct ent *es = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		int entry = l > 5 && strcmp(de->d_name + l - 5, ".hsdb") == 0, tmp = strncmp(de->d_name, ".tmp.", 5) == 0;
		struct stat st;
		if ((!entry && !tmp) || l >= sizeof(es->name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (tmp) {
			if (now - st.st_mtime > 3600)
				(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct ent *ne = n < 4 * VG_HSDB_CACHE_MAX_FILES ? realloc(es, nc * sizeof(*es)) : NULL;
			if (ne == NULL)
				break;
			es = ne;
			cap = nc;
		}
		memcpy(es[n].name, de->d_name, l + 1);
		es[n].mtime = st.st_mtime;
		es[n].size = st.st_size;
		total += (uint64_t)st.st_size;
		n++;
	}
	if (n > VG_HSDB_CACHE_MAX_FILES || total > VG_HSDB_CACHE_MAX_BYTES) {
		qsort(es, n, sizeof(*es), by_age);
		for (size_t i = 0; i < n && (n - i > VG_HSDB_CACHE_MAX_FILES || total > VG_HSDB_CACHE_MAX_BYTES); i++)
			if (unlinkat(dirfd(d), es[i].name, 0) == 0)
				total -= (uint64_t)es[i].size;
	}
	free(es);
	closedir(d);
}

void vg_hsdb_cache_put(const vg_hsdb_key *k, const hs_database_t *db, const uint32_t *extra, size_t nextra)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	char *bytes = NULL;
	size_t len = 0;
	if (vg_hsdb_cache_dir() == NULL || entry_path(k, path, sizeof(path)) != 0 || nextra > UINT32_MAX / 4 ||
	    hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
		return;
	struct head h = {.nextra = (uint32_t)nextra, .dblen = len};
	memcpy(h.magic, MAGIC, sizeof(MAGIC));
	int n = snprintf(tmp, sizeof(tmp), "%s/.tmp.XXXXXX", dir_path);
	int fd = -1;
	if (len + nextra * 4 <= VG_HSDB_CACHE_MAX_ENTRY && n > 0 && (size_t)n < sizeof(tmp) &&
	    payload_sum(k, extra, nextra * 4, bytes, len, h.sum) == 0 && (fd = mkostemp(tmp, O_CLOEXEC)) >= 0) {
		int ok = write_all(fd, &h, sizeof(h)) == 0 && (nextra == 0 || write_all(fd, extra, nextra * 4) == 0) &&
			 write_all(fd, bytes, len) == 0;
		ok = close(fd) == 0 && ok;
		if (!ok || rename(tmp, path) != 0)
			(void)unlink(tmp);
		else
			prune();
	}
	free(bytes);
}
