/*
 * mdm.h — MDM command messages as a Mac receives them: the command plist
 * {CommandUUID, Command: {RequestType, ...}} (XML or binary), parsed and
 * type-checked before the device acts on it.
 * Spec: mdm-protocol-and-peers.md §1 (the command and response format),
 * Apple's device-management schema (the mdm/commands YAML files) for the keys of
 * the request types macext answers.
 */
#ifndef MACEXT_MDM_H
#define MACEXT_MDM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/err.h"

#define MX_MDM_MAX_KEXT_PATHS 32

typedef struct mx_mdm_command {
	plist_t root;               /* owned: mx_mdm_command_free */
	plist_t command;            /* root's Command dictionary (borrowed) */
	const char *uuid;           /* CommandUUID (borrowed from root) */
	const char *type;           /* Command.RequestType (borrowed) */
	int channel;                /* 0 the device channel, 1 the user channel: set by the
	                             * caller (the MDM agent); the parser leaves 0 */
	/* the keys of the request types macext acts on, checked by type */
	const char *identifier;     /* RemoveProfile: Identifier */
	const uint8_t *payload;     /* InstallProfile: Payload (borrowed bytes) */
	size_t payload_len;
	bool notify_user;           /* RestartDevice */
	bool rebuild_kernel_cache;  /* RestartDevice */
	int nkext_paths;
	const char *kext_paths[MX_MDM_MAX_KEXT_PATHS];  /* RestartDevice: KextPaths */
	/* A well-formed command whose keys are wrong is answered with an Error
	 * status, not dropped: bad is the first such problem's code (0: none)
	 * and bad_err names its key path. */
	int bad;
	mx_err bad_err;
} mx_mdm_command;

/* Parses a command plist in buf[0..len) (name prefixes messages).  Fails
 * (nothing left to free) unless the bytes are a plist dictionary with a
 * string CommandUUID and a Command dictionary with a string RequestType.
 * Then, for InstallProfile, RemoveProfile and RestartDevice, checks the
 * type of every key macext reads; a missing required key or a wrong type
 * sets out->bad and out->bad_err ("Command.KextPaths[2]: expected string,
 * got integer") for the Error response.  Other request types parse (the
 * device answers them or says it does not support them).  On success *out
 * owns the tree (mx_mdm_command_free). */
int mx_mdm_command_parse(mx_mdm_command *out, const uint8_t *buf, size_t len, const char *name,
    mx_err *err);
void mx_mdm_command_free(mx_mdm_command *c);

#endif
