//! The fast backend: transfers timed by a model calibrated against the `dram` block itself, for
//! machines whose other parts are timed in closed form or in one pass (SAT's tile transfers, the
//! mobile cores' line fills through [`StreamingLines`]).
//!
//! A training step moves gigabytes in thousands of tiles; simulating each request through the
//! `dram` block would take minutes. Instead, at load, [`TransferModel::calibrate`] runs tile loads
//! through the `dram` block itself (a memory-only core with a deep window driving every channel)
//! and fits, for each contiguous run length of a tile (64 B up to a DRAM row, and streaming), a
//! latency and a sustained bandwidth: `time = latency + bytes / bandwidth(run)`. The fit comes
//! from two tile sizes (0.5 and 2 MB, spanning several refresh intervals), so it separates the
//! fixed cost from the rate, refreshes included. A test checks the model
//! against the `dram` block within 5 % on streaming and strided tile loads of other sizes and
//! strides than the calibration's. Runs are taken to spread evenly over the channels (a multiple
//! of the channel interleave, as tiled layouts give): a shorter run leaves channels idle, which
//! the model does not see.
//!
//! Not modelled: interference between transfers that run at the same time (a caller gives each
//! transfer a share of the channels), and writes (timed as reads of the same
//! size: the `dram` block's read and write bursts take the same bus time).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::blocks::dram::{Dram, DramSpec};
use crate::blocks::memory::{BulkMemory, LineMemory};
use crate::blocks::trace_core::TraceCore;
use crate::engine::{Clock, RunLimits, SimBuilder, Tick};
use crate::program::{Op, OpClass, Program};

/// Contiguous run lengths the model is calibrated at, in interleave units (one access on every
/// channel); longer runs stream.
const RUNS: [u64; 6] = [1, 2, 4, 8, 16, 32];

/// A tile load: `rows` runs of `run_bytes` contiguous bytes, `stride` bytes apart, from `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// First byte.
    pub base: u64,
    /// Runs.
    pub rows: u64,
    /// Bytes per run.
    pub run_bytes: u64,
    /// Bytes from one run's start to the next's.
    pub stride: u64,
}

impl Tile {
    /// A contiguous transfer of `bytes` from `base`.
    pub fn stream(base: u64, bytes: u64) -> Tile {
        Tile {
            base,
            rows: 1,
            run_bytes: bytes,
            stride: bytes,
        }
    }

    /// Bytes moved.
    pub fn bytes(&self) -> u64 {
        self.rows * self.run_bytes
    }
}

/// The fitted transfer times of one DRAM system.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferModel {
    /// Fixed cost of a transfer (first request to first data), in ps.
    pub latency_ps: f64,
    /// Sustained bytes per ps for each calibrated run length, then streaming.
    pub rate: Vec<(u64, f64)>,
    /// Sustained bytes per ps of a long contiguous transfer.
    pub stream_rate: f64,
    /// Channels of the system (the rates are of all of them).
    pub channels: u64,
}

/// A memory-only program reading a tile access by access.
struct TileReads {
    tile: Tile,
    access: u64,
    row: u64,
    offset: u64,
}

impl Program for TileReads {
    fn next_op(&mut self) -> Option<Op> {
        if self.row == self.tile.rows {
            return None;
        }
        let addr = self.tile.base + self.row * self.tile.stride + self.offset;
        let size = self.access.min(self.tile.run_bytes - self.offset);
        self.offset += size;
        if self.offset >= self.tile.run_bytes {
            self.offset = 0;
            self.row += 1;
        }
        Some(Op::mem(OpClass::Load, addr, size as u32))
    }
}

/// Simulated time of loading `tile` through the `dram` block `spec`, in ps: a core issuing one
/// access per 250 ps (faster than any preset's channels together) with a window of 64 accesses per
/// channel, so the DRAM alone sets the pace.
pub fn measure(spec: &DramSpec, tile: Tile) -> u64 {
    measure_events(spec, tile).0
}

/// [`measure`], and the engine events the run took.
pub fn measure_events(spec: &DramSpec, tile: Tile) -> (u64, u64) {
    let mut b = SimBuilder::new();
    let clock = Clock::from_mhz(4000.0);
    let program = TileReads {
        tile,
        access: spec.access_bytes,
        row: 0,
        offset: 0,
    };
    let core = b.add(Box::new(TraceCore::new(
        "core",
        clock,
        Box::new(program),
        spec.access_bytes,
        64 * spec.org.channels,
    )));
    let dram = b.add(Box::new(Dram::new("dram", spec.clone(), 2)));
    b.connect(core, "inst", dram, ("up", 0), Tick(1));
    b.connect(core, "data", dram, ("up", 1), Tick(1));
    let sim = b.build().expect("a core wired to a DRAM");
    let fin = sim
        .run(RunLimits::default())
        .expect("a finite tile load finishes");
    (fin.now().0, fin.n_events())
}

static CALIBRATED: Mutex<Option<HashMap<String, TransferModel>>> = Mutex::new(None);

impl TransferModel {
    /// Calibrates against the `dram` block `spec` (once per system and process).
    pub fn calibrate(spec: &DramSpec) -> TransferModel {
        let key = format!("{spec:?}");
        if let Some(m) = CALIBRATED
            .lock()
            .expect("calibration cache")
            .as_ref()
            .and_then(|c| c.get(&key))
        {
            return m.clone();
        }
        let m = Self::fit(spec);
        CALIBRATED
            .lock()
            .expect("calibration cache")
            .get_or_insert_with(HashMap::new)
            .insert(key, m.clone());
        m
    }

    fn fit(spec: &DramSpec) -> TransferModel {
        // Two sizes per pattern: the slope is the rate, the intercept the latency.
        // Sizes spanning several refresh intervals (7.8 us on DDR4), so the rate includes them.
        let (small, large) = (512 * 1024, 2048 * 1024);
        let line = |tile_of: &dyn Fn(u64) -> Tile| {
            let (a, b) = (tile_of(small), tile_of(large));
            let (ta, tb) = (measure(spec, a) as f64, measure(spec, b) as f64);
            let rate = (b.bytes() - a.bytes()) as f64 / (tb - ta).max(1.0);
            (rate, ta - a.bytes() as f64 / rate)
        };
        let (stream_rate, latency_ps) = line(&|bytes| Tile::stream(0, bytes));
        let unit = spec.access_bytes * spec.org.channels;
        let rate = RUNS
            .iter()
            .map(|&r| {
                let run = r * unit;
                let (r, _) = line(&|bytes| Tile {
                    base: 0,
                    rows: bytes / run,
                    run_bytes: run,
                    stride: run * 8,
                });
                (run, r)
            })
            .collect();
        TransferModel {
            latency_ps: latency_ps.max(0.0),
            rate,
            stream_rate,
            channels: spec.org.channels,
        }
    }

    /// Sustained bytes per ps of transfers made of `run_bytes`-long runs, over every channel:
    /// interpolated between calibrated run lengths (linearly in the logarithm of the run). The
    /// calibrated range starts at one access on each channel (256 B on four 64-byte channels):
    /// shorter runs, which leave channels idle, are timed as that.
    pub fn rate(&self, run_bytes: u64) -> f64 {
        let last = self.rate.last().map_or(0, |r| r.0);
        if run_bytes >= 2 * last {
            return self.stream_rate;
        }
        let mut points = self.rate.clone();
        points.push((2 * last, self.stream_rate));
        let r = run_bytes.max(points[0].0) as f64;
        for w in points.windows(2) {
            let ((r0, v0), (r1, v1)) = (w[0], w[1]);
            if r <= r1 as f64 {
                let t = (r.ln() - (r0 as f64).ln()) / ((r1 as f64).ln() - (r0 as f64).ln());
                return v0 + t * (v1 - v0);
            }
        }
        self.stream_rate
    }

    /// Time in ps to move `bytes` in runs of `run_bytes` over `share` of the channels (0 < share
    /// <= 1).
    pub fn time_ps(&self, bytes: u64, run_bytes: u64, share: f64) -> f64 {
        if bytes == 0 {
            return 0.0;
        }
        self.latency_ps + bytes as f64 / (self.rate(run_bytes) * share)
    }

    /// Time in ps of `tile` over every channel.
    pub fn tile_ps(&self, tile: Tile) -> f64 {
        let run = if tile.rows == 1 || tile.stride == tile.run_bytes {
            u64::MAX
        } else {
            tile.run_bytes
        };
        self.time_ps(tile.bytes(), run, 1.0)
    }
}

impl BulkMemory for TransferModel {
    fn channels(&self) -> u64 {
        self.channels
    }

    fn stream_ps(&self, bytes: u64, channels: u64) -> f64 {
        self.time_ps(bytes, u64::MAX, channels as f64 / self.channels as f64)
    }
}

/// Line fills and writebacks served one after another at the calibrated streaming rate, each fill
/// arriving the calibrated latency after its turn: a queue with one server.
///
/// An access asked earlier than one before it (a one-pass out-of-order core asks in program order)
/// queues behind it: the server's time only moves forward.
pub struct StreamingLines {
    free: f64,
    line_cycles: f64,
    latency: u64,
}

impl StreamingLines {
    /// Lines of `line_bytes` at `model`'s streaming rate, for a core whose cycle is `period_ps`.
    pub fn new(model: &TransferModel, line_bytes: u64, period_ps: f64) -> StreamingLines {
        StreamingLines {
            free: 0.0,
            line_cycles: line_bytes as f64 / model.stream_rate / period_ps,
            latency: (model.latency_ps / period_ps).ceil() as u64,
        }
    }
}

impl LineMemory for StreamingLines {
    fn read_line(&mut self, _addr: u64, _bytes: u64, at: u64) -> (u64, u64) {
        let asked = at as f64;
        let begin = self.free.max(asked);
        self.free = begin + self.line_cycles;
        (begin.ceil() as u64 + self.latency, (begin - asked) as u64)
    }

    fn write_line(&mut self, _addr: u64, _bytes: u64, at: u64) {
        self.free = self.free.max(at as f64) + self.line_cycles;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::dram::DramConfig;

    fn spec(preset: &str, channels: u64) -> DramSpec {
        let mut c = DramConfig::preset(preset);
        c.org.channels = Some(channels);
        c.resolve("dram").unwrap()
    }

    /// The model against the `dram` block on tiles it was not calibrated on: streams and strided
    /// tiles of other sizes, run lengths and strides, on two presets. Tiles of a megabyte or more,
    /// as a training step's passes move: the model's rate averages refreshes, which a much
    /// shorter transfer may or may not meet.
    #[test]
    fn the_model_agrees_with_the_dram_block_within_5_percent() {
        for (preset, channels) in [("DDR4-2400", 4), ("DDR4-3200", 1)] {
            let s = spec(preset, channels);
            let m = TransferModel::calibrate(&s);
            let unit = s.access_bytes * channels;
            for tile in [
                Tile::stream(1 << 20, 1536 * 1024),
                Tile::stream(0, 3 << 20),
                Tile {
                    base: 4096,
                    rows: 1200,
                    run_bytes: 3 * unit,
                    stride: 40 * unit,
                },
                Tile {
                    base: 0,
                    rows: 300,
                    run_bytes: 12 * unit,
                    stride: 100 * unit,
                },
                Tile {
                    base: 0,
                    rows: 4000,
                    run_bytes: unit,
                    stride: 16 * unit,
                },
                Tile {
                    base: 1 << 22,
                    rows: 200,
                    run_bytes: 24 * unit,
                    stride: 64 * unit,
                },
            ] {
                let sim = measure(&s, tile) as f64;
                let model = m.tile_ps(tile);
                let err = (model / sim - 1.0).abs();
                eprintln!(
                    "{preset} x{channels} {tile:?}: model {model:.0} ps, dram block {sim:.0} ps ({:+.2} %)",
                    (model / sim - 1.0) * 100.0
                );
                assert!(
                    err < 0.05,
                    "{preset} x{channels} {tile:?}: model {model:.0} ps, dram block {sim:.0} ps ({:.1} %)",
                    err * 100.0
                );
            }
        }
    }

    #[test]
    fn longer_runs_are_never_slower_and_a_share_slows_in_proportion() {
        let m = TransferModel::calibrate(&spec("DDR4-2400", 4));
        assert!(m.rate(64) <= m.rate(4096) * 1.001);
        assert!(m.stream_rate > 0.0 && m.latency_ps >= 0.0);
        let full = m.time_ps(1 << 20, u64::MAX, 1.0) - m.latency_ps;
        let quarter = m.time_ps(1 << 20, u64::MAX, 0.25) - m.latency_ps;
        assert!((quarter / full - 4.0).abs() < 1e-9);
    }
}
