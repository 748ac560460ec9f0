// SPDX-License-Identifier: GPL-2.0-only
/* The control thread's event queue; see evq.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evq.h"

void xg_evq_init(struct xg_evq *q)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	q->head = NULL;
	q->tail = &q->head;
}

void xg_evq_destroy(struct xg_evq *q)
{
	xg_evq_free_list(q->head);
	q->head = NULL;
	q->tail = &q->head;
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}

int xg_evq_push(struct xg_evq *q, enum xg_ev_kind kind, const char *key,
		const void *val, size_t len, int64_t rev)
{
	struct xg_evq_item *it = calloc(1, sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->kind = kind;
	it->rev = rev;
	clock_gettime(CLOCK_MONOTONIC, &it->at);
	if (key && !(it->key = strdup(key)))
		goto nomem;
	if (val) {
		it->val = malloc(len + 1); /* NUL-terminated for convenience */
		if (!it->val)
			goto nomem;
		memcpy(it->val, val, len);
		it->val[len] = '\0';
		it->len = len;
	}
	pthread_mutex_lock(&q->mu);
	*q->tail = it;
	q->tail = &it->next;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
nomem:
	free(it->key);
	free(it);
	return -ENOMEM;
}

struct xg_evq_item *xg_evq_take(struct xg_evq *q, int timeout_ms)
{
	struct xg_evq_item *list;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->mu);
	while (!q->head)
		if (pthread_cond_timedwait(&q->cv, &q->mu, &until) == ETIMEDOUT)
			break;
	list = q->head;
	q->head = NULL;
	q->tail = &q->head;
	pthread_mutex_unlock(&q->mu);
	return list;
}

void xg_evq_free_list(struct xg_evq_item *it)
{
	while (it) {
		struct xg_evq_item *n = it->next;

		free(it->key);
		free(it->val);
		free(it);
		it = n;
	}
}
