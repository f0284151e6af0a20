//! Tensors as the drivers lay them out: seeded values, magnitude pruning, the sparse blocks of
//! the SpMM weight formats, and f32s from bytes. Shared by the kernel drivers (`driver`) and the
//! DNN operators (`conv`), so neither needs the other's internals.

use rand_core::RngCore;

/// The largest region a driver lays out, in floats (256 MiB).
pub const MAX_FLOATS: u64 = 1 << 26;

/// `n` seeded floats, uniform in [-1, 1), as little-endian bytes.
pub(crate) fn floats(rng: &mut rand_pcg::Pcg64, n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 * n as usize);
    for _ in 0..n {
        // Uniform in [-1, 1): 24 random bits scaled, exactly representable.
        let v = (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
        out.extend(v.to_le_bytes());
    }
    out
}

/// `w` (cout x cin) with whole blocks of `block` output channels x 1 input channel set to zero:
/// the `permille` thousandths of the blocks of smallest magnitude (sum of |w|; ties: the later
/// block first), as magnitude pruning does (`block` 1: single weights).
pub fn prune(w: &[f32], cout: u64, cin: u64, block: u64, permille: u64) -> Vec<f32> {
    let (cin, block) = (cin as usize, block as usize);
    let at = |b: usize, o: usize| (block * (b / cin) + o) * cin + b % cin;
    let norm = |b: usize| -> f32 { (0..block).map(|o| w[at(b, o)].abs()).sum() };
    let n = cout as usize / block * cin;
    let zeros = n * permille as usize / 1000;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| norm(a).total_cmp(&norm(b)).then(b.cmp(&a)));
    let mut out = w.to_vec();
    for &b in &order[..zeros] {
        for o in 0..block {
            out[at(b, o)] = 0.0;
        }
    }
    out
}

/// The body shared by the SpMM and MNN-like weights blobs: `w` (`cout` x `cin`) in blocks of
/// `block` output channels x 1 input channel, all-zero blocks skipped. `body` holds every kept
/// block's values group by group, then each group's block count, then each block's step to the
/// next kept block's input channel in units of `stride` bytes (the last one wraps to `first`).
pub struct SparseBlocks {
    /// Blocks kept.
    pub n: usize,
    /// The first kept block's input channel.
    pub first: i64,
    /// Values, counts and steps, little-endian.
    pub body: Vec<u8>,
}

/// See [`SparseBlocks`].
pub fn sparse_blocks(
    w: &[f32],
    cout: usize,
    cin: usize,
    block: usize,
    stride: i64,
) -> SparseBlocks {
    let mut values = Vec::new();
    let mut counts = Vec::new();
    let mut chans: Vec<i64> = Vec::new();
    for g in 0..cout / block {
        let mut n = 0u32;
        for ci in 0..cin {
            let first = values.len();
            values.extend((0..block).map(|o| w[(block * g + o) * cin + ci]));
            if values[first..].iter().any(|v| *v != 0.0) {
                chans.push(ci as i64);
                n += 1;
            } else {
                values.truncate(first);
            }
        }
        counts.push(n);
    }
    let first = chans.first().copied().unwrap_or(0);
    let mut body = Vec::with_capacity(4 * (values.len() + counts.len() + chans.len()));
    for v in &values {
        body.extend(v.to_le_bytes());
    }
    for c in &counts {
        body.extend(c.to_le_bytes());
    }
    for (i, &c) in chans.iter().enumerate() {
        let next = chans.get(i + 1).copied().unwrap_or(first);
        body.extend((((next - c) * stride) as i32).to_le_bytes());
    }
    SparseBlocks {
        n: chans.len(),
        first,
        body,
    }
}

/// Little-endian f32s from bytes.
pub fn to_f32(b: &[u8]) -> Vec<f32> {
    b.chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}
