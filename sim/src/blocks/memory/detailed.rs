//! The detailed backend: the `dram` block itself, with its controller, banks, row buffers and
//! refresh, on the event engine, answering a one-pass model's accesses.
//!
//! **Line fills** ([`DramLines`], the mobile cores): the DRAM runs as a [`Running`] simulation
//! (a port component wired to the `dram` block). Every fill and writeback asked waits, in time
//! order, until it is more than [`WINDOW_CYCLES`] older than the latest access asked; then it
//! enters this *live* run, which is brought to its time. A fill is answered by a *fork* of the
//! live run (a copy of the DRAM in its current state, [`Running::fork`]) given the accesses still
//! waiting up to the fill's own time, in time order, and run until the fill's data comes back.
//! So fills asked close together in time (a core's independent misses) overlap in the DRAM as in
//! hardware, and each answer accounts for every access asked before it and due by then:
//! queueing, bank and row conflicts, refresh, writebacks. A writeback leaves when the fill that
//! evicted its line completes, later than that fill was asked; it waits its turn like the rest.
//!
//! **Out-of-order requests.** A one-pass core asks in program order, so an access may be asked
//! for a cycle earlier than one asked before it (an out-of-order core issues a younger load
//! first, or a store waits for its data). Within the window that costs nothing: the waiting
//! accesses enter the DRAM in time order. The DRAM cannot go back in time beyond it: an access
//! asked for a time the live run has already reached is posted at that time, late by the
//! difference, which `late_accesses` and `late_cycles` count. Causality holds: no access is
//! answered before it was asked, and the answer is always later than the time posted.
//!
//! Not modelled: an access asked later never delays the answer of one asked earlier (the fork
//! that answers a fill holds only the accesses asked before it), though in the live run the
//! controller may serve a later row hit first; the statistics are the live run's.
//!
//! **Tile transfers** ([`DramTransfers`], SAT): a transfer of `bytes` spread evenly over `k`
//! channels takes as long as `bytes / k` streamed through one channel of the `dram` block (its
//! channels share nothing), measured by running exactly that transfer through the block
//! ([`super::transfer::measure`]): alone, on an idle channel, from time 0, so refresh falls where
//! it falls in that run (a tile shorter than the refresh interval meets none); measurements are
//! kept per size.

use std::any::Any;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

use crate::blocks::dram::{Dram, DramConfig, DramSpec};
use crate::blocks::memory::transfer::{measure_events, Tile};
use crate::blocks::memory::{BulkMemory, LineMemory};
use crate::config::Invalid;
use crate::engine::{
    AccessKind, Component, ComponentId, Ctx, MemReq, Msg, PortGroup, PortId, Running, SimBuilder,
    Split, Tick,
};
use crate::stats::{StatTree, Unit};

/// The port through which accesses enter the DRAM: it forwards what is posted to it and keeps the
/// last answer it received.
#[derive(Clone)]
struct Port {
    last_answer: Option<u64>,
}

const PORTS: &[PortGroup] = &[PortGroup::one("down")];

impl Component for Port {
    fn name(&self) -> &str {
        "port"
    }
    fn ports(&self) -> &[PortGroup] {
        PORTS
    }
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx) {
        match (port, msg) {
            (PortId::SELF, Msg::Req(r)) => ctx.send(PortId(0), Msg::Req(r), Tick(0)),
            (_, Msg::Resp(r)) => self.last_answer = Some(r.id),
            (_, other) => panic!("port @ {} ps: unexpected {other:?}", ctx.now().0),
        }
    }
    fn fork(&self) -> Option<Box<dyn Component>> {
        Some(Box::new(self.clone()))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Core cycles the live run lags the latest fill asked: accesses asked within this of it wait
/// in time order before entering the DRAM, so a younger access asked for an earlier cycle is not
/// late. Our choice: several times the span over which an out-of-order core with a 128-entry
/// window issues around a DRAM miss (a few hundred cycles on the bundled cores).
pub const WINDOW_CYCLES: u64 = 4096;

/// An access waiting to enter the live run: `(ps, id, address, bytes, is a read)`.
type Pending = Reverse<(u64, u64, u64, u64, bool)>;

/// Line fills and writebacks through the `dram` block (see the module documentation).
pub struct DramLines {
    run: Running,
    port: ComponentId,
    dram: ComponentId,
    period_ps: f64,
    window_ps: u64,
    next_id: u64,
    late_accesses: u64,
    late_cycles: u64,
    /// Cycles an isolated fill takes on the idle DRAM: what a fill waits beyond it is queueing.
    idle_cycles: u64,
    /// Accesses asked but not yet in the live run, by time.
    pending: BinaryHeap<Pending>,
    /// The latest time asked, in ps.
    latest_ask: u64,
}

impl DramLines {
    /// The DRAM `spec` behind a core whose cycle is `period_ps`.
    pub fn new(spec: &DramSpec, period_ps: f64) -> DramLines {
        let mut b = SimBuilder::new();
        let port = b.add(Box::new(Port { last_answer: None }));
        let dram = b.add(Box::new(Dram::new("dram", spec.clone(), 1)));
        b.connect(port, "down", dram, ("up", 0), Tick(1));
        let run = b.build().expect("a port wired to a DRAM").start();
        let mut lines = DramLines {
            run,
            port,
            dram,
            period_ps,
            window_ps: (WINDOW_CYCLES as f64 * period_ps).round() as u64,
            next_id: 0,
            late_accesses: 0,
            late_cycles: 0,
            idle_cycles: 0,
            pending: BinaryHeap::new(),
            latest_ask: 0,
        };
        let mut probe = lines
            .run
            .fork()
            .expect("the port and the DRAM can be copied");
        let id = u64::MAX;
        probe.post(
            port,
            Msg::Req(request(id, 0, 64, AccessKind::Read, 0)),
            Tick(0),
        );
        lines.idle_cycles = lines.cycles_at(answer(&mut probe, port, id, 0));
        lines
    }

    fn ps_at(&self, cycle: u64) -> u64 {
        (cycle as f64 * self.period_ps).round() as u64
    }

    fn cycles_at(&self, ps: u64) -> u64 {
        (ps as f64 / self.period_ps).ceil() as u64
    }

    /// Takes an access asked at cycle `at`: it waits in `pending` for its time (or, asked for a
    /// time the live run has already been brought to, for that time: late); then the live run
    /// takes every access more than the window older than the latest asked. Returns its id, the
    /// ps it is posted for and the cycle that is.
    fn ask(&mut self, addr: u64, bytes: u64, read: bool, at: u64) -> (u64, u64, u64) {
        let asked = self.ps_at(at);
        // First the live run takes what this ask leaves more than the window behind; then this
        // access waits (so a fill is always still waiting when its fork is made). Only fills
        // move the window: a writeback is asked for when the fill that evicted its line
        // completes, ahead of the core, and must not push the live run past fills to come.
        if read {
            self.latest_ask = self.latest_ask.max(asked);
        }
        self.enter_until(self.latest_ask.saturating_sub(self.window_ps));
        let floor = self.run.latest_post().0.max(self.run.now().0);
        let posted = asked.max(floor);
        if posted > asked {
            self.late_accesses += 1;
            self.late_cycles += self.cycles_at(posted - asked);
        }
        let id = self.next_id;
        self.next_id += 1;
        self.pending.push(Reverse((posted, id, addr, bytes, read)));
        let cycle = if posted == asked {
            at
        } else {
            self.cycles_at(posted)
        };
        (id, posted, cycle)
    }

    /// Posts the pending accesses due at or before `until` ps into the live run, in time order,
    /// and brings it to the last of them.
    fn enter_until(&mut self, until: u64) {
        let mut last = None;
        while let Some(&Reverse((ps, id, addr, bytes, read))) = self.pending.peek() {
            if ps > until {
                break;
            }
            self.pending.pop();
            post(&mut self.run, self.port, (ps, id, addr, bytes, read));
            last = Some(ps);
        }
        if let Some(ps) = last {
            self.run.run_until(Tick(ps));
        }
    }
}

/// Posts one access `(ps, id, address, bytes, is a read)` to `run`'s port.
fn post(
    run: &mut Running,
    port: ComponentId,
    (ps, id, addr, bytes, read): (u64, u64, u64, u64, bool),
) {
    let size = u32::try_from(bytes).expect("a cache line fits a request");
    let kind = if read {
        AccessKind::Read
    } else {
        AccessKind::Writeback
    };
    run.post(port, Msg::Req(request(id, addr, size, kind, ps)), Tick(ps));
}

fn request(id: u64, addr: u64, size: u32, kind: AccessKind, at_ps: u64) -> MemReq {
    MemReq {
        id,
        addr,
        size,
        kind,
        issued_ps: at_ps,
        split: Split::Whole,
    }
}

/// Simulated time within which the DRAM answers any read, however loaded: 1 ms.
const ANSWER_WITHIN_PS: u64 = 1_000_000_000;

/// Runs `probe` until the port receives the answer to request `id`, posted for `posted_ps`;
/// returns that time in ps.
fn answer(probe: &mut Running, port: ComponentId, id: u64, posted_ps: u64) -> u64 {
    let limit = posted_ps + ANSWER_WITHIN_PS;
    loop {
        let at = probe
            .step()
            .expect("the DRAM answers every read it was given");
        assert!(
            at.0 <= limit,
            "dram @ {} ps: read {id} not answered within 1 ms",
            at.0
        );
        let p: &Port = probe.get(port).expect("the port component");
        if p.last_answer == Some(id) {
            return at.0;
        }
    }
}

impl LineMemory for DramLines {
    fn read_line(&mut self, addr: u64, bytes: u64, at: u64) -> (u64, u64) {
        let (id, posted_ps, posted) = self.ask(addr, bytes, true, at);
        // A fork of the live run, with the accesses pending up to this one, run until it is
        // answered.
        let mut probe = self
            .run
            .fork()
            .expect("the port and the DRAM can be copied");
        let mut due: Vec<(u64, u64, u64, u64, bool)> = self
            .pending
            .iter()
            .map(|r| r.0)
            .filter(|p| p.0 <= posted_ps)
            .collect();
        due.sort_unstable();
        for p in due {
            post(&mut probe, self.port, p);
        }
        let ready = self
            .cycles_at(answer(&mut probe, self.port, id, posted_ps))
            .max(posted + 1);
        (ready, (ready - posted).saturating_sub(self.idle_cycles))
    }

    fn write_line(&mut self, addr: u64, bytes: u64, at: u64) {
        self.ask(addr, bytes, false, at);
    }

    fn drain(&mut self) {
        self.enter_until(u64::MAX);
        while self.run.step().is_some() {}
    }

    fn n_events(&self) -> u64 {
        self.run.n_events()
    }

    fn collect_stats(&self, prefix: &str, out: &mut StatTree) {
        out.push(
            format!("{prefix}.late_accesses"),
            self.late_accesses,
            Unit::Count,
            "Accesses asked for a time the live DRAM had already passed (beyond its window), posted late (detailed backend)",
        );
        out.push(
            format!("{prefix}.late_cycles"),
            self.late_cycles,
            Unit::Cycles,
            "Core cycles those accesses were posted late by (summed)",
        );
        self.run
            .collect_stats(self.dram, &format!("{prefix}.device"), out);
    }
}

/// Tile transfers through the `dram` block (see the module documentation).
pub struct DramTransfers {
    one_channel: DramSpec,
    channels: u64,
    /// Per bytes on one channel: its time in ps and the events its run took.
    measured: Mutex<HashMap<u64, (u64, u64)>>,
}

impl DramTransfers {
    /// The DRAM `cfg` (resolved under the key `prefix`).
    pub fn new(cfg: &DramConfig, prefix: &str) -> Result<DramTransfers, Invalid> {
        let all = cfg.resolve(prefix)?;
        let mut one = cfg.clone();
        one.org.channels = Some(1);
        Ok(DramTransfers {
            one_channel: one.resolve(prefix)?,
            channels: all.org.channels,
            measured: Mutex::new(HashMap::new()),
        })
    }
}

impl BulkMemory for DramTransfers {
    fn channels(&self) -> u64 {
        self.channels
    }

    fn stream_ps(&self, bytes: u64, channels: u64) -> f64 {
        if bytes == 0 {
            return 0.0;
        }
        let per_channel = bytes.div_ceil(channels.max(1));
        let known = self
            .measured
            .lock()
            .expect("measurements")
            .get(&per_channel)
            .copied();
        if let Some((ps, _)) = known {
            return ps as f64;
        }
        let (ps, events) = measure_events(&self.one_channel, Tile::stream(0, per_channel));
        self.measured
            .lock()
            .expect("measurements")
            .insert(per_channel, (ps, events));
        ps as f64
    }

    fn n_events(&self) -> u64 {
        self.measured
            .lock()
            .expect("measurements")
            .values()
            .map(|m| m.1)
            .sum()
    }
}
