//! Whole networks on a mobile core: a layer table (`workloads/dnn/*.csv`, the format the SAT
//! machine reads) becomes a sequence of kernel calls, each executed functionally and timed on
//! the same core and memory hierarchy back to back, so caches carry from one layer to the next.
//!
//! What each layer runs (an error names any other operator):
//!
//! | layer | kernel | layout in, out |
//! | --- | --- | --- |
//! | 3x3 stride-2 convolution of the 3-channel image | `conv3x3s2.s` | CHW (the image given zero-padded), CHW |
//! | depthwise 3x3, stride 1 or 2 | `pad_chw.s` (or `nc4hw4_chw.s` after an MNN-like layer), then `dwconv3x3s{1,2}.s` | CHW padded by 1, CHW |
//! | 1x1 convolution | by engine: `conv1x1_16x4.s` (dense), `spmm_16x1.s` (unstructured), `spmm_16x{1,2,4}.s` (group), `mnn_16x{4,1}.s` (MNN-like, dense below its threshold) | CHW; NC4HW4 out of `mnn_16x*.s` |
//! | global average pool | (`nc4hw4_chw.s`, then) `gavgpool_chw.s` | CHW, C floats |
//! | fully connected | `gemv_16.s` | C floats |
//!
//! Only the 1x1 convolutions are pruned (about 95 % of MobileNet-v1's MACs); the first
//! convolution, the depthwise layers and the classifier stay dense, as is usual for sparse
//! MobileNets. Layout steps (padding, NC4HW4 to CHW) are kernels too, timed and reported apart.
//!
//! Each step's inputs and weights are seeded afresh (not the previous step's output), so every
//! step is checked alone against its plain computation, while its regions sit where the chained
//! network would put them (two activation buffers used in turn, weights one after another), so
//! the caches hold what they would. No bias, batch norm or ReLU is modelled (a fused bias and
//! clamp add two instructions per output vector).

use serde::{Deserialize, Serialize};

use crate::program::aarch64::conv::{Op, OpLayout};
use crate::program::aarch64::driver::Layout;
use crate::workload::layers::{LayerOp, Network};

/// How the 1x1 convolutions run; every other layer runs the same kernels under every engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Dense 1x1 convolutions (`conv1x1_16x4.s`).
    Dense,
    /// XNNPACK's unstructured SpMM, 16 pixels x 1 output channel (`spmm_16x1.s`).
    Unstructured,
    /// Group-sparse: weights pruned in groups of `group` output channels x 1 input channel, one
    /// index driving `16 x group` FMLAs (`spmm_16x4.s`, `spmm_16x2.s`, `spmm_16x1.s`).
    Group,
    /// MNN-like: blocks of `group` (4 or 1) output channels, per-tile packing, NC4HW4 output
    /// (`mnn_16x4.s`, `mnn_16x1.s`); the dense kernel below `mnn_threshold` zeros, as MNN takes its
    /// sparse path only from 30 %.
    Mnn,
}

impl Engine {
    /// The name in experiment files and tables.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Dense => "dense",
            Engine::Unstructured => "unstructured",
            Engine::Group => "group",
            Engine::Mnn => "mnn",
        }
    }
}

/// One kernel call of a network.
#[derive(Debug, Clone)]
pub struct Step {
    /// The layer it belongs to.
    pub layer: String,
    /// The layer's line in the table.
    pub line: usize,
    /// A layout conversion before the layer's operator (not the operator itself).
    pub layout_step: bool,
    /// The bundled kernel (file stem).
    pub kernel: &'static str,
    /// Its driver and sizes.
    pub driver: Layout,
    /// Multiply-accumulates of the layer's operator (0 for layout steps), dense count.
    pub macs: u64,
}

/// Where a network's layout leaves the activations.
#[derive(Clone, Copy, PartialEq)]
enum Act {
    Chw,
    Nc4hw4,
}

/// The parameters of a network run that decide its steps.
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    /// The engine of the 1x1 convolutions.
    pub engine: Engine,
    /// Output channels of a group (`group` engine: 1, 2 or 4) or block (`mnn` engine: 1 or 4).
    pub group: u64,
    /// Zeros among the 1x1 convolutions' weights, in thousandths.
    pub permille: u64,
    /// The MNN-like engine's sparse-path threshold, in thousandths.
    pub mnn_threshold: u64,
    /// Rearrange output channels before group pruning (see [`crate::program::aarch64::driver::rearranged`]).
    pub rearrange: bool,
}

/// Why a layer table cannot run under an engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// A layer of the table cannot run as it is (its line, its name, the fix).
    #[error("line {line}: layer {layer}: {fix}")]
    Layer {
        /// Its line in the table (0: the table as a whole).
        line: usize,
        /// Its name (empty for the table as a whole).
        layer: String,
        /// What is wrong and how to fix it.
        fix: String,
    },
    /// The experiment's choice (`group`, `engine`) does not fit a layer.
    #[error("{key}: {msg}")]
    Choice {
        /// Its line in the table.
        line: usize,
        /// The experiment's key to change.
        key: &'static str,
        /// What is wrong and how to fix it.
        msg: String,
    },
}

/// The kernel calls of `net` under `choice`; an error gives the layer's line, the key at fault
/// (`network`, `group`) and the fix: see [`PlanError`].
pub fn plan(net: &Network, choice: Choice) -> Result<Vec<Step>, PlanError> {
    let mut steps = Vec::new();
    let mut act = Act::Chw;
    for l in &net.layers {
        let (cin, h, w) = l.input;
        let (cout, ho, wo) = l.output;
        let bad = |fix: String| PlanError::Layer {
            line: l.line,
            layer: l.name.clone(),
            fix,
        };
        let mut push = |layout_step: bool, driver: Layout| -> Result<(), PlanError> {
            driver.check().map_err(&bad)?;
            steps.push(Step {
                layer: l.name.clone(),
                line: l.line,
                layout_step,
                kernel: driver.kernel().expect("network steps have bundled kernels"),
                driver,
                macs: if layout_step { 0 } else { l.macs() },
            });
            Ok(())
        };
        let op = |op: Op, m: u64, n: u64, k: u64, permille: u64| {
            Layout::Op(OpLayout {
                op,
                m,
                n,
                k,
                sparsity_permille: permille,
            })
        };
        match l.op {
            LayerOp::Input => {}
            LayerOp::Conv { .. } | LayerOp::Pool { .. } if h != w => {
                return Err(bad(format!("{h} x {w} input: the mobile kernels take square images")));
            }
            LayerOp::Conv {
                kh: 3,
                kw: 3,
                stride: 2,
                padding: 1,
                groups: 1,
            } if cin == 3 && act == Act::Chw => {
                push(false, op(Op::Conv3x3s2, h, cout, 3, 0))?;
            }
            LayerOp::Conv {
                kh: 3,
                kw: 3,
                stride: s @ (1 | 2),
                padding: 1,
                groups,
            } if groups == cin && cin == cout => {
                match act {
                    Act::Chw => push(true, op(Op::Pad, h, cin, 0, 0))?,
                    Act::Nc4hw4 => push(true, op(Op::Nc4hw4, h, cin, 1, 0))?,
                }
                act = Act::Chw;
                push(false, op(Op::Dw3x3(s as u8), h, cin, 0, 0))?;
            }
            LayerOp::Conv {
                kh: 1,
                kw: 1,
                stride: 1,
                padding: 0,
                groups: 1,
            } => {
                if act != Act::Chw {
                    push(true, op(Op::Nc4hw4, h, cin, 0, 0))?;
                    act = Act::Chw;
                }
                let hw = h * w;
                let spmm = |block: u64| Layout::Spmm {
                    hw,
                    cout,
                    cin,
                    sparsity_permille: choice.permille,
                    block,
                    rearrange: choice.rearrange,
                };
                match choice.engine {
                    Engine::Dense => push(false, op(Op::Conv1x1, hw, cout, cin, 0))?,
                    Engine::Unstructured => push(false, spmm(1))?,
                    Engine::Group => {
                        if cout % choice.group != 0 {
                            return Err(PlanError::Choice {
                                line: l.line,
                                key: "group",
                                msg: format!(
                                    "layer {}: groups of {} output channels do not divide its {cout} output channels; give a group that divides every 1x1 layer's channels",
                                    l.name, choice.group
                                ),
                            });
                        }
                        push(false, spmm(choice.group))?;
                    }
                    Engine::Mnn if choice.permille >= choice.mnn_threshold => {
                        if cout % 4 != 0 {
                            return Err(PlanError::Choice {
                                line: l.line,
                                key: "engine",
                                msg: format!("layer {}: the MNN-like kernels write NC4HW4, which needs output channels in fours; it has {cout}", l.name),
                            });
                        }
                        if choice.group == 1 {
                            push(false, op(Op::Mnn1, hw, cout, cin, choice.permille))?;
                        } else {
                            push(false, op(Op::Mnn4, hw, cout, cin, choice.permille))?;
                        }
                        act = Act::Nc4hw4;
                    }
                    Engine::Mnn => push(false, op(Op::Conv1x1, hw, cout, cin, 0))?,
                }
            }
            LayerOp::Pool {
                k, max: false, ..
            } if k == (0, 0) || k == (h, w) => {
                if act != Act::Chw {
                    push(true, op(Op::Nc4hw4, h, cin, 0, 0))?;
                    act = Act::Chw;
                }
                push(false, op(Op::Gavgpool, h * w, cin, 0, 0))?;
            }
            LayerOp::Fc if h == 1 && w == 1 && (ho, wo) == (1, 1) => {
                push(false, op(Op::Gemv, 1, cout, cin, 0))?;
            }
            _ => {
                return Err(bad(format!(
                    "{} on {cin} x {h} x {w}: no mobile kernel runs it; the mobile machine runs MobileNet-v1's operators (the 3x3 stride-2 convolution of the 3-channel image, depthwise 3x3 of stride 1 or 2 with padding 1, 1x1 convolutions, a global average pool and a fully connected layer on it)",
                    describe(&l.op)
                )));
            }
        }
    }
    if steps.is_empty() {
        return Err(PlanError::Layer {
            line: 0,
            layer: String::new(),
            fix: "the table has no layer the mobile kernels run".into(),
        });
    }
    Ok(steps)
}

/// A layer's operator in words, for errors.
fn describe(op: &LayerOp) -> String {
    match *op {
        LayerOp::Conv {
            kh,
            kw,
            stride,
            padding,
            groups,
        } => format!("a {kh}x{kw} convolution (stride {stride}, padding {padding}, {groups} groups)"),
        LayerOp::Pool { k, max, .. } => format!(
            "a {} {} pool",
            if k == (0, 0) { "global".to_string() } else { format!("{}x{}", k.0, k.1) },
            if max { "max" } else { "average" }
        ),
        LayerOp::Fc => "a fully connected layer".into(),
        LayerOp::Add => "an element-wise sum".into(),
        LayerOp::Attention => "attention".into(),
        LayerOp::Input => "an input".into(),
    }
}

/// The bundled kernels a network may call, by file stem (compiled in, so a network runs from any
/// directory; `kernels = DIR` in an experiment reads them from DIR instead).
pub const BUNDLED: [(&str, &str); 13] = [
    ("conv3x3s2", include_str!("../../../../workloads/kernels/aarch64/conv3x3s2.s")),
    ("dwconv3x3s1", include_str!("../../../../workloads/kernels/aarch64/dwconv3x3s1.s")),
    ("dwconv3x3s2", include_str!("../../../../workloads/kernels/aarch64/dwconv3x3s2.s")),
    ("pad_chw", include_str!("../../../../workloads/kernels/aarch64/pad_chw.s")),
    ("nc4hw4_chw", include_str!("../../../../workloads/kernels/aarch64/nc4hw4_chw.s")),
    ("conv1x1_16x4", include_str!("../../../../workloads/kernels/aarch64/conv1x1_16x4.s")),
    ("spmm_16x1", include_str!("../../../../workloads/kernels/aarch64/spmm_16x1.s")),
    ("spmm_16x2", include_str!("../../../../workloads/kernels/aarch64/spmm_16x2.s")),
    ("spmm_16x4", include_str!("../../../../workloads/kernels/aarch64/spmm_16x4.s")),
    ("mnn_16x4", include_str!("../../../../workloads/kernels/aarch64/mnn_16x4.s")),
    ("mnn_16x1", include_str!("../../../../workloads/kernels/aarch64/mnn_16x1.s")),
    ("gavgpool_chw", include_str!("../../../../workloads/kernels/aarch64/gavgpool_chw.s")),
    ("gemv_16", include_str!("../../../../workloads/kernels/aarch64/gemv_16.s")),
];

/// Base addresses: the two activation buffers (used in turn) and the first weights.
pub const ACT_BASES: [u64; 2] = [0x1000_0000, 0x3000_0000];
/// Weights and kernel buffers, one step's after another's (4 KiB aligned).
pub const WEIGHT_BASE: u64 = 0x4000_0000;

/// The seed of step `i` of a run seeded `seed`.
pub fn step_seed(seed: u64, i: usize) -> u64 {
    seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}
