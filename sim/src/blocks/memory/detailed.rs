//! The detailed backend: the `dram` block itself, with its controller, banks, row buffers and
//! refresh, on the event engine, answering a one-pass model's accesses.
//!
//! **Line fills** ([`DramLines`], the mobile cores): the DRAM runs as a [`Running`] simulation
//! (a port component wired to the `dram` block) that holds every fill and writeback asked so far.
//! A fill asked at cycle `t` is posted at `t`; the run is brought to `t`; then a *fork* of the run
//! (a copy of the DRAM in its current state, [`Running::fork`]) is run ahead until that fill's
//! data comes back, and that time is the answer. The live run is never run ahead of the latest
//! time asked, so fills asked close together in time (a core's independent misses) overlap in
//! the DRAM as they would in hardware, and each answer accounts for every access asked before
//! it: queueing, bank and row conflicts, refresh, and the writebacks already due. A writeback
//! leaves when the fill that evicted its line completes, a time later than the fill was asked:
//! it waits and is posted when the run is brought to that time, so it never moves the run ahead.
//!
//! **Out-of-order requests.** A one-pass core asks in program order, so a fill may be asked for
//! a cycle earlier than one asked before it (an out-of-order core issues a younger load first).
//! The DRAM cannot go back in time: such a fill is posted at the latest time already asked, late
//! by the difference, which `late_accesses` and `late_cycles` count. Causality holds: no access
//! is answered before it was asked, and the answer is always later than the time posted.
//!
//! Not modelled: an access asked later never delays the answer of one asked earlier (the fork
//! that answers a fill holds only the accesses asked before it, and the writebacks due by then),
//! though in the live run the controller may serve a later row hit first; the statistics are the
//! live run's.
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

/// Line fills and writebacks through the `dram` block (see the module documentation).
pub struct DramLines {
    run: Running,
    port: ComponentId,
    dram: ComponentId,
    period_ps: f64,
    next_id: u64,
    late_accesses: u64,
    late_cycles: u64,
    /// Cycles an isolated fill takes on the idle DRAM: what a fill waits beyond it is queueing.
    idle_cycles: u64,
    /// Writebacks asked for a time later than the latest access posted (a line evicted by a fill
    /// leaves when the fill's data arrives), by time: `(ps, order, address, bytes)`. Each is
    /// posted when the run is brought to its time, so it does not move the run ahead.
    writes: BinaryHeap<Reverse<(u64, u64, u64, u64)>>,
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
            next_id: 0,
            late_accesses: 0,
            late_cycles: 0,
            idle_cycles: 0,
            writes: BinaryHeap::new(),
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
        lines.idle_cycles = lines.cycles_at(answer(&mut probe, port, id));
        lines
    }

    fn ps_at(&self, cycle: u64) -> u64 {
        (cycle as f64 * self.period_ps).round() as u64
    }

    fn cycles_at(&self, ps: u64) -> u64 {
        (ps as f64 / self.period_ps).ceil() as u64
    }

    /// Posts an access asked at `at` (at the latest time asked, if earlier), after the
    /// writebacks due by then, and brings the run there; returns its id and the cycle it was
    /// posted for.
    fn post(&mut self, addr: u64, bytes: u64, kind: AccessKind, at: u64) -> (u64, u64) {
        let asked = self.ps_at(at);
        self.post_writes_until(asked);
        let posted = self.post_at(addr, bytes, kind, asked);
        let cycle = if posted == asked {
            at
        } else {
            self.cycles_at(posted)
        };
        (self.next_id - 1, cycle)
    }

    /// Posts the writebacks due at or before `until` ps, in time order.
    fn post_writes_until(&mut self, until: u64) {
        while let Some(&Reverse((ps, _, addr, bytes))) = self.writes.peek() {
            if ps > until {
                break;
            }
            self.writes.pop();
            self.post_at(addr, bytes, AccessKind::Writeback, ps);
        }
    }

    /// Posts one access asked at `asked` ps (late if the run has been posted beyond it) and
    /// brings the run to the time posted, which it returns.
    fn post_at(&mut self, addr: u64, bytes: u64, kind: AccessKind, asked: u64) -> u64 {
        let posted = asked.max(self.run.latest_post().0).max(self.run.now().0);
        if posted > asked {
            self.late_accesses += 1;
            self.late_cycles += self.cycles_at(posted - asked);
        }
        let id = self.next_id;
        self.next_id += 1;
        let size = u32::try_from(bytes).expect("a cache line fits a request");
        self.run.post(
            self.port,
            Msg::Req(request(id, addr, size, kind, posted)),
            Tick(posted),
        );
        self.run.run_until(Tick(posted));
        posted
    }
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

/// Runs `probe` until the port receives the answer to request `id`; returns that time in ps.
fn answer(probe: &mut Running, port: ComponentId, id: u64) -> u64 {
    let limit = probe.now().0 + ANSWER_WITHIN_PS;
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
        let (id, posted) = self.post(addr, bytes, AccessKind::Read, at);
        let mut probe = self
            .run
            .fork()
            .expect("the port and the DRAM can be copied");
        let ready = self
            .cycles_at(answer(&mut probe, self.port, id))
            .max(posted + 1);
        (ready, (ready - posted).saturating_sub(self.idle_cycles))
    }

    fn write_line(&mut self, addr: u64, bytes: u64, at: u64) {
        let ps = self.ps_at(at);
        if ps > self.run.latest_post().0 {
            self.writes.push(Reverse((ps, self.next_id, addr, bytes)));
            self.next_id += 1;
        } else {
            self.post(addr, bytes, AccessKind::Writeback, at);
        }
    }

    fn drain(&mut self) {
        self.post_writes_until(u64::MAX);
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
            "Accesses asked for a time earlier than one asked before them, posted late (detailed backend)",
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
