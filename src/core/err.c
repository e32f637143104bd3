/* err.c — messages for the VG_E* codes of err.h. */
#include "core/err.h"

const char *vg_err_str(int r)
{
	switch (r) {
	case VG_OK: return "success";
	case VG_ENOMEM: return "out of memory";
	case VG_EINVAL: return "invalid argument";
	case VG_EIO: return "input/output error";
	case VG_ELIMIT: return "limit exceeded";
	case VG_EPARSE: return "parse error";
	case VG_ENOTFOUND: return "not found";
	case VG_EUNSUPPORTED: return "unsupported";
	default: return "unknown error";
	}
}
