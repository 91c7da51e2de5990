/*
 * dl_ssl.h — libssl, opened on first use (formats/dl.h): the functions macext
 * calls, as sym_SSL_* and sym_TLS_* pointers typed from its header.
 * Users: apns.c (the APNs stand-in's TLS) and agent_net.c (the pin check
 * curl calls on each TLS connection); agent_apns_start and agent_net_init
 * call mx_dl_ssl first.  Macros over SSL_CTX_ctrl are spelled out as
 * sym_SSL_CTX_ctrl calls.  libcrypto stays linked: most verbs use it.
 */
#ifndef MACEXT_DAEMON_DL_SSL_H
#define MACEXT_DAEMON_DL_SSL_H

#include <openssl/ssl.h>

#include "formats/dl.h"

#define MX_DL_SSL_SYMS(X) \
	X(SSL_CTX_ctrl) \
	X(SSL_CTX_free) \
	X(SSL_CTX_get_cert_store) \
	X(SSL_CTX_new) \
	X(SSL_CTX_set_alpn_select_cb) \
	X(SSL_CTX_set_cert_verify_callback) \
	X(SSL_CTX_use_PrivateKey_file) \
	X(SSL_CTX_use_certificate_chain_file) \
	X(SSL_accept) \
	X(SSL_free) \
	X(SSL_get0_alpn_selected) \
	X(SSL_get_error) \
	X(SSL_new) \
	X(SSL_read) \
	X(SSL_select_next_proto) \
	X(SSL_set_fd) \
	X(SSL_write) \
	X(TLS_server_method) \
	/* end */

MX_DL_SSL_SYMS(MX_DL_DECLARE)

#endif
