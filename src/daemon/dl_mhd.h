/*
 * dl_mhd.h — libmicrohttpd, opened on first use (formats/dl.h): the functions macext
 * calls, as sym_MHD_* pointers typed from its header.
 * Users: serve.c and serve_sse.c; mx_serve calls mx_dl_mhd before it
 * starts the daemon.
 */
#ifndef MACEXT_DAEMON_DL_MHD_H
#define MACEXT_DAEMON_DL_MHD_H

#include <sys/socket.h>
#include <microhttpd.h>

#include "formats/dl.h"

#define MX_DL_MHD_SYMS(X) \
	X(MHD_add_response_header) \
	X(MHD_create_response_from_buffer) \
	X(MHD_create_response_from_callback) \
	X(MHD_destroy_response) \
	X(MHD_get_connection_info) \
	X(MHD_get_connection_values) \
	X(MHD_get_daemon_info) \
	X(MHD_lookup_connection_value) \
	X(MHD_queue_response) \
	X(MHD_resume_connection) \
	X(MHD_start_daemon) \
	X(MHD_stop_daemon) \
	X(MHD_suspend_connection) \
	/* end */

MX_DL_MHD_SYMS(MX_DL_DECLARE)

#endif
