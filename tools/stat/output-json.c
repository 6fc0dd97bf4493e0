/* SPDX-License-Identifier: MIT */
/*
 * output-json - one report as one JSON object (json.h).  Every member is
 * always present, null when unknown or meaningless for the file's type,
 * so a consumer of the output never has to guess from a missing key.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "json.h"
#include "stat.h"

/* The seals as the text output names them, and as a mask. */
static void json_seals(struct json *j, const struct report *rp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	m = rp->have_seals ? open_memstream(&buf, &len) : NULL;
	if (m) {
		tool_print_seals(m, rp->seals);
		fclose(m);
	}
	json_bytes(j, "seals", buf, len, buf != NULL);
	free(buf);
	json_u64(j, "seals_mask", rp->have_seals, rp->seals);
}

static void json_verdict(struct json *j, const struct report *rp)
{
	struct json v;

	json_begin_object(j, "verdict", &v);
	json_bool(&v, "accepted", !rp->verdict);
	json_int(&v, "code", rp->verdict);
	json_str(&v, "message", rp->verdict ? sshm_strerror(rp->verdict) : "accepted");
	json_str(&v, "by", rp->verdict_by);
	json_end(&v);
}

static void json_file(struct json *j, const struct report *rp)
{
	const int reg = S_ISREG(rp->fi.mode), mapped = rp->have_resident;
	char buf[64];

	json_bytes(j, "name", rp->name, rp->name_len, rp->have_name);
	json_str(j, "type", type_name(rp->fi.mode, 1));
	if (S_ISCHR(rp->fi.mode) || S_ISBLK(rp->fi.mode)) {
		snprintf(buf, sizeof(buf), "%u:%u", rp->fi.rdev_major, rp->fi.rdev_minor);
		json_str(j, "rdev", buf);
		json_bool(j, "terminal", is_terminal(&rp->fi));
	}
	json_str(j, "inspected", rp->how);
	if (rp->flags >= 0)
		flags_string(rp->flags, buf, sizeof(buf));
	json_str(j, "flags", rp->flags >= 0 ? buf : NULL);
	json_bool(j, "memfd", rp->memfd != MEMFD_NO);
	json_bool(j, "hugetlb", rp->memfd == MEMFD_HUGETLB);
	json_seals(j, rp);
	json_u64(j, "size", reg, rp->fi.size);
	json_u64(j, "blocks", 1, rp->fi.blocks);
	json_u64(j, "allocated", 1, rp->fi.blocks * 512);
	json_bool(j, "holes",
		  reg && rp->have_holes
		      ? rp->first_hole < rp->fi.size || rp->first_hole == UINT64_MAX
		      : -1);
	json_u64(j, "first_hole", reg && rp->have_holes && rp->first_hole < rp->fi.size,
		 rp->first_hole);
	json_u64(j, "resident_pages", mapped, rp->resident);
	json_u64(j, "pages", mapped, rp->pages);
	json_str(j, "map_error", rp->map_err ? sshm_strerror(rp->map_err) : NULL);
	json_u64(j, "shmem_pmd_kb", rp->have_huge, rp->shmem_pmd_kb);
	json_u64(j, "file_pmd_kb", rp->have_huge, rp->file_pmd_kb);
	json_u64(j, "hugetlb_kb", rp->have_huge, rp->hugetlb_kb);
	json_u64(j, "inode", 1, rp->fi.ino);
	snprintf(buf, sizeof(buf), "%u:%u", rp->fi.dev_major, rp->fi.dev_minor);
	json_str(j, "device", buf);
	json_u64(j, "mount_id", rp->fi.have_mnt_id, rp->fi.mnt_id);
	json_str(j, "filesystem",
		 rp->fs_known == 1 || rp->memfd != MEMFD_NO ? rp->fstype
		 : rp->fs_known == 0			    ? "kernel-internal"
							    : NULL);
	json_verdict(j, rp);
}

void output_json(FILE *f, const struct report *rp)
{
	struct json j;

	json_begin(&j, f);
	json_str(&j, "target", rp->target);
	json_u64(&j, "pid", rp->pid != 0, (uint64_t)rp->pid);
	json_u64(&j, "fd", 1, (uint64_t)rp->fd);
	if (rp->err) {
		json_str(&j, "error", sshm_strerror(rp->err));
		json_str(&j, "error_in", rp->err_what);
	} else {
		json_file(&j, rp);
	}
	json_end(&j);
}
