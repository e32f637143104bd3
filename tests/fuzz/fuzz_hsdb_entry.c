/* fuzz_hsdb_entry.c — libFuzzer target for the Hyperscan database cache's
 * entry reader (detect/hsdb_cache.h, vg_hsdb_entry_load). Every input is
 * tried twice: as an entry file's bytes as they are (the header checks), and
 * as [nextra byte][nextra ids][database bytes] wrapped in a well-formed
 * header with the right checksum, so the bytes reach Hyperscan's
 * deserialiser as a damaged cache entry would (a file the checksum cannot
 * tell from a good one). A database that loads must scan. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/hsdb_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const vg_hsdb_key key = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}};

static void try_load(const uint8_t *buf, size_t n)
{
	uint32_t *extra = NULL;
	size_t nextra = 0;
	hs_database_t *db = vg_hsdb_entry_load(&key, buf, n, &extra, &nextra);
	if (db != NULL) {
		hs_scratch_t *sc = NULL;
		if (hs_alloc_scratch(db, &sc) == HS_SUCCESS)
			(void)hs_scan(db, "an event's raw record", 21, 0, sc, NULL, NULL);
		hs_free_scratch(sc);
		hs_free_database(db);
	}
	if ((extra == NULL) != (nextra == 0))
		__builtin_trap();
	free(extra);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_load(data, size);
	if (size < 1)
		return 0;
	/* the header of hsdb_cache.c: magic, nextra, zero, dblen, SHA-256 of key, ids, database */
	size_t nextra = data[0] % 4, elen = nextra * 4;
	if (size - 1 < elen)
		return 0;
	size_t dblen = size - 1 - elen, hlen = 8 + 4 + 4 + 8 + 32;
	uint8_t *buf = malloc(hlen + elen + dblen);
	if (buf == NULL)
		return 0;
	uint32_t ne = (uint32_t)nextra, zero = 0;
	uint64_t dl = dblen;
	memcpy(buf, "VGHSDB1\n", 8);
	memcpy(buf + 8, &ne, 4);
	memcpy(buf + 12, &zero, 4);
	memcpy(buf + 16, &dl, 8);
	memcpy(buf + hlen, data + 1, elen + dblen);
	unsigned len = 0;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int ok = h != NULL && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(h, key.d, sizeof(key.d)) == 1 && EVP_DigestUpdate(h, buf + hlen, elen + dblen) == 1 &&
		 EVP_DigestFinal_ex(h, buf + 24, &len) == 1;
	EVP_MD_CTX_free(h);
	if (ok)
		try_load(buf, hlen + elen + dblen);
	free(buf);
	return 0;
}
