/* SPDX-License-Identifier: MIT */
/* parallel.h: one loop spread over the CPUs vmm may run on (as git's preload-index) */
#ifndef VMM_SYS_PARALLEL_H
#define VMM_SYS_PARALLEL_H

#include <stddef.h>

/*
 * Call fn(arg, i) for every i in [0, n): on one thread per CPU that vmm may run on (this thread
 * among them, at most 8) when each thread gets at least min_each items, else on this thread
 * alone. Returns once every call has returned. fn must be safe to run on several threads at
 * once (each i touching only its own data); the error slot is per thread, so an fn that fails
 * keeps its message with its item. The threads take the items a few at a time, in no set order,
 * so a thread that starts late (or cannot be started) leaves its share to the others.
 */
void parallel_for(size_t n, size_t min_each, void (*fn)(void *arg, size_t i), void *arg);

#endif
