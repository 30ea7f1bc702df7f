/* SPDX-License-Identifier: MIT */
/* util.h: process spawning (argv only, never a shell), files, locks, small parsers */
#ifndef VMM_UTIL_H
#define VMM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- processes ---- */

/*
 * Run argv[0] (searched in PATH) with posix_spawnp and wait for it.
 * out: if non-NULL, receives a malloc'd NUL-terminated copy of its stdout (caller frees).
 * err: if non-NULL, receives a malloc'd copy of its stderr; otherwise stderr is discarded.
 * Returns the exit status (0..255), 128+signal when killed, or -1 with the error slot set
 * when it could not be started at all (e.g. "qemu-img: not found (install the qemu-utils package)"
 * when a package hint is known for argv[0]).
 */
int util_run(char *const argv[], char **out, char **err);
/* The same with a minimal environment when vmm runs as root (util_clean_env): for helpers that
 * need nothing of the caller's (qemu-img, ssh-keygen, useradd); as a user, its own. */
int util_run_clean(char *const argv[], char **out, char **err);
/* That environment: PATH=UTIL_CLEAN_PATH and LANG=C, nothing else (NULL-terminated, static). */
#define UTIL_CLEAN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
char *const *util_clean_env(void);
/* Spawn without waiting; stdin /dev/null, stdout/stderr to the given fds (-1: /dev/null). */
pid_t util_spawn_bg(char *const argv[], int out_fd, int err_fd);
/* Full path of PROG found in PATH (malloc'd) or NULL. */
char *util_which(const char *prog);
/* The Debian package that provides PROG, or NULL when unknown. */
const char *util_package_for(const char *prog);
/* strerror with a lowercase first letter, for "vmm: object: reason" messages. */
const char *util_strerror(int err);

/* ---- files ---- */

/* asprintf that aborts on OOM. */
char *util_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a va_list. */
char *util_vfmt(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* strdup that aborts on OOM; NULL stays NULL. */
char *util_strdup(const char *s);
/* Free a NULL-terminated list of malloc'd words (an argv built for a spawn) and the list; NULL is
 * nothing. */
void util_argv_free(char **argv);
/* Read a whole file (malloc'd, NUL-terminated); len may be NULL. NULL + error slot on failure. */
char *util_read_file(const char *path, size_t *len);
/* The last line of text (a file's, for a message): its line ends cut off in place; "" for
 * NULL. */
const char *util_last_line(char *text);
/* The rest of the file open as fd, which it closes; path names it in the error. regular: the
 * caller knows it is a regular file, so a short read is its end (one read for a small file). */
char *util_read_fd(int fd, const char *path, bool regular, size_t *len);
/* Write data to path atomically (temp file in the same dir + fsync + rename). */
int util_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* The same without the fsync: atomic for readers and safe when the process dies (the page cache
 * keeps what write() returned), not across a power loss. For files that describe volatile state
 * (kernel network objects) which a power loss takes away too. */
int util_write_file_volatile(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p */
int util_mkdir_p(const char *path, mode_t mode);
/* Remove a tree: each folder below the one holding path is opened without following a link
 * and emptied with unlinkat (util_remove_at), so a swap cannot redirect it. ENOENT is
 * success. */
int util_rm_rf(const char *path);
/* Remove name from the folder dirfd, a tree that names no path twice: each folder is opened
 * below its parent with O_NOFOLLOW and emptied with unlinkat; a link is removed, never
 * followed. Gives up, saying so, when an entry keeps changing kind under it (a folder swapped
 * for a link and back). ENOENT is success. */
int util_remove_at(int dirfd, const char *name);
bool util_exists(const char *path);
/* Can the file be opened for reading (a regular file or block device)? Sets the error slot. */
int util_check_readable(const char *what, const char *path);
/* Take an exclusive flock on path (created if needed). Returns the fd, or -1. Close to release. */
int util_lock(const char *path);
/* Is stdout (or fd) a terminal? */
bool util_isatty(int fd);
/* Monotonic milliseconds. */
uint64_t util_now_ms(void);

/* ---- parsers (return 0 or -1 with vmm_invalid set; `what` names the object in the message) ---- */

/* "40G", "512M", "1T", "1024" (bytes), K/M/G/T binary suffixes, optional trailing "iB"/"B". */
int util_parse_size(const char *what, const char *s, uint64_t *bytes);
/* Unsigned decimal in [min, max]. */
int util_parse_uint(const char *what, const char *s, unsigned long min, unsigned long max,
		    unsigned long *v);
/* "aa:bb:cc:dd:ee:ff" -> 6 bytes; refuses multicast and all-zero. */
int util_parse_mac(const char *what, const char *s, uint8_t mac[6]);
void util_format_mac(const uint8_t mac[6], char buf[18]);
/* "a.b.c.d" -> host-order u32. */
int util_parse_ipv4(const char *what, const char *s, uint32_t *addr);
/* "a.b.c.d/N" -> host-order address and prefix 0..32. */
int util_parse_cidr(const char *what, const char *s, uint32_t *addr, unsigned *prefix);
void util_format_ipv4(uint32_t addr, char buf[16]);
static inline uint32_t util_prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/* ---- small shared pieces ---- */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* FNV-1a, 32 bits: stable across runs and hosts (names → MACs, link groups, instance ids).
 * Start with UTIL_HASH_INIT and chain calls to hash several strings. */
#define UTIL_HASH_INIT 2166136261u
uint32_t util_hash(uint32_t h, const char *s);

/* A small decimal file such as /proc/sys/net/ipv4/ip_forward: its value, -1 when unreadable. */
int util_read_int(const char *path);
/* Write a value into an existing file (a sysctl): 0, or -1 with the error slot set. */
int util_write_str(const char *path, const char *val);

#endif
