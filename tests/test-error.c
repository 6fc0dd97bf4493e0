/* SPDX-License-Identifier: MIT */
/*
 * test-error - sshm_strerror() and sshm_verdict_name(): every library code has
 * its own name, both signs work, errno values read like strerror(3), and no
 * value at all (unknown, huge, INT_MIN) ever gets NULL.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sshm.h"
#include "testlib.h"

#define N_CODES (SSHM_ELAST - SSHM_EBASE - 1)

/* Values that are neither an errno nor a library code. */
static const int unknown_codes[] = {
	SSHM_EBASE,  -SSHM_EBASE,    SSHM_ELAST,
	-SSHM_ELAST, SSHM_ELAST + 1, -(SSHM_ELAST + 1),
	4095,	     -4095,	     5000,
	-5000,	     100000,	     -100000,
	1 << 24,     -(1 << 24),     INT_MAX,
	-INT_MAX,    INT_MIN,	     INT_MIN + 1,
};

static const int some_errnos[] = {
	EPERM, ENOENT, EBADF,  EAGAIN,	   ENOMEM,  EINVAL, EMFILE,	  EFBIG,
	EPIPE, EBUSY,  ENOSYS, ECONNRESET, ENOBUFS, EPROTO, ENAMETOOLONG, EADDRINUSE,
};

static int contains_unknown(const char *s)
{
	return strcasestr(s, "unknown") != NULL;
}

/* The name of library code @code; asserts it is a usable string. */
static const char *code_name(int code)
{
	const char *s = sshm_strerror(-code);

	ck_assert_msg(s != NULL, "sshm_strerror(-%d) is NULL", code);
	ck_assert_msg(s[0] != '\0', "sshm_strerror(-%d) is empty", code);
	return s;
}

/* ------------------------------------------------------------ library codes */

START_TEST(test_error_codes_named)
{
	int c;

	for (c = SSHM_EBASE + 1; c < SSHM_ELAST; c++) {
		const char *s = code_name(c);

		ck_assert_msg(!contains_unknown(s), "code %d has a generic name: \"%s\"",
			      c, s);
		/* Not an errno text either: the ranges never collide. */
		ck_assert_msg(strcmp(s, strerror(EINVAL)) != 0,
			      "code %d is described as EINVAL", c);
	}
}
END_TEST

START_TEST(test_error_codes_distinct)
{
	int a, b;

	for (a = SSHM_EBASE + 1; a < SSHM_ELAST; a++)
		for (b = a + 1; b < SSHM_ELAST; b++)
			ck_assert_msg(strcmp(code_name(a), code_name(b)) != 0,
				      "codes %d and %d share the name \"%s\"", a, b,
				      code_name(a));
}
END_TEST

START_TEST(test_error_codes_both_signs)
{
	int c;

	for (c = SSHM_EBASE + 1; c < SSHM_ELAST; c++) {
		const char *pos = sshm_strerror(c);

		ck_assert_ptr_nonnull(pos);
		ck_assert_msg(strcmp(pos, code_name(c)) == 0,
			      "sshm_strerror(%d) \"%s\" != sshm_strerror(-%d) \"%s\"", c,
			      pos, c, code_name(c));
	}
}
END_TEST

START_TEST(test_error_codes_count)
{
	/* The range in the header is the one this suite walks. */
	ck_assert_int_eq(SSHM_EBASE, 4096);
	ck_assert_int_gt(N_CODES, 0);
	ck_assert_int_eq(SSHM_ENOTREG, SSHM_EBASE + 1);
	ck_assert_int_eq(SSHM_EEXITED, SSHM_ELAST - 1);
}
END_TEST

/* ------------------------------------------------------------ errno values */

START_TEST(test_error_errno_like_strerror)
{
	size_t i;

	for (i = 0; i < sizeof(some_errnos) / sizeof(some_errnos[0]); i++) {
		int e = some_errnos[i];
		char want[256];
		const char *neg, *pos;

		/* The test never calls setlocale(): strerror() is the C text. */
		snprintf(want, sizeof(want), "%s", strerror(e));
		neg = sshm_strerror(-e);
		pos = sshm_strerror(e);
		ck_assert_ptr_nonnull(neg);
		ck_assert_ptr_nonnull(pos);
		ck_assert_msg(strcmp(neg, want) == 0,
			      "sshm_strerror(-%d) = \"%s\", strerror(%d) = \"%s\"", e,
			      neg, e, want);
		ck_assert_msg(strcmp(pos, want) == 0,
			      "sshm_strerror(%d) = \"%s\", strerror(%d) = \"%s\"", e, pos,
			      e, want);
	}
}
END_TEST

START_TEST(test_error_errno_not_library_names)
{
	size_t i;
	int c;

	for (i = 0; i < sizeof(some_errnos) / sizeof(some_errnos[0]); i++)
		for (c = SSHM_EBASE + 1; c < SSHM_ELAST; c++)
			ck_assert_msg(
			    strcmp(sshm_strerror(-some_errnos[i]), code_name(c)) != 0,
			    "errno %d and code %d share a name", some_errnos[i], c);
}
END_TEST

START_TEST(test_error_errno_zero)
{
	const char *s = sshm_strerror(0);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_ne(s, "");
}
END_TEST

/* ------------------------------------------------------------ unknown codes */

START_TEST(test_error_unknown_never_null)
{
	size_t i;
	int c;

	for (i = 0; i < sizeof(unknown_codes) / sizeof(unknown_codes[0]); i++) {
		const char *s = sshm_strerror(unknown_codes[i]);

		ck_assert_msg(s != NULL, "sshm_strerror(%d) is NULL", unknown_codes[i]);
		ck_assert_msg(s[0] != '\0', "sshm_strerror(%d) is empty",
			      unknown_codes[i]);
		/* An unknown value must not pass for a real verdict. */
		for (c = SSHM_EBASE + 1; c < SSHM_ELAST; c++)
			ck_assert_msg(strcmp(s, code_name(c)) != 0,
				      "unknown %d described as code %d (\"%s\")",
				      unknown_codes[i], c, s);
	}
}
END_TEST

START_TEST(test_error_unknown_static)
{
	/* Unknown values on both sides of SSHM_EBASE: in the errno range the
	 * library must not hand out strerror(3)'s reused buffer. */
	static const int pairs[][2] = {
		{ -999999, -888888 },
		{ -4000, -3999 },
		{ 4000, 200 },
		{ -SSHM_ELAST, -4095 },
	};
	size_t i;

	/* "A static string": a later call must not overwrite an earlier one. */
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char copy[256];
		const char *a, *b;

		a = sshm_strerror(pairs[i][0]);
		ck_assert_ptr_nonnull(a);
		snprintf(copy, sizeof(copy), "%s", a);
		b = sshm_strerror(pairs[i][1]);
		ck_assert_ptr_nonnull(b);
		ck_assert_msg(strcmp(a, copy) == 0,
			      "sshm_strerror(%d) changed from \"%s\" to \"%s\" after "
			      "sshm_strerror(%d)",
			      pairs[i][0], copy, a, pairs[i][1]);
		b = sshm_strerror(-SSHM_ESEALS);
		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(a, copy);
	}
}
END_TEST

/* ------------------------------------------------------------ verdict names */

static const char *verdict(int v)
{
	const char *s = sshm_verdict_name(v);

	ck_assert_msg(s != NULL, "sshm_verdict_name(%d) is NULL", v);
	ck_assert_msg(s[0] != '\0', "sshm_verdict_name(%d) is empty", v);
	return s;
}

START_TEST(test_verdict_known_names)
{
	static const int known[] = {
		SSHM_VERDICT_NOT_CHECKED,
		SSHM_VERDICT_VERIFIED,
		SSHM_VERDICT_MISMATCH,
		SSHM_VERDICT_UNVERIFIABLE,
	};
	size_t i, j, n = sizeof(known) / sizeof(known[0]);

	/* The two the header spells out. */
	ck_assert_str_eq(verdict(SSHM_VERDICT_VERIFIED), "verified");
	ck_assert_str_eq(verdict(SSHM_VERDICT_MISMATCH), "mismatch");
	for (i = 0; i < n; i++) {
		ck_assert_msg(!contains_unknown(verdict(known[i])),
			      "verdict %d is named \"%s\"", known[i], verdict(known[i]));
		for (j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(verdict(known[i]), verdict(known[j])) != 0,
				      "verdicts %d and %d share the name \"%s\"",
				      known[i], known[j], verdict(known[i]));
	}
}
END_TEST

START_TEST(test_verdict_unknown_names)
{
	static const int unknown[] = { -1, 4, 5, 100, -100, INT_MAX, INT_MIN };
	size_t i;
	int v;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *s = verdict(unknown[i]);

		for (v = SSHM_VERDICT_NOT_CHECKED; v <= SSHM_VERDICT_UNVERIFIABLE; v++)
			ck_assert_msg(strcmp(s, verdict(v)) != 0,
				      "unknown verdict %d named like %d (\"%s\")",
				      unknown[i], v, s);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc;

	tc = test_tcase("codes");
	tcase_add_test(tc, test_error_codes_count);
	tcase_add_test(tc, test_error_codes_named);
	tcase_add_test(tc, test_error_codes_distinct);
	tcase_add_test(tc, test_error_codes_both_signs);
	suite_add_tcase(s, tc);

	tc = test_tcase("errno");
	tcase_add_test(tc, test_error_errno_like_strerror);
	tcase_add_test(tc, test_error_errno_not_library_names);
	tcase_add_test(tc, test_error_errno_zero);
	suite_add_tcase(s, tc);

	tc = test_tcase("unknown");
	tcase_add_test(tc, test_error_unknown_never_null);
	tcase_add_test(tc, test_error_unknown_static);
	suite_add_tcase(s, tc);

	tc = test_tcase("verdict");
	tcase_add_test(tc, test_verdict_known_names);
	tcase_add_test(tc, test_verdict_unknown_names);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return test_run(make_suite());
}
