/* hsdb_cache.h — compiled Hyperscan databases kept on disk between runs.
 *
 * Compiling a database takes tens of milliseconds; loading a serialised one,
 * microseconds. A database is stored under a key digesting everything its
 * bytecode depends on (vg_hsdb_key_of): the Hyperscan version, the CPU it is
 * built for, the mode, and every pattern with its flags and id. With the
 * database an entry keeps the ids the caller set aside (patterns Hyperscan
 * refused). The entries live in ROOT/hyperscan, private to the user, where
 * ROOT is $VIGIL_CACHE_DIR (set but empty: no cache), else $CACHE_DIRECTORY
 * (systemd's CacheDirectory=), else $XDG_CACHE_HOME/vigil, else
 * $HOME/.cache/vigil.
 * It is created mode 0700 and refused (no cache) when another user owns it or
 * others may write it. An entry is a header (magic, lengths, SHA-256 of the
 * rest) and the payload; an entry that does not check out (torn, foreign
 * owner, damaged) is a miss and is replaced. Writes go to a temporary file
 * renamed into place. At most VG_HSDB_CACHE_MAX_FILES entries and
 * VG_HSDB_CACHE_MAX_BYTES are kept: after each write the oldest go first.
 *
 * Errors: none visible. A cache that cannot be read or written behaves as an
 * empty one and the caller compiles. Thread-safe: no shared state but the
 * directory name, resolved once. */
#ifndef VG_HSDB_CACHE_H
#define VG_HSDB_CACHE_H

#include <hs/hs.h>
#include <stddef.h>
#include <stdint.h>

#define VG_HSDB_CACHE_MAX_FILES 4096
#define VG_HSDB_CACHE_MAX_BYTES (512u * 1024 * 1024)
#define VG_HSDB_CACHE_MAX_ENTRY (64u * 1024 * 1024) /* larger databases are not kept */

typedef struct vg_hsdb_key {
	uint8_t d[32];
} vg_hsdb_key;

/* The key of a database hs_compile_multi(exprs, flags, ids, n, mode, host
 * platform) would build. 0, or -1 when the digest could not be computed (no
 * caching then). */
int vg_hsdb_key_of(const char *const *exprs, const unsigned *flags, const unsigned *ids, size_t n, unsigned mode,
		   vg_hsdb_key *k);

/* The database stored under k, or NULL (a miss). On a hit *extra (malloc'd,
 * the caller frees; NULL when nextra is 0) and *nextra are the ids stored with
 * it. */
hs_database_t *vg_hsdb_cache_get(const vg_hsdb_key *k, uint32_t **extra, size_t *nextra);

/* An entry's bytes (as stored in its file) checked against key k and
 * loaded: vg_hsdb_cache_get without the file (for tests and the fuzzer).
 * NULL when they do not check out. */
hs_database_t *vg_hsdb_entry_load(const vg_hsdb_key *k, const void *buf, size_t n, uint32_t **extra, size_t *nextra);

/* Stores db (and nextra ids) under k; failures are silent. */
void vg_hsdb_cache_put(const vg_hsdb_key *k, const hs_database_t *db, const uint32_t *extra, size_t nextra);

/* The directory in use, or NULL when the cache is off (for messages). */
const char *vg_hsdb_cache_dir(void);

#endif
