//! A training step (or an inference) of a network on SAT, as a task graph on the dataflow
//! scheduler.
//!
//! **The GEMMs.** Per layer with weights (a convolution lowered by im2col, per channel group; a
//! fully connected layer at every position), with batch B:
//!
//! | pass | M (streamed rows) | N (columns) | K (reduction) | sparse operand under BDWP |
//! | --- | --- | --- | --- | --- |
//! | FF: Y = X Wᵀ | B Ho Wo | Cout/g | kh kw Cin/g | W, N:M along input channels |
//! | BP: dX = dY W | B Hi Wi | Cin/g | kh kw Cout/g | W, N:M along output channels |
//! | WG: dW = dYᵀ X | Cout/g | kh kw Cin/g | B Ho Wo | none (dense) |
//!
//! A sparse PE holds a compressed weight (value and index) and picks its activation from the M
//! candidates of its group, so the reduction shrinks to K N / M rows of the array while the
//! streamed operand still brings all K candidates: the array's compute is that of a GEMM with
//! K' = K N / M ([`array::compute`], exact fold by fold). Sparse PEs skip only weight-stationary
//! (`ws`): in `os` and `is` the weights move past PEs that would need each column's own mask. A
//! pass is sparse when its grouping direction divides by M (input channels for FF, output
//! channels for BP) and the layer is not kept dense (by default the first and the last layer, as
//! SR-STE and most N:M work do). The first layer needs no BP (its input needs no gradient).
//!
//! **Buffers and DRAM.** The stationary operand is read from DRAM once and the streamed operand's
//! tensor once if one group of it fits in (half, double-buffered) its buffer. If not, or if one
//! column fold's partial sums do not fit the output buffer, the mapper takes the cheaper in bytes
//! of two loop orders: the streamed tensor again for each column fold, with partial sums that do
//! not fit spilled to DRAM and read back at each further row fold; or the streamed tensor once in
//! chunks that fit its buffer and whose partial sums fit the output buffer, and the stationary
//! operand again for each chunk (no spill). Tile transfers take their time from
//! the memory interface ([`BulkMemory`]: the model calibrated against the `dram` block, or the
//! block itself, as `sat.memory.model` says; tensors laid out tile by tile, so transfers stream). A buffer delivers banks x ports words a cycle; a stream that needs more (a
//! sparse PE row wants R M / N candidates a cycle) stretches the fold's streaming phase in
//! proportion.
//!
//! **A pass's time.** With double-buffering, fold i + 1's tiles load while fold i computes: a pass
//! of F folds, compute C and transfer T takes max(C + T/F, T + C/F) cycles (the first load, or the
//! last fold's compute, exposed); without, C + T. The DRAM is a resource of as many units as
//! channels: an array task takes the fewest channels that keep it compute-bound (all of them if
//! none does), a generator or update task one channel (they run in the background), and their
//! transfers run at that share of the bandwidth.
//!
//! **The step's tasks.** FF per layer in order; then, from the last layer back, BP and WG (each
//! after the BP of the layers that read this one's output, which delivers its output gradient),
//! and the weight update (SGD with momentum: reads W, dW and the momentum, writes W and the
//! momentum) after WG. A sparse run adds the sparse-weight generator's tasks: with pre-generation,
//! one per layer making both the FF and the BP compressed copies from the dense weights, free to
//! run any time (the weights come from the previous step's update); without, one before FF,
//! waiting for the layer's input, and one before BP, waiting for its output gradient. Interleave
//! mapping fuses BP and WG of a layer into one task (one pipeline, the output gradient read once).
//! Offline scheduling list-schedules by critical path; without it tasks start in program order.
//!
//! Not modelled: operations without weights (pooling, sums, normalisation, activation functions,
//! attention's products, the loss), the gradient sums at fan-outs, and the im2col halo (a tile
//! reads its input tensor once, without the overlap of neighbouring windows).

use std::time::Instant;

use crate::blocks::dataflow::{Priority, ResourceId, Schedule, Task, TaskGraph, TaskId};
use crate::machines::sat::array::{self, Dataflow, Gemm};
use crate::machines::sat::config::{BufferConfig, Nm, SatConfig};
use crate::blocks::memory::BulkMemory;
use crate::workload::layers::{Layer, Network};

/// A pass of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pass {
    /// Forward.
    Ff,
    /// Backward-data.
    Bp,
    /// Weight gradient.
    Wg,
}

impl Pass {
    /// `ff`, `bp` or `wg`.
    pub fn name(self) -> &'static str {
        match self {
            Pass::Ff => "ff",
            Pass::Bp => "bp",
            Pass::Wg => "wg",
        }
    }
}

/// What runs: a training step or a forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Forward, backward-data, weight-gradient and update.
    Train,
    /// Forward only (weights compressed offline: no generator).
    Inference,
}

/// A step to model.
pub struct StepSpec<'a> {
    /// The machine.
    pub cfg: &'a SatConfig,
    /// The network, shapes resolved.
    pub net: &'a Network,
    /// Samples per step.
    pub batch: u64,
    /// Per layer: its weights' N:M pattern, or dense (None).
    pub patterns: Vec<Option<Nm>>,
    /// Training or inference.
    pub mode: Mode,
    /// The DRAM transfers' backend (the calibrated model, or the `dram` block itself).
    pub transfer: &'a dyn BulkMemory,
}

/// One GEMM pass of one layer, costed.
#[derive(Debug, Clone, PartialEq)]
pub struct PassCost {
    /// Layer index.
    pub layer: usize,
    /// Which pass.
    pub pass: Pass,
    /// The GEMM of one channel group, dense.
    pub gemm: Gemm,
    /// Channel groups (GEMMs run one after the other).
    pub groups: u64,
    /// The reduction the array runs: K, or K N / M on sparse PEs.
    pub k_eff: u64,
    /// Whether sparse PEs skip pruned weights in it.
    pub sparse: bool,
    /// The pattern they skip by.
    pub pattern: Option<Nm>,
    /// Folds over all groups.
    pub folds: u64,
    /// Array cycles, buffer-rate stretches included.
    pub compute_cycles: u64,
    /// For a sparse pass, the array cycles it would take dense (to tell where N:M is slower).
    pub dense_cycles: Option<u64>,
    /// Cycles the stream stretched because a buffer could not keep up.
    pub buffer_stall_cycles: u64,
    /// MACs issued.
    pub macs: u64,
    /// MACs skipped (pruned weights).
    pub skipped: u64,
    /// Bytes read from the on-chip buffers.
    pub buffer_read: u64,
    /// Bytes written to the on-chip buffers.
    pub buffer_write: u64,
    /// Bytes read from DRAM.
    pub dram_read: u64,
    /// Bytes written to DRAM.
    pub dram_write: u64,
    /// Of `buffer_read`: the A operand's (M x K: activations or output gradients), the B
    /// operand's (K x N: weights, or activations in WG) and the N:M indices.
    pub buffer_read_by_operand: [u64; 3],
    /// DRAM bytes of the A operand's tensor and of the B operand's (reads), and of the outputs
    /// (written, and spilled partial sums read back).
    pub dram_by_operand: [u64; 3],
}

/// What a task of the step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskKind {
    /// A layer's forward pass.
    Ff,
    /// Its backward-data pass.
    Bp,
    /// Its weight-gradient pass.
    Wg,
    /// Its BP and WG interleaved on the array as one task.
    BpWg,
    /// The weight generator's N:M weights for both FF and BP (pre-generation).
    Gen,
    /// The generator's weights for FF only.
    GenFf,
    /// The generator's weights for BP only.
    GenBp,
    /// The weight update.
    Update,
}

impl TaskKind {
    /// Its name in reports (`ff`, `bp+wg`, `gen_bp`).
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Ff => "ff",
            TaskKind::Bp => "bp",
            TaskKind::Wg => "wg",
            TaskKind::BpWg => "bp+wg",
            TaskKind::Gen => "gen",
            TaskKind::GenFf => "gen_ff",
            TaskKind::GenBp => "gen_bp",
            TaskKind::Update => "update",
        }
    }
}

/// A scheduled task's account.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskCost {
    /// The passes it runs (none for generator and update tasks).
    pub passes: Vec<usize>,
    /// Its layer.
    pub layer: usize,
    /// What it does.
    pub kind: TaskKind,
    /// Cycles of its unit's work (array, generator or update lanes).
    pub compute: u64,
    /// Cycles of its transfers at its channel share.
    pub transfer: u64,
    /// Channels it holds.
    pub channels: u64,
    /// Bytes it reads from DRAM.
    pub dram_read: u64,
    /// Bytes it writes to DRAM.
    pub dram_write: u64,
    /// Weights it handles (generator and update tasks).
    pub weights: u64,
    /// Groups of M ranked (generator tasks).
    pub groups: u64,
}

/// A modelled step.
pub struct Step {
    /// Every GEMM pass.
    pub passes: Vec<PassCost>,
    /// Every task, by task id.
    pub tasks: Vec<TaskCost>,
    /// The task graph.
    pub graph: TaskGraph,
    /// Its schedule.
    pub schedule: Schedule,
    /// Resource ids: array, generator, updater, dram.
    pub resources: [ResourceId; 4],
    /// True if the wall-clock deadline passed while the step was being built: it then holds the
    /// layers built by then ([`StepSpec::run_until`]).
    pub out_of_time: bool,
}

impl Step {
    /// Per task, then per pass: finished by cycle `horizon` (`limits.max_cycles`).
    pub fn finished_by(&self, horizon: u64) -> (Vec<bool>, Vec<bool>) {
        let tasks: Vec<bool> = self.schedule.end.iter().map(|&e| e <= horizon).collect();
        let mut passes = vec![false; self.passes.len()];
        for (t, task) in self.tasks.iter().enumerate() {
            for &p in &task.passes {
                passes[p] = tasks[t];
            }
        }
        (tasks, passes)
    }
}

/// Per layer, the layers with weights that feed it and those that read it, directly or through
/// weightless layers (pools, sums), each sorted. Built in one pass each way (a layer reads only
/// layers above it), so a table of many layers, or of sums that read one layer twice, resolves
/// in time linear in its links.
struct Links {
    producers: Vec<Vec<usize>>,
    consumers: Vec<Vec<usize>>,
}

impl Links {
    fn of(layers: &[Layer]) -> Links {
        let n = layers.len();
        let through = |sets: &Vec<Vec<usize>>, j: usize, out: &mut Vec<usize>| {
            if layers[j].has_weights() {
                out.push(j);
            } else {
                out.extend_from_slice(&sets[j]);
            }
        };
        let mut producers: Vec<Vec<usize>> = Vec::with_capacity(n);
        for layer in layers {
            let mut out = Vec::new();
            for &f in &layer.from {
                through(&producers, f, &mut out);
            }
            out.sort_unstable();
            out.dedup();
            producers.push(out);
        }
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (j, layer) in layers.iter().enumerate() {
            for &f in &layer.from {
                if readers[f].last() != Some(&j) {
                    readers[f].push(j);
                }
            }
        }
        let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for l in (0..n).rev() {
            let mut out = Vec::new();
            for &j in &readers[l] {
                through(&consumers, j, &mut out);
            }
            out.sort_unstable();
            out.dedup();
            consumers[l] = out;
        }
        Links {
            producers,
            consumers,
        }
    }
}

/// The default layers kept dense: the first and the last layer with weights.
pub fn first_and_last(net: &Network) -> Vec<bool> {
    let w: Vec<usize> = (0..net.layers.len())
        .filter(|&i| net.layers[i].has_weights())
        .collect();
    (0..net.layers.len())
        .map(|i| w.first() == Some(&i) || w.last() == Some(&i))
        .collect()
}

impl StepSpec<'_> {
    /// Costs pass `pass` of layer `l`. The dense weight-gradient GEMM may run either way round
    /// (dWᵀ = Xᵀ dY keeps the output gradient in the array instead of the input): the mapper
    /// takes the orientation with fewer cycles.
    fn pass(&self, l: usize, pass: Pass) -> PassCost {
        let mut straight = self.oriented(l, pass, false, false);
        if pass != Pass::Wg {
            if straight.sparse {
                straight.dense_cycles = Some(self.oriented(l, pass, false, true).compute_cycles);
            }
            return straight;
        }
        let turned = self.oriented(l, pass, true, false);
        if turned.compute_cycles < straight.compute_cycles {
            turned
        } else {
            straight
        }
    }

    /// Costs pass `pass` of layer `l`, the weight gradient `transposed` or not, `dense` ignoring
    /// the layer's N:M pattern.
    fn oriented(&self, l: usize, pass: Pass, transposed: bool, dense: bool) -> PassCost {
        let c = self.cfg;
        let layer = &self.net.layers[l];
        let b = self.batch;
        let g = layer.groups();
        let (cin, hin, win) = layer.input;
        let (cout, ho, wo) = layer.output;
        let (kh, kw) = layer.kernel();
        let w = c.word_bytes;
        let x_bytes = b * hin * win * cin * w;
        let y_bytes = b * ho * wo * cout * w;
        let (gemm, group_dim, stream_tensor, stream_buf, out_tensor) = match pass {
            Pass::Ff => (
                Gemm {
                    m: b * ho * wo,
                    n: cout / g,
                    k: kh * kw * cin / g,
                },
                cin / g,
                x_bytes,
                &c.activation_buffer,
                y_bytes,
            ),
            Pass::Bp => (
                Gemm {
                    m: b * hin * win,
                    n: cin / g,
                    k: kh * kw * cout / g,
                },
                cout / g,
                y_bytes,
                &c.gradient_buffer,
                x_bytes,
            ),
            Pass::Wg if transposed => (
                Gemm {
                    m: kh * kw * cin / g,
                    n: cout / g,
                    k: b * ho * wo,
                },
                0,
                x_bytes,
                &c.activation_buffer,
                layer.params() * w,
            ),
            Pass::Wg => (
                Gemm {
                    m: cout / g,
                    n: kh * kw * cin / g,
                    k: b * ho * wo,
                },
                0,
                y_bytes,
                &c.gradient_buffer,
                layer.params() * w,
            ),
        };
        let pattern = (!dense)
            .then_some(self.patterns[l])
            .flatten()
            .filter(|nm| pass != Pass::Wg && c.dataflow == Dataflow::Ws && group_dim % nm.m == 0);
        let nm = pattern.map(|nm| (nm.n, nm.m));
        let (sn, sm) = nm.unwrap_or((1, 1));
        let k_eff = gemm.k / sm * sn;
        let (r, cc) = (c.rows, c.cols);
        let (on_rows, on_cols, streamed) = match c.dataflow {
            Dataflow::Ws => (k_eff, gemm.n, gemm.m),
            Dataflow::Os => (gemm.m, gemm.n, k_eff),
            Dataflow::Is => (k_eff, gemm.m, gemm.n),
        };
        let (row_folds, col_folds) = (on_rows.div_ceil(r), on_cols.div_ceil(cc));
        let one = array::compute(
            Gemm {
                k: k_eff,
                ..gemm
            },
            r,
            cc,
            c.dataflow,
        );
        // Words a cycle each buffer must deliver while the operand streams.
        let ratio = |need: u64, buf: &BufferConfig, default_banks: u64| {
            need as f64 / buf.words_per_cycle(default_banks) as f64
        };
        let (stream_banks, weight_banks, out_banks) =
            (c.stream_banks(), c.weight_banks(), c.output_banks());
        let stretch = match c.dataflow {
            Dataflow::Ws => ratio(r * sm / sn, stream_buf, stream_banks).max(ratio(
                cc * if row_folds > 1 { 2 } else { 1 },
                &c.output_buffer,
                out_banks,
            )),
            Dataflow::Os => {
                ratio(r, stream_buf, stream_banks).max(ratio(cc, &c.weight_buffer, weight_banks))
            }
            Dataflow::Is => ratio(r, &c.weight_buffer, weight_banks).max(ratio(
                cc * if row_folds > 1 { 2 } else { 1 },
                &c.output_buffer,
                out_banks,
            )),
        };
        let extra_per_fold = if stretch > 1.0 {
            (streamed as f64 * stretch).ceil() as u64 - streamed
        } else {
            0
        };
        let buffer_stall_cycles = g * one.folds * extra_per_fold;
        let compute_cycles = g * one.cycles + buffer_stall_cycles;
        let idx_bytes_x8 = nm.map_or(0, |(_, m)| SatConfig::index_bits(m));
        let usable = |buf: &BufferConfig| buf.bytes() / if c.double_buffered { 2 } else { 1 };
        // DRAM: the stationary operand once, the streamed tensor once or per column fold, the
        // outputs once plus any spilled partial sums.
        let stationary = match pass {
            Pass::Wg if transposed => y_bytes,
            Pass::Wg => x_bytes,
            _ => g * k_eff * gemm.n * w + (g * k_eff * gemm.n * idx_bytes_x8).div_ceil(8),
        };
        // Two loop orders:
        // - the stationary operand once, and the streamed tensor again for each column fold
        //   (unless a group of it fits its buffer). A column fold's partial sums (every streamed
        //   row by the array's columns) stay in the output buffer across the row folds if they
        //   fit; if not, they spill to DRAM and come back at each further row fold;
        // - the streamed tensor once, in chunks that fit its buffer and whose partial sums fit
        //   the output buffer, and the stationary operand again for each chunk: nothing spills.
        // The mapper takes the one that moves fewer bytes (the first on a tie).
        let psum_bytes = streamed.saturating_mul(cc).saturating_mul(c.acc_bytes);
        let partial_fits = c.dataflow == Dataflow::Os
            || row_folds == 1
            || psum_bytes <= usable(&c.output_buffer);
        let stream_chunks = (stream_tensor / g).div_ceil(usable(stream_buf)).max(1);
        let refetch = if stream_chunks > 1 { col_folds } else { 1 };
        let spill = if partial_fits {
            0
        } else {
            g * (row_folds - 1) * gemm.m * gemm.n * c.acc_bytes
        };
        let psum_chunks = if partial_fits {
            1
        } else {
            psum_bytes.div_ceil(usable(&c.output_buffer).max(1))
        };
        let chunks = stream_chunks.max(psum_chunks);
        let (stationary, refetch, spill) = if chunks > 1
            && stationary.saturating_mul(chunks).saturating_add(stream_tensor)
                < stationary
                    .saturating_add(stream_tensor.saturating_mul(refetch))
                    .saturating_add(spill.saturating_mul(2))
        {
            (stationary * chunks, 1, 0)
        } else {
            (stationary, refetch, spill)
        };
        let dram_read = stationary + stream_tensor.saturating_mul(refetch) + spill;
        let dram_write = out_tensor + spill;
        // On-chip: what the array reads and writes, and the tiles loaded into the buffers.
        // Words of A (M x K, all K candidates) and of B (K' x N) the array reads.
        let (a_words, b_words, psum_writes) = match c.dataflow {
            Dataflow::Ws => (
                col_folds * gemm.m * gemm.k,
                k_eff * gemm.n,
                row_folds * gemm.m * gemm.n,
            ),
            Dataflow::Os => (
                col_folds * gemm.m * gemm.k,
                row_folds * k_eff * gemm.n,
                gemm.m * gemm.n,
            ),
            Dataflow::Is => (
                gemm.k * gemm.m,
                col_folds * k_eff * gemm.n,
                row_folds * gemm.m * gemm.n,
            ),
        };
        let (stream_words, stat_words) = (a_words + b_words, 0);
        let psum_reads = psum_writes - gemm.m * gemm.n;
        let meta_read = (g * b_words * idx_bytes_x8).div_ceil(8);
        let buffer_read =
            g * ((stream_words + stat_words) * w + psum_reads * c.acc_bytes) + meta_read;
        let buffer_write = dram_read + g * psum_writes * c.acc_bytes;
        PassCost {
            layer: l,
            pass,
            gemm,
            groups: g,
            k_eff,
            sparse: nm.is_some(),
            pattern,
            folds: g * one.folds,
            compute_cycles,
            dense_cycles: None,
            buffer_stall_cycles,
            macs: g * gemm.m * gemm.n * k_eff,
            skipped: g * gemm.m * gemm.n * (gemm.k - k_eff),
            buffer_read,
            buffer_write,
            dram_read,
            dram_write,
            buffer_read_by_operand: [g * a_words * w, g * b_words * w, meta_read],
            dram_by_operand: [
                stream_tensor.saturating_mul(refetch),
                stationary,
                dram_write + spill,
            ],
        }
    }

    /// Transfer cycles of `bytes` over `channels` of the DRAM's channels.
    fn transfer_cycles(&self, bytes: u64, channels: u64) -> u64 {
        let ps = self.transfer.stream_ps(bytes, channels);
        let period = 1e6 / self.cfg.clock_mhz;
        (ps / period).ceil() as u64
    }

    /// An array task's channels, transfer cycles and duration, for `compute` cycles over `folds`
    /// folds moving `bytes`: the fewest channels that keep it compute-bound, or all.
    fn timing(&self, compute: u64, folds: u64, bytes: u64) -> (u64, u64, u64) {
        let ch = self.transfer.channels();
        let mut pick = (ch, self.transfer_cycles(bytes, ch));
        for k in 1..=ch {
            let t = self.transfer_cycles(bytes, k);
            if t <= compute {
                pick = (k, t);
                break;
            }
        }
        self.duration(compute, folds, pick)
    }

    /// A background task's (generator, update) timing: one channel, so it can run beside the
    /// array's tasks.
    fn background(&self, compute: u64, bytes: u64) -> (u64, u64, u64) {
        self.duration(compute, 1, (1, self.transfer_cycles(bytes, 1)))
    }

    fn duration(&self, compute: u64, folds: u64, (k, t): (u64, u64)) -> (u64, u64, u64) {
        let f = folds.max(1);
        let duration = if self.cfg.double_buffered {
            (compute + t.div_ceil(f)).max(t + compute.div_ceil(f))
        } else {
            compute + t
        };
        (k, t, duration)
    }

    /// Builds and schedules the step.
    pub fn run(&self) -> Step {
        self.run_until(None)
    }

    /// Builds and schedules the step, stopping before the next layer once `deadline` (real
    /// time) has passed: the step then holds the tasks of the layers built by then, forward first
    /// (the detailed memory backend runs the `dram` block for each new transfer size, which can
    /// take minutes; `limits.wall_clock_s`).
    pub fn run_until(&self, deadline: Option<Instant>) -> Step {
        let mut out_of_time = false;
        let mut past = || {
            out_of_time = out_of_time || deadline.is_some_and(|d| Instant::now() >= d);
            out_of_time
        };
        let layers = &self.net.layers;
        let links = Links::of(layers);
        let producers = |l: usize| &links.producers[l];
        let consumers = |l: usize| &links.consumers[l];
        let training = self.mode == Mode::Train;
        let mut passes: Vec<PassCost> = Vec::new();
        let mut tasks: Vec<TaskCost> = Vec::new();
        let mut g = TaskGraph::new();
        let array = g.add_resource("array", 1);
        let generator = g.add_resource("generator", 1);
        let updater = g.add_resource("updater", 1);
        let dram = g.add_resource("dram", self.transfer.channels());
        let mut order: Vec<TaskId> = Vec::new();
        let word = self.cfg.word_bytes;
        let add = |g: &mut TaskGraph,
                   tasks: &mut Vec<TaskCost>,
                   order: &mut Vec<TaskId>,
                   name: String,
                   unit: ResourceId,
                   cost: TaskCost,
                   duration: u64| {
            let id = g.add_task(Task {
                name,
                category: cost.kind.name().to_uppercase(),
                duration,
                needs: vec![(unit, 1), (dram, cost.channels)],
            });
            tasks.push(cost);
            order.push(id);
            id
        };
        // A generator task making `dirs` compressed copies of layer l's weights.
        let gen_task = |spec: &StepSpec, l: usize, kind: TaskKind, dirs: u64| {
            let nm = spec.patterns[l].expect("generator tasks only for sparse layers");
            let params = layers[l].params();
            let groups = dirs * params / nm.m;
            let compute = groups.div_ceil(spec.cfg.generator_groups_per_cycle);
            let kept = params / nm.m * nm.n;
            let read = params * word;
            let write = dirs * (kept * word + (kept * SatConfig::index_bits(nm.m)).div_ceil(8));
            let (channels, transfer, duration) = spec.background(compute, read + write);
            (
                TaskCost {
                    passes: Vec::new(),
                    layer: l,
                    kind,
                    compute,
                    transfer,
                    channels,
                    dram_read: read,
                    dram_write: write,
                    weights: params,
                    groups,
                },
                duration,
            )
        };
        let sparse_layer = |l: usize| {
            training
                && self.patterns[l].is_some_and(|nm| {
                    let (cin, cout, gr) = (layers[l].input.0, layers[l].output.0, layers[l].groups());
                    (cin / gr) % nm.m == 0 || (cout / gr) % nm.m == 0
                })
                && self.cfg.dataflow == Dataflow::Ws
        };
        // Forward.
        let mut ff: Vec<Option<TaskId>> = vec![None; layers.len()];
        for l in 0..layers.len() {
            if !layers[l].has_weights() {
                continue;
            }
            if past() {
                break;
            }
            let deps: Vec<TaskId> = producers(l).iter().filter_map(|&p| ff[p]).collect();
            let mut gen_dep = None;
            if sparse_layer(l) {
                let (kind, dirs) = if self.cfg.pregenerate {
                    (TaskKind::Gen, 2)
                } else {
                    (TaskKind::GenFf, 1)
                };
                let (cost, d) = gen_task(self, l, kind, dirs);
                let id = add(
                    &mut g,
                    &mut tasks,
                    &mut order,
                    format!("{} {}", kind.name().to_uppercase(), layers[l].name),
                    generator,
                    cost,
                    d,
                );
                if !self.cfg.pregenerate {
                    for &d in &deps {
                        g.add_dep(d, id);
                    }
                }
                gen_dep = Some(id);
            }
            let p = self.pass(l, Pass::Ff);
            let (channels, transfer, duration) =
                self.timing(p.compute_cycles, p.folds, p.dram_read + p.dram_write);
            let cost = TaskCost {
                passes: vec![passes.len()],
                layer: l,
                kind: TaskKind::Ff,
                compute: p.compute_cycles,
                transfer,
                channels,
                dram_read: p.dram_read,
                dram_write: p.dram_write,
                weights: 0,
                groups: 0,
            };
            passes.push(p);
            let id = add(
                &mut g,
                &mut tasks,
                &mut order,
                format!("FF {}", layers[l].name),
                array,
                cost,
                duration,
            );
            for d in deps.into_iter().chain(gen_dep) {
                g.add_dep(d, id);
            }
            ff[l] = Some(id);
        }
        if self.mode == Mode::Train && !past() {
            let outputs: Vec<TaskId> = (0..layers.len())
                .filter(|&l| ff[l].is_some() && consumers(l).is_empty())
                .filter_map(|l| ff[l])
                .collect();
            let mut bp: Vec<Option<TaskId>> = vec![None; layers.len()];
            // The BP tasks that give each layer its output gradient are those of its consumers.
            let mut pregen: Vec<Option<TaskId>> = vec![None; layers.len()];
            for (i, t) in tasks.iter().enumerate() {
                if t.kind == TaskKind::Gen {
                    pregen[t.layer] = Some(TaskId(i));
                }
            }
            for l in (0..layers.len()).rev() {
                if !layers[l].has_weights() {
                    continue;
                }
                if past() {
                    break;
                }
                let cons = consumers(l);
                let grad_deps: Vec<TaskId> = if cons.is_empty() {
                    outputs.clone()
                } else {
                    cons.iter().filter_map(|&c| bp[c]).collect()
                };
                let needs_bp = !producers(l).is_empty();
                let mut gen_dep = pregen[l];
                if needs_bp && sparse_layer(l) && !self.cfg.pregenerate {
                    let (cost, d) = gen_task(self, l, TaskKind::GenBp, 1);
                    let id = add(
                        &mut g,
                        &mut tasks,
                        &mut order,
                        format!("GEN_BP {}", layers[l].name),
                        generator,
                        cost,
                        d,
                    );
                    for &d in &grad_deps {
                        g.add_dep(d, id);
                    }
                    gen_dep = Some(id);
                }
                let wg = self.pass(l, Pass::Wg);
                let bpp = needs_bp.then(|| self.pass(l, Pass::Bp));
                let mut group: Vec<(Vec<PassCost>, TaskKind)> = Vec::new();
                match bpp {
                    Some(b) if self.cfg.interleave => group.push((vec![b, wg], TaskKind::BpWg)),
                    Some(b) => {
                        group.push((vec![b], TaskKind::Bp));
                        group.push((vec![wg], TaskKind::Wg));
                    }
                    None => group.push((vec![wg], TaskKind::Wg)),
                }
                let mut last = None;
                for (ps, kind) in group {
                    let compute: u64 = ps.iter().map(|p| p.compute_cycles).sum();
                    let folds: u64 = ps.iter().map(|p| p.folds).sum();
                    let mut read: u64 = ps.iter().map(|p| p.dram_read).sum();
                    if ps.len() == 2 {
                        // Fused: the output gradient both stream is read once.
                        let l_ = &layers[l];
                        let dy = self.batch * l_.output.0 * l_.output.1 * l_.output.2 * word;
                        read -= dy.min(ps[0].dram_read).min(ps[1].dram_read);
                    }
                    let write: u64 = ps.iter().map(|p| p.dram_write).sum();
                    let (channels, transfer, duration) = self.timing(compute, folds, read + write);
                    let first = passes.len();
                    let has_bp = ps.iter().any(|p| p.pass == Pass::Bp);
                    passes.extend(ps);
                    let cost = TaskCost {
                        passes: (first..passes.len()).collect(),
                        layer: l,
                        kind,
                        compute,
                        transfer,
                        channels,
                        dram_read: read,
                        dram_write: write,
                        weights: 0,
                        groups: 0,
                    };
                    let id = add(
                        &mut g,
                        &mut tasks,
                        &mut order,
                        format!("{} {}", kind.name().to_uppercase(), layers[l].name),
                        array,
                        cost,
                        duration,
                    );
                    for &d in &grad_deps {
                        g.add_dep(d, id);
                    }
                    if has_bp {
                        if let Some(gd) = gen_dep {
                            g.add_dep(gd, id);
                        }
                        bp[l] = Some(id);
                    }
                    last = Some(id);
                }
                // The update, after the weight gradient.
                let params = layers[l].params();
                let compute = params.div_ceil(self.cfg.update_lanes);
                let (read, write) = (3 * params * word, 2 * params * word);
                let (channels, transfer, duration) = self.background(compute, read + write);
                let id = add(
                    &mut g,
                    &mut tasks,
                    &mut order,
                    format!("UPDATE {}", layers[l].name),
                    updater,
                    TaskCost {
                        passes: Vec::new(),
                        layer: l,
                        kind: TaskKind::Update,
                        compute,
                        transfer,
                        channels,
                        dram_read: read,
                        dram_write: write,
                        weights: params,
                        groups: 0,
                    },
                    duration,
                );
                g.add_dep(last.expect("every weighted layer has a WG"), id);
                if !needs_bp {
                    bp[l] = None;
                }
            }
        }
        let priority = if self.cfg.offline_schedule {
            Priority::CriticalPath
        } else {
            Priority::Order(order)
        };
        let schedule = g
            .schedule(&priority)
            .expect("the step graph is acyclic, in program order, and no task needs more than a resource has");
        Step {
            passes,
            tasks,
            graph: g,
            schedule,
            resources: [array, generator, updater, dram],
            out_of_time,
        }
    }
}

#[cfg(test)]
mod tests;
