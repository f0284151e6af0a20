//! Prefetchers: next-line and a page-keyed stride detector. They only propose lines; the cache
//! drops proposals that are present, in flight, or find no free MSHR.

use super::config::PrefetchKind;

/// Most lines one trigger may propose.
pub const MAX_DEGREE: usize = 16;
const STRIDE_ENTRIES: usize = 16;
const PAGE_LINES_SHIFT: u32 = 6; // 4 KiB pages of 64 B lines; a stride table key, not a translation.
const CONFIDENT: u8 = 2;

#[derive(Clone, Copy, Default)]
struct StrideEntry {
    page: u64,
    valid: bool,
    last_line: u64,
    stride: i64,
    confidence: u8,
}

/// A prefetcher's state.
pub struct Prefetcher {
    kind: PrefetchKind,
    degree: usize,
    table: [StrideEntry; STRIDE_ENTRIES],
}

impl Prefetcher {
    /// A prefetcher of `kind` fetching `degree` lines per trigger (capped at [`MAX_DEGREE`]).
    pub fn new(kind: PrefetchKind, degree: u64) -> Prefetcher {
        Prefetcher {
            kind,
            degree: (degree as usize).min(MAX_DEGREE),
            table: [StrideEntry::default(); STRIDE_ENTRIES],
        }
    }

    /// Called on a demand miss to `line`; writes proposals into `out` and returns how many.
    pub fn on_miss(&mut self, line: u64, out: &mut [u64; MAX_DEGREE]) -> usize {
        match self.kind {
            PrefetchKind::None => 0,
            PrefetchKind::NextLine => {
                for (d, slot) in out.iter_mut().take(self.degree).enumerate() {
                    *slot = line + 1 + d as u64;
                }
                self.degree
            }
            PrefetchKind::Stride => {
                let page = line >> PAGE_LINES_SHIFT;
                let e = &mut self.table[(page as usize) % STRIDE_ENTRIES];
                if !e.valid || e.page != page {
                    *e = StrideEntry {
                        page,
                        valid: true,
                        last_line: line,
                        stride: 0,
                        confidence: 0,
                    };
                    return 0;
                }
                let stride = line as i64 - e.last_line as i64;
                if stride == e.stride && stride != 0 {
                    e.confidence = (e.confidence + 1).min(3);
                } else {
                    e.stride = stride;
                    e.confidence = 0;
                }
                e.last_line = line;
                if e.confidence < CONFIDENT {
                    return 0;
                }
                let mut n = 0;
                for d in 1..=self.degree as i64 {
                    let target = line as i64 + e.stride * d;
                    if target >= 0 {
                        out[n] = target as u64;
                        n += 1;
                    }
                }
                n
            }
        }
    }
}
