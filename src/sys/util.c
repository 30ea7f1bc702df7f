// SPDX-License-Identifier: MIT
/* util.c: spawning without a shell, file helpers, locks and the small parsers every module uses */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <sys/acl.h>

#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

extern char **environ;

static const struct {
	const char *prog, *pkg;
} packages[] = {
	{ "qemu-img", "qemu-utils" },
	{ "qemu-system-x86_64", "qemu-system-x86" },
	{ "iptables-legacy-save", "iptables" },
	{ "nft", "nftables" },
	{ "ping", "iputils-ping" },
	{ "virsh", "libvirt-clients" },
	{ "grub-mkrescue", "grub-common" },
	{ "xorriso", "xorriso" },
	{ "cloud-init", "cloud-init" },
	{ "dnsmasq", "dnsmasq-base" },
};

const char *util_package_for(const char *prog)
{
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	for (size_t i = 0; i < ARRAY_SIZE(packages); i++)
		if (strcmp(packages[i].prog, base) == 0)
			return packages[i].pkg;
	return NULL;
}

char *util_which(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? util_strdup(prog) : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char *copy = util_strdup(path), *save = NULL, *found = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *cand = util_fmt("%s/%s", *dir ? dir : ".", prog);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			found = cand;
			break;
		}
		free(cand);
	}
	free(copy);
	return found;
}

static int not_found(const char *prog)
{
	const char *pkg = util_package_for(prog);
	if (pkg)
		return vmm_fail("%s: not found (install the %s package)", prog, pkg);
	return vmm_fail("%s: not found", prog);
}

/* Drain two pipes into malloc'd buffers until both reach EOF. */
static int drain(int fds[2], char *bufs[2])
{
	size_t lens[2] = { 0, 0 }, caps[2] = { 0, 0 };
	int open_fds = 0;
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			open_fds++;
	while (open_fds > 0) {
		struct pollfd pfd[2];
		int n = 0, map[2];
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0) {
				pfd[n].fd = fds[i];
				pfd[n].events = POLLIN;
				map[n++] = i;
			}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int k = 0; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int i = map[k];
			if (caps[i] - lens[i] < 4097) {
				caps[i] = caps[i] ? caps[i] * 2 : 8192;
				char *nb = realloc(bufs[i], caps[i]);
				if (!nb)
					abort();
				bufs[i] = nb;
			}
			ssize_t r = read(fds[i], bufs[i] + lens[i], caps[i] - lens[i] - 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(fds[i]);
				fds[i] = -1;
				open_fds--;
				continue;
			}
			lens[i] += (size_t)r;
		}
	}
	for (int i = 0; i < 2; i++)
		if (bufs[i])
			bufs[i][lens[i]] = '\0';
	return 0;
}

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return vmm_fail("waitpid: %s", util_strerror(errno));
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* What a helper run as root inherits: nothing of the caller's environment. */
static char *const clean_env[] = { "PATH=" UTIL_CLEAN_PATH, "LANG=C", NULL };

char *const *util_clean_env(void)
{
	return clean_env;
}

/* Spawn path with stdin from /dev/null, stdout to out_fd and stderr to err_fd (-1: /dev/null)
 * and the environment env; returns posix_spawn's error number (0: *pid is the child). */
static int spawn_std(pid_t *pid, const char *path, char *const argv[], int out_fd, int err_fd,
		     char *const env[])
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (err_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* the child gets 0-2 only: no caller's pipe or lock leaks into long-lived children */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	int e = posix_spawn(pid, path, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

static int run_env(char *const argv[], char **out, char **err, char *const env[])
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	int rc = -1;
	char *path = util_which(argv[0]);
	if (out)
		*out = NULL;
	if (err)
		*err = NULL;
	if (!path)
		return not_found(argv[0]);
	if ((out && pipe2(po, O_CLOEXEC) < 0) || (err && pipe2(pe, O_CLOEXEC) < 0)) {
		vmm_fail("pipe: %s", util_strerror(errno));
		goto out;
	}
	pid_t pid;
	int e = spawn_std(&pid, path, argv, out ? po[1] : -1, err ? pe[1] : -1, env);
	if (po[1] >= 0)
		close(po[1]);
	if (pe[1] >= 0)
		close(pe[1]);
	po[1] = pe[1] = -1;
	if (e != 0) {
		vmm_fail("%s: %s", argv[0], util_strerror(e));
		goto out;
	}
	int fds[2] = { po[0], pe[0] };
	char *bufs[2] = { NULL, NULL };
	po[0] = pe[0] = -1; /* drain closes them */
	drain(fds, bufs);
	if (out)
		*out = bufs[0] ? bufs[0] : util_strdup("");
	if (err)
		*err = bufs[1] ? bufs[1] : util_strdup("");
	rc = wait_status(pid);
out:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	free(path);
	return rc;
}

int util_run(char *const argv[], char **out, char **err)
{
	return run_env(argv, out, err, environ);
}

int util_run_clean(char *const argv[], char **out, char **err)
{
	return run_env(argv, out, err, geteuid() == 0 ? clean_env : environ);
}

pid_t util_spawn_bg(char *const argv[], int out_fd, int err_fd)
{
	char *path = util_which(argv[0]);
	if (!path)
		return not_found(argv[0]);
	pid_t pid;
	int e = spawn_std(&pid, path, argv, out_fd, err_fd, environ);
	free(path);
	if (e != 0)
		return vmm_fail("%s: %s", argv[0], util_strerror(e));
	return pid;
}

const char *util_strerror(int err)
{
	static __thread char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(err));
	/* keep acronyms such as "I/O" as they are */
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z') && buf[1] != '/')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

char *util_vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

char *util_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = util_vfmt(fmt, ap);
	va_end(ap);
	return s;
}

char *util_strdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

void util_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

char *util_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		vmm_fail("%s: %s", path, util_strerror(errno));
		return NULL;
	}
	return util_read_fd(fd, path, false, len);
}

const char *util_last_line(char *text)
{
	if (!text)
		return "";
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	char *l = strrchr(text, '\n');
	return l ? l + 1 : text;
}

char *util_read_fd(int fd, const char *path, bool regular, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	for (;;) {
		if (cap - n < 2) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb)
				abort();
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			vmm_fail("%s: %s", path, util_strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		/* a regular file's read comes back short only at its end (POSIX): no read for 0 */
		if (regular && cap - n > 1)
			break;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* util_write_file and util_write_file_volatile: durable also flushes the data to the disk
 * (fsync) before the rename. */
static int write_replace(const char *path, const void *data, size_t len, mode_t mode, bool durable)
{
	char *tmp = util_fmt("%s.tmp.%ld", path, (long)getpid());
	int rc = -1;
	/* a file that is replaced keeps its ACL entries (QEMU's user's), and its mode never gets
	 * wider than it was nor than asked */
	struct stat old;
	bool had = stat(path, &old) == 0 && S_ISREG(old.st_mode);
	acl_t acl = had && acl_extended_file(path) == 1 ? acl_get_file(path, ACL_TYPE_ACCESS) : NULL;
	unlink(tmp); /* a leftover of a crashed writer with the same pid */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (fd < 0) {
		vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	if (had && (acl ? acl_set_fd(fd, acl) : fchmod(fd, old.st_mode & mode & 0777)) < 0) {
		vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			vmm_fail("%s: %s", path, util_strerror(errno));
			goto out;
		}
		p += w;
		left -= (size_t)w;
	}
	if ((durable && fsync(fd) < 0) || close(fd) < 0) {
		fd = -1;
		vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (acl)
		acl_free(acl);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int util_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_replace(path, data, len, mode, true);
}

int util_write_file_volatile(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_replace(path, data, len, mode, false);
}

int util_mkdir_p(const char *path, mode_t mode)
{
	struct stat st;
	/* the usual case, a folder that is there: one stat (mkdir of an existing folder takes the
	 * parent's lock, each level) */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	char *p = util_strdup(path);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				rc = vmm_fail("%s: %s", p, util_strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

static int remove_children(int fd, const char *name)
{
	DIR *d = fdopendir(fd); /* d now owns fd */
	if (!d) {
		int e = errno;
		close(fd);
		return vmm_fail("%s: %s", name, util_strerror(e));
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    util_remove_at(dirfd(d), e->d_name) < 0)
			rc = -1;
	closedir(d);
	return rc;
}

/* One try: 0, -1 (error slot set), or 1 when the entry changed kind under us (a folder
 * swapped for a link or back): the caller tries again. */
static int remove_once(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != ENOTDIR && errno != ELOOP)
			return vmm_fail("%s: %s", name, util_strerror(errno));
		if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
			return 0;
		return errno == EISDIR ? 1 : vmm_fail("%s: %s", name, util_strerror(errno));
	}
	if (remove_children(fd, name) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	return errno == ENOTDIR ? 1 : vmm_fail("%s: %s", name, util_strerror(errno));
}

int util_remove_at(int dirfd, const char *name)
{
	/* a folder is entered below its parent without following a link: a folder swapped for a
	 * link in between is then a link, and only the link goes */
	for (int tries = 0; tries < 16; tries++) {
		int r = remove_once(dirfd, name);
		if (r <= 0)
			return r;
	}
	return vmm_fail("%s: changes while being removed", name);
}

int util_rm_rf(const char *path)
{
	/* the folder holding path is the caller's; below it nothing is followed */
	char *parent = util_strdup(path);
	char *slash = strrchr(parent, '/');
	const char *name = slash ? slash + 1 : path;
	if (slash)
		*slash = '\0';
	int dirfd = open(!slash ? "." : *parent ? parent : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int rc;
	if (dirfd < 0)
		rc = errno == ENOENT ? 0 : vmm_fail("%s: %s", parent, util_strerror(errno));
	else if ((rc = util_remove_at(dirfd, name)) < 0)
		vmm_error_prefix("%s", slash ? parent : ".");
	if (dirfd >= 0)
		close(dirfd);
	free(parent);
	return rc;
}

bool util_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int util_check_readable(const char *what, const char *path)
{
	struct stat st;
	if (!path || !*path)
		return vmm_invalid("%s: empty file name", what);
	if (stat(path, &st) < 0)
		return vmm_invalid("%s %s: %s", what, path, util_strerror(errno));
	if (S_ISDIR(st.st_mode))
		return vmm_invalid("%s %s: is a directory", what, path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_invalid("%s %s: %s", what, path, util_strerror(errno));
	close(fd);
	return 0;
}

int util_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return vmm_fail("lock %s: %s", path, util_strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		return vmm_fail("lock %s: %s", path, util_strerror(e));
	}
	return fd;
}

bool util_isatty(int fd)
{
	return isatty(fd) == 1;
}

uint64_t util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int util_parse_size(const char *what, const char *s, uint64_t *bytes)
{
	if (!s || !*s)
		return vmm_invalid("%s: empty size", what);
	if (!isdigit((unsigned char)s[0]))
		return vmm_invalid("%s %s: not a size (use a number with K, M, G or T)", what, s);
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return vmm_invalid("%s %s: too large", what, s);
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default:
		return vmm_invalid("%s %s: unknown unit (use K, M, G or T)", what, s);
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end)
		return vmm_invalid("%s %s: unknown unit (use K, M, G or T)", what, s);
	if (v == 0)
		return vmm_invalid("%s %s: must be greater than zero", what, s);
	/* qemu-img and QEMU cap images at 2^63; vmm refuses beyond 1 PiB as absurd */
	if (v > (1ULL << 50) >> shift)
		return vmm_invalid("%s %s: too large (at most 1P)", what, s);
	*bytes = (uint64_t)v << shift;
	return 0;
}

int util_parse_uint(const char *what, const char *s, unsigned long min, unsigned long max,
		    unsigned long *v)
{
	if (!s || !*s || !isdigit((unsigned char)s[0]))
		return vmm_invalid("%s %s: not a number", what, s ? s : "");
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (*end)
		return vmm_invalid("%s %s: not a number", what, s);
	if (errno == ERANGE || x < min || x > max)
		return vmm_invalid("%s %s: out of range (%lu to %lu)", what, s, min, max);
	*v = (unsigned long)x;
	return 0;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

int util_parse_mac(const char *what, const char *s, uint8_t mac[6])
{
	/* by hand: a list reads one per guest, and sscanf costs more than the rest of it */
	bool ok = s && strlen(s) == 17, zero = true;
	for (int i = 0; ok && i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);
		ok = hi >= 0 && lo >= 0 && (i == 5 || s[3 * i + 2] == ':');
		mac[i] = (uint8_t)(ok ? hi << 4 | lo : 0);
		zero = zero && mac[i] == 0;
	}
	if (!ok)
		return vmm_invalid("%s %s: not a MAC address (want xx:xx:xx:xx:xx:xx)", what, s ? s : "");
	if (zero)
		return vmm_invalid("%s %s: all-zero MAC address", what, s);
	if (mac[0] & 1)
		return vmm_invalid("%s %s: multicast MAC address (first octet must be even)", what, s);
	return 0;
}

void util_format_mac(const uint8_t mac[6], char buf[18])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 6; i++) {
		buf[3 * i] = hex[mac[i] >> 4];
		buf[3 * i + 1] = hex[mac[i] & 15];
		buf[3 * i + 2] = i == 5 ? '\0' : ':';
	}
}

static int parse_quad(const char *s, size_t len, uint32_t *addr)
{
	uint32_t a = 0;
	int parts = 0;
	size_t i = 0;
	while (i < len) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		unsigned v = 0;
		size_t start = i;
		while (i < len && isdigit((unsigned char)s[i])) {
			v = v * 10 + (unsigned)(s[i] - '0');
			if (v > 255 || i - start > 2)
				return -1;
			i++;
		}
		if (i - start > 1 && s[start] == '0')
			return -1; /* no octal-looking octets */
		a = (a << 8) | v;
		parts++;
		if (i < len) {
			if (s[i] != '.' || parts == 4)
				return -1;
			i++;
			if (i == len)
				return -1;
		}
	}
	if (parts != 4)
		return -1;
	*addr = a;
	return 0;
}

int util_parse_ipv4(const char *what, const char *s, uint32_t *addr)
{
	if (!s || parse_quad(s, strlen(s), addr) < 0)
		return vmm_invalid("%s %s: not an IPv4 address", what, s ? s : "");
	return 0;
}

int util_parse_cidr(const char *what, const char *s, uint32_t *addr, unsigned *prefix)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash)
		return vmm_invalid("%s %s: want ADDRESS/PREFIX (e.g. 192.168.166.100/24)", what,
				   s ? s : "");
	if (parse_quad(s, (size_t)(slash - s), addr) < 0)
		return vmm_invalid("%s %s: not an IPv4 address", what, s);
	const char *p = slash + 1;
	if (!*p || strlen(p) > 2 || !isdigit((unsigned char)p[0]) ||
	    (p[1] && !isdigit((unsigned char)p[1])) || atoi(p) > 32)
		return vmm_invalid("%s %s: prefix must be 0 to 32", what, s);
	*prefix = (unsigned)atoi(p);
	return 0;
}

void util_format_ipv4(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

uint32_t util_hash(uint32_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int util_read_int(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	return atoi(buf);
}

int util_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_fail("%s: %s", path, util_strerror(errno));
	ssize_t len = write(fd, val, strlen(val));
	int e = errno;
	close(fd);
	if (len != (ssize_t)strlen(val))
		return vmm_fail("%s: %s", path, util_strerror(len < 0 ? e : EIO));
	return 0;
}
