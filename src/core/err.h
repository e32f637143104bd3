/* err.h — the one error convention of vigil.
 * Fallible functions return 0 on success or a negative VG_E* code; vg_err_str()
 * gives a static, human-readable message for a code. Thread-safe. */
#ifndef VG_ERR_H
#define VG_ERR_H

#define VG_WUR __attribute__((warn_unused_result))

enum {
	VG_OK = 0,
	VG_ENOMEM = -1,       /* allocation failed */
	VG_EINVAL = -2,       /* invalid argument or malformed input */
	VG_EIO = -3,          /* read/write failed (errno holds details) */
	VG_ELIMIT = -4,       /* a documented limit (limits.h) was exceeded */
	VG_EPARSE = -5,       /* input is not in the expected format */
	VG_ENOTFOUND = -6,    /* named thing does not exist */
	VG_EUNSUPPORTED = -7, /* valid but not supported by this build */
};

const char *vg_err_str(int r);

#endif
