// SPDX-License-Identifier: MIT
/* parallel.c: a loop over items on the CPUs vmm may run on */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include "vmm/sys/parallel.h"

#define THREADS_MAX 8

/* One thread's share: items first, first + stride, ... (strided, so that a slow stretch of
 * items is shared too). */
struct share {
	void (*fn)(void *arg, size_t i);
	void *arg;
	size_t n, first, stride;
};

static void *run_share(void *p)
{
	const struct share *s = p;
	for (size_t i = s->first; i < s->n; i += s->stride)
		s->fn(s->arg, i);
	return NULL;
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
	size_t nt = threads_for(n, min_each);
	struct share s[THREADS_MAX];
	pthread_t tid[THREADS_MAX];
	bool started[THREADS_MAX] = { false };
	for (size_t t = 0; t < nt; t++) {
		s[t] = (struct share){ .fn = fn, .arg = arg, .n = n, .first = t, .stride = nt };
		started[t] = t > 0 && pthread_create(&tid[t], NULL, run_share, &s[t]) == 0;
	}
	for (size_t t = 0; t < nt; t++)
		if (!started[t])
			run_share(&s[t]);
	for (size_t t = 1; t < nt; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
}
