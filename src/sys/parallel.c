// SPDX-License-Identifier: MIT
/* parallel.c: a loop over items on the CPUs vmm may run on */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "vmm/sys/parallel.h"

#define THREADS_MAX 8
#define CHUNK 8 /* items a thread takes at a time */

/* The loop, shared by its threads: each takes the next CHUNK items until none are left, so that
 * a thread that starts late (an idle CPU can take milliseconds to wake) leaves its share to the
 * others instead of holding them up. */
struct loop {
	void (*fn)(void *arg, size_t i);
	void *arg;
	size_t n;
	atomic_size_t next;
};

static void *run(void *p)
{
	struct loop *l = p;
	for (;;) {
		size_t i = atomic_fetch_add(&l->next, CHUNK);
		if (i >= l->n)
			return NULL;
		size_t end = i + CHUNK < l->n ? i + CHUNK : l->n;
		for (; i < end; i++)
			l->fn(l->arg, i);
	}
}

static size_t threads_for(size_t n, size_t min_each)
{
	cpu_set_t set;
	size_t cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? (size_t)CPU_COUNT(&set) : 1;
	size_t t = min_each ? n / min_each : n;
	t = t < cpus ? t : cpus;
	t = t < THREADS_MAX ? t : THREADS_MAX;
	return t ? t : 1;
}

void parallel_for(size_t n, size_t min_each, void (*fn)(void *arg, size_t i), void *arg)
{
	struct loop l = { .fn = fn, .arg = arg, .n = n };
	atomic_init(&l.next, 0);
	size_t nt = threads_for(n, min_each), started = 0;
	pthread_t tid[THREADS_MAX];
	/* the others first, then this thread joins in; one that cannot start leaves its share
	 * to the rest */
	for (size_t t = 1; t < nt; t++)
		if (pthread_create(&tid[started], NULL, run, &l) == 0)
			started++;
	run(&l);
	for (size_t t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
}
