/*
 * test_dl.c — libraries opened on first use (src/formats/dl.h): a missing
 * library or function gives an error naming the library, its Debian package
 * and what it is needed for, and leaves no pointer set; a present one fills
 * every pointer with the library's function; each loader opens its library
 * once, from any number of threads at a time.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "daemon/dl_curl.h"
#include "daemon/dl_mhd.h"
#include "daemon/dl_nghttp2.h"
#include "daemon/dl_ssl.h"
#include "formats/dl_archive.h"

static __typeof__(getpid) *t_getpid;
static __typeof__(getppid) *t_getppid;

MX_TEST(dl_missing_library_named)
{
	t_getpid = (void *)1;   /* must be cleared */
	const struct mx_dl_sym syms[] = { { "getpid", (void *)&t_getpid } };
	struct mx_dl_lib lib = { .soname = "libmacext-test-absent.so.7", .package = "libabsent7",
		.purpose = "by the test", .syms = syms, .nsyms = 1, .once = PTHREAD_ONCE_INIT };
	mx_dl_open(&lib);
	CHECK_EQ_INT(lib.rc, MX_EIO);
	CHECK(t_getpid == NULL);
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_dl_result(&lib, &err), MX_EIO);
	CHECK_EQ_INT(err.code, MX_EIO);
	CHECK(strstr(err.msg, "libmacext-test-absent.so.7, needed by the test, cannot be loaded: ")
	    == err.msg);
	CHECK(strstr(err.msg, "cannot open shared object file") != NULL);   /* dlerror's reason */
	CHECK(strstr(err.msg, "(Debian package libabsent7)") != NULL);
}

MX_TEST(dl_missing_function_named)
{
	t_getpid = NULL;
	void *nope = (void *)1;
	const struct mx_dl_sym syms[] = { { "getpid", (void *)&t_getpid },
		{ "mx_test_no_such_function", &nope } };
	struct mx_dl_lib lib = { .soname = "libc.so.6", .package = "libc6", .purpose = "by the test",
		.syms = syms, .nsyms = 2, .once = PTHREAD_ONCE_INIT };
	mx_dl_open(&lib);
	CHECK_EQ_INT(lib.rc, MX_EIO);
	CHECK(t_getpid == NULL);   /* set before the failure, cleared by it */
	CHECK(nope == NULL);
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_dl_result(&lib, &err), MX_EIO);
	CHECK(strstr(err.msg, "libc.so.6, needed by the test, has no function"
	    " mx_test_no_such_function") == err.msg);
	CHECK(strstr(err.msg, "(Debian package libc6)") != NULL);
}

MX_TEST(dl_present_library_fills_every_slot)
{
	t_getpid = NULL;
	t_getppid = NULL;
	const struct mx_dl_sym syms[] = { { "getpid", (void *)&t_getpid },
		{ "getppid", (void *)&t_getppid } };
	struct mx_dl_lib lib = { .soname = "libc.so.6", .package = "libc6", .purpose = "by the test",
		.syms = syms, .nsyms = 2, .once = PTHREAD_ONCE_INIT };
	mx_dl_open(&lib);
	CHECK_EQ_INT(lib.rc, 0);
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_dl_result(&lib, &err), 0);
	CHECK_EQ_INT(err.code, 0);
	CHECK(t_getpid != NULL && t_getppid != NULL);
	if (t_getpid && t_getppid) {
		CHECK_EQ_INT(t_getpid(), getpid());
		CHECK_EQ_INT(t_getppid(), getppid());
	}
}

static void *
load_all(void *arg)
{
	(void)arg;
	mx_err err = { 0 };
	int rc = mx_dl_archive(&err) || mx_dl_curl(&err) || mx_dl_mhd(&err) || mx_dl_ssl(&err) ||
	    mx_dl_nghttp2(&err);
	return rc ? (void *)1 : NULL;
}

MX_TEST(dl_loaders_from_many_threads)
{
	pthread_t th[8];
	for (int i = 0; i < 8; i++)
		CHECK_EQ_INT(pthread_create(&th[i], NULL, load_all, NULL), 0);
	for (int i = 0; i < 8; i++) {
		void *r = (void *)1;
		pthread_join(th[i], &r);
		CHECK(r == NULL);
	}
	/* every table is filled: one function of each, called */
	CHECK(sym_archive_read_new != NULL && sym_archive_write_set_option != NULL);
	CHECK(sym_curl_easy_init != NULL && sym_curl_multi_wakeup != NULL);
	CHECK(sym_MHD_start_daemon != NULL && sym_MHD_suspend_connection != NULL);
	CHECK(sym_SSL_CTX_new != NULL && sym_TLS_server_method != NULL);
	CHECK(sym_nghttp2_session_server_new != NULL);
	if (sym_archive_read_new && sym_archive_read_free) {
		struct archive *a = sym_archive_read_new();
		CHECK(a != NULL);
		CHECK_EQ_INT(sym_archive_read_free(a), ARCHIVE_OK);
	}
	if (sym_curl_easy_strerror)
		CHECK_EQ_STR(sym_curl_easy_strerror(CURLE_OK), curl_easy_strerror(CURLE_OK));
	/* a second call is the recorded outcome, not a second dlopen */
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_dl_archive(&err), 0);
	CHECK_EQ_INT(mx_dl_curl(&err), 0);
}
