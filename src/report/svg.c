/* svg.c - inline SVG charts (see svg.h). */
#include "report/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c",
				      "#ff7f0e", "#9467bd", "#8c564b",
				      "#e377c2", "#17becf"};

const char *svg_color(int i)
{
	size_t n = sizeof(palette) / sizeof(palette[0]);
	return palette[(size_t)(i < 0 ? 0 : i) % n];
}

int svg_escape(struct buf *out, const char *s)
{
	int rc = 0;
	for (; s && *s && !rc; s++) {
		switch (*s) {
		case '&':
			rc = buf_puts(out, "&amp;");
			break;
		case '<':
			rc = buf_puts(out, "&lt;");
			break;
		case '>':
			rc = buf_puts(out, "&gt;");
			break;
		case '"':
			rc = buf_puts(out, "&quot;");
			break;
		case '\'':
			rc = buf_puts(out, "&#39;");
			break;
		default:
			rc = buf_append(out, s, 1);
		}
	}
	return rc;
}

void svg_chart_init(struct svg_chart *c, const char *title,
		    const char *xlabel, const char *ylabel)
{
	memset(c, 0, sizeof(*c));
	c->title = title;
	c->xlabel = xlabel;
	c->ylabel = ylabel;
	c->w = 640;
	c->h = 300;
	c->hline = c->vline = NAN;
	c->ymin = c->ymax = c->xmin = c->xmax = NAN;
}

int svg_chart_add(struct svg_chart *c, const struct svg_series *s)
{
	if (c->ns == SVG_MAX_SERIES)
		return -1;
	c->s[c->ns++] = *s;
	return 0;
}

/* Tick step: 1, 2 or 5 x 10^k giving about `want` ticks over span. */
static double nice_step(double span, int want)
{
	if (!(span > 0))
		return 1;
	double raw = span / want, mag = pow(10, floor(log10(raw)));
	double f = raw / mag;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void fmt_tick(char *b, size_t n, double v, double step)
{
	if (fabs(v) >= 1e6)
		snprintf(b, n, "%.3gM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(b, n, "%.0fk", v / 1e3);
	else if (step >= 1)
		snprintf(b, n, "%.0f", v);
	else
		snprintf(b, n, "%.*f", (int)ceil(-log10(step)), v);
}

int svg_chart_render(const struct svg_chart *c, struct buf *out)
{
	const double L = 64, R = 16, T = c->note ? 44 : 30, B = 44;
	double pw = c->w - L - R, ph = c->h - T - B;
	double x0 = INFINITY, x1 = -INFINITY, y0 = 0, y1 = -INFINITY;
	int rc = 0;
	for (size_t i = 0; i < c->ns; i++)
		for (size_t k = 0; k < c->s[i].n; k++) {
			double x = c->s[i].x[k], y = c->s[i].y[k];
			if (!isfinite(x) || !isfinite(y))
				continue;
			x0 = fmin(x0, x);
			x1 = fmax(x1, x);
			y0 = fmin(y0, y);
			y1 = fmax(y1, y);
		}
	if (isfinite(c->hline))
		y1 = fmax(y1, c->hline * 1.1);
	if (isfinite(c->vline)) {
		x0 = fmin(x0, c->vline);
		x1 = fmax(x1, c->vline * 1.05);
	}
	if (!isfinite(x0)) {
		x0 = 0;
		x1 = 1;
	}
	if (!isfinite(y1))
		y1 = 1;
	if (isfinite(c->xmin))
		x0 = c->xmin;
	if (isfinite(c->xmax))
		x1 = c->xmax;
	if (isfinite(c->ymin))
		y0 = c->ymin;
	if (isfinite(c->ymax))
		y1 = c->ymax;
	if (x1 <= x0)
		x1 = x0 + (x0 ? fabs(x0) * 0.1 : 1);
	if (y1 <= y0)
		y1 = y0 + (y0 ? fabs(y0) * 0.1 : 1);
	double xs = nice_step(x1 - x0, 6), ys = nice_step(y1 - y0, 5);
	x0 = floor(x0 / xs) * xs;
	x1 = ceil(x1 / xs) * xs;
	y0 = floor(y0 / ys) * ys;
	y1 = ceil(y1 / ys) * ys;
#define PX(v) (L + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (T + ph - ((v) - y0) / (y1 - y0) * ph)
	rc |= buf_printf(out,
			 "<svg xmlns=\"http://www.w3.org/2000/svg\" "
			 "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
			 "font-family=\"sans-serif\" font-size=\"11\">\n"
			 "<rect width=\"100%%\" height=\"100%%\" "
			 "fill=\"#fff\"/>\n<text x=\"%g\" y=\"18\" "
			 "font-size=\"13\" font-weight=\"bold\">",
			 c->w, c->h, c->w, c->h, L);
	rc |= svg_escape(out, c->title);
	rc |= buf_puts(out, "</text>\n");
	if (c->note) {
		rc |= buf_printf(out, "<text x=\"%g\" y=\"33\" fill=\"#555\">",
				 L);
		rc |= svg_escape(out, c->note);
		rc |= buf_puts(out, "</text>\n");
	}
	/* grid and ticks */
	char tb[32];
	for (double v = y0; v <= y1 + ys * 1e-6; v += ys) {
		fmt_tick(tb, sizeof(tb), v, ys);
		rc |= buf_printf(out,
				 "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
				 "y2=\"%.1f\" stroke=\"#e4e4e4\"/><text "
				 "x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s"
				 "</text>\n",
				 L, L + pw, PY(v), PY(v), L - 4, PY(v) + 4, tb);
	}
	for (double v = x0; v <= x1 + xs * 1e-6; v += xs) {
		fmt_tick(tb, sizeof(tb), v, xs);
		rc |= buf_printf(out,
				 "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
				 "y2=\"%.1f\" stroke=\"#f0f0f0\"/><text "
				 "x=\"%.1f\" y=\"%.1f\" "
				 "text-anchor=\"middle\">%s</text>\n",
				 PX(v), PX(v), T, T + ph, PX(v), T + ph + 14,
				 tb);
	}
	rc |= buf_printf(out,
			 "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" "
			 "fill=\"none\" stroke=\"#888\"/>\n",
			 L, T, pw, ph);
	rc |= buf_printf(out, "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\">",
			 L + pw / 2, c->h - 8);
	rc |= svg_escape(out, c->xlabel);
	rc |= buf_printf(out,
			 "</text>\n<text transform=\"translate(14,%g) "
			 "rotate(-90)\" text-anchor=\"middle\">",
			 T + ph / 2);
	rc |= svg_escape(out, c->ylabel);
	rc |= buf_puts(out, "</text>\n");
	if (isfinite(c->hline) && c->hline >= y0 && c->hline <= y1) {
		rc |= buf_printf(out,
				 "<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" "
				 "y2=\"%.1f\" stroke=\"#000\" "
				 "stroke-dasharray=\"6 4\"/><text x=\"%g\" "
				 "y=\"%.1f\" text-anchor=\"end\">",
				 L, L + pw, PY(c->hline), PY(c->hline),
				 L + pw - 4, PY(c->hline) - 4);
		rc |= svg_escape(out, c->hline_label ? c->hline_label : "");
		rc |= buf_puts(out, "</text>\n");
	}
	if (isfinite(c->vline) && c->vline >= x0 && c->vline <= x1) {
		rc |= buf_printf(out,
				 "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" "
				 "y2=\"%g\" stroke=\"#000\" "
				 "stroke-dasharray=\"6 4\"/><text x=\"%.1f\" "
				 "y=\"%g\">",
				 PX(c->vline), PX(c->vline), T, T + ph,
				 PX(c->vline) + 4, T + 12);
		rc |= svg_escape(out, c->vline_label ? c->vline_label : "");
		rc |= buf_puts(out, "</text>\n");
	}
	if (c->ns)
		rc |= buf_printf(out,
				 "<rect x=\"%g\" y=\"%g\" width=\"170\" "
				 "height=\"%g\" fill=\"#fff\" "
				 "fill-opacity=\"0.85\"/>\n",
				 L + 4, T + 2, 14.0 * (double)c->ns + 4);
	for (size_t i = 0; i < c->ns; i++) {
		const struct svg_series *s = &c->s[i];
		const char *col = svg_color(s->color);
		size_t stride = s->n > SVG_MAX_POINTS
					? (s->n + SVG_MAX_POINTS - 1) /
						  SVG_MAX_POINTS
					: 1;
		int started = 0;
		double py_prev = 0;
		rc |= buf_printf(out,
				 "<path fill=\"none\" stroke=\"%s\" "
				 "stroke-width=\"2\"%s d=\"",
				 col,
				 s->dashed ? " stroke-dasharray=\"4 3\"" : "");
		for (size_t k = 0; k < s->n; k++) {
			if (k % stride && k != s->n - 1)
				continue;
			double x = s->x[k], y = s->y[k];
			if (!isfinite(x) || !isfinite(y))
				continue;
			if (y > y1)
				y = y1;
			if (s->step && started)
				rc |= buf_printf(out, "L%.1f %.1f ", PX(x),
						 py_prev);
			rc |= buf_printf(out, "%c%.1f %.1f ",
					 started ? 'L' : 'M', PX(x), PY(y));
			py_prev = PY(y);
			started = 1;
		}
		rc |= buf_puts(out, "\"/>\n");
		for (size_t k = 0; s->markers && k < s->n; k++) {
			double x = s->x[k], y = s->y[k];
			if (!isfinite(x) || !isfinite(y))
				continue;
			int hol = s->hollow && s->hollow[k];
			rc |= buf_printf(out,
					 "<circle cx=\"%.1f\" cy=\"%.1f\" "
					 "r=\"3.5\" fill=\"%s\" stroke=\"%s\" "
					 "stroke-width=\"1.5\"/>\n",
					 PX(x), PY(fmin(y, y1)),
					 hol ? "#fff" : col, col);
			if ((long)k == s->highlight)
				rc |= buf_printf(
					out,
					"<circle cx=\"%.1f\" cy=\"%.1f\" "
					"r=\"8\" fill=\"none\" stroke=\"%s\" "
					"stroke-width=\"2\"/>\n",
					PX(x), PY(fmin(y, y1)), col);
		}
		/* legend entry */
		double ly = T + 12 + 14.0 * (double)i;
		rc |= buf_printf(out,
				 "<line x1=\"%g\" x2=\"%g\" y1=\"%g\" y2=\"%g\" "
				 "stroke=\"%s\" stroke-width=\"2\"/><text "
				 "x=\"%g\" y=\"%g\">",
				 L + 8, L + 26, ly - 4, ly - 4, col, L + 30, ly);
		rc |= svg_escape(out, s->name);
		rc |= buf_puts(out, "</text>\n");
	}
#undef PX
#undef PY
	rc |= buf_puts(out, "</svg>\n");
	return rc ? -1 : 0;
}
