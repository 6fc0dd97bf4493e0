/* SPDX-License-Identifier: MIT */
/*
 * json - a small JSON writer for the tools: objects of strings, numbers,
 * booleans and nulls, written straight to a FILE.  Independent of what is
 * written (no sshm-stat type in here), so any tool can use it.
 *
 *	struct json j;
 *
 *	json_begin(&j, stdout);
 *	json_str(&j, "name", name);      // NULL writes null
 *	json_u64(&j, "size", known, size);
 *	json_end(&j);                    // {"name": "...", "size": 42}
 *
 * Layout between values (newlines inside arrays) is the caller's.
 */
#ifndef SSHM_TOOL_JSON_H
#define SSHM_TOOL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int first; /* no member written yet: no ", " before the next */
};

/*
 * @len bytes as a JSON string.  The bytes need not be UTF-8 (a memfd name
 * is the producer's choice): '"' and '\\' are escaped, newline and tab
 * as \n and \t, and every other byte outside printable ASCII as \u00XX,
 * so the output is always valid JSON and maps back to the bytes.
 */
void json_string(FILE *f, const void *s, size_t len);

/* "{" and "}" of an object written to @f. */
void json_begin(struct json *j, FILE *f);
void json_end(struct json *j);
/* A member @key whose value is an object: written through @child. */
void json_begin_object(struct json *j, const char *key, struct json *child);

/* A member's key; its value is then the caller's to write. */
void json_key(struct json *j, const char *key);

/* Members.  NULL @s, !@known and a negative @v (json_bool) write null. */
void json_str(struct json *j, const char *key, const char *s);
void json_bytes(struct json *j, const char *key, const void *s, size_t len, int known);
void json_u64(struct json *j, const char *key, int known, uint64_t v);
void json_int(struct json *j, const char *key, int v);
void json_bool(struct json *j, const char *key, int v);

#endif
