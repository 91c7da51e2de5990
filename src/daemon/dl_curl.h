/*
 * dl_curl.h — libcurl, opened on first use (formats/dl.h): the functions macext
 * calls, as sym_curl_* pointers typed from its header.
 * User: agent_net.c (the agent's transport); agent_net_init calls
 * mx_dl_curl before anything else.
 */
#ifndef MACEXT_DAEMON_DL_CURL_H
#define MACEXT_DAEMON_DL_CURL_H

#include <curl/curl.h>

#include "formats/dl.h"

#define MX_DL_CURL_SYMS(X) \
	X(curl_easy_cleanup) \
	X(curl_easy_getinfo) \
	X(curl_easy_init) \
	X(curl_easy_reset) \
	X(curl_easy_setopt) \
	X(curl_easy_strerror) \
	X(curl_global_init) \
	X(curl_multi_add_handle) \
	X(curl_multi_cleanup) \
	X(curl_multi_info_read) \
	X(curl_multi_init) \
	X(curl_multi_perform) \
	X(curl_multi_poll) \
	X(curl_multi_remove_handle) \
	X(curl_multi_setopt) \
	X(curl_multi_wakeup) \
	X(curl_share_cleanup) \
	X(curl_share_init) \
	X(curl_share_setopt) \
	X(curl_slist_append) \
	X(curl_slist_free_all) \
	/* end */

MX_DL_CURL_SYMS(MX_DL_DECLARE)

#endif
