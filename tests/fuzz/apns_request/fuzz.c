/*
 * fuzz.c — libFuzzer target for the APNs stand-in's request handling: the
 * HTTP/1.1 parser (src/daemon/apns_parse.c) over any bytes, and every
 * request it accepts answered by apns_handle (src/daemon/apns_push.c) with
 * a push callback that knows one token.  Never a crash, a read past the
 * input or a leak; an answer is a status APNs uses with a JSON body.  The
 * daemon files are compiled in here: the fuzz build links only libmacext.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/daemon/apns_parse.c"
#include "../../../src/daemon/apns_push.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
push(void *arg, const char *token, const char *topic, const char *magic, const char **why)
{
	(void)arg;
	(void)topic;
	(void)magic;
	*why = NULL;
	if (strcmp(token, "00112233445566778899aabbccddeeff") == 0)
		return 200;
	*why = "BadDeviceToken";
	return 400;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		apns_h1 q;
		long n = apns_h1_parse(&q, data + off, size - off, 65536);
		if (n <= 0)
			break;
		if ((size_t)n > size - off || q.body + q.len > data + size)
			abort();
		apns_request r = { q.method, q.path, q.has_topic ? q.topic : NULL,
			q.has_id ? q.id : NULL, q.has_push_type ? q.push_type : NULL, q.body, q.len };
		apns_reply rep;
		apns_handle(push, NULL, &r, &rep);
		if (rep.status < 200 || rep.status > 599 || (rep.status != 200 && rep.body[0] != '{'))
			abort();
		off += (size_t)n;
	}
	return 0;
}
