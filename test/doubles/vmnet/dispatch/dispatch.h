/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double: the part of Apple's Grand Central Dispatch API that
 * src/vmnet.c uses (serial queues, dispatch_async/dispatch_sync,
 * semaphores with timeouts, reference counts), over POSIX threads, for running
 * it on Linux. Written from Apple's public documentation; not Apple's header.
 * Blocks need clang -fblocks and a blocks runtime (Debian:
 * libblocksruntime-dev).
 */
#ifndef VMNET_DOUBLE_DISPATCH_H
#define VMNET_DOUBLE_DISPATCH_H

#include <stdint.h>
#include <Block.h>

typedef struct dispatch_double_queue *dispatch_queue_t;
typedef struct dispatch_double_semaphore *dispatch_semaphore_t;
typedef const void *dispatch_queue_attr_t;
typedef uint64_t dispatch_time_t;
typedef void (^dispatch_block_t)(void);

#define DISPATCH_QUEUE_SERIAL NULL
#define DISPATCH_TIME_NOW     ((dispatch_time_t)0)
#define DISPATCH_TIME_FOREVER (~(dispatch_time_t)0)
#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC 1000000000ull
#endif

dispatch_queue_t dispatch_queue_create(const char *label,
				       dispatch_queue_attr_t attr);
void dispatch_async(dispatch_queue_t queue, dispatch_block_t block);
void dispatch_sync(dispatch_queue_t queue, dispatch_block_t block);
dispatch_semaphore_t dispatch_semaphore_create(intptr_t value);
/* 0 once the semaphore was taken, non-zero when @timeout passed first */
intptr_t dispatch_semaphore_wait(dispatch_semaphore_t dsema,
				 dispatch_time_t timeout);
intptr_t dispatch_semaphore_signal(dispatch_semaphore_t dsema);
dispatch_time_t dispatch_time(dispatch_time_t when, int64_t delta);
/* Take a queue or a semaphore (Apple's take any dispatch object); an
 * object goes when its last reference does. */
void dispatch_retain(void *object);
void dispatch_release(void *object);

#endif /* VMNET_DOUBLE_DISPATCH_H */
