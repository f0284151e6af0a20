//! Drivers: how a kernel's memory and arguments are laid out before it is called. Every bundled
//! kernel has the C signature `void kernel(float *a, float *b, float *c, long m, long n, long k)`,
//! which `scripts/aarch64/harness.c` calls under qemu with the same memory.
//!
//! - `gemm`: A (m x k), B (k x n) and C (m x n) row-major f32; A and B seeded random values in
//!   [-1, 1), C zero.
//! - `spmm4`, `spmm2`: the same with weights pruned in blocks of 4 (2) output channels x 1 input
//!   channel (group-sparse), for `spmm_16x4.s` (`spmm_16x2.s`);
//! - the DNN-layer drivers of [`super::conv`] (`conv3x3s2`, `dw3x3s1`, ...);
//! - `spmm`: an unstructured sparse 1x1 convolution in CHW (input cin x hw, output cout x hw),
//!   weights pruned by magnitude from seeded values and laid out as XNNPACK's SpMM takes them;
//! - `loop`: a micro-kernel's buffers: `a` of n seeded random floats, `b` of 16, `c` of 64 zero
//!   floats; m is the iteration count.
//!
//! Regions sit at fixed addresses (A 0x1000_0000, B 0x2000_0000, C 0x3000_0000, a 64 KiB stack
//! ending at 0x7000_0000); an access outside them is an error naming the instruction.

use rand_core::SeedableRng;

use super::exec::Memory;
use super::tensor::floats;
use super::tensor::{prune, sparse_blocks, to_f32, MAX_FLOATS};

/// Base addresses of the regions.
pub const A_BASE: u64 = 0x1000_0000;
/// B's base.
pub const B_BASE: u64 = 0x2000_0000;
/// C's base.
pub const C_BASE: u64 = 0x3000_0000;
/// The stack's top (it grows down from here).
pub const STACK_TOP: u64 = 0x7000_0000;
const STACK_BYTES: u64 = 64 * 1024;

/// A driver's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A GEMM of m x k by k x n.
    Gemm {
        /// Rows of A and C.
        m: u64,
        /// Columns of B and C.
        n: u64,
        /// Columns of A, rows of B.
        k: u64,
    },
    /// An unstructured sparse 1x1 convolution in CHW layout: input `cin` x `hw`, weights
    /// `cout` x `cin` pruned by magnitude to `sparsity` (zeros over all weights), output
    /// `cout` x `hw`; the weights in XNNPACK's SpMM format (see `spmm_16x1.s`).
    Spmm {
        /// Pixels (m; a multiple of 16).
        hw: u64,
        /// Output channels (n).
        cout: u64,
        /// Input channels (k).
        cin: u64,
        /// Share of zero weights, in thousandths (0 to 999).
        sparsity_permille: u64,
        /// Output channels a pruned block spans: 1 (unstructured, `spmm`), 2 (`spmm2`) or 4
        /// (`spmm4`).
        block: u64,
        /// Output channels rearranged before pruning, so that those whose strongest input
        /// channels coincide share blocks ([`rearranged`]).
        rearrange: bool,
    },
    /// A DNN layer's operator or layout step (see [`super::conv`]).
    Op(super::conv::OpLayout),
    /// A micro-kernel: `iterations` (m) over a buffer of `floats` (n).
    Loop {
        /// m.
        iterations: u64,
        /// n.
        floats: u64,
    },
}

/// Memory and arguments ready for a call.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The regions: `A`, `B`, `C`, `stack`.
    pub mem: Memory,
    /// x0-x5.
    pub args: [u64; 6],
    /// The stack pointer.
    pub sp: u64,
}

impl Layout {
    /// Checks the sizes; errors say which and why.
    pub fn check(&self) -> Result<(), String> {
        let sizes: Vec<(&str, u64)> = match *self {
            Layout::Gemm { m, n, k } => vec![
                ("m x k", m.saturating_mul(k)),
                ("k x n", k.saturating_mul(n)),
                ("m x n", m.saturating_mul(n)),
            ],
            Layout::Loop { floats, .. } => vec![("n", floats)],
            Layout::Op(o) => return o.check(),
            Layout::Spmm {
                hw,
                cout,
                cin,
                sparsity_permille,
                block,
                ..
            } => {
                if ![1, 2, 4].contains(&block) {
                    return Err(format!("blocks of {block} output channels: 1, 2 or 4"));
                }
                if cout % block != 0 {
                    return Err(format!(
                        "n = {cout} output channels: blocks of {block} need a multiple of {block}"
                    ));
                }
                if hw < 16 {
                    return Err(format!(
                        "m = {hw} pixels: the SpMM kernels take blocks of 16; give at least 16"
                    ));
                }
                if sparsity_permille >= 1000 {
                    return Err(format!(
                        "sparsity {}: must be in [0, 1)",
                        sparsity_permille as f64 / 1000.0
                    ));
                }
                vec![
                    ("m x k", hw.saturating_mul(cin)),
                    ("m x n", hw.saturating_mul(cout)),
                    ("n x k", cout.saturating_mul(cin)),
                ]
            }
        };
        for (what, s) in sizes {
            if s == 0 || s > MAX_FLOATS {
                return Err(format!("{what} = {s} floats: must be 1 to {MAX_FLOATS}"));
            }
        }
        Ok(())
    }

    /// Lays out memory with values from `seed`.
    pub fn launch(&self, seed: u64) -> Launch {
        self.launch_at(seed, [A_BASE, B_BASE, C_BASE])
    }

    /// Lays out memory with values from `seed`, with the regions A, B and C at `bases`.
    pub fn launch_at(&self, seed: u64, bases: [u64; 3]) -> Launch {
        let [a_base, b_base, c_base] = bases;
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        let mut mem = Memory::default();
        let args = match *self {
            Layout::Op(o) => {
                let [a, b, c] = o.regions(&o.tensors(seed));
                mem.add("A", a_base, a);
                mem.add("B", b_base, b);
                mem.add("C", c_base, c);
                [a_base, b_base, c_base, o.m, o.n, o.k]
            }
            Layout::Gemm { m, n, k } => {
                mem.add("A", a_base, floats(&mut rng, m * k));
                mem.add("B", b_base, floats(&mut rng, k * n));
                mem.add("C", c_base, vec![0; 4 * (m * n) as usize]);
                [a_base, b_base, c_base, m, n, k]
            }
            Layout::Spmm {
                hw,
                cout,
                cin,
                block,
                ..
            } => {
                let (x, _, pruned) = self.spmm_weights(seed).expect("an SpMM layout");
                mem.add(
                    "A",
                    a_base,
                    x.iter().flat_map(|v| v.to_le_bytes()).collect(),
                );
                mem.add("B", b_base, spmm_blob(&pruned, cout, cin, hw, block));
                mem.add("C", c_base, vec![0; 4 * (hw * cout) as usize]);
                [a_base, b_base, c_base, hw, cout, cin]
            }
            Layout::Loop {
                iterations,
                floats: nf,
            } => {
                mem.add("A", a_base, floats(&mut rng, nf));
                mem.add("B", b_base, floats(&mut rng, 16));
                mem.add("C", c_base, vec![0; 4 * 64]);
                [a_base, b_base, c_base, iterations, nf, 0]
            }
        };
        mem.add(
            "stack",
            STACK_TOP - STACK_BYTES,
            vec![0; STACK_BYTES as usize],
        );
        Launch {
            mem,
            args,
            sp: STACK_TOP,
        }
    }
}

/// The file `scripts/aarch64/harness.c` reads: magic, then A, B and C (each a little-endian u64
/// byte count and the bytes), then m, n, k as little-endian i64.
pub fn inputs_file(launch: &Launch) -> Vec<u8> {
    let mut out = b"SPARSIMK".to_vec();
    for name in ["A", "B", "C"] {
        let r = launch.mem.region(name).expect("drivers lay out A, B and C");
        out.extend((r.bytes.len() as u64).to_le_bytes());
        out.extend(&r.bytes);
    }
    for a in &launch.args[3..6] {
        out.extend(a.to_le_bytes());
    }
    out
}

/// A layer's weights as the SpMM drivers prune them: rows rearranged first if asked
/// ([`rearranged`]), then [`prune`]d.
pub fn prune_layer(
    w: &[f32],
    cout: u64,
    cin: u64,
    block: u64,
    permille: u64,
    rearrange: bool,
) -> Vec<f32> {
    if rearrange && block > 1 {
        prune(
            &rearranged(w, cout, cin, block, permille),
            cout,
            cin,
            block,
            permille,
        )
    } else {
        prune(w, cout, cin, block, permille)
    }
}

/// `w` (cout x cin) with its output channels (rows) reordered so that each run of `block` rows
/// (a group of the group-sparse kernels) holds channels whose strongest input channels coincide:
/// each row's mask of the input channels that unstructured pruning to `permille` would keep;
/// rows taken by decreasing magnitude, each starting a group that it fills with the unplaced
/// rows whose masks share the most bits with it (ties: the lower index). Our interpretation of
/// SparseByteNN's channel rearrangement (its method is unpublished): free at run time, as the
/// permutation is folded into this layer's output channels and the next layers' inputs.
pub fn rearranged(w: &[f32], cout: u64, cin: u64, block: u64, permille: u64) -> Vec<f32> {
    let (cout, cin, block) = (cout as usize, cin as usize, block as usize);
    let words = cin.div_ceil(64);
    let keep = cin - cin * permille as usize / 1000;
    let mut masks = vec![0u64; cout * words];
    let mut norms = vec![0f32; cout];
    for o in 0..cout {
        let row = &w[o * cin..][..cin];
        let mut order: Vec<usize> = (0..cin).collect();
        order.sort_by(|&a, &b| row[b].abs().total_cmp(&row[a].abs()).then(a.cmp(&b)));
        for &i in &order[..keep] {
            masks[o * words + i / 64] |= 1 << (i % 64);
        }
        norms[o] = row.iter().map(|v| v.abs()).sum();
    }
    let mut by_norm: Vec<usize> = (0..cout).collect();
    by_norm.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]).then(a.cmp(&b)));
    let mut placed = vec![false; cout];
    let mut order = Vec::with_capacity(cout);
    for &seed in &by_norm {
        if placed[seed] {
            continue;
        }
        placed[seed] = true;
        order.push(seed);
        for _ in 1..block {
            let overlap = |o: usize| -> u32 {
                (0..words)
                    .map(|k| (masks[seed * words + k] & masks[o * words + k]).count_ones())
                    .sum()
            };
            let best = (0..cout)
                .filter(|&o| !placed[o])
                .max_by(|&a, &b| overlap(a).cmp(&overlap(b)).then(b.cmp(&a)));
            let Some(b) = best else { break };
            placed[b] = true;
            order.push(b);
        }
    }
    order
        .iter()
        .flat_map(|&o| w[o * cin..][..cin].iter().copied())
        .collect()
}

/// The share of `w`'s magnitude that `pruned` keeps.
pub fn kept_magnitude(w: &[f32], pruned: &[f32]) -> f64 {
    let all: f64 = w.iter().map(|v| v.abs() as f64).sum();
    let kept: f64 = pruned.iter().map(|v| v.abs() as f64).sum();
    kept / all.max(f64::MIN_POSITIVE)
}

/// The SpMM weights blob of a `cout` x `cin` matrix `w` in blocks of `block` output channels x
/// 1 input channel (all-zero blocks skipped), for inputs of `hw` pixels a channel: see
/// `spmm_16x1.s` (`block` 1) and `spmm_16x4.s` (`block` 4).
pub fn spmm_blob(w: &[f32], cout: u64, cin: u64, hw: u64, block: u64) -> Vec<u8> {
    let stride = 4 * hw as i64;
    let b = sparse_blocks(w, cout as usize, cin as usize, block as usize, stride);
    let mut out = Vec::with_capacity(16 + b.body.len());
    out.extend((b.n as u32).to_le_bytes());
    out.extend(((b.first * stride) as u32).to_le_bytes());
    out.extend([0u8; 8]);
    out.extend(b.body);
    out
}

impl Layout {
    /// What the C region must hold after the kernel ran on [`Layout::launch`]'s memory for
    /// `seed`, computed plainly in f64, with per float the sum of its terms' magnitudes (see
    /// [`super::conv::compare`]); `None` for a micro-kernel's loop.
    pub fn expected(&self, seed: u64) -> Option<(Vec<f64>, Vec<f64>)> {
        let f = |b: Vec<u8>| to_f32(&b);
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        // (rows, columns, inner, a(i, p), b(p, j)) of a product C = A B laid out row-major.
        let (rows, cols, inner, a, b): (usize, usize, usize, Vec<f32>, Vec<f32>) = match *self {
            Layout::Loop { .. } => return None,
            Layout::Op(o) => return Some(o.reference(&o.tensors(seed))),
            Layout::Gemm { m, n, k } => {
                let a = f(floats(&mut rng, m * k));
                let b = f(floats(&mut rng, k * n));
                (m as usize, n as usize, k as usize, a, b)
            }
            Layout::Spmm { hw, cout, cin, .. } => {
                // out (cout x hw) = W (cout x cin) X (cin x hw).
                let (x, _, w) = self.spmm_weights(seed).expect("an SpMM layout");
                (cout as usize, hw as usize, cin as usize, w, x)
            }
        };
        let (mut out, mut mag) = (vec![0f64; rows * cols], vec![0f64; rows * cols]);
        for i in 0..rows {
            for p in 0..inner {
                let av = a[i * inner + p] as f64;
                if av == 0.0 {
                    continue;
                }
                for j in 0..cols {
                    let t = av * b[p * cols + j] as f64;
                    out[i * cols + j] += t;
                    mag[i * cols + j] += t.abs();
                }
            }
        }
        Some((out, mag))
    }

    /// The bundled kernel (file stem under `workloads/kernels/aarch64/`) this layout is for; `None`
    /// for a micro-kernel's loop, which many kernels share.
    pub fn kernel(&self) -> Option<&'static str> {
        Some(match *self {
            Layout::Gemm { .. } => "sgemm_4x4",
            Layout::Spmm { block: 4, .. } => "spmm_16x4",
            Layout::Spmm { block: 2, .. } => "spmm_16x2",
            Layout::Spmm { .. } => "spmm_16x1",
            Layout::Op(o) => o.op.kernel(),
            Layout::Loop { .. } => return None,
        })
    }

    /// For an SpMM layout: the seeded input, the dense weights and the weights as pruned, as
    /// [`Layout::launch`] lays them out.
    fn spmm_weights(&self, seed: u64) -> Option<(Vec<f32>, Vec<f32>, Vec<f32>)> {
        let Layout::Spmm {
            hw,
            cout,
            cin,
            sparsity_permille,
            block,
            rearrange,
        } = *self
        else {
            return None;
        };
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        let x = to_f32(&floats(&mut rng, hw * cin));
        let w = to_f32(&floats(&mut rng, cout * cin));
        let pruned = prune_layer(&w, cout, cin, block, sparsity_permille, rearrange);
        Some((x, w, pruned))
    }

    /// For a pruned layer: the weights' magnitude share that pruning keeps, and their count.
    pub fn kept_magnitude(&self, seed: u64) -> Option<(f64, u64)> {
        match *self {
            Layout::Spmm { cout, cin, .. } => {
                let (_, w, p) = self.spmm_weights(seed)?;
                Some((kept_magnitude(&w, &p), cout * cin))
            }
            Layout::Op(o) if matches!(o.op, super::conv::Op::Mnn4 | super::conv::Op::Mnn1) => {
                let dense = super::conv::OpLayout {
                    sparsity_permille: 0,
                    ..o
                }
                .tensors(seed);
                let pruned = o.tensors(seed);
                Some((kept_magnitude(&dense.w, &pruned.w), o.n * o.k))
            }
            _ => None,
        }
    }

    /// The layout of driver `name` with sizes m, n, k and `sparsity` (used by `spmm` and
    /// `spmm4`), checked; an error gives the parameter at fault (`driver` or `sparsity`) and the
    /// fix.
    pub fn from_driver(
        name: &str,
        m: u64,
        n: u64,
        k: u64,
        sparsity: Option<f64>,
    ) -> Result<Layout, (&'static str, String)> {
        // The drivers that prune: spmm*, and the MNN-like operators.
        let prunes = matches!(name, "spmm" | "spmm2" | "spmm4")
            || matches!(
                super::conv::Op::from_driver(name),
                Some(super::conv::Op::Mnn4 | super::conv::Op::Mnn1)
            );
        if let (Some(s), false) = (sparsity, prunes) {
            return Err((
                "sparsity",
                format!("the {name} driver prunes nothing ({s} given); sparsity applies to the spmm, spmm2, spmm4, mnn4 and mnn1 drivers (leave it out)"),
            ));
        }
        let sparsity = sparsity.unwrap_or(DEFAULT_SPARSITY);
        let l = match name {
            "gemm" => Layout::Gemm { m, n, k },
            "loop" => Layout::Loop {
                iterations: m,
                floats: n,
            },
            "spmm" | "spmm2" | "spmm4" => Layout::Spmm {
                hw: m,
                cout: n,
                cin: k,
                sparsity_permille: permille(sparsity).map_err(|e| ("sparsity", e))?,
                block: match name {
                    "spmm4" => 4,
                    "spmm2" => 2,
                    _ => 1,
                },
                rearrange: false,
            },
            _ => match super::conv::Op::from_driver(name) {
                Some(op) => Layout::Op(super::conv::OpLayout {
                    op,
                    m,
                    n,
                    k,
                    sparsity_permille: if matches!(op, super::conv::Op::Mnn4 | super::conv::Op::Mnn1) {
                        permille(sparsity).map_err(|e| ("sparsity", e))?
                    } else {
                        0
                    },
                }),
                None => {
                    return Err((
                        "driver",
                        "use gemm, spmm, spmm2, spmm4, loop, conv3x3s2, dw3x3s1, dw3x3s2, conv1x1, mnn4, mnn1, pad, nc4hw4, gavgpool or gemv".into(),
                    ))
                }
            },
        };
        l.check().map_err(|e| ("driver", e))?;
        Ok(l)
    }
}

/// The share of zero weights of a pruning driver that names none.
pub const DEFAULT_SPARSITY: f64 = 0.7;

/// A sparsity in [0, 1), in thousandths (the drivers prune in thousandths: a value between two
/// is refused rather than rounded).
pub fn permille(s: f64) -> Result<u64, String> {
    if !(s.is_finite() && (0.0..1.0).contains(&s)) {
        return Err(format!("{s} must be in [0, 1)"));
    }
    let p = (s * 1000.0).round();
    if (s * 1000.0 - p).abs() > 1e-6 || p > 999.0 {
        return Err(format!(
            "{s} is not a whole number of thousandths: the drivers prune in steps of 0.001 (e.g. {})",
            p.min(999.0) / 1000.0
        ));
    }
    Ok(p as u64)
}
