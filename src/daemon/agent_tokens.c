/*
 * agent_tokens.c — the push tokens of the agent's Macs (agent_int.h), the
 * table the APNs stand-in's thread reads under tok_mu: an open-addressing
 * hash from the hex TokenUpdate Token to (device, channel, Topic,
 * PushMagic), the 410 "gone" mark of a Mac that checked out, and the push
 * itself (agent_push): the topic checked, the magic matched, the Mac woken
 * through the network thread's wake queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/agent_int.h"

/* ---- the push-token table (read by the APNs stand-in) ---- */

static size_t
tok_hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct agent_tok *
tok_slot(mx_agent *a, const char *token, bool create)
{
	if (a->captoks == 0 || (create && (a->ntoks + 1) * 2 > a->captoks)) {
		size_t oc = a->captoks, nc = oc ? oc * 2 : 1024;
		struct agent_tok *old = a->toks;
		a->toks = mx_xcalloc(nc, sizeof *a->toks);
		a->captoks = nc;
		a->ntoks = 0;
		for (size_t i = 0; i < oc; i++)
			if (old[i].token[0]) {
				struct agent_tok *t = tok_slot(a, old[i].token, true);
				*t = old[i];
				a->ntoks++;
			}
		free(old);
	}
	size_t m = a->captoks - 1;
	for (size_t i = tok_hash(token) & m;; i = (i + 1) & m) {
		if (a->toks[i].token[0] == '\0')
			return create ? &a->toks[i] : NULL;
		if (strcmp(a->toks[i].token, token) == 0)
			return &a->toks[i];
	}
}

void
agent_token_set(mx_agent *a, agent_dev *d, int channel)
{
	if (d->token[channel][0] == '\0')
		return;
	pthread_mutex_lock(&a->tok_mu);
	struct agent_tok *t = tok_slot(a, d->token[channel], true);
	if (t->token[0] == '\0')
		a->ntoks++;
	snprintf(t->token, sizeof t->token, "%s", d->token[channel]);
	snprintf(t->topic, sizeof t->topic, "%s", d->prof->p.topic);
	snprintf(t->magic, sizeof t->magic, "%s", d->magic[channel]);
	t->dev = d->idx;
	t->channel = channel;
	t->gone = false;
	pthread_mutex_unlock(&a->tok_mu);
}

void
agent_token_gone(mx_agent *a, agent_dev *d)
{
	pthread_mutex_lock(&a->tok_mu);
	for (int c = 0; c < 2; c++) {
		struct agent_tok *t = d->token[c][0] ? tok_slot(a, d->token[c], false) : NULL;
		if (t)
			t->gone = true;   /* APNs answers 410 Unregistered from now on */
	}
	pthread_mutex_unlock(&a->tok_mu);
}

int
agent_push(mx_agent *a, const char *token, const char *topic, const char *magic,
    const char **reason)
{
	int status = 200;
	*reason = NULL;
	pthread_mutex_lock(&a->tok_mu);
	struct agent_tok *t = a->captoks ? tok_slot(a, token, false) : NULL;
	int dev = -1, channel = 0;
	if (t == NULL) {
		status = 400;
		*reason = "BadDeviceToken";
	} else if (t->gone) {
		status = 410;
		*reason = "Unregistered";
	} else if (topic && topic[0] && strcmp(topic, t->topic) != 0) {
		status = 400;
		*reason = "DeviceTokenNotForTopic";
	} else if (magic == NULL || strcmp(magic, t->magic) == 0) {
		/* a push whose PushMagic is not the device's is delivered and ignored */
		dev = t->dev;
		channel = t->channel;
	}
	pthread_mutex_unlock(&a->tok_mu);
	if (dev >= 0) {
		pthread_mutex_lock(&a->wake_mu);
		if (a->nwakes == a->capwakes) {
			a->capwakes = a->capwakes ? a->capwakes * 2 : 256;
			a->wakes = mx_xrealloc(a->wakes, a->capwakes * sizeof *a->wakes);
		}
		a->wakes[a->nwakes++] = dev * 2 + channel;
		pthread_mutex_unlock(&a->wake_mu);
		agent_net_wakeup(a);
	}
	return status;
}

void
agent_push_count(mx_agent *a, bool accepted)
{
	pthread_mutex_lock(&a->st_mu);
	if (accepted)
		a->st.pushes++;
	else
		a->st.push_rejected++;
	pthread_mutex_unlock(&a->st_mu);
}

