/* trace.c - trace and JSONL workload parsers. */
#include "workload/trace.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"

#define TRACE_MAX_COLS 64 /* CSV fields per line */

static const char *const fmt_names[] = {"azure", "mooncake", "burstgpt",
					"jsonl"};

int trace_format_parse(const char *name, enum trace_format *f)
{
	for (size_t i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++)
		if (!strcmp(name, fmt_names[i])) {
			*f = (enum trace_format)i;
			return 0;
		}
	return -EINVAL;
}

const char *trace_format_name(enum trace_format f)
{
	return (unsigned)f < sizeof(fmt_names) / sizeof(fmt_names[0])
		       ? fmt_names[f]
		       : "?";
}

void trace_parser_init(struct trace_parser *p, enum trace_format f,
		       const char *name)
{
	memset(p, 0, sizeof(*p));
	p->fmt = f;
	p->name = xstrdup(name ? name : "<input>");
	lines_init(&p->lines, TRACE_MAX_LINE);
	p->t.fmt = f;
	p->t.sorted = 1;
	buf_init(&p->t.text, TRACE_MAX_TEXT);
	p->col_time = p->col_in = p->col_out = -1;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->hashes);
	buf_free(&t->text);
	memset(t, 0, sizeof(*t));
}

void trace_parser_free(struct trace_parser *p)
{
	if (!p)
		return;
	lines_free(&p->lines);
	trace_free(&p->t);
	free(p->name);
	free(p->err);
	p->name = p->err = NULL;
}

const char *trace_row_text(const struct trace *t, const struct trace_row *r)
{
	return r->text_off >= 0 ? t->text.data + r->text_off : NULL;
}

static int fail(struct trace_parser *p, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct trace_parser *p, long line, const char *fmt, ...)
{
	if (p->err)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	char *what = NULL;
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	p->err = xasprintf("%s:%ld: %s", p->name, line,
			   what ? what : "bad input");
	free(what);
	return -EINVAL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, size_t at, size_t k, long *v)
{
	long x = 0;
	if (at + k > n)
		return -1;
	for (size_t i = at; i < at + k; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

int trace_parse_datetime(const char *s, size_t n, int64_t *ns)
{
	long y, mo, d, h, mi, se;
	if (n < 19 || digits(s, n, 0, 4, &y) || s[4] != '-' ||
	    digits(s, n, 5, 2, &mo) || s[7] != '-' || digits(s, n, 8, 2, &d) ||
	    (s[10] != ' ' && s[10] != 'T') || digits(s, n, 11, 2, &h) ||
	    s[13] != ':' || digits(s, n, 14, 2, &mi) || s[16] != ':' ||
	    digits(s, n, 17, 2, &se))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -EINVAL;
	int64_t frac = 0;
	size_t i = 19;
	if (i < n && s[i] == '.') {
		int64_t scale = 100000000;
		i++;
		size_t start = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (i == start)
			return -EINVAL;
	}
	if (i != n)
		return -EINVAL;
	int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*ns = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000000000LL) + frac;
	return 0;
}

/* Non-negative integer token count. */
static int parse_count(const char *s, size_t n, int32_t *v)
{
	if (!n || n > 10)
		return -1;
	long long x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (x > INT32_MAX)
		return -1;
	*v = (int32_t)x;
	return 0;
}

/* Seconds as a decimal number ("37274", "12.5") into ns. */
static int parse_seconds(const char *s, size_t n, int64_t *ns)
{
	char tmp[64];
	if (!n || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end;
	double v = strtod(tmp, &end);
	if (*end || !isfinite(v) || v < 0 || v > 9e9)
		return -1;
	*ns = llround(v * 1e9);
	return 0;
}

struct field {
	const char *p;
	size_t n;
};

static int split_csv(const char *line, size_t len, struct field *f, int max)
{
	int k = 0;
	const char *s = line, *e = line + len;
	for (;;) {
		const char *c = memchr(s, ',', (size_t)(e - s));
		const char *fe = c ? c : e;
		const char *a = s, *b = fe;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (k == max)
			return -1;
		f[k].p = a;
		f[k].n = (size_t)(b - a);
		k++;
		if (!c)
			break;
		s = c + 1;
	}
	return k;
}

static int find_col(const struct field *f, int n, const char *name)
{
	size_t l = strlen(name);
	for (int i = 0; i < n; i++)
		if (f[i].n == l && !strncasecmp(f[i].p, name, l))
			return i;
	return -1;
}

static int csv_header(struct trace_parser *p, const char *line, size_t len,
		      long lineno)
{
	struct field f[TRACE_MAX_COLS];
	int n = split_csv(line, len, f, TRACE_MAX_COLS);
	const char *want_t, *want_i, *want_o, *what;
	if (p->fmt == TRACE_AZURE) {
		want_t = "TIMESTAMP";
		want_i = "ContextTokens";
		want_o = "GeneratedTokens";
		what = "Azure LLM inference trace";
	} else {
		want_t = "Timestamp";
		want_i = "Request tokens";
		want_o = "Response tokens";
		what = "BurstGPT";
	}
	if (n > 0) {
		p->col_time = find_col(f, n, want_t);
		p->col_in = find_col(f, n, want_i);
		p->col_out = find_col(f, n, want_o);
	}
	if (n <= 0 || p->col_time < 0 || p->col_in < 0 || p->col_out < 0)
		return fail(p, lineno,
			    "not a %s header: expected columns %s, %s, %s; "
			    "got '%.*s'",
			    what, want_t, want_i, want_o,
			    (int)(len > 200 ? 200 : len), line);
	p->ncols = n;
	p->header_done = 1;
	return 0;
}

static int add_row(struct trace_parser *p, long lineno, int64_t raw_ns,
		   int32_t in, int32_t out, int has_in)
{
	struct trace *t = &p->t;
	if (has_in && in == 0 && out == 0) {
		t->skipped_failed++;
		return 1;
	}
	if ((has_in && in == 0) || out == 0) {
		t->skipped_zero++;
		return 1;
	}
	if (t->n >= TRACE_MAX_ROWS)
		return fail(p, lineno, "more than %zu rows", TRACE_MAX_ROWS);
	if (raw_ns >= 0) {
		if (p->any_untimed)
			return fail(p, lineno,
				    "timestamp here but not on earlier rows");
		if (!p->any_time || raw_ns < p->min_raw_ns)
			p->min_raw_ns = raw_ns;
		if (p->any_time && raw_ns < p->last_raw_ns)
			t->sorted = 0;
		p->last_raw_ns = raw_ns;
		p->any_time = 1;
	} else {
		if (p->any_time)
			return fail(p, lineno,
				    "no timestamp here but earlier rows have "
				    "one");
		p->any_untimed = 1;
	}
	xgrow((void **)&t->rows, &t->cap, t->n + 1, sizeof(*t->rows));
	struct trace_row *r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	r->t_ns = raw_ns;
	r->in_len = has_in ? in : -1;
	r->out_len = out;
	r->text_off = -1;
	r->hash_off = (uint32_t)t->n_hashes;
	r->line = (uint32_t)lineno;
	return 0;
}

static int csv_row(struct trace_parser *p, const char *line, size_t len,
		   long lineno)
{
	struct field f[TRACE_MAX_COLS];
	int n = split_csv(line, len, f, TRACE_MAX_COLS);
	if (n != p->ncols)
		return fail(p, lineno, "expected %d columns, got %d", p->ncols,
			    n < 0 ? TRACE_MAX_COLS : n);
	int32_t in, out;
	int64_t ns;
	const struct field *ft = &f[p->col_time];
	int trc = p->fmt == TRACE_AZURE
			  ? trace_parse_datetime(ft->p, ft->n, &ns)
			  : parse_seconds(ft->p, ft->n, &ns);
	if (trc)
		return fail(p, lineno, "bad timestamp '%.*s' (expected %s)",
			    (int)(ft->n > 64 ? 64 : ft->n), ft->p,
			    p->fmt == TRACE_AZURE
				    ? "YYYY-MM-DD HH:MM:SS.fffffff"
				    : "seconds");
	const struct field *fi = &f[p->col_in], *fo = &f[p->col_out];
	if (parse_count(fi->p, fi->n, &in))
		return fail(p, lineno,
			    "input token count '%.*s' is not a non-negative "
			    "integer",
			    (int)(fi->n > 64 ? 64 : fi->n), fi->p);
	if (parse_count(fo->p, fo->n, &out))
		return fail(p, lineno,
			    "output token count '%.*s' is not a non-negative "
			    "integer",
			    (int)(fo->n > 64 ? 64 : fo->n), fo->p);
	int rc = add_row(p, lineno, ns, in, out, 1);
	return rc < 0 ? rc : 0;
}

/* A JSON integer >= 0 that fits int32 (reals with no fraction too). */
static int json_count(json_t *v, int32_t *out)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		if (x < 0 || x > INT32_MAX)
			return -1;
		*out = (int32_t)x;
		return 0;
	}
	if (json_is_real(v)) {
		double x = json_real_value(v);
		if (!(x >= 0) || x > INT32_MAX || x != floor(x))
			return -1;
		*out = (int32_t)x;
		return 0;
	}
	return -1;
}

static int json_row(struct trace_parser *p, const char *line, size_t len,
		    long lineno)
{
	json_error_t je;
	int rc = 0;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		if (!p->err)
			p->err = xasprintf("%s:%ld:%d: %s", p->name, lineno,
					   je.column > 0 ? je.column : 1,
					   je.text);
		return -EINVAL;
	}
	if (!json_is_object(o)) {
		rc = fail(p, lineno, "expected a JSON object");
		goto out;
	}
	int moon = p->fmt == TRACE_MOONCAKE;
	const char *k_in = moon ? "input_length" : "input_len";
	const char *k_out = moon ? "output_length" : "output_len";
	json_t *jt = json_object_get(o, "timestamp");
	json_t *ji = json_object_get(o, k_in);
	json_t *jo = json_object_get(o, k_out);
	json_t *jp = moon ? NULL : json_object_get(o, "prompt");
	json_t *jh = moon ? json_object_get(o, "hash_ids") : NULL;
	int32_t in = -1, out;
	int64_t ns = -1;
	if (jp && !json_is_string(jp)) {
		rc = fail(p, lineno, "\"prompt\" is not a string");
		goto out;
	}
	if (ji ? json_count(ji, &in) : !jp) {
		rc = fail(p, lineno,
			  ji ? "\"%s\" is not a non-negative integer"
			     : "\"%s\" missing (and no \"prompt\")",
			  k_in);
		goto out;
	}
	if (!jo || json_count(jo, &out)) {
		rc = fail(p, lineno, "\"%s\" %s", k_out,
			  jo ? "is not a non-negative integer" : "missing");
		goto out;
	}
	if (moon && !jt) {
		rc = fail(p, lineno, "\"timestamp\" missing");
		goto out;
	}
	if (jt) {
		double v = json_number_value(jt);
		if (!json_is_number(jt) || !(v >= 0) || v > 9e12) {
			rc = fail(p, lineno,
				  "\"timestamp\" is not a non-negative number");
			goto out;
		}
		if (moon)
			ns = json_is_integer(jt)
				     ? (int64_t)json_integer_value(jt) * 1000000
				     : llround(v * 1e6);
		else
			ns = json_is_integer(jt)
				     ? (int64_t)json_integer_value(jt) *
					       1000000000LL
				     : llround(v * 1e9);
	}
	if (jh && !json_is_array(jh)) {
		rc = fail(p, lineno, "\"hash_ids\" is not an array");
		goto out;
	}
	size_t nh = jh ? json_array_size(jh) : 0;
	for (size_t i = 0; i < nh; i++) {
		json_t *x = json_array_get(jh, i);
		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
		    json_integer_value(x) > UINT32_MAX) {
			rc = fail(p, lineno,
				  "hash_ids[%zu] is not a non-negative "
				  "integer",
				  i);
			goto out;
		}
	}
	if (nh && in >= 0 &&
	    (int64_t)nh * TRACE_BLOCK_TOK < (int64_t)in) {
		rc = fail(p, lineno,
			  "%zu hash_ids cover %zu tokens, fewer than "
			  "input_length %d",
			  nh, nh * TRACE_BLOCK_TOK, (int)in);
		goto out;
	}
	int arc = add_row(p, lineno, ns, in, out, ji != NULL);
	if (arc < 0) {
		rc = arc;
		goto out;
	}
	if (arc > 0)
		goto out; /* skipped */
	struct trace *t = &p->t;
	struct trace_row *r = &t->rows[t->n - 1];
	if (nh) {
		if (t->n_hashes + nh > TRACE_MAX_HASHES) {
			rc = fail(p, lineno, "more than %zu hash ids",
				  TRACE_MAX_HASHES);
			goto out;
		}
		xgrow((void **)&t->hashes, &t->cap_hashes, t->n_hashes + nh,
		      sizeof(*t->hashes));
		for (size_t i = 0; i < nh; i++)
			t->hashes[t->n_hashes++] =
				(uint32_t)json_integer_value(
					json_array_get(jh, i));
		r->n_hash = (uint32_t)nh;
		t->has_hash = 1;
	}
	if (jp) {
		size_t pl = json_string_length(jp);
		if (!pl) {
			t->n--;
			t->skipped_zero++;
			goto out;
		}
		r->text_off = (int64_t)t->text.len;
		r->text_len = (uint32_t)pl;
		if (pl > UINT32_MAX ||
		    buf_append(&t->text, json_string_value(jp), pl + 1)) {
			rc = fail(p, lineno, "prompt text over %zu bytes in all",
				  TRACE_MAX_TEXT);
			goto out;
		}
		t->has_text = 1;
	}
out:
	json_decref(o);
	return rc;
}

static int on_line(void *ud, const char *line, size_t len, long lineno)
{
	struct trace_parser *p = ud;
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return 0; /* blank */
	if (p->fmt == TRACE_AZURE || p->fmt == TRACE_BURSTGPT) {
		if (!p->header_done)
			return csv_header(p, line, len, lineno);
		p->t.data_lines++;
		return csv_row(p, line, len, lineno);
	}
	p->t.data_lines++;
	return json_row(p, line, len, lineno);
}

int trace_parser_feed(struct trace_parser *p, const char *buf, size_t n)
{
	if (p->err)
		return -EINVAL;
	int rc = lines_feed(&p->lines, buf, n, on_line, p);
	if (rc == -E2BIG)
		return fail(p, p->lines.lineno + 1, "line longer than %zu bytes",
			    TRACE_MAX_LINE);
	return rc ? -EINVAL : 0;
}

int trace_parser_finish(struct trace_parser *p, struct trace *out)
{
	memset(out, 0, sizeof(*out));
	if (p->err)
		return -EINVAL;
	int rc = lines_finish(&p->lines, on_line, p);
	if (rc)
		return -EINVAL;
	if (!p->header_done &&
	    (p->fmt == TRACE_AZURE || p->fmt == TRACE_BURSTGPT))
		return fail(p, p->lines.lineno > 0 ? p->lines.lineno : 1,
			    "empty file (no header)");
	if (!p->t.n)
		return fail(p, p->lines.lineno > 0 ? p->lines.lineno : 1,
			    "no usable rows (%zu read, %zu failed, %zu with "
			    "zero tokens)",
			    p->t.data_lines, p->t.skipped_failed,
			    p->t.skipped_zero);
	struct trace *t = &p->t;
	t->has_time = p->any_time;
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].t_ns >= 0)
			t->rows[i].t_ns -= p->min_raw_ns;
	*out = *t;
	memset(t, 0, sizeof(*t));
	buf_init(&t->text, TRACE_MAX_TEXT);
	return 0;
}
