/*
 * apns_parse.c — one HTTP/1.1 request as the APNs stand-in reads it
 * (apns.h apns_h1_parse): the request line, the headers it cares about
 * (Content-Length, apns-topic, apns-id, apns-push-type, Connection) and
 * the body, from bytes a client sent — capped (head 16 KiB; a body over
 * 4 KiB is reported too big, one the buffer cannot hold closes the
 * connection), never read past len.  RFC 9112 §2-6, kept to what APNs'
 * clients send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/apns.h"

/* Copies header name's value from head[0..n) into buf; false when absent. */
static bool
header(const char *head, size_t n, const char *name, char *buf, size_t cap)
{
	size_t nl = strlen(name);
	const char *end = head + n;
	const char *p = memchr(head, '\n', n);
	while (p && p + 1 < end) {
		const char *l = p + 1;
		const char *e = memchr(l, '\n', (size_t)(end - l));
		if (e == NULL)
			e = end;
		if ((size_t)(e - l) > nl && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			l += nl + 1;
			while (l < e && (*l == ' ' || *l == '\t'))
				l++;
			size_t k = 0;
			while (l + k < e && l[k] != '\r' && k + 1 < cap) {
				buf[k] = l[k];
				k++;
			}
			buf[k] = '\0';
			return true;
		}
		p = e < end ? e : NULL;
	}
	return false;
}

long
apns_h1_parse(apns_h1 *out, const unsigned char *buf, size_t len, size_t max_in)
{
	memset(out, 0, sizeof *out);
	const unsigned char *end = memmem(buf, len, "\r\n\r\n", 4);
	if (end == NULL)
		return len > APNS_MAX_HEAD ? -1 : 0;
	size_t hl = (size_t)(end - buf) + 4;
	if (hl > APNS_MAX_HEAD)
		return -1;
	const char *head = (const char *)buf;
	/* the request line: METHOD SP PATH SP HTTP/1.x */
	const char *sp1 = memchr(head, ' ', hl), *sp2 = sp1 ? memchr(sp1 + 1, ' ', hl -
	    (size_t)(sp1 + 1 - head)) : NULL;
	const char *eol = memchr(head, '\r', hl);
	if (sp1 == NULL || sp2 == NULL || eol == NULL || sp2 > eol ||
	    (size_t)(sp1 - head) >= sizeof out->method || (size_t)(sp2 - sp1 - 1) >= sizeof out->path ||
	    sp1 == head || sp2 == sp1 + 1 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return -1;
	memcpy(out->method, head, (size_t)(sp1 - head));
	memcpy(out->path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	char cl[32], conn[32];
	size_t body = 0;
	if (header(head, hl, "Content-Length", cl, sizeof cl)) {
		char *e = NULL;
		unsigned long long v = strtoull(cl, &e, 10);
		if (e == cl || *e != '\0' || v > (1ull << 40))
			return -1;
		body = (size_t)v;
	}
	if (body > APNS_MAX_BODY && body > max_in - hl)
		return -1;   /* too big to skip: the connection goes */
	if (len - hl < body)
		return 0;
	out->has_topic = header(head, hl, "apns-topic", out->topic, sizeof out->topic);
	out->has_id = header(head, hl, "apns-id", out->id, sizeof out->id);
	out->has_push_type = header(head, hl, "apns-push-type", out->push_type,
	    sizeof out->push_type);
	out->close = header(head, hl, "Connection", conn, sizeof conn) && strcasecmp(conn, "close") == 0;
	out->body = buf + hl;
	out->len = body;
	return (long)(hl + body);
}
