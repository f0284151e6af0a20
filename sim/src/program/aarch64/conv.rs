//! The DNN-layer drivers (MobileNet-v1's operators and the layout steps between them): per
//! operator, how its tensors are seeded, packed into the A, B and C regions a kernel reads, and
//! the plain (naive) computation of what C must hold, which every run compares against.
//!
//! | driver | kernel | m | n | k |
//! | --- | --- | --- | --- | --- |
//! | `conv3x3s2` | dense 3x3 stride-2 convolution, CHW | input height = width (even) | output channels | input channels (3) |
//! | `dw3x3s1`, `dw3x3s2` | depthwise 3x3, CHW | input height = width | channels | - |
//! | `conv1x1` | dense 1x1 convolution, CHW | pixels | output channels | input channels |
//! | `mnn4`, `mnn1` | MNN-like sparse 1x1 (blocks of 4 or 1 output channels), CHW in, NC4HW4 out | pixels | output channels | input channels |
//! | `pad` | CHW to CHW zero-padded by 1 | height = width | channels | - |
//! | `nc4hw4` | NC4HW4 to CHW, padded by k | height = width | channels | padding (0 or 1) |
//! | `gavgpool` | global average pooling, CHW | pixels | channels | - |
//! | `gemv` | fully connected at batch 1 | - | outputs | inputs |
//!
//! The 3x3 kernels read inputs already zero-padded by 1 (the `pad` or `nc4hw4` step before
//! them writes that layout); images are square. Weights and inputs are seeded values in [-1, 1).

use rand_core::SeedableRng;

use super::tensor::to_f32;
use super::tensor::{floats, prune, sparse_blocks};

/// A layer operator's kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Dense 3x3 stride-2 convolution (`conv3x3s2.s`).
    Conv3x3s2,
    /// Depthwise 3x3 of stride 1 or 2 (`dwconv3x3s1.s`, `dwconv3x3s2.s`).
    Dw3x3(u8),
    /// Dense 1x1 convolution (`conv1x1_16x4.s`).
    Conv1x1,
    /// MNN-like block-sparse 1x1 convolution, blocks of 4 output channels (`mnn_16x4.s`).
    Mnn4,
    /// MNN-like sparse 1x1 convolution, blocks of 1 output channel (`mnn_16x1.s`).
    Mnn1,
    /// Zero padding by 1 of CHW planes (`pad_chw.s`).
    Pad,
    /// NC4HW4 to CHW, padded by k (`nc4hw4_chw.s`).
    Nc4hw4,
    /// Global average pooling (`gavgpool_chw.s`).
    Gavgpool,
    /// Fully connected at batch 1 (`gemv_16.s`).
    Gemv,
}

impl Op {
    /// The driver's name.
    pub fn driver(self) -> &'static str {
        match self {
            Op::Conv3x3s2 => "conv3x3s2",
            Op::Dw3x3(1) => "dw3x3s1",
            Op::Dw3x3(_) => "dw3x3s2",
            Op::Conv1x1 => "conv1x1",
            Op::Mnn4 => "mnn4",
            Op::Mnn1 => "mnn1",
            Op::Pad => "pad",
            Op::Nc4hw4 => "nc4hw4",
            Op::Gavgpool => "gavgpool",
            Op::Gemv => "gemv",
        }
    }

    /// The operator a driver name stands for.
    pub fn from_driver(name: &str) -> Option<Op> {
        Some(match name {
            "conv3x3s2" => Op::Conv3x3s2,
            "dw3x3s1" => Op::Dw3x3(1),
            "dw3x3s2" => Op::Dw3x3(2),
            "conv1x1" => Op::Conv1x1,
            "mnn4" => Op::Mnn4,
            "mnn1" => Op::Mnn1,
            "pad" => Op::Pad,
            "nc4hw4" => Op::Nc4hw4,
            "gavgpool" => Op::Gavgpool,
            "gemv" => Op::Gemv,
            _ => return None,
        })
    }

    /// The bundled kernel (file stem under `workloads/kernels/aarch64/`).
    pub fn kernel(self) -> &'static str {
        match self {
            Op::Conv3x3s2 => "conv3x3s2",
            Op::Dw3x3(1) => "dwconv3x3s1",
            Op::Dw3x3(_) => "dwconv3x3s2",
            Op::Conv1x1 => "conv1x1_16x4",
            Op::Mnn4 => "mnn_16x4",
            Op::Mnn1 => "mnn_16x1",
            Op::Pad => "pad_chw",
            Op::Nc4hw4 => "nc4hw4_chw",
            Op::Gavgpool => "gavgpool_chw",
            Op::Gemv => "gemv_16",
        }
    }
}

/// An operator with its sizes (see the module's table) and, for `mnn4`, its sparsity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpLayout {
    /// The operator.
    pub op: Op,
    /// m.
    pub m: u64,
    /// n.
    pub n: u64,
    /// k.
    pub k: u64,
    /// Share of zero weights (`mnn4`, `mnn1`), in thousandths.
    pub sparsity_permille: u64,
}

/// The tensors of an operator, logical (unpadded, unpacked).
pub struct Tensors {
    /// The input, in the operator's input layout without padding (CHW; NC4HW4 for `nc4hw4`).
    pub x: Vec<f32>,
    /// The weights, logical (\[cout\]\[cin\]\[ky\]\[kx\], \[c\]\[ky\]\[kx\], \[cout\]\[cin\], \[n\]\[k\]); pruned for
    /// `mnn4`.
    pub w: Vec<f32>,
}

fn bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|f| f.to_le_bytes()).collect()
}

/// `planes` planes of h x h floats into planes of (h+2p) x (h+2p) with a zero border.
fn padded(x: &[f32], planes: usize, h: usize, p: usize) -> Vec<f32> {
    let hp = h + 2 * p;
    let mut out = vec![0f32; planes * hp * hp];
    for c in 0..planes {
        for y in 0..h {
            let src = &x[(c * h + y) * h..][..h];
            out[(c * hp + y + p) * hp + p..][..h].copy_from_slice(src);
        }
    }
    out
}

impl OpLayout {
    /// Checks the sizes; the error says which and why.
    pub fn check(&self) -> Result<(), String> {
        let (m, n, k) = (self.m, self.n, self.k);
        let need = |ok: bool, msg: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!("{}: {msg}", self.op.driver()))
            }
        };
        match self.op {
            Op::Conv3x3s2 => {
                need(
                    m % 2 == 0 && m >= 8,
                    "m (the input height and width) must be even and at least 8",
                )?;
                need(
                    k == 3,
                    "k (input channels) must be 3, as the first layer of an RGB network",
                )?;
            }
            Op::Dw3x3(1) | Op::Pad => need(m >= 4, "m (height and width) must be at least 4")?,
            Op::Dw3x3(_) => need(
                m % 2 == 0 && m >= 8,
                "m (the input height and width) must be even and at least 8",
            )?,
            Op::Conv1x1 | Op::Mnn4 | Op::Mnn1 => {
                need(
                    m >= 16,
                    "m (pixels) must be at least 16, the kernel's block",
                )?;
                need(n % 4 == 0, "n (output channels) must be a multiple of 4")?;
            }
            Op::Nc4hw4 => {
                need(m >= 4, "m (height and width) must be at least 4")?;
                need(n % 4 == 0, "n (channels) must be a multiple of 4")?;
                need(k <= 1, "k (padding) must be 0 or 1")?;
            }
            Op::Gavgpool => {
                need(m >= 4, "m (pixels) must be at least 4")?;
                need(n % 4 == 0, "n (channels) must be a multiple of 4")?;
            }
            Op::Gemv => need(
                n >= 16,
                "n (outputs) must be at least 16, the kernel's block",
            )?,
        }
        if self.sparsity_permille >= 1000 {
            return Err(format!(
                "sparsity {}: must be in [0, 1)",
                self.sparsity_permille as f64 / 1000.0
            ));
        }
        let sizes = [
            ("input", self.input_len() as u64),
            ("weights", self.weights_len() as u64),
            ("output", self.output_len() as u64),
        ];
        for (what, s) in sizes {
            if (s == 0 && what != "weights") || s > super::tensor::MAX_FLOATS {
                return Err(format!(
                    "{}: the {what} of {s} floats: must be 1 to {}",
                    self.op.driver(),
                    super::tensor::MAX_FLOATS
                ));
            }
        }
        Ok(())
    }

    fn hw_out(&self) -> usize {
        let m = self.m as usize;
        match self.op {
            Op::Conv3x3s2 | Op::Dw3x3(2) => (m / 2) * (m / 2),
            Op::Dw3x3(_) => m * m,
            _ => 0,
        }
    }

    fn input_len(&self) -> usize {
        let (m, n, k) = (self.m as usize, self.n as usize, self.k as usize);
        match self.op {
            Op::Conv3x3s2 => k * m.saturating_mul(m),
            Op::Dw3x3(_) | Op::Pad | Op::Nc4hw4 => n.saturating_mul(m).saturating_mul(m),
            Op::Conv1x1 | Op::Mnn4 | Op::Mnn1 => k.saturating_mul(m),
            Op::Gavgpool => n.saturating_mul(m),
            Op::Gemv => k,
        }
    }

    fn weights_len(&self) -> usize {
        let (n, k) = (self.n as usize, self.k as usize);
        match self.op {
            Op::Conv3x3s2 => n * k * 9,
            Op::Dw3x3(_) => n * 9,
            Op::Conv1x1 | Op::Mnn4 | Op::Mnn1 | Op::Gemv => n.saturating_mul(k),
            Op::Pad | Op::Nc4hw4 | Op::Gavgpool => 0,
        }
    }

    /// Floats of the output region.
    pub fn output_len(&self) -> usize {
        let (m, n) = (self.m as usize, self.n as usize);
        match self.op {
            Op::Conv3x3s2 | Op::Dw3x3(_) => n.saturating_mul(self.hw_out()),
            Op::Conv1x1 | Op::Mnn4 | Op::Mnn1 => n.saturating_mul(m),
            Op::Pad => n.saturating_mul((m + 2) * (m + 2)),
            Op::Nc4hw4 => {
                let hp = m + 2 * self.k as usize;
                n.saturating_mul(hp * hp)
            }
            Op::Gavgpool | Op::Gemv => n,
        }
    }

    /// The logical tensors from `seed`: the input first, then the weights.
    pub fn tensors(&self, seed: u64) -> Tensors {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        let x = to_f32(&floats(&mut rng, self.input_len() as u64));
        let mut w = to_f32(&floats(&mut rng, self.weights_len() as u64));
        match self.op {
            Op::Mnn4 => w = prune(&w, self.n, self.k, 4, self.sparsity_permille),
            Op::Mnn1 => w = prune(&w, self.n, self.k, 1, self.sparsity_permille),
            _ => {}
        }
        Tensors { x, w }
    }

    /// The A, B and C regions' contents.
    pub fn regions(&self, t: &Tensors) -> [Vec<u8>; 3] {
        let (m, n, k) = (self.m as usize, self.n as usize, self.k as usize);
        let c = vec![0u8; 4 * self.output_len()];
        match self.op {
            Op::Conv3x3s2 => {
                let mut b = Vec::with_capacity(n * 28);
                for co in 0..n {
                    b.extend_from_slice(&t.w[co * 27..][..27]);
                    b.push(0.0);
                }
                [bytes(&padded(&t.x, k, m, 1)), bytes(&b), c]
            }
            Op::Dw3x3(_) => {
                let mut b = Vec::with_capacity(n * 12);
                for ch in 0..n {
                    b.extend_from_slice(&t.w[ch * 9..][..9]);
                    b.extend([0.0; 3]);
                }
                [bytes(&padded(&t.x, n, m, 1)), bytes(&b), c]
            }
            Op::Conv1x1 => {
                let mut b = Vec::with_capacity(n * k);
                for g in 0..n / 4 {
                    for ci in 0..k {
                        b.extend((0..4).map(|o| t.w[(4 * g + o) * k + ci]));
                    }
                }
                [bytes(&t.x), bytes(&b), c]
            }
            Op::Mnn4 => [bytes(&t.x), mnn_blob(&t.w, n, k, 4), c],
            Op::Mnn1 => [bytes(&t.x), mnn_blob(&t.w, n, k, 1), c],
            Op::Pad | Op::Nc4hw4 => [bytes(&t.x), Vec::new(), c],
            Op::Gavgpool => {
                let r = m % 4;
                let mut b = vec![1.0 / m as f32; 4];
                b.extend((0..4).map(|l| if l >= 4 - r { 1.0 } else { 0.0 }));
                [bytes(&t.x), bytes(&b), c]
            }
            Op::Gemv => {
                let mut b = vec![0f32; n * k];
                for o in 0..n {
                    for i in 0..k {
                        b[i * n + o] = t.w[o * k + i];
                    }
                }
                [bytes(&t.x), bytes(&b), c]
            }
        }
    }

    /// What the output region must hold, computed plainly in f64, with per float the sum of the
    /// magnitudes of its terms (0 for a float no term reaches, which must then be exactly 0).
    pub fn reference(&self, t: &Tensors) -> (Vec<f64>, Vec<f64>) {
        let (m, n, k) = (self.m as usize, self.n as usize, self.k as usize);
        let len = self.output_len();
        let (mut out, mut mag) = (vec![0f64; len], vec![0f64; len]);
        let mut add = |i: usize, a: f32, b: f32| {
            let v = a as f64 * b as f64;
            out[i] += v;
            mag[i] += v.abs();
        };
        match self.op {
            Op::Conv3x3s2 | Op::Dw3x3(_) => {
                let s = if self.op == Op::Dw3x3(1) { 1 } else { 2 };
                let ho = m / s;
                let cin = if self.op == Op::Conv3x3s2 { k } else { 1 };
                let xp = padded(&t.x, if self.op == Op::Conv3x3s2 { k } else { n }, m, 1);
                let hp = m + 2;
                for co in 0..n {
                    for ci in 0..cin {
                        let plane = if self.op == Op::Conv3x3s2 { ci } else { co };
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let wv = t.w[((co * cin + ci) * 3 + ky) * 3 + kx];
                                for oy in 0..ho {
                                    for ox in 0..ho {
                                        let xv = xp[(plane * hp + s * oy + ky) * hp + s * ox + kx];
                                        add((co * ho + oy) * ho + ox, wv, xv);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Op::Conv1x1 | Op::Mnn4 | Op::Mnn1 => {
                for co in 0..n {
                    for ci in 0..k {
                        let wv = t.w[co * k + ci];
                        if wv == 0.0 {
                            continue;
                        }
                        for p in 0..m {
                            let at = if matches!(self.op, Op::Mnn4 | Op::Mnn1) {
                                (co / 4 * m + p) * 4 + co % 4
                            } else {
                                co * m + p
                            };
                            add(at, wv, t.x[ci * m + p]);
                        }
                    }
                }
            }
            Op::Pad => {
                for (i, v) in padded(&t.x, n, m, 1).into_iter().enumerate() {
                    add(i, v, 1.0);
                }
            }
            Op::Nc4hw4 => {
                let mut chw = vec![0f32; n * m * m];
                for c in 0..n {
                    for p in 0..m * m {
                        chw[c * m * m + p] = t.x[(c / 4 * m * m + p) * 4 + c % 4];
                    }
                }
                for (i, v) in padded(&chw, n, m, k).into_iter().enumerate() {
                    add(i, v, 1.0);
                }
            }
            Op::Gavgpool => {
                let scale = 1.0 / m as f32;
                for c in 0..n {
                    for p in 0..m {
                        add(c, t.x[c * m + p], scale);
                    }
                }
            }
            Op::Gemv => {
                for o in 0..n {
                    for i in 0..k {
                        add(o, t.w[o * k + i], t.x[i]);
                    }
                }
            }
        }
        (out, mag)
    }

    /// Compares an output region against [`OpLayout::reference`]: the largest error relative to
    /// the magnitudes of the terms, or the first float that differs (index, value, expected).
    pub fn compare(&self, t: &Tensors, c: &[u8]) -> Result<f64, (usize, f32, f64)> {
        let (want, mag) = self.reference(t);
        compare(&to_f32(c), &want, &mag)
    }
}

/// The largest relative error of `got` against `want` (within 1e-5 of each float's term
/// magnitudes; exact where no term reaches), or the first float out of bounds.
pub fn compare(got: &[f32], want: &[f64], mag: &[f64]) -> Result<f64, (usize, f32, f64)> {
    let mut worst = 0f64;
    for (i, ((&g, &w), &m)) in got.iter().zip(want).zip(mag).enumerate() {
        let err = (g as f64 - w).abs();
        let ok = if m > 0.0 { err <= 1e-5 * m } else { g == 0.0 };
        if !ok || g.is_nan() {
            return Err((i, g, w));
        }
        if m > 0.0 {
            worst = worst.max(err / m);
        }
    }
    Ok(worst)
}

/// The `mnn4` (`mnn1`) weights blob for pruned `w` (cout x cin) in blocks of `b` output
/// channels: see `mnn_16x4.s` (`mnn_16x1.s`).
fn mnn_blob(w: &[f32], cout: usize, cin: usize, b: usize) -> Vec<u8> {
    // Steps are in packed rows of 16 floats (64 bytes).
    let blocks = sparse_blocks(w, cout, cin, b, 64);
    let pack_at = (16 + blocks.body.len()).div_ceil(64) * 64;
    let mut out = Vec::with_capacity(pack_at + 64 * cin);
    out.extend((blocks.n as u32).to_le_bytes());
    out.extend(((blocks.first * 64) as u32).to_le_bytes());
    out.extend((pack_at as u32).to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(blocks.body);
    out.resize(pack_at + 64 * cin, 0);
    out
}
