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
//! (which CPUs to IPI, which barriers to attach) lives in this crate.

use kernel::{
    miscdevice::{
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
};

mod command;
mod device;
mod uapi;

module! {
    type: MembarrierAlt,
    name: "membarrier_alt",
    authors: ["The membarrier-alt developers"],
    description: "membarrier(2) with selectable CPU targeting variants",
    license: "GPL",
}

#[pin_data]
struct MembarrierAlt {
    #[pin]
    _misc: MiscDeviceRegistration<device::MembarrierAltFile>,
}

impl kernel::InPlaceModule for MembarrierAlt {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let options = MiscDeviceOptions {
            name: c"membarrier_alt",
        };

        try_pin_init!(Self {
            _misc <- MiscDeviceRegistration::register(options),
        })
    }
}
