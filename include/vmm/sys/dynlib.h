/* SPDX-License-Identifier: MIT */
/* dynlib.h: shared libraries opened on first use (dlopen): a command pays only for what it uses */
#ifndef VMM_DYNLIB_H
#define VMM_DYNLIB_H

#include <stddef.h>

/*
 * vmm links only the small libraries every command needs (libconfig, libnl, json-c, libacl,
 * libip4tc). The heavy ones (libcurl, libcrypto, libisofs, libvncclient, libpng, libnftables,
 * libvirt) and everything they pull in would cost every command several milliseconds of mapping
 * and relocation, so each is opened the first time a command needs it.
 *
 * One library is one header, include/vmm/sys/dl_NAME.h (backend/libvirt_load.h for libvirt):
 *   - DL_NAME_SYMBOLS(X): every function or variable of the library vmm uses;
 *   - one pointer per symbol, dl_SYMBOL, typed from the library's own declaration with
 *     __typeof__ (so calls through it are checked against the real prototype);
 *   - `extern struct dynlib dl_NAME;`, the entry dynlib_load() fills;
 *   - redirects, `#define curl_easy_init (*dl_curl_easy_init)`, so that the code calling the
 *     library is written as if it were linked.
 * A file that calls the library includes that header (after the library's own, which it includes
 * itself) and calls dynlib_load(&dl_NAME) before the first call. The library is not on the link
 * line, so a call that is not redirected fails to link: the symbol list cannot fall behind.
 * The entries (soname from the build, Debian package) are defined in src/sys/dl_NAME.c, one file each.
 */

/* One symbol: its name and the address of the pointer variable that receives it. */
struct dynlib_sym {
	const char *name;
	void *slot; /* a pointer to dl_SYMBOL (of any pointer type) */
};

struct dynlib {
	const char *soname;  /* the file dlopen() looks for: "libcurl.so.4" */
	const char *package; /* the Debian package that ships it: "libcurl4" */
	const char *what;    /* what needs it, for the message: "image downloads" */
	const struct dynlib_sym *syms;
	size_t n_syms;
	void *handle; /* set once loaded */
};

/*
 * Open lib->soname and resolve every symbol, once; later calls return 0 at once. On failure
 * returns -1 with the error slot set to one line naming the library, what needs it and the
 * package to install ("libcurl.so.4: not found, needed for image downloads (install the libcurl4
 * package)"; "cannot load" and the loader's reason when the file is there but unusable); nothing
 * is resolved then (every pointer NULL) and a later call tries again.
 */
int dynlib_load(struct dynlib *lib);

/* 1 when lib is loaded (dynlib_load succeeded), else 0. */
int dynlib_loaded(const struct dynlib *lib);

/* Helpers for the dl_NAME.h headers and src/sys/dl_NAME.c. */
#define DYNLIB_DECLARE(name) extern __typeof__(&name) dl_##name;
#define DYNLIB_DEFINE(name) __typeof__(&name) dl_##name;
#define DYNLIB_ENTRY(name) { #name, &dl_##name },
#define DYNLIB_INIT(so, pkg, w, table) \
	{ .soname = (so), .package = (pkg), .what = (w), .syms = (table), \
	  .n_syms = sizeof(table) / sizeof((table)[0]) }

#endif
