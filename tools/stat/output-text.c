/* SPDX-License-Identifier: MIT */
/*
 * output-text - one report as the indented text sshm-stat prints by
 * default.  Names from the holder are quoted and escaped
 * (tool_print_quoted()): they cannot drive the terminal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "stat.h"

static const char *memfd_name(int kind)
{
	return kind == MEMFD_SHMEM     ? "memfd (shmem)"
	       : kind == MEMFD_HUGETLB ? "memfd (hugetlb)"
				       : "not a memfd";
}

static void print_holes(FILE *f, const struct report *rp)
{
	if (!rp->have_holes)
		fputs(", holes unknown (not opened)", f);
	else if (rp->first_hole == UINT64_MAX)
		fputs(", has holes", f);
	else if (rp->first_hole < rp->fi.size)
		fprintf(f, ", has holes (first at offset %" PRIu64 ")", rp->first_hole);
	else
		fputs(", no holes", f);
}

static void print_mapping(FILE *f, const struct report *rp)
{
	if (rp->memfd == MEMFD_NO)
		return;
	fprintf(f, "  %-11s", "resident");
	if (rp->have_resident)
		fprintf(f, "%" PRIu64 " of %" PRIu64 " pages\n", rp->resident, rp->pages);
	else if (rp->map_err)
		fprintf(f, "unknown: mmap or mincore: %s\n", sshm_strerror(rp->map_err));
	else
		fputs("not mapped: only a memfd sshm_fd_verify() accepts is\n", f);
	if (rp->have_huge)
		fprintf(f,
			"  %-11sshmem PMD %lu kB, file PMD %lu kB, hugetlb %lu kB "
			"(resident pages, in our mapping)\n",
			"huge pages", rp->shmem_pmd_kb, rp->file_pmd_kb, rp->hugetlb_kb);
}

static void print_inode(FILE *f, const struct report *rp)
{
	fprintf(f, "  %-11s%" PRIu64 " on device %u:%u", "inode", rp->fi.ino,
		rp->fi.dev_major, rp->fi.dev_minor);
	if (rp->fi.have_mnt_id)
		fprintf(f, ", mount id %" PRIu64, rp->fi.mnt_id);
	if (rp->fs_known == 1 || rp->memfd != MEMFD_NO)
		fprintf(f, " (%s)", rp->fstype);
	else if (rp->fs_known == 0)
		fputs(" (kernel-internal)", f);
	fputc('\n', f);
}

void output_text(FILE *f, const struct report *rp)
{
	char buf[64];

	fprintf(f, "%s:", rp->target);
	if (rp->have_name) {
		fputc(' ', f);
		tool_print_quoted(f, rp->name, rp->name_len);
	}
	fprintf(f, "\n  %-11s%s", "type", type_name(rp->fi.mode, 0));
	if (S_ISCHR(rp->fi.mode) || S_ISBLK(rp->fi.mode))
		fprintf(f, " %u:%u%s", rp->fi.rdev_major, rp->fi.rdev_minor,
			is_terminal(&rp->fi) ? ", a terminal" : "");
	if (S_ISREG(rp->fi.mode))
		fprintf(f, ", %s", memfd_name(rp->memfd));
	fprintf(f, "\n  %-11s%s\n", "inspected", rp->how);
	if (rp->flags >= 0) {
		flags_string(rp->flags, buf, sizeof(buf));
		fprintf(f, "  %-11s%s\n", "flags", buf);
	}
	if (rp->have_seals) {
		fprintf(f, "  %-11s", "seals");
		tool_print_seals(f, rp->seals);
		fputc('\n', f);
	}
	if (S_ISREG(rp->fi.mode)) {
		fprintf(f, "  %-11s%" PRIu64 " bytes\n", "size", rp->fi.size);
		fprintf(f, "  %-11s%" PRIu64 " bytes (%" PRIu64 " blocks of 512)",
			"allocated", rp->fi.blocks * 512, rp->fi.blocks);
		print_holes(f, rp);
		fputc('\n', f);
	}
	print_mapping(f, rp);
	print_inode(f, rp);
	fprintf(f, "  %-11s%s%s (%s)\n", "verdict",
		rp->verdict ? "refused: " : "accepted",
		rp->verdict ? sshm_strerror(rp->verdict) : "", rp->verdict_by);
}
