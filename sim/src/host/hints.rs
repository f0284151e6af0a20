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

/// Bytes of a huge page on the hosts we know (x86-64 and AArch64 Linux with 4 KiB base pages).
const HUGE_PAGE_BYTES: usize = 2 << 20;

/// A fixed-length table whose memory the kernel is asked to back with huge pages where it can
/// (Linux transparent huge pages, `madvise(MADV_HUGEPAGE)` before the first write; ordinary pages
/// elsewhere, below a huge page, or when the kernel refuses). For large tables accessed at random
/// (SMASH's functional hash tables), whose 4 KiB pages would otherwise miss the host's TLB on most
/// accesses. The table starts on a huge-page boundary inside a slightly larger buffer.
pub struct HugePageTable<T> {
    buf: Vec<T>,
    offset: usize,
    len: usize,
}

impl<T: Clone> HugePageTable<T> {
    /// `n` copies of `value`.
    pub fn new(value: T, n: usize) -> HugePageTable<T> {
        let size = std::mem::size_of::<T>().max(1);
        if n * size < HUGE_PAGE_BYTES {
            return HugePageTable {
                buf: vec![value; n],
                offset: 0,
                len: n,
            };
        }
        // Room to move the start up to the next huge-page boundary, whatever `size` is.
        let slack = HUGE_PAGE_BYTES.div_ceil(size);
        let mut buf: Vec<T> = Vec::with_capacity(n + slack);
        let start = buf.as_mut_ptr() as usize;
        let aligned = start.next_multiple_of(HUGE_PAGE_BYTES);
        // Element offset of the first huge-page boundary (exact when `size` divides the page,
        // otherwise the first element past it).
        let offset = (aligned - start).div_ceil(size);
        #[cfg(target_os = "linux")]
        // SAFETY: the range lies inside `buf`'s allocation (n + slack elements), not yet written;
        // MADV_HUGEPAGE changes how the kernel backs those pages, never their contents, and its
        // failure is harmless.
        unsafe {
            let bytes = (n * size) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
            libc::madvise(aligned as *mut libc::c_void, bytes, libc::MADV_HUGEPAGE);
        }
        buf.resize(offset + n, value);
        HugePageTable {
            buf,
            offset,
            len: n,
        }
    }
}

impl<T> std::ops::Deref for HugePageTable<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        &self.buf[self.offset..self.offset + self.len]
    }
}

impl<T> std::ops::DerefMut for HugePageTable<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.offset..self.offset + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_page_table_holds_n_copies_and_large_ones_start_on_a_huge_page() {
        for n in [
            0,
            1,
            1000,
            (HUGE_PAGE_BYTES / 16) - 1,
            3 * HUGE_PAGE_BYTES / 16 + 5,
        ] {
            let mut t = HugePageTable::new((u64::MAX, 0.0f64), n);
            assert_eq!(t.len(), n);
            assert!(t.iter().all(|&e| e == (u64::MAX, 0.0)));
            if n * 16 >= HUGE_PAGE_BYTES {
                assert_eq!(t.as_ptr() as usize % HUGE_PAGE_BYTES, 0, "n = {n}");
            }
            if let Some(last) = t.last_mut() {
                *last = (7, 1.5);
                assert_eq!(t[n - 1], (7, 1.5));
            }
        }
    }

    #[test]
    fn a_huge_page_table_of_elements_that_do_not_divide_the_page_starts_just_past_a_boundary() {
        // 24-byte elements: the table starts at the first element past a boundary, inside the
        // buffer it was given (a reallocation would have moved it anywhere).
        for n in [HUGE_PAGE_BYTES / 24 + 1, 5 * HUGE_PAGE_BYTES / 24] {
            let t = HugePageTable::new([1u64, 2, 3], n);
            assert_eq!(t.len(), n);
            assert!(t.iter().all(|&e| e == [1, 2, 3]));
            assert!((t.as_ptr() as usize) % HUGE_PAGE_BYTES < 24, "n = {n}");
        }
    }
}
