/* msg.c - diagnostics on stderr. */
#include "core/msg.h"

#include <stdarg.h>
#include <stdio.h>

int msg_level = MSG_NORMAL;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "infbench: %s%s\n", prefix, line);
}

void errorf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void warnf(const char *fmt, ...)
{
	if (msg_level < MSG_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void notef(const char *fmt, ...)
{
	if (msg_level < MSG_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void debugf(const char *fmt, ...)
{
	if (msg_level < MSG_VERBOSE)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}
