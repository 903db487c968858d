/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double of the XPC dictionaries and GCD queues/semaphores declared in
 * xpc/xpc.h and dispatch/dispatch.h: just enough behaviour for src/vmnet.c
 * and vmnet_double.c, over POSIX threads. A serial queue is one worker
 * thread running its blocks in order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <Block.h>
#include <dispatch/dispatch.h>
#include <xpc/xpc.h>

#include "vmnet_double_ctl.h"

/* --- XPC dictionaries ---------------------------------------------------- */

enum xd_type { XD_UINT64, XD_BOOL, XD_STRING, XD_UUID };

struct xd_entry {
	char *key;
	enum xd_type type;
	uint64_t u;
	char *s;
	uint8_t uuid[16];
	struct xd_entry *next;
};

struct xpc_double_object {
	int refs;
	struct xd_entry *head;
};

xpc_object_t xpc_dictionary_create(const char *const *keys,
				   const xpc_object_t *values, size_t count)
{
	xpc_object_t d = calloc(1, sizeof(*d));

	(void)keys;
	(void)values;
	(void)count; /* the double only makes empty dictionaries */
	if (d)
		d->refs = 1;
	return d;
}

static struct xd_entry *xd_find(xpc_object_t d, const char *key)
{
	struct xd_entry *e;

	if (!d || !key)
		return NULL;
	for (e = d->head; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

static struct xd_entry *xd_put(xpc_object_t d, const char *key,
			       enum xd_type type)
{
	struct xd_entry *e = xd_find(d, key);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			abort();
		e->key = strdup(key);
		e->next = d->head;
		d->head = e;
	}
	free(e->s);
	e->s = NULL;
	e->type = type;
	return e;
}

void xpc_dictionary_set_uint64(xpc_object_t d, const char *key, uint64_t v)
{
	xd_put(d, key, XD_UINT64)->u = v;
}

void xpc_dictionary_set_bool(xpc_object_t d, const char *key, bool v)
{
	xd_put(d, key, XD_BOOL)->u = v;
}

void xpc_dictionary_set_string(xpc_object_t d, const char *key, const char *s)
{
	xd_put(d, key, XD_STRING)->s = strdup(s);
}

void xpc_dictionary_set_uuid(xpc_object_t d, const char *key,
			     const unsigned char *uuid)
{
	memcpy(xd_put(d, key, XD_UUID)->uuid, uuid, 16);
}

uint64_t xpc_dictionary_get_uint64(xpc_object_t d, const char *key)
{
	struct xd_entry *e = xd_find(d, key);

	return e && e->type == XD_UINT64 ? e->u : 0;
}

bool xpc_dictionary_get_bool(xpc_object_t d, const char *key)
{
	struct xd_entry *e = xd_find(d, key);

	return e && e->type == XD_BOOL && e->u;
}

const char *xpc_dictionary_get_string(xpc_object_t d, const char *key)
{
	struct xd_entry *e = xd_find(d, key);

	return e && e->type == XD_STRING ? e->s : NULL;
}

const uint8_t *xpc_dictionary_get_uuid(xpc_object_t d, const char *key)
{
	struct xd_entry *e = xd_find(d, key);

	return e && e->type == XD_UUID ? e->uuid : NULL;
}

xpc_object_t xpc_dictionary_get_value(xpc_object_t d, const char *key)
{
	return xd_find(d, key) ? d : NULL;
}

size_t xpc_dictionary_get_count(xpc_object_t d)
{
	size_t n = 0;

	for (struct xd_entry *e = d ? d->head : NULL; e; e = e->next)
		n++;
	return n;
}

xpc_object_t xpc_retain(xpc_object_t d)
{
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_SEQ_CST);
	return d;
}

void xpc_release(xpc_object_t d)
{
	struct xd_entry *e, *next;

	if (!d || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	for (e = d->head; e; e = next) {
		next = e->next;
		free(e->key);
		free(e->s);
		free(e);
	}
	free(d);
}

/* --- dispatch ------------------------------------------------------------ */

enum dd_kind { DD_QUEUE = 0x51, DD_SEMAPHORE = 0x53 };

struct dd_item {
	dispatch_block_t block;
	struct dd_item *next;
};

struct dispatch_double_queue {
	enum dd_kind kind;
	int refs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct dd_item *head, *tail;
	bool stopping;
	pthread_t thread;
};

struct dispatch_double_semaphore {
	enum dd_kind kind;
	int refs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	intptr_t value;
};

static void *dd_worker(void *arg)
{
	dispatch_queue_t q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct dd_item *it;

		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (!q->head)
			break;
		it = q->head;
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		pthread_mutex_unlock(&q->mu);
		it->block();
		Block_release(it->block);
		free(it);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

dispatch_queue_t dispatch_queue_create(const char *label,
				       dispatch_queue_attr_t attr)
{
	dispatch_queue_t q = calloc(1, sizeof(*q));

	(void)label;
	(void)attr;
	if (!q)
		return NULL;
	q->kind = DD_QUEUE;
	q->refs = 1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->thread, NULL, dd_worker, q)) {
		free(q);
		return NULL;
	}
	return q;
}

void dispatch_async(dispatch_queue_t q, dispatch_block_t block)
{
	struct dd_item *it = calloc(1, sizeof(*it));

	if (!it)
		abort();
	it->block = Block_copy(block);
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void dispatch_sync(dispatch_queue_t q, dispatch_block_t block)
{
	dispatch_semaphore_t done = dispatch_semaphore_create(0);

	dispatch_async(q, ^(void) {
	  block();
	  dispatch_semaphore_signal(done);
	});
	dispatch_semaphore_wait(done, DISPATCH_TIME_FOREVER);
	dispatch_release(done);
}

static unsigned int dd_live_sems; /* semaphores not yet freed */

unsigned int dispatch_double_live_semaphores(void)
{
	return __atomic_load_n(&dd_live_sems, __ATOMIC_SEQ_CST);
}

dispatch_semaphore_t dispatch_semaphore_create(intptr_t value)
{
	dispatch_semaphore_t s = calloc(1, sizeof(*s));

	if (!s || value < 0) {
		free(s);
		return NULL;
	}
	s->kind = DD_SEMAPHORE;
	s->refs = 1;
	s->value = value;
	__atomic_add_fetch(&dd_live_sems, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	return s;
}

static uint64_t dd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

dispatch_time_t dispatch_time(dispatch_time_t when, int64_t delta)
{
	if (when == DISPATCH_TIME_FOREVER)
		return when;
	return (when == DISPATCH_TIME_NOW ? dd_now() : when) + (uint64_t)delta;
}

intptr_t dispatch_semaphore_wait(dispatch_semaphore_t s,
				 dispatch_time_t timeout)
{
	struct timespec ts = {.tv_sec = (time_t)(timeout / NSEC_PER_SEC),
			      .tv_nsec = (long)(timeout % NSEC_PER_SEC)};
	intptr_t ret = 0;

	pthread_mutex_lock(&s->mu);
	while (s->value == 0) {
		if (timeout == DISPATCH_TIME_FOREVER) {
			pthread_cond_wait(&s->cv, &s->mu);
		} else if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) ==
			   ETIMEDOUT) {
			ret = s->value == 0;
			break;
		}
	}
	if (!ret)
		s->value--;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

intptr_t dispatch_semaphore_signal(dispatch_semaphore_t s)
{
	pthread_mutex_lock(&s->mu);
	s->value++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* The reference count of a queue or semaphore. */
static int *dd_refs(void *object)
{
	enum dd_kind kind = *(enum dd_kind *)object;

	if (kind == DD_QUEUE)
		return &((dispatch_queue_t)object)->refs;
	if (kind == DD_SEMAPHORE)
		return &((dispatch_semaphore_t)object)->refs;
	abort();
}

void dispatch_retain(void *object)
{
	if (__atomic_add_fetch(dd_refs(object), 1, __ATOMIC_SEQ_CST) < 2)
		abort(); /* retained after its last release */
}

void dispatch_release(void *object)
{
	enum dd_kind kind = *(enum dd_kind *)object;
	int left = __atomic_sub_fetch(dd_refs(object), 1, __ATOMIC_SEQ_CST);

	if (left < 0)
		abort(); /* released once too often */
	if (left > 0)
		return;
	if (kind == DD_QUEUE) {
		dispatch_queue_t q = object;

		/* Runs what is queued, then the worker ends. */
		pthread_mutex_lock(&q->mu);
		q->stopping = true;
		pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (pthread_equal(q->thread, pthread_self())) {
			pthread_detach(q->thread); /* and leak q */
			return;
		}
		pthread_join(q->thread, NULL);
		free(q);
	} else {
		__atomic_sub_fetch(&dd_live_sems, 1, __ATOMIC_SEQ_CST);
		free(object);
	}
}
