//! Hints to the host machine running the simulation. They change the simulator's speed only,
//! never what it simulates.

/// Asks the host CPU to bring the cache line holding `ptr` into its caches (a no-op off x86-64).
/// Never faults, whatever `ptr` is.
#[inline(always)]
pub fn prefetch<T: ?Sized>(ptr: *const T) {
    // SAFETY: SSE is part of the x86-64 baseline, and a prefetch neither faults nor writes, even
    // for a dangling or null address.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}
