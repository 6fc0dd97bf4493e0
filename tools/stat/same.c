/* SPDX-License-Identifier: MIT */
/*
 * same - --same A B: the same open file (one description: shared offset
 * and flags), which only kcmp(2) can tell; the same inode, which st_dev
 * and st_ino tell; or different files.  Neither target is opened.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "json.h"
#include "stat.h"

static void same_json(const char *a, const char *b, int same_inode, int kr, int kerr,
		      const char *result)
{
	struct json j;

	json_begin(&j, stdout);
	json_str(&j, "a", a);
	json_str(&j, "b", b);
	json_bool(&j, "same_inode", same_inode);
	json_bool(&j, "same_open_file", kerr ? -1 : kr == 0);
	json_str(&j, "kcmp_error", kerr ? sshm_strerror(kerr) : NULL);
	json_str(&j, "result", result);
	json_end(&j);
	fputc('\n', stdout);
}

static void same_text(const char *a, const char *b, const struct finfo *fa,
		      int same_inode, int kr, int kerr)
{
	printf("%s and %s: ", a, b);
	if (kr == 0)
		printf("the same open file (kcmp)\n");
	else if (same_inode && !kerr)
		printf("different open files of the same inode %" PRIu64
		       " on device %u:%u (kcmp)\n",
		       fa->ino, fa->dev_major, fa->dev_minor);
	else if (same_inode)
		printf("the same inode %" PRIu64
		       " on device %u:%u; the same open file? unknown, kcmp: %s\n",
		       fa->ino, fa->dev_major, fa->dev_minor, sshm_strerror(kerr));
	else
		printf("different files\n");
}

/*
 * Both targets are parsed before either is looked at: a malformed one is a
 * usage error whatever the other one is, as in the inspect mode.  kcmp is
 * only asked when the inodes match: different inodes are different files.
 */
int run_same(const struct options *o)
{
	const char *arg[2] = { o->args[0], o->args[1] };
	struct finfo fi[2];
	pid_t pid[2];
	int fd[2], same_inode, kr = 1, kerr = 0, i, r;
	const char *result;

	for (i = 0; i < 2; i++) {
		if (target_parse(arg[i], &pid[i], &fd[i]) < 0) {
			tool_error(0, "'%s' is not FD or PID:FD", arg[i]);
			return tool_usage_error();
		}
	}
	for (i = 0; i < 2; i++) {
		r = target_stat(pid[i], fd[i], &fi[i]);
		if (r < 0) {
			tool_error(r, "%s", arg[i]);
			return TOOL_EXIT_SYSTEM;
		}
	}
	same_inode = fi[0].dev_major == fi[1].dev_major &&
		     fi[0].dev_minor == fi[1].dev_minor && fi[0].ino == fi[1].ino;
	if (same_inode) {
		kr = (int)syscall(SYS_kcmp, pid[0] ? pid[0] : getpid(),
				  pid[1] ? pid[1] : getpid(), KCMP_FILE,
				  (unsigned long)fd[0], (unsigned long)fd[1]);
		if (kr < 0)
			kerr = -errno;
	}
	result = kr == 0 ? "same-open-file" : same_inode ? "same-inode" : "different";
	if (o->json)
		same_json(arg[0], arg[1], same_inode, kr, kerr, result);
	else
		same_text(arg[0], arg[1], &fi[0], same_inode, kr, kerr);
	return TOOL_EXIT_OK;
}
