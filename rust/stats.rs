// SPDX-License-Identifier: GPL-2.0

//! Per-variant counters.
//!
//! The targeting tests decide pass or fail from these counters, not from
//! timing: which CPUs an IPI handler ran on, and why the other CPUs were
//! skipped. They are plain relaxed atomics: a test reads them after the calls
//! it counts have returned, and the calls wait for their IPI handlers.
//!
//! What the IPI handlers and the scheduler hooks count, they count on the
//! CPU they run on, in a cache line of that CPU's own: the hooks run on
//! every context switch once attached, and a counter shared by all CPUs
//! would move its line between them each time. Totals are summed when read.

use core::fmt;
use kernel::{
    bindings,
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

/// How many CPUs get counters of their own: CPUs at or beyond it (there are
/// none unless NR_CPUS exceeds the ABI's [`MAX_CPUS`]) share `beyond`.
const SLOTS: usize = if (bindings::NR_CPUS as usize) < MAX_CPUS {
    bindings::NR_CPUS as usize
} else {
    MAX_CPUS
};

// `CpuCounters` is aligned to 128 bytes, the largest cache line of the
// arches this module builds for (powerpc64).
const _: () = assert!(bindings::SMP_CACHE_BYTES as usize <= 128);

/// The counters of one variant that one CPU updates.
#[repr(align(128))]
struct CpuCounters {
    ipis: Atomic<u64>,
    local: Atomic<u64>,
    serialized: Atomic<u64>,
    hooks: Atomic<u64>,
    hook_barriers: Atomic<u64>,
}

impl CpuCounters {
    const fn new() -> Self {
        Self {
            ipis: Atomic::new(0),
            local: Atomic::new(0),
            serialized: Atomic::new(0),
            hooks: Atomic::new(0),
            hook_barriers: Atomic::new(0),
        }
    }

    fn reset(&self) {
        for c in [
            &self.ipis,
            &self.local,
            &self.serialized,
            &self.hooks,
            &self.hook_barriers,
        ] {
            c.store(0, Relaxed);
        }
    }
}

/// Picks one counter out of a CPU's.
type Field = fn(&CpuCounters) -> &Atomic<u64>;

/// Counters of one variant.
struct Counters {
    calls: Atomic<u64>,
    skipped: [Atomic<u64>; NR_SKIPS],
    per_cpu: [CpuCounters; SLOTS],
    beyond: CpuCounters,
}

impl Counters {
    const fn new() -> Self {
        Self {
            calls: Atomic::new(0),
            skipped: [const { Atomic::new(0) }; NR_SKIPS],
            per_cpu: [const { CpuCounters::new() }; SLOTS],
            beyond: CpuCounters::new(),
        }
    }

    /// The counters `cpu` updates.
    fn on(&self, cpu: CpuId) -> &CpuCounters {
        self.per_cpu
            .get(cpu.as_u32() as usize)
            .unwrap_or(&self.beyond)
    }

    /// Every CPU's counters, `beyond` included.
    fn all(&self) -> impl Iterator<Item = &CpuCounters> {
        self.per_cpu.iter().chain(core::iter::once(&self.beyond))
    }

    /// The sum of `field` over every CPU.
    fn total(&self, field: Field) -> u64 {
        self.all()
            .map(|c| field(c).load(Relaxed))
            .fold(0, u64::wrapping_add)
    }

    fn reset(&self) {
        self.calls.store(0, Relaxed);
        for c in &self.skipped {
            c.store(0, Relaxed);
        }
        for c in self.all() {
            c.reset();
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
    let add = |why: Skip| {
        let n = skipped[why as usize];
        if n != 0 {
            c.skipped[why as usize].add(u64::from(n), Relaxed);
        }
    };

    // Spelled out: a loop over the counters cost every command about 20
    // more instructions (x86_64, -icount), and a loop over `Skip::ALL`
    // about 110, for six reasons of which one or two are usually not zero.
    // A new reason fails the assertion below until it is added here.
    const _: () = assert!(NR_SKIPS == 6);
    add(Skip::SelfCpu);
    add(Skip::Idle);
    add(Skip::NoMm);
    add(Skip::OtherMm);
    add(Skip::NotRegistered);
    add(Skip::Offline);
}

/// Counts one run of an IPI handler of `variant` on `cpu`, sent from
/// `sender`.
pub(crate) fn handler_ran(variant: Variant, cpu: CpuId, sender: CpuId) {
    let c = of(variant).on(cpu);

    if cpu == sender {
        c.local.add(1, Relaxed);
    } else {
        c.ipis.add(1, Relaxed);
    }
}

/// Counts one invocation of a scheduler hook of `variant` on this CPU.
///
/// Called from the scheduler hooks, which run with preemption disabled.
pub(crate) fn hook(variant: Variant) {
    of(variant).on(CpuId::current()).hooks.add(1, Relaxed);
}

/// Counts one run of the arch's core serialization in a SYNC_CORE IPI
/// handler of `variant`, on this CPU.
///
/// Called from the IPI handlers, with interrupts off.
pub(crate) fn serialized(variant: Variant) {
    of(variant).on(CpuId::current()).serialized.add(1, Relaxed);
}

/// Counts one barrier or core serialization run by a scheduler hook of
/// `variant` for a registered mm, on this CPU.
///
/// Called from the scheduler hooks, which run with preemption disabled.
pub(crate) fn hook_barrier(variant: Variant) {
    of(variant)
        .on(CpuId::current())
        .hook_barriers
        .add(1, Relaxed);
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
    out.ipis = c.total(|p| &p.ipis);
    out.local = c.total(|p| &p.local);
    out.hooks = c.total(|p| &p.hooks);
    out.serialized = c.total(|p| &p.serialized);
    out.hook_barriers = c.total(|p| &p.hook_barriers);
    for (o, n) in out.skipped.iter_mut().zip(&c.skipped) {
        *o = n.load(Relaxed);
    }
    for (i, p) in c.per_cpu.iter().enumerate() {
        out.ipis_per_cpu[i] = p.ipis.load(Relaxed);
        out.hooks_per_cpu[i] = p.hooks.load(Relaxed);
        out.hook_barriers_per_cpu[i] = p.hook_barriers.load(Relaxed);
    }
}

/// The debugfs view of all counters: `membarrier_alt/stats`.
pub(crate) struct DebugfsView;

impl fmt::Debug for DebugfsView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nr_cpus = (kernel::cpu::nr_cpu_ids() as usize).min(SLOTS);

        for v in Variant::ALL {
            let c = of(v);

            writeln!(f, "{}:", v.name())?;
            writeln!(f, "  calls {}", c.calls.load(Relaxed))?;
            writeln!(f, "  ipis {}", c.total(|p| &p.ipis))?;
            writeln!(f, "  local {}", c.total(|p| &p.local))?;
            writeln!(f, "  hooks {}", c.total(|p| &p.hooks))?;
            writeln!(f, "  serialized {}", c.total(|p| &p.serialized))?;
            writeln!(f, "  hook_barriers {}", c.total(|p| &p.hook_barriers))?;
            for why in Skip::ALL {
                let n = c.skipped[why as usize].load(Relaxed);
                writeln!(f, "  skipped_{} {}", why.name(), n)?;
            }
            let fields: [(&str, Field); 3] = [
                ("ipis_per_cpu", |p| &p.ipis),
                ("hooks_per_cpu", |p| &p.hooks),
                ("hook_barriers_per_cpu", |p| &p.hook_barriers),
            ];
            for (name, field) in fields {
                write!(f, "  {name}")?;
                for p in &c.per_cpu[..nr_cpus] {
                    write!(f, " {}", field(p).load(Relaxed))?;
                }
                writeln!(f)?;
            }
        }
        Ok(())
    }
}
