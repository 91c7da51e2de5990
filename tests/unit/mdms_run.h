/*
 * mdms_run.h — the conformance MDM server from a unit test (mdms_run.c).
 */
#ifndef MACEXT_TEST_MDMS_RUN_H
#define MACEXT_TEST_MDMS_RUN_H

#include <sys/types.h>

#include <jansson.h>

typedef struct mdms {
	pid_t pid;
	char dir[1024];
	char profile[1100];        /* the enrolment profile it wrote */
	char control[256];         /* control API base URL */
	json_t *ready;             /* its ready file */
} mdms;

/* The server binary, or NULL (the test then skips). */
const char *mdms_binary(void);
/* Starts it in dir with extra flags (NULL-terminated); -1 when it does not start. */
int mdms_start(mdms *m, const char *dir, const char *const *extra);
/* SIGTERM; returns its exit status (0: clean). */
int mdms_stop(mdms *m);
const char *mdms_str(const mdms *m, const char *key);
/* A control API call; the JSON answer (caller's) or NULL; *status the HTTP status. */
json_t *mdms_ctl(const mdms *m, const char *method, const char *path, const char *body,
    long *status);
long long mdms_counter(const mdms *m, const char *name);

#endif
