/* jscan_xcheck.h - compare jscan with jansson on one document: same
 * accept/reject decision, and for accepted documents the same type and
 * value at every probed path. Shared by jscan_test.c and the fuzz driver.
 * Returns NULL when they agree, else a static description. */
#ifndef INFBENCH_TESTS_JSCAN_XCHECK_H
#define INFBENCH_TESTS_JSCAN_XCHECK_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jscan.h"

static struct jscan_path xc_paths[] = {
	{.path = {"error"}, .depth = 1},
	{.path = {"choices"}, .depth = 1},
	{.path = {"choices", "0", "text"}, .depth = 3},
	{.path = {"choices", "0", "delta", "content"}, .depth = 4},
	{.path = {"choices", "1"}, .depth = 2},
	{.path = {"usage", "completion_tokens"}, .depth = 2},
	{.path = {"usage"}, .depth = 1},
	{.path = {"token", "special"}, .depth = 2},
	{.path = {"0"}, .depth = 1},
	{.path = {"a", "b"}, .depth = 2},
	{.path = {NULL}, .depth = 0},
	{.path = {""}, .depth = 1},
	{.path = {"choices", "0", "delta", "x\"y"}, .depth = 4},
};
#define XC_N (sizeof(xc_paths) / sizeof(xc_paths[0]))

static json_t *xc_lookup(json_t *root, const struct jscan_path *p)
{
	json_t *v = root;
	for (int d = 0; d < p->depth && v; d++) {
		if (json_is_object(v)) {
			v = json_object_get(v, p->path[d]);
		} else if (json_is_array(v) && p->pidx[d] >= 0) {
			v = json_array_get(v, (size_t)p->pidx[d]);
		} else {
			v = NULL;
		}
	}
	return v;
}

static const char *xc_check(const char *doc, size_t len)
{
	static int compiled;
	if (!compiled) {
		jscan_compile(xc_paths, XC_N);
		compiled = 1;
	}
	struct jscan_field f[XC_N];
	int ours = jscan_parse(doc, len, xc_paths, f, XC_N) == 0;
	const char *why = NULL;
	json_t *root = NULL;
	json_error_t err;
	/* One documented divergence: jansson has quirks around NUL bytes
	 * outside strings; jscan rejects every document holding a NUL. */
	if (memchr(doc, '\0', len)) {
		if (ours)
			why = "jscan accepted a document with a NUL byte";
		goto out;
	}
	root = json_loadb(doc, len, 0, &err);
	if (ours != (root != NULL)) {
		why = ours ? "jscan accepted what jansson rejects"
			   : "jscan rejected what jansson accepts";
		goto out;
	}
	if (!root)
		goto out;
	for (size_t i = 0; i < XC_N; i++) {
		json_t *v = xc_lookup(root, &xc_paths[i]);
		enum jscan_type t = f[i].type;
		if (!v) {
			if (t != JSCAN_ABSENT)
				why = "field present only in jscan";
		} else if (json_is_string(v)) {
			size_t n = json_string_length(v);
			char *buf = malloc(n + 1);
			if (t != JSCAN_STRING || jscan_str_len(&f[i]) != n)
				why = "string type or length differs";
			else if (jscan_str_copy(&f[i], buf) != n ||
				 memcmp(buf, json_string_value(v), n))
				why = "string bytes differ";
			free(buf);
		} else if (json_is_integer(v)) {
			if (t != JSCAN_INT ||
			    jscan_int(&f[i]) != json_integer_value(v))
				why = "integer differs";
		} else if (json_is_real(v)) {
			if (t != JSCAN_REAL)
				why = "real type differs";
		} else if (json_is_true(v)) {
			if (t != JSCAN_TRUE)
				why = "true differs";
		} else if (json_is_false(v)) {
			if (t != JSCAN_FALSE)
				why = "false differs";
		} else if (json_is_null(v)) {
			if (t != JSCAN_NULL)
				why = "null differs";
		} else if (json_is_array(v)) {
			if (t != JSCAN_ARRAY || f[i].count != json_array_size(v))
				why = "array differs";
		} else if (json_is_object(v)) {
			/* jansson collapses duplicate keys; jscan counts
			 * members as written, so compare the type only. */
			if (t != JSCAN_OBJECT)
				why = "object differs";
		}
		if (why)
			break;
	}
out:
	json_decref(root);
	return why;
}

#endif
