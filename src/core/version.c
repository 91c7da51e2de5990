/*
 * version.c — macOS versions as numbers: "major[.minor[.patch]]", each part
 * 0..65535, compared numerically (10.15.7 < 11.3 < 11.6.4 < 12.0.1 < 15.1).
 */
#include <stdio.h>
#include <string.h>

#include "macext/core.h"

int
mx_version_parse(mx_version *out, const char *s, mx_err *err)
{
	unsigned parts[3] = { 0, 0, 0 };
	int n = 0;
	const char *p = s;
	if (s == NULL || *s == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "empty macOS version");
	for (;;) {
		unsigned v = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned)(*p++ - '0');
			if (++digits > 5 || v > 65535)
				return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
				    "bad macOS version '%s': part too large", s);
		}
		if (digits == 0)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
			    "bad macOS version '%s': expected digits", s);
		parts[n++] = v;
		if (*p == '\0')
			break;
		if (*p != '.' || n == 3)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
			    "bad macOS version '%s': expected MAJOR[.MINOR[.PATCH]]", s);
		p++;
	}
	if (parts[0] < 10)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "bad macOS version '%s': major version below 10", s);
	out->major = (uint16_t)parts[0];
	out->minor = (uint16_t)parts[1];
	out->patch = (uint16_t)parts[2];
	return 0;
}

int
mx_version_cmp(mx_version a, mx_version b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	if (a.minor != b.minor)
		return a.minor < b.minor ? -1 : 1;
	if (a.patch != b.patch)
		return a.patch < b.patch ? -1 : 1;
	return 0;
}

bool
mx_version_at_least(mx_version a, int maj, int min, int patch)
{
	mx_version b = { (uint16_t)maj, (uint16_t)min, (uint16_t)patch };
	return mx_version_cmp(a, b) >= 0;
}

void
mx_version_str(mx_version v, char *buf, size_t len)
{
	if (v.patch)
		snprintf(buf, len, "%u.%u.%u", v.major, v.minor, v.patch);
	else
		snprintf(buf, len, "%u.%u", v.major, v.minor);
}
