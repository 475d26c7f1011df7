/* prom.c - Prometheus text exposition format 0.0.4 push parser.
 *
 * Lines are gathered in a capped buffer and parsed in place (label values
 * are unescaped over themselves, names are NUL-terminated where they end).
 * Grammar per line, blanks = space or tab:
 *   blank* ( "#" comment | name blank* [ "{" labels "}" ] blank* value
 *            [ blank+ timestamp ] blank* ) ["\r"]
 */
#include "telemetry/prom.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

const char *prom_type_name(enum prom_type t)
{
	switch (t) {
	case PROM_COUNTER:
		return "counter";
	case PROM_GAUGE:
		return "gauge";
	case PROM_HISTOGRAM:
		return "histogram";
	case PROM_SUMMARY:
		return "summary";
	case PROM_UNTYPED:
		break;
	}
	return "untyped";
}

void prom_init(struct prom_parser *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->line, PROM_MAX_LINE);
}

static void fam_clear(struct prom_parser *p)
{
	for (size_t i = 0; i < p->n_fam; i++)
		free(p->fam[i].name);
	p->n_fam = 0;
}

void prom_free(struct prom_parser *p)
{
	if (!p)
		return;
	fam_clear(p);
	free(p->fam);
	p->fam = NULL;
	buf_free(&p->line);
}

void prom_reset(struct prom_parser *p)
{
	fam_clear(p);
	buf_reset(&p->line);
	p->discarding = 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *skip_blanks(char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

static int name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':';
}

static int name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* Label names may not contain ':'. */
static int lname_start(char c)
{
	return c != ':' && name_start(c);
}

static int lname_char(char c)
{
	return c != ':' && name_char(c);
}

/* Index of family `name` (length n) in the TYPE table, or -1. */
static long fam_find(const struct prom_parser *p, const char *name, size_t n)
{
	for (size_t i = p->n_fam; i-- > 0;) {
		const char *f = p->fam[i].name;
		if (strncmp(f, name, n) == 0 && f[n] == '\0')
			return (long)i;
	}
	return -1;
}

static void fam_set(struct prom_parser *p, const char *name,
		    enum prom_type t)
{
	long i = fam_find(p, name, strlen(name));
	if (i >= 0) {
		p->fam[i].type = t;
		return;
	}
	if (p->n_fam >= PROM_MAX_FAMILIES) {
		p->types_dropped++;
		return;
	}
	if (!p->fam)
		p->fam = xcalloc(PROM_MAX_FAMILIES, sizeof(*p->fam));
	p->fam[p->n_fam].name = xstrdup(name);
	p->fam[p->n_fam].type = t;
	p->n_fam++;
}

static int ends_with(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);
	return n > m && memcmp(s + n - m, suf, m) == 0;
}

/* Resolves the family and type of sample `name`. */
static void resolve_type(const struct prom_parser *p, struct prom_sample *s)
{
	static const struct {
		const char *suf;
		unsigned types; /* bit mask of allowed family types */
	} sufs[] = {
		{"_bucket", 1u << PROM_HISTOGRAM},
		{"_sum", 1u << PROM_HISTOGRAM | 1u << PROM_SUMMARY},
		{"_count", 1u << PROM_HISTOGRAM | 1u << PROM_SUMMARY},
		{"_total", 1u << PROM_COUNTER},
		{"_created", 1u << PROM_COUNTER | 1u << PROM_HISTOGRAM |
				     1u << PROM_SUMMARY},
	};
	size_t n = strlen(s->name);
	s->family = s->name;
	s->type = PROM_UNTYPED;
	long i = fam_find(p, s->name, n);
	if (i >= 0) {
		s->type = p->fam[i].type;
		return;
	}
	for (size_t k = 0; k < sizeof(sufs) / sizeof(sufs[0]); k++) {
		if (!ends_with(s->name, n, sufs[k].suf))
			continue;
		i = fam_find(p, s->name, n - strlen(sufs[k].suf));
		if (i >= 0 && (sufs[k].types & (1u << p->fam[i].type))) {
			s->type = p->fam[i].type;
			s->family = p->fam[i].name;
		}
		return;
	}
}

/* "# TYPE name type" or "# HELP name text" or any other comment. */
static int parse_comment(struct prom_parser *p, char *s)
{
	s = skip_blanks(s + 1);
	int is_type = strncmp(s, "TYPE", 4) == 0 && is_blank(s[4]);
	int is_help = strncmp(s, "HELP", 4) == 0 && is_blank(s[4]);
	if (!is_type && !is_help)
		return 0; /* plain comment */
	s = skip_blanks(s + 4);
	char *name = s;
	if (!name_start(*s))
		return -1;
	while (name_char(*s))
		s++;
	if (is_help)
		return (*s == '\0' || is_blank(*s)) ? 0 : -1;
	if (!is_blank(*s))
		return -1;
	*s++ = '\0';
	s = skip_blanks(s);
	char *word = s;
	while (*s && !is_blank(*s))
		s++;
	char *end = s;
	if (*skip_blanks(s) != '\0')
		return -1;
	*end = '\0';
	static const char *const words[] = {"untyped", "counter", "gauge",
					    "histogram", "summary"};
	for (int t = 0; t < 5; t++) {
		if (strcmp(word, words[t]) == 0) {
			fam_set(p, name, (enum prom_type)t);
			return 0;
		}
	}
	return -1;
}

/* Parses `{...}` starting after '{'; *sp is left after '}'. */
static int parse_labels(struct prom_parser *p, char **sp, size_t *n_out)
{
	char *s = *sp;
	size_t n = 0;
	for (;;) {
		s = skip_blanks(s);
		if (*s == '}') {
			s++;
			break;
		}
		if (!lname_start(*s))
			return -1;
		char *lname = s;
		while (lname_char(*s))
			s++;
		char *lend = s;
		s = skip_blanks(s);
		if (*s != '=')
			return -1;
		s = skip_blanks(s + 1);
		if (*s != '"')
			return -1;
		*lend = '\0'; /* lend <= position of '=' */
		s++;
		char *val = s, *w = s;
		for (;;) {
			char c = *s;
			if (c == '\0')
				return -1;
			if (c == '"')
				break;
			if (c == '\\') {
				char e = s[1];
				if (e == '\0')
					return -1;
				if (e == 'n')
					*w++ = '\n';
				else if (e == '\\' || e == '"')
					*w++ = e;
				else { /* unknown escape: keep both bytes */
					*w++ = '\\';
					*w++ = e;
				}
				s += 2;
				continue;
			}
			*w++ = c;
			s++;
		}
		*w = '\0'; /* w <= s, the closing quote */
		s++;
		if (n >= PROM_MAX_LABELS)
			return -1;
		p->lab[n].name = lname;
		p->lab[n].value = val;
		n++;
		s = skip_blanks(s);
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '}') {
			s++;
			break;
		}
		return -1;
	}
	*sp = s;
	*n_out = n;
	return 0;
}

/* Parses a float as Go's strconv.ParseFloat would for exposition values:
 * decimal, exponent, NaN, [+-]Inf. */
static int parse_value(const char *tok, double *out)
{
	if (*tok == '\0')
		return -1;
	char *end = NULL;
	errno = 0;
	double v = strtod(tok, &end);
	if (end == tok || *end != '\0')
		return -1;
	/* ERANGE: overflow gives +-HUGE_VAL (= Inf), underflow ~0: accept */
	*out = v;
	return 0;
}

/* One complete line (NUL-terminated, len bytes). 0 ok, -1 malformed. */
static int parse_line(struct prom_parser *p, char *s, size_t len, prom_cb cb,
		      void *ud)
{
	if (memchr(s, '\0', len))
		return -1;
	if (len && s[len - 1] == '\r')
		s[--len] = '\0';
	s = skip_blanks(s);
	if (*s == '\0')
		return 0;
	if (*s == '#')
		return parse_comment(p, s);
	struct prom_sample smp = {0};
	if (!name_start(*s))
		return -1;
	char *name = s;
	while (name_char(*s))
		s++;
	char stop = *s;
	if (stop != '{' && !is_blank(stop))
		return -1; /* bad char in name, or no value */
	*s++ = '\0';
	if (stop != '{') {
		s = skip_blanks(s);
		if (*s == '{') {
			stop = '{';
			s++;
		}
	}
	size_t n_lab = 0;
	if (stop == '{' && parse_labels(p, &s, &n_lab))
		return -1;
	s = skip_blanks(s);
	char *vtok = s;
	while (*s && !is_blank(*s))
		s++;
	char c = *s;
	*s = '\0';
	if (parse_value(vtok, &smp.value))
		return -1;
	if (c) {
		s = skip_blanks(s + 1);
		if (*s) {
			char *ttok = s;
			while (*s && !is_blank(*s))
				s++;
			char c2 = *s;
			*s = '\0';
			char *end = NULL;
			errno = 0;
			long long ts = strtoll(ttok, &end, 10);
			if (end == ttok || *end != '\0' || errno)
				return -1;
			smp.ts_ms = ts;
			smp.has_ts = 1;
			if (c2 && *skip_blanks(s + 1))
				return -1;
		}
	}
	smp.name = name;
	smp.labels = p->lab;
	smp.n_labels = n_lab;
	resolve_type(p, &smp);
	p->samples++;
	if (cb)
		cb(&smp, ud);
	return 0;
}

static size_t end_line(struct prom_parser *p, prom_cb cb, void *ud)
{
	size_t bad = 0;
	p->lines++;
	if (p->discarding) {
		p->discarding = 0; /* already counted */
	} else if (p->line.len) {
		if (parse_line(p, p->line.data, p->line.len, cb, ud)) {
			p->errors++;
			bad = 1;
		}
	}
	buf_reset(&p->line);
	return bad;
}

size_t prom_feed(struct prom_parser *p, const void *buf, size_t len,
		 prom_cb cb, void *ud)
{
	const char *b = buf;
	size_t bad = 0;
	while (len) {
		const char *nl = memchr(b, '\n', len);
		size_t seg = nl ? (size_t)(nl - b) : len;
		if (!p->discarding && seg &&
		    buf_append(&p->line, b, seg) != 0) {
			/* over the cap: count once, skip to next newline */
			p->discarding = 1;
			p->errors++;
			p->overlong++;
			bad++;
			buf_reset(&p->line);
		}
		if (!nl)
			break;
		bad += end_line(p, cb, ud);
		b = nl + 1;
		len -= seg + 1;
	}
	return bad;
}

size_t prom_finish(struct prom_parser *p, prom_cb cb, void *ud)
{
	if (!p->line.len && !p->discarding)
		return 0;
	return end_line(p, cb, ud);
}

const char *prom_label_get(const struct prom_sample *s, const char *name)
{
	for (size_t i = 0; i < s->n_labels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}
