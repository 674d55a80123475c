// SPDX-License-Identifier: GPL-2.0
/*
 * The LD_PRELOAD shim (shim/membarrier_alt_preload.c): unmodified users of
 * membarrier(2) run through /dev/membarrier_alt.
 *
 * For each variant, the kernel's own membarrier selftests
 * (tools/testing/selftests/membarrier, built dynamically into kernel/ next
 * to this test) must pass with the shim preloaded, and the module's calls
 * counter must show that the calls went to that variant and to no other;
 * without the shim they pass too and the counters do not move.  A helper
 * (membarrier_alt_shim_helper) checks what the counters cannot: the exact
 * number of routed calls with threads racing for the first one, a single
 * O_CLOEXEC open, other syscalls passing through with six arguments and
 * errno, and the fallback to the syscall, with one warning, for a missing
 * device or an unknown variant.
 *
 * The stats are global, so nothing else may use the device meanwhile;
 * guest-selftests.sh runs one test at a time.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "membarrier_alt_util.h"
#include "kselftest_harness.h"

#define SHIM_LIB	"libmembarrier_alt_preload.so"
#define SHIM_HELPER	"membarrier_alt_shim_helper"
#define SHIM_WARNING	"membarrier_alt_preload:"

static const char * const kernel_progs[] = {
	"kernel/membarrier_test_single_thread",
	"kernel/membarrier_test_multi_thread",
};

/*
 * The helper's membarrier mode: four threads race for the first call,
 * 25 QUERYs each, then the main thread registers and makes 25 calls.
 */
#define HELPER_CALLS	(4 * 25 + 1 + 25)
static const char * const helper_membarrier[] = {
	SHIM_HELPER, "membarrier", "4", "25", NULL };
static const char * const helper_passthrough[] = {
	SHIM_HELPER, "passthrough", NULL };

/* What a child runs with: the shim or not, and its environment. */
struct shim_env {
	int preload;
	const char *variant;	/* MEMBARRIER_ALT_VARIANT; NULL: unset */
	const char *path;	/* MEMBARRIER_ALT_PATH; NULL: unset */
};

/* A finished child: its wait status and its stdout and stderr, merged. */
struct run {
	int status;
	char *out;
	size_t len;
};

/* Finds the directory of this test, where the shim and helpers are. */
static int exe_dir(char *dir, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	if (len < 0)
		return -1;
	dir[len] = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

static int set_env(const char *name, const char *value)
{
	return value ? setenv(name, value, 1) : unsetenv(name);
}

/*
 * Runs DIR/PROG with ARGS (argv[0] included; NULL: no arguments) and
 * collects its output.
 */
static int run_prog(const char *dir, const char *prog,
		    const char * const *args, const struct shim_env *env,
		    struct run *r)
{
	char path[PATH_MAX], lib[PATH_MAX];
	const char *no_args[2] = { prog, NULL };
	size_t cap = 4096;
	ssize_t n;
	pid_t pid;
	int p[2];

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/%s", dir, prog);
	snprintf(lib, sizeof(lib), "%s/%s", dir, SHIM_LIB);
	r->out = malloc(cap);
	if (!r->out || pipe(p))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		close(p[1]);
		if (set_env("LD_PRELOAD", env->preload ? lib : NULL) ||
		    set_env("MEMBARRIER_ALT_VARIANT", env->variant) ||
		    set_env("MEMBARRIER_ALT_PATH", env->path))
			_exit(127);
		execv(path, (char * const *)(args ? args : no_args));
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		if (r->len + 1 == cap) {
			char *bigger = realloc(r->out, cap * 2);

			if (!bigger)
				break;
			r->out = bigger;
			cap *= 2;
		}
		n = read(p[0], r->out + r->len, cap - 1 - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r->len += n;
	}
	r->out[r->len] = '\0';
	close(p[0]);
	if (waitpid(pid, &r->status, 0) != pid)
		return -1;
	return 0;
}

static int exited_ok(const struct run *r)
{
	return WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

/* Copies the child's output into the log, each line behind "#". */
static void log_output(const char *what, const struct run *r)
{
	const char *line = r->out, *nl;

	fprintf(stderr, "# --- %s (wait status 0x%x):\n", what, r->status);
	while (*line) {
		nl = strchrnul(line, '\n');
		fprintf(stderr, "#   %.*s\n", (int)(nl - line), line);
		line = *nl ? nl + 1 : nl;
	}
}

/* Lines of the output that begin with @prefix. */
static int count_lines(const struct run *r, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *line = r->out;
	int n = 0;

	while (line && *line) {
		if (!strncmp(line, prefix, len))
			n++;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

/* The TAP plan "1..N" of the output, or -1. */
static int tap_plan(const struct run *r)
{
	const char *line = r->out;
	int plan;

	while (line && *line) {
		if (sscanf(line, "1..%d", &plan) == 1)
			return plan;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

/* The value of a "key=value" line of the helper's output, or -1. */
static long helper_value(const struct run *r, const char *key)
{
	size_t len = strlen(key);
	const char *line = r->out;

	while (line && *line) {
		if (!strncmp(line, key, len) && line[len] == '=')
			return strtol(line + len + 1, NULL, 10);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

static int all_calls(int fd, __u64 calls[MEMBARRIER_ALT_VARIANT_NR])
{
	struct membarrier_alt_stats st;
	unsigned int v;

	for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++) {
		if (alt_stats(fd, v, &st))
			return -1;
		calls[v] = st.calls;
	}
	return 0;
}

static const char *vname(unsigned int v)
{
	return v < MEMBARRIER_ALT_VARIANT_NR ? mb_variant_names[v] : "?";
}

/*
 * Runs one program and checks its exit status, and, for the kernel's
 * selftests, that their TAP met its plan with no failure.  Returns the
 * increase of each variant's calls counter in @delta.
 */
static void run_checked(struct __test_metadata *_metadata, int fd,
			const char *dir, const char *prog,
			const char * const *args,
			const struct shim_env *env, int tap,
			__u64 delta[MEMBARRIER_ALT_VARIANT_NR], struct run *r)
{
	__u64 before[MEMBARRIER_ALT_VARIANT_NR], after[MEMBARRIER_ALT_VARIANT_NR];
	unsigned int v;
	int plan, ok, not_ok, bail;

	ASSERT_EQ(0, all_calls(fd, before)) TH_LOG("STATS: %s", strerror(errno));
	ASSERT_EQ(0, run_prog(dir, prog, args, env, r))
		TH_LOG("cannot run %s/%s: %s", dir, prog, strerror(errno));
	ASSERT_EQ(0, all_calls(fd, after)) TH_LOG("STATS: %s", strerror(errno));
	for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++)
		delta[v] = after[v] - before[v];

	TH_LOG("%s%s%s%s: wait status 0x%x, calls +%llu +%llu +%llu +%llu",
	       env->preload ? "shim " : "", env->variant ? env->variant : "",
	       env->variant ? " " : "", prog, r->status,
	       delta[0], delta[1], delta[2], delta[3]);
	if (!exited_ok(r))
		log_output(prog, r);
	ASSERT_TRUE(exited_ok(r));
	if (!tap)
		return;

	plan = tap_plan(r);
	ok = count_lines(r, "ok ");
	not_ok = count_lines(r, "not ok ");
	bail = count_lines(r, "Bail out!");
	if (plan <= 0 || ok != plan || not_ok || bail)
		log_output(prog, r);
	EXPECT_LT(0, plan);
	EXPECT_EQ(plan, ok);
	EXPECT_EQ(0, not_ok);
	EXPECT_EQ(0, bail);
}

static void common_setup(struct __test_metadata *_metadata, int *fd,
		       char *dir, size_t size, unsigned int *variants)
{
	struct membarrier_alt_version v;
	char lib[PATH_MAX];

	*fd = alt_open();
	ASSERT_LE(0, *fd)
		TH_LOG("open %s: %s", MEMBARRIER_ALT_DEVICE, strerror(errno));
	ASSERT_EQ(0, ioctl(*fd, MEMBARRIER_ALT_IOC_VERSION, &v));
	*variants = v.variants;
	ASSERT_EQ(0, exe_dir(dir, size));
	snprintf(lib, sizeof(lib), "%s/%s", dir, SHIM_LIB);
	ASSERT_EQ(0, access(lib, R_OK)) TH_LOG("%s: %s", lib, strerror(errno));
	/* ld.so splits LD_PRELOAD at spaces and colons. */
	ASSERT_EQ(NULL, strpbrk(lib, " :")) TH_LOG("%s: unusable path", lib);
}

FIXTURE(shim) {
	int fd;
	unsigned int variants;
	char dir[PATH_MAX];
};

FIXTURE_VARIANT(shim) {
	unsigned int variant;
};

FIXTURE_VARIANT_ADD(shim, intree) {
	.variant = MEMBARRIER_ALT_VARIANT_INTREE };
FIXTURE_VARIANT_ADD(shim, idle_filter) {
	.variant = MEMBARRIER_ALT_VARIANT_IDLE_FILTER };
FIXTURE_VARIANT_ADD(shim, lazy_tlb_sync) {
	.variant = MEMBARRIER_ALT_VARIANT_LAZY_TLB_SYNC };
FIXTURE_VARIANT_ADD(shim, mm_cid_mb) {
	.variant = MEMBARRIER_ALT_VARIANT_MM_CID_MB };

FIXTURE_SETUP(shim)
{
	NEED_DEVICE(return);
	common_setup(_metadata, &self->fd, self->dir, sizeof(self->dir),
		   &self->variants);
	if (!(self->variants & (1U << variant->variant)))
		SKIP(return, "variant %s not supported here",
		     vname(variant->variant));
}

FIXTURE_TEARDOWN(shim)
{
	close(self->fd);
}

/* The kernel's membarrier selftests pass with the shim preloaded. */
TEST_F_TIMEOUT(shim, kernel_selftests_pass, 300)
{
	struct shim_env env = {
		.preload = 1, .variant = vname(variant->variant) };
	__u64 delta[MEMBARRIER_ALT_VARIANT_NR];
	unsigned int i;
	struct run r;

	for (i = 0; i < ARRAY_SIZE(kernel_progs); i++) {
		run_checked(_metadata, self->fd, self->dir, kernel_progs[i],
			    NULL, &env, 1, delta, &r);
		EXPECT_EQ(0, count_lines(&r, SHIM_WARNING));
		free(r.out);
	}
}

/*
 * Their calls went through the device, to the variant named and no other.
 * (The counts differ with the registration state the programs find, so
 * only the direction is checked; the helper's test counts exactly.)
 */
TEST_F_TIMEOUT(shim, kernel_selftests_use_variant, 300)
{
	struct shim_env env = {
		.preload = 1, .variant = vname(variant->variant) };
	__u64 delta[MEMBARRIER_ALT_VARIANT_NR];
	unsigned int i, v;
	struct run r;

	for (i = 0; i < ARRAY_SIZE(kernel_progs); i++) {
		run_checked(_metadata, self->fd, self->dir, kernel_progs[i],
			    NULL, &env, 1, delta, &r);
		free(r.out);
		for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++) {
			if (v == variant->variant) {
				EXPECT_LT(0, delta[v])
					TH_LOG("%s", kernel_progs[i]);
			} else {
				EXPECT_EQ(0, delta[v])
					TH_LOG("%s: variant %s", kernel_progs[i],
					       vname(v));
			}
		}
	}
}

/*
 * Every membarrier call of the helper is counted once, under the variant,
 * with four threads racing for the first one: one open, O_CLOEXEC.
 */
TEST_F_TIMEOUT(shim, helper_calls_counted_exactly, 120)
{
	struct shim_env env = {
		.preload = 1, .variant = vname(variant->variant) };
	__u64 delta[MEMBARRIER_ALT_VARIANT_NR];
	unsigned int v;
	struct run r;
	long calls;

	run_checked(_metadata, self->fd, self->dir, SHIM_HELPER,
		    helper_membarrier, &env, 0, delta, &r);
	calls = helper_value(&r, "membarrier_calls");
	if (calls != HELPER_CALLS || count_lines(&r, SHIM_WARNING))
		log_output(SHIM_HELPER, &r);
	EXPECT_EQ(1, helper_value(&r, "shim_loaded"));
	EXPECT_EQ(HELPER_CALLS, calls);
	EXPECT_EQ(1, helper_value(&r, "device_fds"));
	EXPECT_EQ(1, helper_value(&r, "device_fds_cloexec"));
	EXPECT_EQ(0, count_lines(&r, SHIM_WARNING));
	for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++)
		EXPECT_EQ(v == variant->variant ? calls : 0, delta[v])
			TH_LOG("variant %s", vname(v));
	free(r.out);
}

FIXTURE(plain) {
	int fd;
	unsigned int variants;
	char dir[PATH_MAX];
};

FIXTURE_SETUP(plain)
{
	NEED_DEVICE(return);
	common_setup(_metadata, &self->fd, self->dir, sizeof(self->dir),
		   &self->variants);
}

FIXTURE_TEARDOWN(plain)
{
	close(self->fd);
}

/* The same programs without the shim: they pass, and the device is idle. */
TEST_F_TIMEOUT(plain, kernel_selftests_without_shim, 300)
{
	struct shim_env env = { .preload = 0 };
	__u64 delta[MEMBARRIER_ALT_VARIANT_NR];
	unsigned int i, v;
	struct run r;

	for (i = 0; i < ARRAY_SIZE(kernel_progs); i++) {
		run_checked(_metadata, self->fd, self->dir, kernel_progs[i],
			    NULL, &env, 1, delta, &r);
		free(r.out);
		for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++)
			EXPECT_EQ(0, delta[v])
				TH_LOG("%s: variant %s", kernel_progs[i],
				       vname(v));
	}
}

/* Other syscall numbers reach the kernel unchanged, six arguments too. */
TEST_F_TIMEOUT(plain, other_syscalls_pass_through, 120)
{
	struct shim_env env = { .preload = 1 };
	__u64 delta[MEMBARRIER_ALT_VARIANT_NR];
	unsigned int v;
	struct run r;

	run_checked(_metadata, self->fd, self->dir, SHIM_HELPER,
		    helper_passthrough, &env, 0, delta, &r);
	if (helper_value(&r, "shim_loaded") != 1 ||
	    count_lines(&r, SHIM_WARNING))
		log_output(SHIM_HELPER, &r);
	EXPECT_EQ(1, helper_value(&r, "shim_loaded"));
	EXPECT_EQ(0, count_lines(&r, SHIM_WARNING));
	for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++)
		EXPECT_EQ(0, delta[v]);
	free(r.out);
}

/*
 * When the shim cannot use the device, membarrier still works, through
 * the syscall, and the shim says so once, however many threads call.
 */
static void check_fallback(struct __test_metadata *_metadata, int fd,
			   const char *dir, const struct shim_env *env)
{
	__u64 delta[MEMBARRIER_ALT_VARIANT_NR];
	unsigned int v;
	struct run r;

	run_checked(_metadata, fd, dir, SHIM_HELPER, helper_membarrier, env, 0,
		    delta, &r);
	if (count_lines(&r, SHIM_WARNING) != 1)
		log_output(SHIM_HELPER, &r);
	EXPECT_EQ(1, helper_value(&r, "shim_loaded"));
	EXPECT_EQ(HELPER_CALLS, helper_value(&r, "membarrier_calls"));
	EXPECT_EQ(1, count_lines(&r, SHIM_WARNING));
	EXPECT_EQ(0, helper_value(&r, "device_fds"));
	for (v = 0; v < MEMBARRIER_ALT_VARIANT_NR; v++)
		EXPECT_EQ(0, delta[v]) TH_LOG("variant %s", vname(v));
	free(r.out);
}

TEST_F_TIMEOUT(plain, missing_device_falls_back, 120)
{
	struct shim_env env = {
		.preload = 1, .variant = "idle-filter",
		.path = "/dev/membarrier_alt_does_not_exist" };

	check_fallback(_metadata, self->fd, self->dir, &env);
}

TEST_F_TIMEOUT(plain, unknown_variant_falls_back, 120)
{
	struct shim_env env = { .preload = 1, .variant = "no-such-variant" };

	check_fallback(_metadata, self->fd, self->dir, &env);
}

TEST_HARNESS_MAIN
