/*
 * mdms_run.c — runs the conformance MDM server (tests/mdm, built as
 * B/mdmserver; $MDMSERVER overrides) for a unit test: start it on free
 * ports with a ready file, talk to its control API, stop it and check it
 * exited cleanly.  Test-only.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"
#include "mdms_run.h"

const char *
mdms_binary(void)
{
	static char path[1024];
	const char *env = getenv("MDMSERVER");
	const char *b = getenv("B");
	if (env && access(env, X_OK) == 0)
		return env;
	const char *tries[] = { b ? b : "build-check", "build-check", "build" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/mdmserver", tries[i]);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

int
mdms_start(mdms *m, const char *dir, const char *const *extra)
{
	memset(m, 0, sizeof *m);
	const char *bin = mdms_binary();
	const char *td = mx_testdata();
	if (bin == NULL || td == NULL)
		return -1;
	snprintf(m->dir, sizeof m->dir, "%s", dir);
	mkdir(dir, 0700);
	char schema[1024], pki[1100], ready[1100], report[1100], prof[1100], log[1100];
	snprintf(schema, sizeof schema, "%s/apple-device-management/mdm", td);
	snprintf(pki, sizeof pki, "%s/pki", dir);
	snprintf(ready, sizeof ready, "%s/ready.json", dir);
	snprintf(report, sizeof report, "%s/report.json", dir);
	snprintf(prof, sizeof prof, "%s/enroll.mobileconfig", dir);
	snprintf(log, sizeof log, "%s/log", dir);
	const char *argv[64] = { bin, "--dir", pki, "--schema", schema, "--ready-file", ready,
		"--report", report, "--profile-out", prof };
	int n = 11;
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = freopen(log, "w", stderr);
		(void)f;
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	m->pid = pid;
	for (int i = 0; i < 400; i++) {
		FILE *f = fopen(ready, "r");
		if (f) {
			json_error_t je;
			json_t *j = json_loadf(f, 0, &je);
			fclose(f);
			if (j) {
				m->ready = j;
				snprintf(m->profile, sizeof m->profile, "%s", prof);
				snprintf(m->control, sizeof m->control, "%s",
				    json_string_value(json_object_get(j, "control_url")));
				return 0;
			}
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			m->pid = 0;
			return -1;
		}
		struct timespec ts = { 0, 25000000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

int
mdms_stop(mdms *m)
{
	int rc = 0;
	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		int st = 0;
		waitpid(m->pid, &st, 0);
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	json_decref(m->ready);
	m->ready = NULL;
	m->pid = 0;
	return rc;
}

const char *
mdms_str(const mdms *m, const char *key)
{
	return json_string_value(json_object_get(m->ready, key));
}

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	char **buf = arg;
	size_t old = *buf ? strlen(*buf) : 0, add = size * n;
	*buf = realloc(*buf, old + add + 1);
	memcpy(*buf + old, p, add);
	(*buf)[old + add] = 0;
	return add;
}

json_t *
mdms_ctl(const mdms *m, const char *method, const char *path, const char *body, long *status)
{
	char url[2048], *out = NULL;
	snprintf(url, sizeof url, "%s%s", m->control, path);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	CURLcode rc = curl_easy_perform(c);
	long st = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(c);
	if (status)
		*status = rc == CURLE_OK ? st : 0;
	json_error_t je;
	json_t *j = out ? json_loads(out, 0, &je) : NULL;
	free(out);
	return j;
}

long long
mdms_counter(const mdms *m, const char *name)
{
	json_t *j = mdms_ctl(m, "GET", "/v1/counters", NULL, NULL);
	json_t *v = json_object_get(j, name);
	if (v == NULL)
		v = json_object_get(json_object_get(j, "counters"), name);
	long long n = v ? json_integer_value(v) : -1;
	json_decref(j);
	return n;
}
