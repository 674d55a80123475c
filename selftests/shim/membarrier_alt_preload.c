// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim: runs an unmodified program's membarrier(2) calls through
 * /dev/membarrier_alt, so that existing users of the syscall (the kernel's
 * own membarrier selftests, liburcu, ...) exercise a variant.
 *
 *   LD_PRELOAD=libmembarrier_alt_preload.so MEMBARRIER_ALT_VARIANT=<name> prog
 *
 * It interposes glibc's syscall(): __NR_membarrier becomes
 * MEMBARRIER_ALT_IOC_CMD with the variant named by MEMBARRIER_ALT_VARIANT
 * (intree, idle-filter, lazy-tlb-sync or mm-cid-mb; unset or empty means
 * intree), whose return value and errno are the syscall's by the module's
 * contract.  Every other number goes to the real syscall() with its six
 * arguments.  Programs that issue the syscall instruction themselves, or a
 * static binary, are not affected.
 *
 * The device is opened once, on the first membarrier call, O_CLOEXEC (the
 * shim of an exec'd program opens its own).  MEMBARRIER_ALT_PATH names
 * another device node, for tests.  The shim never changes what a program
 * can do: when the device cannot be opened, the module speaks another ABI
 * version, the variant is unknown or not supported by the module on this
 * kernel, it says so once on stderr and every membarrier call goes to the
 * real syscall instead.  Check stderr, or the module's per-variant calls
 * counter (MEMBARRIER_ALT_IOC_STATS), to know which path was taken.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/membarrier_alt.h>

typedef long (*syscall_fn)(long number, ...);

static const char * const variant_names[MEMBARRIER_ALT_VARIANT_NR] = {
	[MEMBARRIER_ALT_VARIANT_INTREE]		= "intree",
	[MEMBARRIER_ALT_VARIANT_IDLE_FILTER]	= "idle-filter",
	[MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC]	= "lazy-tlb-sync",
	[MEMBARRIER_ALT_VARIANT_MM_CID_MB]	= "mm-cid-mb",
};

static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
/* Written once under shim_once; -1 routes membarrier to the syscall. */
static int shim_fd = -1;
static unsigned int shim_variant;

static syscall_fn real_syscall(void)
{
	static syscall_fn real;
	syscall_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);

	/* dlsym() is idempotent: racing threads store the same pointer. */
	if (!fn) {
		fn = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
		if (!fn) {
			fprintf(stderr, "membarrier_alt_preload: no syscall() after the shim: %s\n",
				dlerror());
			abort();
		}
		__atomic_store_n(&real, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

static void shim_init(void)
{
	const char *name = getenv("MEMBARRIER_ALT_VARIANT");
	const char *path = getenv("MEMBARRIER_ALT_PATH");
	struct membarrier_alt_version v;
	int saved_errno = errno;
	unsigned int i;
	int fd;

	if (!name || !*name)
		name = variant_names[MEMBARRIER_ALT_VARIANT_INTREE];
	if (!path || !*path)
		path = MEMBARRIER_ALT_DEVICE;

	for (i = 0; i < MEMBARRIER_ALT_VARIANT_NR; i++)
		if (!strcmp(name, variant_names[i]))
			break;
	if (i == MEMBARRIER_ALT_VARIANT_NR) {
		fprintf(stderr, "membarrier_alt_preload: unknown MEMBARRIER_ALT_VARIANT '%s' (intree, idle-filter, lazy-tlb-sync, mm-cid-mb): using membarrier(2)\n",
			name);
		goto out;
	}

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "membarrier_alt_preload: open %s: %s: using membarrier(2)\n",
			path, strerror(errno));
		goto out;
	}
	if (ioctl(fd, MEMBARRIER_ALT_IOC_VERSION, &v)) {
		fprintf(stderr, "membarrier_alt_preload: %s: VERSION: %s: using membarrier(2)\n",
			path, strerror(errno));
		close(fd);
		goto out;
	}
	if (v.abi_version != MEMBARRIER_ALT_ABI_VERSION) {
		fprintf(stderr, "membarrier_alt_preload: %s: ABI version %u, shim built for %u: using membarrier(2)\n",
			path, v.abi_version, MEMBARRIER_ALT_ABI_VERSION);
		close(fd);
		goto out;
	}
	if (!(v.variants & (1U << i))) {
		fprintf(stderr, "membarrier_alt_preload: %s: variant %s not supported here: using membarrier(2)\n",
			path, name);
		close(fd);
		goto out;
	}
	shim_variant = i;
	shim_fd = fd;
out:
	errno = saved_errno;
}

static long shim_membarrier(long cmd, long flags, long cpu_id)
{
	/* Converted as the syscall's int, unsigned int, int parameters. */
	struct membarrier_alt_cmd c = {
		.cmd = (int)cmd,
		.flags = (unsigned int)flags,
		.cpu_id = (int)cpu_id,
		.variant = shim_variant,
	};

	return ioctl(shim_fd, MEMBARRIER_ALT_IOC_CMD, &c);
}

/*
 * glibc's syscall() reads six longs whatever the number, and so does this
 * one: on x86_64, arm64 and ppc64le every syscall argument is passed as a
 * long, and reading more variadic arguments than the caller passed reads
 * registers or the caller's parameter save area, never past a mapping.
 */
long syscall(long number, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (number == __NR_membarrier) {
		pthread_once(&shim_once, shim_init);
		if (shim_fd >= 0)
			return shim_membarrier(a[0], a[1], a[2]);
	}
	return real_syscall()(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
