// SPDX-License-Identifier: GPL-2.0
/*
 * qemu-iprof: a QEMU TCG plugin that counts the guest kernel instructions
 * executed at each address, in phases, for `make profile`.
 *
 *   qemu-system-<arch> ... -plugin qemu-iprof.so,out=FILE,mark=ADDR
 *
 * Every translation block that starts at or above MIN (default: the upper
 * half of the address space, where the kernels of x86_64, arm64 and
 * ppc64le run) gets an execution callback that counts it for the current
 * phase.  Whenever the block holding ADDR runs, the next phase begins:
 * `make profile` passes the address of ksys_sync(), and the guest calls
 * sync(2) between the runs it measures.  At exit, FILE gets one line per
 * instruction address executed in a phase: "<phase> <address> <count>".
 *
 * Counts are per block, spread over the block's instructions: a block left
 * early (an exception or interrupt in its middle) counts as run whole.
 * Under -icount, which `make profile` uses, QEMU runs every vCPU in one
 * thread; without it, counts from concurrent vCPUs may race.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-api.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int qemu_plugin_version = 2;

#define MAX_PHASES 64

/* One translated block: its instructions' addresses and its counts. */
struct block {
	struct block *next;
	size_t n;
	uint64_t runs[MAX_PHASES];
	uint64_t pc[];
};

static struct block *blocks;
static unsigned int phase;
static const char *out_path;
static uint64_t mark = UINT64_MAX;
static uint64_t min_pc = UINT64_C(0x8000000000000000);

static void block_ran(unsigned int vcpu_index, void *userdata)
{
	struct block *b = userdata;

	b->runs[phase]++;
}

static void mark_ran(unsigned int vcpu_index, void *userdata)
{
	if (phase < MAX_PHASES - 1)
		phase++;
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	struct block *b;
	bool marked = false;

	if (qemu_plugin_tb_vaddr(tb) < min_pc)
		return;
	b = calloc(1, sizeof(*b) + n * sizeof(b->pc[0]));
	if (!b)
		abort();
	b->n = n;
	for (i = 0; i < n; i++) {
		b->pc[i] = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
		marked |= b->pc[i] == mark;
	}
	/* Blocks are only read at exit, after every translation. */
	b->next = __atomic_exchange_n(&blocks, b, __ATOMIC_ACQ_REL);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_ran,
					     QEMU_PLUGIN_CB_NO_REGS, b);
	if (marked)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, mark_ran,
						     QEMU_PLUGIN_CB_NO_REGS,
						     NULL);
}

static void write_counts(qemu_plugin_id_t id, void *userdata)
{
	FILE *f = fopen(out_path, "w");
	struct block *b;
	unsigned int p;
	size_t i;

	if (!f) {
		perror(out_path);
		return;
	}
	for (b = blocks; b; b = b->next)
		for (p = 0; p < MAX_PHASES; p++)
			for (i = 0; b->runs[p] && i < b->n; i++)
				fprintf(f, "%u %" PRIx64 " %" PRIu64 "\n", p,
					b->pc[i], b->runs[p]);
	if (fclose(f))
		perror(out_path);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_plugin_info *info,
			       int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			out_path = argv[i] + 4;
		else if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
		else if (!strncmp(argv[i], "min=", 4))
			min_pc = strtoull(argv[i] + 4, NULL, 16);
		else
			break;
	}
	if (i < argc) {
		fprintf(stderr, "qemu-iprof: unknown argument %s\n", argv[i]);
		return -1;
	}
	if (!out_path || !info->system_emulation) {
		fprintf(stderr, "qemu-iprof: needs out=FILE, and a system guest\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, write_counts, NULL);
	return 0;
}
