// SPDX-License-Identifier: GPL-2.0

//! Per-variant counters.
//!
//! The targeting tests decide pass or fail from these counters, not from
//! timing: which CPUs an IPI handler ran on, and why the other CPUs were
//! skipped. They are plain relaxed atomics: a test reads them after the calls
//! it counts have returned, and the calls wait for their IPI handlers.

use core::fmt;
use kernel::{
    cpu::CpuId,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

use crate::uapi::{
    self,
    Skip,
    Variant,
    MAX_CPUS,
    NR_SKIPS,
    NR_VARIANTS, //
};

/// Counters of one variant.
struct Counters {
    calls: Atomic<u64>,
    ipis: Atomic<u64>,
    local: Atomic<u64>,
    hooks: Atomic<u64>,
    serialized: Atomic<u64>,
    hook_barriers: Atomic<u64>,
    skipped: [Atomic<u64>; NR_SKIPS],
    ipis_per_cpu: [Atomic<u64>; MAX_CPUS],
    hooks_per_cpu: [Atomic<u64>; MAX_CPUS],
    hook_barriers_per_cpu: [Atomic<u64>; MAX_CPUS],
}

impl Counters {
    const fn new() -> Self {
        Self {
            calls: Atomic::new(0),
            ipis: Atomic::new(0),
            local: Atomic::new(0),
            hooks: Atomic::new(0),
            serialized: Atomic::new(0),
            hook_barriers: Atomic::new(0),
            skipped: [const { Atomic::new(0) }; NR_SKIPS],
            ipis_per_cpu: [const { Atomic::new(0) }; MAX_CPUS],
            hooks_per_cpu: [const { Atomic::new(0) }; MAX_CPUS],
            hook_barriers_per_cpu: [const { Atomic::new(0) }; MAX_CPUS],
        }
    }

    fn reset(&self) {
        self.calls.store(0, Relaxed);
        self.ipis.store(0, Relaxed);
        self.local.store(0, Relaxed);
        self.hooks.store(0, Relaxed);
        self.serialized.store(0, Relaxed);
        self.hook_barriers.store(0, Relaxed);
        for c in self
            .skipped
            .iter()
            .chain(self.ipis_per_cpu.iter())
            .chain(self.hooks_per_cpu.iter())
            .chain(self.hook_barriers_per_cpu.iter())
        {
            c.store(0, Relaxed);
        }
    }
}

static COUNTERS: [Counters; NR_VARIANTS] = [const { Counters::new() }; NR_VARIANTS];

fn of(variant: Variant) -> &'static Counters {
    &COUNTERS[variant.index()]
}

/// Counts one command issued with `variant`.
pub(crate) fn call(variant: Variant) {
    of(variant).calls.add(1, Relaxed);
}

/// Counts one CPU that `variant` decided not to interrupt.
pub(crate) fn skip(variant: Variant, why: Skip) {
    of(variant).skipped[why as usize].add(1, Relaxed);
}

/// Counts `skipped[why]` CPUs that `variant` decided not to interrupt, for
/// every reason `why`.
pub(crate) fn skips(variant: Variant, skipped: &[u32; NR_SKIPS]) {
    let c = of(variant);

    for (counter, &n) in c.skipped.iter().zip(skipped) {
        if n != 0 {
            counter.add(u64::from(n), Relaxed);
        }
    }
}

/// Counts one run of an IPI handler of `variant` on `cpu`, sent from
/// `sender`.
pub(crate) fn handler_ran(variant: Variant, cpu: CpuId, sender: CpuId) {
    let c = of(variant);

    if cpu == sender {
        c.local.add(1, Relaxed);
        return;
    }
    count_on(cpu, &c.ipis, &c.ipis_per_cpu);
}

/// Adds one to `total` and to `cpu`'s entry in `per_cpu`; CPUs beyond
/// [`MAX_CPUS`] count in the total only.
fn count_on(cpu: CpuId, total: &Atomic<u64>, per_cpu: &[Atomic<u64>; MAX_CPUS]) {
    total.add(1, Relaxed);
    if let Some(c) = per_cpu.get(cpu.as_u32() as usize) {
        c.add(1, Relaxed);
    }
}

/// Counts one invocation of a scheduler hook of `variant` on this CPU.
///
/// Called from the scheduler hooks, which run with preemption disabled.
pub(crate) fn hook(variant: Variant) {
    let c = of(variant);

    count_on(CpuId::current(), &c.hooks, &c.hooks_per_cpu);
}

/// Counts one run of the arch's core serialization in a SYNC_CORE IPI
/// handler of `variant`.
pub(crate) fn serialized(variant: Variant) {
    of(variant).serialized.add(1, Relaxed);
}

/// Counts one barrier or core serialization run by a scheduler hook of
/// `variant` for a registered mm, on this CPU.
///
/// Called from the scheduler hooks, which run with preemption disabled.
pub(crate) fn hook_barrier(variant: Variant) {
    let c = of(variant);

    count_on(CpuId::current(), &c.hook_barriers, &c.hook_barriers_per_cpu);
}

/// Zeroes the counters of every variant.
pub(crate) fn reset() {
    for c in &COUNTERS {
        c.reset();
    }
}

/// Fills the counters of `out.variant` into `out`.
pub(crate) fn snapshot(variant: Variant, out: &mut uapi::Stats) {
    let c = of(variant);

    out.nr_cpu_ids = kernel::cpu::nr_cpu_ids();
    out.calls = c.calls.load(Relaxed);
    out.ipis = c.ipis.load(Relaxed);
    out.local = c.local.load(Relaxed);
    out.hooks = c.hooks.load(Relaxed);
    out.serialized = c.serialized.load(Relaxed);
    out.hook_barriers = c.hook_barriers.load(Relaxed);
    load_into(&mut out.skipped, &c.skipped);
    load_into(&mut out.ipis_per_cpu, &c.ipis_per_cpu);
    load_into(&mut out.hooks_per_cpu, &c.hooks_per_cpu);
    load_into(&mut out.hook_barriers_per_cpu, &c.hook_barriers_per_cpu);
}

/// Copies the counters of `from` into `out`.
fn load_into(out: &mut [u64], from: &[Atomic<u64>]) {
    for (o, c) in out.iter_mut().zip(from) {
        *o = c.load(Relaxed);
    }
}

/// The debugfs view of all counters: `membarrier_alt/stats`.
pub(crate) struct DebugfsView;

impl fmt::Debug for DebugfsView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nr_cpus = (kernel::cpu::nr_cpu_ids() as usize).min(MAX_CPUS);

        for v in Variant::ALL {
            let c = of(v);

            writeln!(f, "{}:", v.name())?;
            writeln!(f, "  calls {}", c.calls.load(Relaxed))?;
            writeln!(f, "  ipis {}", c.ipis.load(Relaxed))?;
            writeln!(f, "  local {}", c.local.load(Relaxed))?;
            writeln!(f, "  hooks {}", c.hooks.load(Relaxed))?;
            writeln!(f, "  serialized {}", c.serialized.load(Relaxed))?;
            writeln!(f, "  hook_barriers {}", c.hook_barriers.load(Relaxed))?;
            for why in Skip::ALL {
                let n = c.skipped[why as usize].load(Relaxed);
                writeln!(f, "  skipped_{} {}", why.name(), n)?;
            }
            for (name, per_cpu) in [
                ("ipis_per_cpu", &c.ipis_per_cpu),
                ("hooks_per_cpu", &c.hooks_per_cpu),
                ("hook_barriers_per_cpu", &c.hook_barriers_per_cpu),
            ] {
                write!(f, "  {name}")?;
                for n in &per_cpu[..nr_cpus] {
                    write!(f, " {}", n.load(Relaxed))?;
                }
                writeln!(f)?;
            }
        }
        Ok(())
    }
}
