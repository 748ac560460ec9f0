// SPDX-License-Identifier: GPL-2.0-only
/* The L7 regex flavour, and the policy compiler's check; see regex.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "regex.h"

char *xg_l7_anchored(const char *re, size_t len)
{
	char *s = malloc(len + 8);

	if (!s)
		return NULL;
	memcpy(s, "^(?:", 4);
	memcpy(s + 4, re, len);
	memcpy(s + 4 + len, ")\\z", 4); /* with the NUL */
	return s;
}

/*
 * Regexes that compiled, by text.  A Hyperscan compile costs about a
 * millisecond, and the policy compiler checks every regex of every
 * document each time anything changes; what compiled once compiles
 * again.  Bounded: when full it starts over.
 */
#define CACHE_MAX (1u << 16)

static struct {
	pthread_mutex_t lock;
	char **slot; /* open addressing, 2 * CACHE_MAX */
	uint64_t *hash;
	size_t n;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* With the lock held: the slot of s, or the empty one it would take. */
static size_t cache_slot(const char *s, uint64_t h)
{
	size_t mask = 2 * CACHE_MAX - 1, i = h & mask;

	while (cache.slot[i] &&
	       (cache.hash[i] != h || strcmp(cache.slot[i], s)))
		i = (i + 1) & mask;
	return i;
}

static int cache_has(const char *s, uint64_t h)
{
	int hit = 0;

	pthread_mutex_lock(&cache.lock);
	if (cache.slot)
		hit = cache.slot[cache_slot(s, h)] != NULL;
	pthread_mutex_unlock(&cache.lock);
	return hit;
}

static void cache_add(const char *s, uint64_t h)
{
	size_t i;

	pthread_mutex_lock(&cache.lock);
	if (cache.slot && cache.n >= CACHE_MAX) {
		for (i = 0; i < 2 * CACHE_MAX; i++)
			free(cache.slot[i]);
		memset(cache.slot, 0, 2 * CACHE_MAX * sizeof(*cache.slot));
		cache.n = 0;
	}
	if (!cache.slot) {
		cache.slot = calloc(2 * CACHE_MAX, sizeof(*cache.slot));
		cache.hash = calloc(2 * CACHE_MAX, sizeof(*cache.hash));
		if (!cache.slot || !cache.hash) {
			free(cache.slot);
			free(cache.hash);
			cache.slot = NULL;
			cache.hash = NULL;
			goto out; /* no cache: only slower */
		}
	}
	i = cache_slot(s, h);
	if (!cache.slot[i]) {
		cache.slot[i] = strdup(s);
		if (cache.slot[i]) {
			cache.hash[i] = h;
			cache.n++;
		}
	}
out:
	pthread_mutex_unlock(&cache.lock);
}

static int hs_fail(hs_compile_error_t *ce, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s",
		 ce && ce->message ? ce->message : "does not compile");
	hs_free_compile_error(ce);
	return -EINVAL;
}

int xg_l7_regex_check(const char *re, char *msg, size_t msglen)
{
	hs_compile_error_t *ce = NULL;
	hs_database_t *db = NULL;
	hs_expr_info_t *info = NULL;
	uint64_t h = str_hash(re);
	char *full;

	if (msglen)
		msg[0] = '\0';
	if (cache_has(re, h))
		return 0;
	/* Alone first: a regex that is not whole by itself (`a)|(b`) would
	 * break out of the group it is put in.  This also reports errors at
	 * offsets of the regex as written. */
	if (hs_expression_info(re, XG_L7_HS_FLAGS, &info, &ce) != HS_SUCCESS)
		return hs_fail(ce, msg, msglen);
	free(info);
	full = xg_l7_anchored(re, strlen(re));
	if (!full) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	if (hs_compile(full, XG_L7_HS_FLAGS, HS_MODE_BLOCK, NULL, &db, &ce) !=
	    HS_SUCCESS) {
		free(full);
		return hs_fail(ce, msg, msglen);
	}
	free(full);
	hs_free_database(db);
	cache_add(re, h);
	return 0;
}
