/* svg_test.c - chart text: scaling, markers, highlight, reference lines,
 * escaping, thinning, no scripts or external references. */
#include "report/svg.h"
#include "test.h"

static size_t count(const char *h, const char *n)
{
	size_t c = 0;
	for (const char *p = strstr(h, n); p; p = strstr(p + 1, n))
		c++;
	return c;
}

static void test_chart(void)
{
	struct svg_chart c;
	struct buf b;
	double x[3] = {100, 200, 300}, y[3] = {0.1, 0.2, NAN};
	unsigned char hollow[3] = {0, 1, 0};
	struct svg_series s;
	memset(&s, 0, sizeof(s));
	s.name = "vllm <paged>";
	s.x = x;
	s.y = y;
	s.n = 3;
	s.markers = 1;
	s.hollow = hollow;
	s.highlight = 0;
	svg_chart_init(&c, "p99 \"ttft\" & friends", "tok/s", "s");
	c.hline = 0.25;
	c.hline_label = "SLA";
	ASSERT_EQ(svg_chart_add(&c, &s), 0);
	buf_init(&b, 1 << 20);
	ASSERT_EQ(svg_chart_render(&c, &b), 0);
	ASSERT_TRUE(strstr(b.data, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	ASSERT_TRUE(strstr(b.data, "p99 &quot;ttft&quot; &amp; friends"));
	ASSERT_TRUE(strstr(b.data, "vllm &lt;paged&gt;"));
	/* 2 finite points -> 2 markers + 1 highlight ring */
	ASSERT_EQ(count(b.data, "<circle"), 3);
	ASSERT_EQ(count(b.data, "fill=\"#fff\" stroke=\"#1f77b4\""), 1);
	ASSERT_TRUE(strstr(b.data, "r=\"8\""));
	ASSERT_TRUE(strstr(b.data, "stroke-dasharray=\"6 4\"")); /* SLA */
	ASSERT_TRUE(strstr(b.data, ">SLA</text>"));
	ASSERT_TRUE(!strstr(b.data, "<script"));
	ASSERT_EQ(count(b.data, "http"), 1);
	buf_free(&b);
}

static void test_thinning_and_cap(void)
{
	static double x[5000], y[5000];
	struct svg_chart c;
	struct svg_series s;
	struct buf b;
	for (int i = 0; i < 5000; i++) {
		x[i] = i;
		y[i] = i % 7;
	}
	memset(&s, 0, sizeof(s));
	s.name = "n";
	s.x = x;
	s.y = y;
	s.n = 5000;
	s.highlight = -1;
	svg_chart_init(&c, "t", "x", "y");
	svg_chart_add(&c, &s);
	buf_init(&b, 1 << 20);
	ASSERT_EQ(svg_chart_render(&c, &b), 0);
	ASSERT_TRUE(count(b.data, "L") <= SVG_MAX_POINTS + 50);
	buf_free(&b);
	buf_init(&b, 200); /* too small: reported, not overrun */
	ASSERT_EQ(svg_chart_render(&c, &b), -1);
	buf_free(&b);
	for (int i = 0; i < SVG_MAX_SERIES; i++)
		svg_chart_add(&c, &s);
	ASSERT_EQ(svg_chart_add(&c, &s), -1);
}

int main(void)
{
	TEST_RUN(test_chart);
	TEST_RUN(test_thinning_and_cap);
	return TEST_DONE();
}
