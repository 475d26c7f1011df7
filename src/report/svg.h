/* svg.h - line/scatter charts as inline SVG text, no scripts, no fonts.
 *
 * Owns axis scaling (nice ticks), series drawing (lines, markers, filled or
 * hollow points, one highlighted point), reference lines and the legend.
 * Writes into a caller's buf; reads only the arrays it is given (borrowed
 * for the call). Knows nothing of results files. Thread-safe on distinct
 * charts.
 */
#ifndef INFBENCH_REPORT_SVG_H
#define INFBENCH_REPORT_SVG_H

#include <stddef.h>

#include "core/buf.h"

#define SVG_MAX_SERIES 16
#define SVG_MAX_POINTS 600 /* points drawn per series; more are thinned */

struct svg_series {
	const char *name;
	const double *x, *y;    /* n points; non-finite ones are skipped */
	size_t n;
	int color;              /* palette index */
	int dashed;
	int markers;            /* draw a circle at each point */
	const unsigned char *hollow; /* per point: 1 = hollow marker, or NULL */
	long highlight;         /* index of a ringed point, or -1 */
	int step;               /* draw as a step function (CDF) */
};

struct svg_chart {
	const char *title, *xlabel, *ylabel;
	int w, h;               /* pixels (640 x 300) */
	struct svg_series s[SVG_MAX_SERIES];
	size_t ns;
	double hline;           /* NaN = none: horizontal reference (SLA) */
	const char *hline_label;
	double vline;           /* NaN = none */
	const char *vline_label;
	double ymin, ymax, xmin, xmax; /* NaN = from the data */
	const char *note;       /* small text under the title, or NULL */
};

/* Defaults: 640x300, no lines, automatic ranges (y from 0). */
void svg_chart_init(struct svg_chart *c, const char *title,
		    const char *xlabel, const char *ylabel);
/* Copy a series description (arrays stay borrowed). -1 when full. */
int svg_chart_add(struct svg_chart *c, const struct svg_series *s);
/* Append the <svg> element to out. 0 or -ENOBUFS (out's cap). */
int svg_chart_render(const struct svg_chart *c, struct buf *out);
/* Palette color i (wraps). */
const char *svg_color(int i);
/* Append s with &<>"' escaped. */
int svg_escape(struct buf *out, const char *s);

#endif
