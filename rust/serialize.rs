// SPDX-License-Identifier: GPL-2.0

//! How concurrent callers are serialized, as in 7.3's
//! `kernel/sched/membarrier.c`.
//!
//! Commands that interrupt a set of CPUs take one global mutex
//! (`SERIALIZE_IPI()`, 944d5fe50f3f, which bounds the IPIs a flood of
//! callers can send); a targeted command (`MEMBARRIER_CMD_FLAG_CPU`) takes
//! the mutex of its CPU only (`SERIALIZE_IPI_CPU()`, 89976cd73739), so that
//! callers aiming at different CPUs do not wait for each other.

use core::ptr;
use kernel::{
    cpu::CpuId,
    new_mutex,
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Release, //
        },
        Mutex,
        MutexGuard, //
    },
};

kernel::sync::global_lock! {
    // SAFETY: initialized by `init()`, from the module initializer, before
    // the misc device that leads here is registered.
    pub(crate) unsafe(uninit) static IPI_MUTEX: Mutex<()> = ();
}

/// Initializes the global mutex; called once, from the module initializer.
pub(crate) fn init() {
    // SAFETY: called exactly once, before any command can run.
    unsafe { IPI_MUTEX.init() };
}

/// Serializes a command that interrupts a set of CPUs, while it lives.
pub(crate) fn all_cpus() -> kernel::sync::GlobalGuard<IPI_MUTEX> {
    IPI_MUTEX.lock()
}

/// One mutex per possible CPU, for targeted commands.
///
/// # Invariants
///
/// `locks` has one mutex for each CPU below `nr_cpu_ids`. While a
/// `CpuMutexes` is published (between [`CpuMutexes::new`] and its drop),
/// [`PUBLISHED`] points to it, and it is not moved: it lives in a `KBox`.
pub(crate) struct CpuMutexes {
    locks: KVec<Pin<KBox<Mutex<()>>>>,
}

/// The published [`CpuMutexes`], or null.
static PUBLISHED: Atomic<*mut CpuMutexes> = Atomic::new(ptr::null_mut());

impl CpuMutexes {
    /// Allocates and publishes the per-CPU mutexes. The module keeps the
    /// result until after its misc device is gone, so that every command
    /// finds them.
    pub(crate) fn new() -> Result<KBox<Self>> {
        let n = kernel::cpu::nr_cpu_ids() as usize;
        let mut locks = KVec::with_capacity(n, GFP_KERNEL)?;

        for _ in 0..n {
            locks.push(KBox::pin_init(new_mutex!(()), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        let mut me = KBox::new(Self { locks }, GFP_KERNEL)?;
        // INVARIANT: `locks` holds nr_cpu_ids mutexes; the box keeps `me`
        // in place until it is dropped, which unpublishes it first.
        PUBLISHED.store(&raw mut *me, Release);
        Ok(me)
    }

    /// Serializes a command targeted at `cpu`, while the guard lives.
    pub(crate) fn lock(cpu: CpuId) -> MutexGuard<'static, ()> {
        let me = PUBLISHED.load(Acquire);
        // SAFETY: commands run only while the misc device is registered,
        // and the module publishes the mutexes before registering it and
        // drops them after deregistering it (field order of the module
        // struct), so `me` points to a live, pinned `CpuMutexes` for as
        // long as the command runs; the `Acquire` pairs with the `Release`
        // that published it.
        let me: &'static Self = unsafe { &*me };
        // `cpu` is below nr_cpu_ids: `CpuId`'s invariant, and ours.
        me.locks[cpu.as_u32() as usize].lock()
    }
}

impl Drop for CpuMutexes {
    fn drop(&mut self) {
        PUBLISHED.store(ptr::null_mut(), Release);
    }
}
