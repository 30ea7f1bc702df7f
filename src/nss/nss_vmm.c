// SPDX-License-Identifier: MIT
/* nss_vmm.c: libnss_vmm.so.2, host names for root's guests: NAME.DOMAIN from /etc/vmm's profiles */
/*
 * `hosts: files vmm dns` in /etc/nsswitch.conf. glibc loads this into every process that resolves
 * a name, so it stays tiny and careful: no library but libc, no daemon, no directory scan (the
 * query names the one profile to open), files opened without following symlinks and read only
 * when they are regular, owned by root, not writable by group or others and small; anything
 * unexpected is "not found". The address is the profile's net.address; the IPv6 address is the
 * SLAAC one of its MAC in net.cfg's ipv6 prefix (when net.cfg has one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <nss.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NSS_VMM_DIR
#define NSS_VMM_DIR "/etc/vmm"
#endif
#define NAME_MAX_LEN 32   /* VMM_NAME_MAX */
#define FILE_MAX 8192 /* a profile is a few hundred bytes */

enum nss_status _nss_vmm_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
					  char *buf, size_t buflen, int *errnop, int *herrnop,
					  int32_t *ttlp);
enum nss_status _nss_vmm_gethostbyname3_r(const char *name, int af, struct hostent *host,
					  char *buf, size_t buflen, int *errnop, int *herrnop,
					  int32_t *ttlp, char **canonp);
enum nss_status _nss_vmm_gethostbyname2_r(const char *name, int af, struct hostent *host,
					  char *buf, size_t buflen, int *errnop, int *herrnop);
enum nss_status _nss_vmm_gethostbyname_r(const char *name, struct hostent *host, char *buf,
					 size_t buflen, int *errnop, int *herrnop);

/* What a lookup found. */
struct found {
	char canon[NAME_MAX_LEN + 256];
	bool has4, has6;
	uint8_t a4[4], a6[16];
};

/* A whole file into buf (NUL-terminated) when it is safe to trust; -1 otherwise. */
static int read_trusted(const char *path, char *buf, size_t len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	ssize_t got = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH)) && st.st_size < (off_t)len) {
		size_t n = 0;
		ssize_t r;
		while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
			n += (size_t)r;
		got = (ssize_t)n;
		buf[n] = '\0';
	}
	close(fd);
	return got < 0 ? -1 : 0;
}

/* The folder must be root's and not writable by others, or nothing in it counts. */
static bool dir_trusted(void)
{
	struct stat st;
	return lstat(NSS_VMM_DIR, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* Skip blanks and comments (#, //, slash-star); returns the next token's start. */
static const char *skip(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*" "/");
			p = e ? e + 2 : p + strlen(p);
		} else {
			return p;
		}
	}
}

/*
 * The string value of KEY inside group GROUP ("" for the top level) of libconfig text, copied
 * into out; -1 when absent or not a plain string. Only what vmm writes is understood: names,
 * '=' or ':', quoted strings without escapes, groups in braces; other values are skipped.
 */
static int cfg_string(const char *text, const char *group, const char *key, char *out,
		      size_t len)
{
	char ident[64] = "", cur[64] = "";
	int depth = 0;
	for (const char *p = skip(text); *p; p = skip(p)) {
		if (*p == '{' || *p == '(' || *p == '[') {
			if (depth++ == 0)
				snprintf(cur, sizeof(cur), "%s", ident);
			p++;
		} else if (*p == '}' || *p == ')' || *p == ']') {
			depth = depth > 0 ? depth - 1 : 0;
			p++;
		} else if (*p == '"') {
			const char *e = strchr(p + 1, '"');
			if (!e)
				return -1;
			size_t l = (size_t)(e - p - 1);
			bool here = (*group ? depth == 1 && !strcmp(cur, group) : depth == 0);
			if (here && !strcmp(ident, key) && l < len && !memchr(p + 1, '\\', l)) {
				memcpy(out, p + 1, l);
				out[l] = '\0';
				return 0;
			}
			p = e + 1;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_') {
			size_t l = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789_-*");
			snprintf(ident, sizeof(ident), "%.*s", (int)(l < 63 ? l : 63), p);
			p += l;
		} else {
			p++; /* = : ; , numbers */
		}
	}
	return -1;
}

/* "name.domain" -> the guest's name when domain is net.cfg's; lowercase, [a-z0-9-]. */
static int split_query(const char *q, const char *domain, char *name)
{
	size_t n = strcspn(q, ".");
	if (n == 0 || n > NAME_MAX_LEN || q[n] != '.' || strcasecmp(q + n + 1, domain))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = q[i] >= 'A' && q[i] <= 'Z' ? (char)(q[i] - 'A' + 'a') : q[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
			return -1;
		name[i] = c;
	}
	name[n] = '\0';
	return 0;
}

/* The SLAAC address of mac in prefix ("P/64"). */
static int slaac(const char *prefix, const char *mac, uint8_t a6[16])
{
	char p[64];
	unsigned m[6];
	size_t l = strcspn(prefix, "/");
	if (l >= sizeof(p) || strcmp(prefix + l, "/64"))
		return -1;
	snprintf(p, sizeof(p), "%.*s", (int)l, prefix);
	if (inet_pton(AF_INET6, p, a6) != 1 ||
	    sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	uint8_t tail[8] = { (uint8_t)(m[0] ^ 2), (uint8_t)m[1], (uint8_t)m[2], 0xff, 0xfe,
			    (uint8_t)m[3], (uint8_t)m[4], (uint8_t)m[5] };
	memcpy(a6 + 8, tail, 8);
	return 0;
}

/* Look the name up: 0 found, -1 not a name of ours. */
static int lookup(const char *query, struct found *f)
{
	char text[FILE_MAX]; /* the stack: threads resolve at once */
	char domain[128] = "vmm", ipv6[64] = "", name[NAME_MAX_LEN + 1], path[128];
	char addr[64] = "", mac[32] = "";
	memset(f, 0, sizeof(*f));
	if (!query || !dir_trusted())
		return -1;
	if (read_trusted(NSS_VMM_DIR "/net.cfg", text, sizeof(text)) == 0) {
		cfg_string(text, "", "domain", domain, sizeof(domain));
		cfg_string(text, "", "ipv6", ipv6, sizeof(ipv6));
	}
	if (split_query(query, domain, name) < 0 || !strcmp(name, "net"))
		return -1;
	snprintf(path, sizeof(path), "%s/%s.cfg", NSS_VMM_DIR, name);
	if (read_trusted(path, text, sizeof(text)) < 0 ||
	    cfg_string(text, "net", "address", addr, sizeof(addr)) < 0)
		return -1;
	cfg_string(text, "net", "mac", mac, sizeof(mac));
	addr[strcspn(addr, "/")] = '\0';
	f->has4 = inet_pton(AF_INET, addr, f->a4) == 1;
	f->has6 = *ipv6 && *mac && slaac(ipv6, mac, f->a6) == 0;
	snprintf(f->canon, sizeof(f->canon), "%s.%s", name, domain);
	return f->has4 || f->has6 ? 0 : -1;
}

/* Room for n bytes aligned for pointers in the caller's buffer, or NULL. */
static void *take(char **buf, size_t *left, size_t n)
{
	size_t pad = (sizeof(void *) - ((uintptr_t)*buf % sizeof(void *))) % sizeof(void *);
	if (*left < pad + n)
		return NULL;
	void *p = *buf + pad;
	*buf += pad + n;
	*left -= pad + n;
	return p;
}

static enum nss_status not_found(int *errnop, int *herrnop)
{
	*errnop = ENOENT;
	*herrnop = HOST_NOT_FOUND;
	return NSS_STATUS_NOTFOUND;
}

static enum nss_status too_small(int *errnop, int *herrnop)
{
	*errnop = ERANGE;
	*herrnop = NETDB_INTERNAL;
	return NSS_STATUS_TRYAGAIN;
}

enum nss_status _nss_vmm_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
					  char *buf, size_t buflen, int *errnop, int *herrnop,
					  int32_t *ttlp)
{
	struct found f;
	if (lookup(name, &f) < 0)
		return not_found(errnop, herrnop);
	size_t cl = strlen(f.canon) + 1;
	char *canon = take(&buf, &buflen, cl);
	struct gaih_addrtuple *t6 = f.has6 ? take(&buf, &buflen, sizeof(*t6)) : NULL;
	struct gaih_addrtuple *t4 = f.has4 ? take(&buf, &buflen, sizeof(*t4)) : NULL;
	if (!canon || (f.has6 && !t6) || (f.has4 && !t4))
		return too_small(errnop, herrnop);
	memcpy(canon, f.canon, cl);
	struct gaih_addrtuple *first = NULL, **next = &first;
	if (t4) { /* IPv4 first: the address the guest surely has */
		memset(t4, 0, sizeof(*t4));
		t4->name = canon;
		t4->family = AF_INET;
		memcpy(t4->addr, f.a4, 4);
		*next = t4;
		next = &t4->next;
	}
	if (t6) {
		memset(t6, 0, sizeof(*t6));
		t6->name = canon;
		t6->family = AF_INET6;
		memcpy(t6->addr, f.a6, 16);
		*next = t6;
	}
	*pat = first;
	if (ttlp)
		*ttlp = 0;
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_vmm_gethostbyname3_r(const char *name, int af, struct hostent *host,
					  char *buf, size_t buflen, int *errnop, int *herrnop,
					  int32_t *ttlp, char **canonp)
{
	struct found f;
	if (af != AF_INET && af != AF_INET6) {
		*errnop = EAFNOSUPPORT;
		*herrnop = NO_DATA;
		return NSS_STATUS_UNAVAIL;
	}
	if (lookup(name, &f) < 0 || (af == AF_INET ? !f.has4 : !f.has6))
		return not_found(errnop, herrnop);
	size_t alen = af == AF_INET ? 4 : 16, cl = strlen(f.canon) + 1;
	char **aliases = take(&buf, &buflen, sizeof(char *));
	char **list = take(&buf, &buflen, 2 * sizeof(char *));
	char *addr = take(&buf, &buflen, alen);
	char *canon = take(&buf, &buflen, cl);
	if (!aliases || !list || !addr || !canon)
		return too_small(errnop, herrnop);
	memcpy(addr, af == AF_INET ? f.a4 : f.a6, alen);
	memcpy(canon, f.canon, cl);
	aliases[0] = NULL;
	list[0] = addr;
	list[1] = NULL;
	host->h_name = canon;
	host->h_aliases = aliases;
	host->h_addrtype = af;
	host->h_length = (int)alen;
	host->h_addr_list = list;
	if (ttlp)
		*ttlp = 0;
	if (canonp)
		*canonp = canon;
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_vmm_gethostbyname2_r(const char *name, int af, struct hostent *host,
					  char *buf, size_t buflen, int *errnop, int *herrnop)
{
	return _nss_vmm_gethostbyname3_r(name, af, host, buf, buflen, errnop, herrnop, NULL, NULL);
}

enum nss_status _nss_vmm_gethostbyname_r(const char *name, struct hostent *host, char *buf,
					 size_t buflen, int *errnop, int *herrnop)
{
	return _nss_vmm_gethostbyname3_r(name, AF_INET, host, buf, buflen, errnop, herrnop, NULL,
					 NULL);
}
