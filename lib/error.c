/* SPDX-License-Identifier: MIT */
/*
 * error - names for every code the library returns.
 */
#include <limits.h>
#include <string.h>

#include "private.h"

static const char *const own_errors[SSHM_ELAST - SSHM_EBASE] = {
	[SSHM_ENOTREG - SSHM_EBASE] = "descriptor is not a regular file",
	[SSHM_EOPATH - SSHM_EBASE] = "descriptor was opened with O_PATH",
	[SSHM_ENOTMEMFD - SSHM_EBASE] = "file is not a memfd",
	[SSHM_EHUGETLB - SSHM_EBASE] = "hugetlb memfd not allowed by the policy",
	[SSHM_ESEALS - SSHM_EBASE] = "required seals are missing",
	[SSHM_ESIZE - SSHM_EBASE] = "region size differs from the announced size",
	[SSHM_ETOOBIG - SSHM_EBASE] = "region size exceeds the allowed maximum",
	[SSHM_EIDENTITY -
	    SSHM_EBASE] = "identity mismatch: not the file the peer announced",
	[SSHM_EUNVERIFIED - SSHM_EBASE] = "identity could not be verified",
	[SSHM_EHEADER - SSHM_EBASE] = "malformed message header",
	[SSHM_EPROTO - SSHM_EBASE] = "protocol violation by the peer",
	[SSHM_EVERSION - SSHM_EBASE] = "peer speaks an incompatible protocol version",
	[SSHM_EBROKEN - SSHM_EBASE] = "channel broken by an earlier protocol violation",
	[SSHM_ENOTSEALED - SSHM_EBASE] = "region is not sealed",
	[SSHM_ESEALED - SSHM_EBASE] = "region is sealed",
	[SSHM_EHOLES - SSHM_EBASE] = "region is not fully populated (has holes)",
	[SSHM_EEXITED -
	    SSHM_EBASE] = "sender exited before its identity could be checked",
};

static const char *errno_name(int err)
{
#ifdef HAVE_STRERRORDESC_NP
	/* Static and thread-safe, NULL for values glibc does not know. */
	const char *s = strerrordesc_np(err);

	return s ? s : "unknown error";
#else
	return strerror(err);
#endif
}

SSHM_EXPORT const char *sshm_strerror(int err)
{
	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;
	if (err > SSHM_EBASE && err < SSHM_ELAST)
		return own_errors[err - SSHM_EBASE];
	if (err >= SSHM_EBASE)
		return "sshm: unknown error";
	return errno_name(err);
}

SSHM_EXPORT const char *sshm_verdict_name(int verdict)
{
	switch (verdict) {
	case SSHM_VERDICT_NOT_CHECKED:
		return "not-checked";
	case SSHM_VERDICT_VERIFIED:
		return "verified";
	case SSHM_VERDICT_MISMATCH:
		return "mismatch";
	case SSHM_VERDICT_UNVERIFIABLE:
		return "unverifiable";
	default:
		return "unknown";
	}
}
