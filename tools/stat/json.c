/* SPDX-License-Identifier: MIT */
/*
 * json - a small JSON writer: escaping that is correct for any bytes, and
 * the ", " between members.  See json.h.
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_string(FILE *f, const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] == '\t')
			fputs("\\t", f);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			fprintf(f, "\\u%04x", p[i]);
		else
			fputc(p[i], f);
	}
	fputc('"', f);
}

void json_begin(struct json *j, FILE *f)
{
	j->f = f;
	j->first = 1;
	fputc('{', f);
}

void json_end(struct json *j)
{
	fputc('}', j->f);
}

void json_begin_object(struct json *j, const char *key, struct json *child)
{
	json_key(j, key);
	json_begin(child, j->f);
}

void json_key(struct json *j, const char *key)
{
	if (!j->first)
		fputs(", ", j->f);
	j->first = 0;
	/* Keys are escaped too: nothing a caller passes breaks the output. */
	json_string(j->f, key, strlen(key));
	fputs(": ", j->f);
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_bytes(j, key, s, s ? strlen(s) : 0, s != NULL);
}

void json_bytes(struct json *j, const char *key, const void *s, size_t len, int known)
{
	json_key(j, key);
	if (known)
		json_string(j->f, s, len);
	else
		fputs("null", j->f);
}

void json_u64(struct json *j, const char *key, int known, uint64_t v)
{
	json_key(j, key);
	if (known)
		fprintf(j->f, "%" PRIu64, v);
	else
		fputs("null", j->f);
}

void json_int(struct json *j, const char *key, int v)
{
	json_key(j, key);
	fprintf(j->f, "%d", v);
}

void json_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	fputs(v < 0 ? "null" : v ? "true" : "false", j->f);
}
