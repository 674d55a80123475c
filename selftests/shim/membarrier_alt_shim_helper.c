// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of membarrier_alt_shim_test, run by it with and without the
 * LD_PRELOAD shim.  Dynamic, unlike the tests: the shim cannot be preloaded
 * into a static binary.  Not a test itself (guest-selftests.sh runs only
 * *_test).
 *
 *   membarrier_alt_shim_helper passthrough
 *	syscall() with numbers other than membarrier reaches the kernel with
 *	all six arguments, and its errno comes back.
 *   membarrier_alt_shim_helper membarrier THREADS CALLS
 *	THREADS threads race to make the first membarrier calls (CALLS
 *	QUERYs each), then the main thread registers and makes CALLS
 *	PRIVATE_EXPEDITED calls, all through syscall(__NR_membarrier, ...).
 *
 * Prints key=value lines on stdout (the test compares them with the
 * module's counters), problems on stderr, and exits 0 only if every check
 * passed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/membarrier.h>
#include <linux/membarrier_alt.h>

typedef long (*syscall_fn)(long number, ...);

static int failures;

#define CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL: %s: " fmt "\n", #cond,		\
			##__VA_ARGS__);					\
		failures++;						\
	}								\
} while (0)

/* Is the syscall() this program calls the shim's? */
static int shim_loaded(void)
{
	void *fn = dlsym(RTLD_DEFAULT, "syscall");
	Dl_info info;

	if (!fn || !dladdr(fn, &info) || !info.dli_fname)
		return 0;
	return strstr(info.dli_fname, "libmembarrier_alt_preload") != NULL;
}

/* Finds the mapping that starts at @addr in /proc/self/maps. */
static int find_mapping(void *addr, unsigned long *end, char perms[5])
{
	unsigned long start;
	char line[512];
	FILE *f;
	int found = 0;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%lx-%lx %4s", &start, end, perms) == 3 &&
			start == (unsigned long)addr;
	fclose(f);
	return found;
}

static int passthrough(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned long end;
	char perms[5];
	char *hole, *p, *buf;
	long ret;
	int fd, i;

	CHECK(syscall(SYS_getpid) == getpid(), "");
	CHECK(syscall(SYS_gettid) == gettid(), "");

	errno = 0;
	ret = syscall(SYS_close, -1);
	CHECK(ret == -1 && errno == EBADF, "ret %ld, errno %d", ret, errno);

	/*
	 * Six arguments, each visible in the result: pages 1 and 2 of a
	 * three-page file whose page i is filled with 'a' + i, mapped read
	 * only and shared at a chosen free address (MAP_FIXED_NOREPLACE
	 * fails rather than move it).
	 */
	fd = memfd_create("membarrier_alt_shim", MFD_CLOEXEC);
	CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
	if (fd < 0)
		return 1;
	buf = malloc(pg);
	if (!buf)
		return 1;
	for (i = 0; i < 3; i++) {
		memset(buf, 'a' + i, pg);
		CHECK(pwrite(fd, buf, pg, i * pg) == pg, "");
	}
	free(buf);
	hole = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	CHECK(hole != MAP_FAILED, "");
	if (hole == MAP_FAILED)
		return 1;
	munmap(hole, 4 * pg);

	p = (char *)syscall(SYS_mmap, hole + pg, 2 * pg, PROT_READ,
			    MAP_SHARED | MAP_FIXED_NOREPLACE, fd, pg);
	CHECK(p == hole + pg, "mmap returned %p, asked for %p (errno %d)",
	      p, hole + pg, errno);
	if (p != hole + pg)
		return 1;
	CHECK(p[0] == 'b' && p[pg - 1] == 'b', "page 0 holds '%c'", p[0]);
	CHECK(p[pg] == 'c' && p[2 * pg - 1] == 'c', "page 1 holds '%c'",
	      p[pg]);
	CHECK(find_mapping(p, &end, perms), "no mapping at %p", p);
	CHECK(end == (unsigned long)(p + 2 * pg), "mapping ends at 0x%lx",
	      end);
	CHECK(!strcmp(perms, "r--s"), "mapping is %s", perms);
	munmap(p, 2 * pg);
	close(fd);
	return 0;
}

static int calls_per_thread;
static pthread_barrier_t start;
static int query_result;

static void *querier(void *arg)
{
	int i, ret;

	pthread_barrier_wait(&start);
	for (i = 0; i < calls_per_thread; i++) {
		ret = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
		CHECK(ret > 0 && ret == __atomic_load_n(&query_result,
							__ATOMIC_RELAXED),
		      "QUERY returned %d, errno %d", ret, errno);
	}
	return NULL;
}

/* Counts the open files of this process on @dev; @cloexec those with it. */
static int device_fds(const char *dev, int *cloexec)
{
	char link[64], target[PATH_MAX], info[64], line[128];
	int fd, n = 0;
	ssize_t len;
	FILE *f;

	*cloexec = 0;
	for (fd = 0; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, dev))
			continue;
		n++;
		snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
		f = fopen(info, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned int flags;

			if (sscanf(line, "flags: %o", &flags) == 1 &&
			    (flags & O_CLOEXEC))
				(*cloexec)++;
		}
		fclose(f);
	}
	return n;
}

static int run_membarrier(int threads, int calls)
{
	pthread_t *t = calloc(threads, sizeof(*t));
	int i, ret, fds, cloexec;
	syscall_fn libc_syscall;
	void *libc;

	/*
	 * The expected QUERY answer comes from membarrier(2) itself, through
	 * libc's syscall() rather than the shim's, so the module does not
	 * count it.
	 */
	libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	libc_syscall = libc ? (syscall_fn)dlsym(libc, "syscall") : NULL;
	CHECK(libc_syscall, "no syscall() in libc.so.6");
	if (!libc_syscall)
		return 1;
	query_result = libc_syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY,
				    0, 0);
	CHECK(query_result > 0, "");
	calls_per_thread = calls;
	if (!t || pthread_barrier_init(&start, NULL, threads))
		return 1;
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, querier, NULL))
			return 1;
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);

	ret = syscall(__NR_membarrier,
		      MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
	CHECK(ret == 0, "REGISTER_PRIVATE_EXPEDITED: %s", strerror(errno));
	for (i = 0; i < calls; i++) {
		ret = syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
			      0, 0);
		CHECK(ret == 0, "PRIVATE_EXPEDITED: %s", strerror(errno));
	}

	fds = device_fds(MEMBARRIER_ALT_DEVICE, &cloexec);
	printf("membarrier_calls=%d\n", threads * calls + 1 + calls);
	printf("device_fds=%d\n", fds);
	printf("device_fds_cloexec=%d\n", cloexec);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	printf("shim_loaded=%d\n", shim_loaded());
	if (argc == 2 && !strcmp(argv[1], "passthrough"))
		ret = passthrough();
	else if (argc == 4 && !strcmp(argv[1], "membarrier"))
		ret = run_membarrier(atoi(argv[2]), atoi(argv[3]));
	else
		fprintf(stderr, "usage: %s passthrough | membarrier THREADS CALLS\n",
			argv[0]);
	fflush(stdout);
	return ret ? ret : failures ? 1 : 0;
}
