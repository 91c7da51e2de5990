/*
 * dl_nghttp2.h — libnghttp2, opened on first use (formats/dl.h): the functions macext
 * calls, as sym_nghttp2_* pointers typed from its header.
 * User: apns.c (HTTP/2 of the APNs stand-in); agent_apns_start calls
 * mx_dl_nghttp2 first.
 */
#ifndef MACEXT_DAEMON_DL_NGHTTP2_H
#define MACEXT_DAEMON_DL_NGHTTP2_H

#include <nghttp2/nghttp2.h>

#include "formats/dl.h"

#define MX_DL_NGHTTP2_SYMS(X) \
	X(nghttp2_session_callbacks_del) \
	X(nghttp2_session_callbacks_new) \
	X(nghttp2_session_callbacks_set_on_begin_headers_callback) \
	X(nghttp2_session_callbacks_set_on_data_chunk_recv_callback) \
	X(nghttp2_session_callbacks_set_on_frame_recv_callback) \
	X(nghttp2_session_callbacks_set_on_header_callback) \
	X(nghttp2_session_callbacks_set_on_stream_close_callback) \
	X(nghttp2_session_callbacks_set_send_callback) \
	X(nghttp2_session_del) \
	X(nghttp2_session_mem_recv) \
	X(nghttp2_session_send) \
	X(nghttp2_session_server_new) \
	X(nghttp2_session_want_read) \
	X(nghttp2_session_want_write) \
	X(nghttp2_submit_response) \
	X(nghttp2_submit_settings) \
	/* end */

MX_DL_NGHTTP2_SYMS(MX_DL_DECLARE)

#endif
