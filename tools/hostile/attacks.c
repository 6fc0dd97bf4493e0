/* SPDX-License-Identifier: MIT */
/*
 * attacks - every attack, gathered from the family files and put in the
 * order of the threat matrix's rows, and the rows that no peer can mount:
 * they are listed, and reported as not applicable, so that the report
 * covers rows 1 to 21 and says why some are not attacked.
 */
#include <stdlib.h>

#include "hostile.h"

#define NA(n, r, w, why)                                                                 \
	{                                                                                \
		.name = (n), .row = (r), .expected = "-", .what = (w), .na = (why)       \
	}

const struct attack attacks_na[] = {
	NA("view-writes", 8,
	   "writes to the consumer's view (mprotect, /proc/self/mem, its descriptor)",
	   "the consumer's own process acting on its own mapping"),
	NA("seal-while-mapped", 9, "sealing while a writable mapping exists",
	   "the kernel refuses the seal (EBUSY) on the sender's side; what a peer can "
	   "then send is an unsealed memfd, rows 1 to 3"),
	NA("fd-table-full", 13, "a consumer whose descriptor table is nearly full",
	   "the consumer's own RLIMIT_NOFILE"),
	NA("kernel-features", 21,
	   "a kernel without kcmp, pidfds, SO_PASSPIDFD or MFD_NOEXEC_SEAL",
	   "the kernel the consumer runs on"),
};
const size_t n_attacks_na = ELEMENTSOF(attacks_na);

static const struct {
	const struct attack *list;
	const size_t *n;
} families[] = {
	{ attacks_seals, &n_attacks_seals },
	{ attacks_fds, &n_attacks_fds },
	{ attacks_framing, &n_attacks_framing },
	{ attacks_identity, &n_attacks_identity },
	{ attacks_resources, &n_attacks_resources },
	{ attacks_na, &n_attacks_na },
};

static const struct attack *all[256];

size_t attacks_all(const struct attack *const **ret)
{
	static size_t n;
	const struct attack *a;
	size_t f, i, k;

	if (!n) {
		for (f = 0; f < ELEMENTSOF(families); f++)
			for (i = 0; i < *families[f].n && n < ELEMENTSOF(all); i++)
				all[n++] = &families[f].list[i];
		/* Insertion sort by row: stable, so each family keeps its order. */
		for (i = 1; i < n; i++) {
			a = all[i];
			for (k = i; k > 0 && all[k - 1]->row > a->row; k--)
				all[k] = all[k - 1];
			all[k] = a;
		}
	}
	*ret = all;
	return n;
}
