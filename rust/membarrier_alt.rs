// SPDX-License-Identifier: GPL-2.0

//! membarrier(2) look-alike for comparing CPU targeting variants.
//!
//! The module registers `/dev/membarrier_alt`. Its ioctl takes what
//! `membarrier(2)` takes (`cmd`, `flags`, `cpu_id`) plus a variant selector,
//! so that the in-tree targeting and the alternatives argued about on the
//! mailing lists run side by side on one kernel. The ABI is
//! `include/uapi/linux/membarrier_alt.h`.
//!
//! The kernel patch series in `patches/` provides mechanism only; the policy
//! (which CPUs to IPI, which barriers to attach) lives in this crate:
//!
//! - `uapi`: the Rust mirror of the C ABI;
//! - `device`: the misc device and ioctl decoding;
//! - `command`: the membarrier command semantics and the CPU loops;
//! - `targeting`: each variant's choice of target CPUs;
//! - `serialize`: the mutexes that serialize concurrent callers, as 7.3's;
//! - `ipi`: the IPI handlers;
//! - `hooks`: the scheduler hooks of lazy-tlb-sync and mm-cid-mb;
//! - `arch`: per-architecture core serialization;
//! - `stats`: the counters, also shown in debugfs.

use kernel::{
    debugfs,
    miscdevice::{
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
};

mod arch;
mod command;
mod device;
mod hooks;
mod ipi;
mod oracle;
mod serialize;
mod stats;
mod targeting;
mod uapi;

module! {
    type: MembarrierAlt,
    name: "membarrier_alt",
    authors: ["The membarrier-alt developers"],
    description: "membarrier(2) with selectable CPU targeting variants",
    license: "GPL",
}

/// The module: the misc device and the debugfs view of the counters.
///
/// Fields are dropped in declaration order, so the device goes away before
/// the counters' debugfs file does, and before the per-CPU mutexes its
/// commands take.
#[pin_data]
struct MembarrierAlt {
    #[pin]
    _misc: MiscDeviceRegistration<device::MembarrierAltFile>,
    _hooks: HooksAttachment,
    _cpu_mutexes: KBox<serialize::CpuMutexes>,
    #[pin]
    _stats: debugfs::File<stats::DebugfsView>,
    _debugfs: debugfs::Dir,
}

/// Detaches the scheduler hooks when dropped, after the misc device is gone
/// (field order), so no command can attach them again.
struct HooksAttachment;

impl Drop for HooksAttachment {
    fn drop(&mut self) {
        hooks::detach();
    }
}

impl kernel::InPlaceModule for MembarrierAlt {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        serialize::init();
        hooks::init();
        let dir = debugfs::Dir::new(c"membarrier_alt");
        let options = MiscDeviceOptions {
            name: c"membarrier_alt",
        };

        // Initialized in this order: the mutexes exist before the device.
        try_pin_init!(Self {
            _cpu_mutexes: serialize::CpuMutexes::new()?,
            _stats <- dir.read_only_file(c"stats", stats::DebugfsView),
            _misc <- MiscDeviceRegistration::register(options),
            _hooks: HooksAttachment,
            _debugfs: dir,
        })
    }
}
