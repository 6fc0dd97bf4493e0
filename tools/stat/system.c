/* SPDX-License-Identifier: MIT */
/*
 * system - --system: which kernel features sshm can use here, from the
 * probes of tools/features.c, the shmem THP mode, and the kernels whose
 * release alone is a warning.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "../features.h"
#include "json.h"
#include "stat.h"

/* The portability floor of doc/architecture.md, in order of importance. */
static const enum feature shown[] = {
	FEATURE_MEMFD_SEALS,   FEATURE_KCMP,
	FEATURE_PIDFD_OPEN,    FEATURE_SO_PASSPIDFD,
	FEATURE_SO_PEERPIDFD,  FEATURE_MFD_NOEXEC_SEAL,
	FEATURE_RO_SHARED_MAP, FEATURE_SEAL_FUTURE_WRITE,
	FEATURE_DUPFD_QUERY,   FEATURE_SO_PASSRIGHTS,
};

#define N_SHOWN ELEMENTSOF(shown)

/* Linux 5.16 to 5.19 without the fix let a read-only holder write. */
static int cve_2022_2590_window(const char *release)
{
	unsigned int maj, min;

	if (sscanf(release, "%u.%u", &maj, &min) != 2)
		return 0;
	return maj == 5 && min >= 16 && min <= 19;
}

static void system_text(const struct utsname *u, const int *err, int thp_err,
			const char *thp)
{
	const struct feature_info *fi;
	size_t i;

	printf("%-46s %s\n", "kernel", u->release);
	for (i = 0; i < N_SHOWN; i++)
		printf("%-46s %s\n", feature_info(shown[i])->name, err[i] ? "no" : "yes");
	printf("%-46s %s\n", "shmem THP", thp_err ? "unknown" : thp);
	for (i = 0; i < N_SHOWN; i++) {
		fi = feature_info(shown[i]);
		if (err[i])
			printf("missing: %s (Linux %s; %s): %s\n", fi->name, fi->since,
			       sshm_strerror(err[i]), fi->missing);
	}
	if (!thp_err && (!strcmp(thp, "never") || !strcmp(thp, "deny")))
		printf("note: shmem THP is '%s': regions use base pages (more TLB misses "
		       "and page tables for large regions)\n",
		       thp);
	if (cve_2022_2590_window(u->release))
		printf(
		    "warning: Linux 5.16-5.19 without the CVE-2022-2590 fix lets a "
		    "read-only holder write a write-sealed memfd: check your kernel\n");
}

static void system_json(const struct utsname *u, const int *err, int thp_err,
			const char *thp)
{
	const struct feature_info *fi;
	struct json j, k;
	size_t i;

	json_begin(&j, stdout);
	json_str(&j, "kernel", u->release);
	json_str(&j, "shmem_thp", thp_err ? NULL : thp);
	json_bool(&j, "cve_2022_2590_window", cve_2022_2590_window(u->release));
	json_key(&j, "features");
	fputs("[\n", stdout);
	for (i = 0; i < N_SHOWN; i++) {
		fi = feature_info(shown[i]);
		fputs("  ", stdout);
		json_begin(&k, stdout);
		json_str(&k, "name", fi->name);
		json_bool(&k, "available", !err[i]);
		json_str(&k, "since", fi->since);
		json_str(&k, "error", err[i] ? sshm_strerror(err[i]) : NULL);
		json_str(&k, "meaning", err[i] ? fi->missing : NULL);
		json_end(&k);
		fputs(i + 1 < N_SHOWN ? ",\n" : "\n", stdout);
	}
	fputs("]", stdout);
	json_end(&j);
	fputc('\n', stdout);
}

int run_system(const struct options *o)
{
	int err[N_SHOWN];
	struct utsname u;
	char thp[32] = "";
	size_t i;
	int thp_err;

	if (uname(&u) < 0) {
		tool_error(-errno, "uname");
		return TOOL_EXIT_SYSTEM;
	}
	/* Each probe tries the real thing on objects of its own. */
	for (i = 0; i < N_SHOWN; i++)
		err[i] = feature_probe(shown[i]);
	thp_err = feature_shmem_thp(thp, sizeof(thp));
	if (o->json)
		system_json(&u, err, thp_err, thp);
	else
		system_text(&u, err, thp_err, thp);
	return TOOL_EXIT_OK;
}
