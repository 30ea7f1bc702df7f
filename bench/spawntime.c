// SPDX-License-Identifier: MIT
/* spawntime.c: runs commands in turn, N times each, and prints each run's wall time (bench/) */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * spawntime RUNS CMD... [-- CMD...]...
 *
 * Round r runs every command once, in turn (from the first in odd rounds, from the last in even
 * ones, so that neither always follows the other), each started with posix_spawn (no shell, no
 * fork of a big process: what is timed is the command itself), its stdin, stdout and stderr on
 * /dev/null. Prints one line per run, "INDEX MICROSECONDS" (INDEX: 0 for the first command).
 * Exits 1 as soon as a command fails (its status on stderr), 2 on bad usage.
 */

#define MAX_CMDS 8

extern char **environ;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One run of argv: 0 and *us, or -1 (said on stderr). */
static int run_once(char **argv, const posix_spawn_file_actions_t *fa, long long *us)
{
	pid_t pid;
	int st;
	long long t0 = now_us();
	int e = posix_spawnp(&pid, argv[0], fa, NULL, argv, environ);
	if (e) {
		fprintf(stderr, "spawntime: %s: %s\n", argv[0], strerror(e));
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "spawntime: waitpid: %s\n", strerror(errno));
			return -1;
		}
	}
	*us = now_us() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "spawntime: %s: exit status %d\n", argv[0],
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char **cmds[MAX_CMDS];
	int n = 0;
	char *end;
	long runs = argc > 2 ? strtol(argv[1], &end, 10) : 0;
	if (argc < 3 || *end || runs < 1) {
		fprintf(stderr, "usage: spawntime RUNS CMD... [-- CMD...]...\n");
		return 2;
	}
	for (int i = 2; i < argc && n < MAX_CMDS; i++) {
		cmds[n++] = &argv[i];
		while (i < argc && strcmp(argv[i], "--"))
			i++;
		if (i < argc)
			argv[i] = NULL; /* ends that command's argv */
	}
	for (int k = 0; k < n; k++) {
		if (!cmds[k][0]) {
			fprintf(stderr, "spawntime: command %d is empty\n", k);
			return 2;
		}
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	for (int fd = 0; fd <= 2; fd++)
		posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
	for (long r = 0; r < runs; r++) {
		for (int k = 0; k < n; k++) {
			int c = r % 2 ? n - 1 - k : k;
			long long us;
			if (run_once(cmds[c], &fa, &us) < 0)
				return 1;
			printf("%d %lld\n", c, us);
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	return fflush(stdout) == 0 ? 0 : 1;
}
