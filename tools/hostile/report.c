/* SPDX-License-Identifier: MIT */
/*
 * report - what was seen, as a table for a person or as one JSON object
 * for CI (the writer is tools/stat/json.c).  A line per attack as soon as
 * it is done, so that a run that hangs somewhere shows where; the summary
 * line at the end.
 */
#include <stdio.h>
#include <string.h>

#include "../stat/json.h"
#include "hostile.h"

static struct json top;
static int first_attack;

static const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return "PASS";
	case VERDICT_FAIL:
		return "FAIL";
	default:
		return "SKIP";
	}
}

static void describe(const struct consumer *c, char *buf, size_t len)
{
	const struct hello *h = &c->hello;

	snprintf(buf, len, "window %u, max_size %llu%s, cap %llu, features%s%s%s",
		 h->window, (unsigned long long)h->max_size,
		 h->max_size ? "" : " (not stated)", (unsigned long long)c->cap,
		 h->features & PKT_F_COPY ? " COPY" : "",
		 h->features & PKT_F_SENDER ? " SENDER" : "",
		 h->features & (PKT_F_COPY | PKT_F_SENDER) ? "" : " none");
}

void report_begin(const struct options *o, const struct consumer *c)
{
	char buf[160];

	describe(c, buf, sizeof(buf));
	if (!o->json) {
		printf("%s: attacking %s (%s", tool_name, o->socket, buf);
		if (o->pid)
			printf("; pid %ld", (long)o->pid);
		printf(")\n%-22s %3s  %-15s %-7s %s\n", "ATTACK", "ROW", "EXPECTED",
		       "VERDICT", "OBSERVED");
		fflush(stdout);
		return;
	}
	json_begin(&top, stdout);
	json_str(&top, "tool", tool_name);
	json_str(&top, "socket", o->socket);
	json_int(&top, "pid", (int)o->pid);
	json_u64(&top, "timeout_ms", 1, o->timeout_ms);
	json_str(&top, "consumer", buf);
	json_key(&top, "attacks");
	fputs("[\n", stdout);
	first_attack = 1;
}

static void text_attack(const struct run *r)
{
	const struct attack *a = r->a;

	printf("%-22s %3d  %-15s %-7s ", a->name, a->row, a->expected,
	       verdict_name(r->verdict));
	if (r->verdict == VERDICT_PASS)
		printf("%s\n", r->observed);
	else if (r->observed[0])
		printf("%s [%s]\n", r->reason, r->observed);
	else
		printf("%s\n", r->reason);
	fflush(stdout);
}

static void json_attack(const struct run *r)
{
	const struct attack *a = r->a;
	struct json j;

	if (!first_attack)
		fputs(",\n", stdout);
	first_attack = 0;
	json_begin(&j, stdout);
	json_str(&j, "name", a->name);
	json_int(&j, "row", a->row);
	json_str(&j, "expected", a->expected);
	json_str(&j, "observed", r->observed);
	json_str(&j, "verdict", verdict_name(r->verdict));
	json_str(&j, "reason", r->verdict == VERDICT_PASS ? NULL : r->reason);
	json_bool(&j, "applicable", a->na == NULL);
	json_end(&j);
}

void report_attack(const struct options *o, const struct run *r, struct tally *t)
{
	if (r->a->na)
		t->na++;
	else if (r->verdict == VERDICT_PASS)
		t->passed++;
	else if (r->verdict == VERDICT_FAIL)
		t->failed++;
	else
		t->skipped++;
	if (o->json)
		json_attack(r);
	else
		text_attack(r);
}

void report_end(const struct options *o, const struct tally *t)
{
	struct json s;

	if (!o->json) {
		printf("%s: %u passed, %u failed, %u skipped, %u not applicable from a "
		       "peer\n",
		       tool_name, t->passed, t->failed, t->skipped, t->na);
		return;
	}
	fputs("\n]", stdout);
	top.first = 0;
	json_begin_object(&top, "summary", &s);
	json_u64(&s, "passed", 1, t->passed);
	json_u64(&s, "failed", 1, t->failed);
	json_u64(&s, "skipped", 1, t->skipped);
	json_u64(&s, "not_applicable", 1, t->na);
	json_end(&s);
	json_end(&top);
	fputc('\n', stdout);
}

void report_list(const struct attack *const *list, size_t n)
{
	size_t i;

	printf("%-22s %3s  %-15s %s\n", "ATTACK", "ROW", "EXPECTED", "WHAT");
	for (i = 0; i < n; i++) {
		printf("%-22s %3d  %-15s %s", list[i]->name, list[i]->row,
		       list[i]->na ? "-" : list[i]->expected, list[i]->what);
		if (list[i]->na)
			printf(" (not applicable from a peer: %s)", list[i]->na);
		putchar('\n');
	}
}
