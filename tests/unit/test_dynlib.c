// SPDX-License-Identifier: MIT
/* test_dynlib.c: the lazy loader: a library found and its symbols typed and resolved, a missing
 * library or symbol named with its package and nothing left half-resolved, the real entries */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/sys/dl_crypto.h"
#include "vmm/sys/dl_curl.h"
#include "vmm/sys/dl_isofs.h"
#include "vmm/sys/dl_nftables.h"
#include "vmm/sys/dl_png.h"
#include "vmm/sys/dl_vncclient.h"
#include "vmm/sys/dynlib.h"
#include "vmm/sys/error.h"

/* libc's strlen and strchr, the way the dl_NAME.h headers declare a library's symbols */
#define TEST_SYMBOLS(X) X(strlen) X(strchr)
TEST_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym test_syms[] = { TEST_SYMBOLS(DYNLIB_ENTRY) };

static void test_found(void **state)
{
	struct dynlib lib = DYNLIB_INIT("libc.so.6", "libc6", "a test", test_syms);
	assert_int_equal(dynlib_loaded(&lib), 0);
	assert_int_equal(dynlib_load(&lib), 0);
	assert_int_equal(dynlib_loaded(&lib), 1);
	/* typed from the real prototype: a call is checked and works (the pointers are libc's own,
	 * not compared with &strlen: a sanitizer build replaces that one) */
	assert_int_equal(dl_strlen("vmm"), 3);
	const char *s = "a,b";
	assert_ptr_equal(dl_strchr(s, ','), s + 1);
	/* once loaded, a second call does nothing */
	dl_strlen = NULL;
	assert_int_equal(dynlib_load(&lib), 0);
	assert_null(dl_strlen);
}

static void test_missing_library(void **state)
{
	struct dynlib lib = DYNLIB_INIT("libvmm-test-none.so.7", "libvmm-test7", "a test", test_syms);
	dl_strlen = NULL;
	assert_int_equal(dynlib_load(&lib), -1);
	assert_string_equal(vmm_errmsg(), "libvmm-test-none.so.7: not found, needed for a test "
					  "(install the libvmm-test7 package)");
	assert_int_equal(vmm_errcode(), VMM_EFAIL);
	assert_int_equal(dynlib_loaded(&lib), 0);
	assert_null(dl_strlen);
}

static void test_missing_symbol(void **state)
{
	static __typeof__(&strlen) dl_strlen2, dl_nosuch;
	const struct dynlib_sym syms[] = { { "strlen", &dl_strlen2 },
					   { "vmm_test_no_such_symbol", &dl_nosuch } };
	struct dynlib lib = DYNLIB_INIT("libc.so.6", "libc6", "a test", syms);
	assert_int_equal(dynlib_load(&lib), -1);
	const char *e = vmm_errmsg();
	assert_non_null(strstr(e, "libc.so.6: cannot load, needed for a test (install the libc6 "
				  "package): "));
	assert_non_null(strstr(e, "vmm_test_no_such_symbol"));
	/* nothing half-resolved: strlen was found first, and is NULL again */
	assert_null(dl_strlen2);
	assert_null(dl_nosuch);
	assert_int_equal(dynlib_loaded(&lib), 0);
}

/* Every real entry: the soname the build read, a package, and every symbol resolved. */
static void test_entries(void **state)
{
	struct dynlib *all[] = { &dl_curl, &dl_crypto, &dl_isofs, &dl_nftables, &dl_png,
				 &dl_vncclient };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct dynlib *l = all[i];
		assert_non_null(strstr(l->soname, ".so."));
		assert_true(l->package[0] && l->what[0] && l->n_syms > 0);
		if (dynlib_load(l) < 0)
			fail_msg("%s", vmm_errmsg());
		for (size_t k = 0; k < l->n_syms; k++) {
			void *p = NULL;
			memcpy(&p, l->syms[k].slot, sizeof(p));
			assert_non_null(p);
		}
	}
	assert_ptr_not_equal(dl_curl_easy_init, NULL);
	assert_ptr_not_equal(dl_nft_ctx_new, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_missing_symbol),
		cmocka_unit_test(test_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
