//! The requester: the one traffic generator of the blocks' tests and the benchmarks. It sends
//! [`Request`]s on one port, each no earlier than its time, keeping at most `window` of them
//! waiting for an answer (a writeback expects none), and records when each answer arrived.
//!
//! Requests come from any iterator: a list written by a test, or [`lines`], a stream or a seeded
//! random walk over lines with every k-th request a writeback. Request ids are their index in
//! the sequence, from 0.
//!
//! Models nothing of a core (no issue width, no dependences); it is a test and benchmark driver.

use std::any::Any;

use crate::engine::{AccessKind, Component, Ctx, MemReq, Msg, PortGroup, PortId, Split, Tick};

/// One request to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// Earliest time to send it, in ps (it goes later if the window is full).
    pub at_ps: u64,
    /// Byte address.
    pub addr: u64,
    /// Bytes.
    pub size: u32,
    /// What it asks.
    pub kind: AccessKind,
}

impl Request {
    /// A read of `size` bytes at `addr`, as soon as the window allows.
    pub fn read(addr: u64, size: u32) -> Request {
        Request {
            at_ps: 0,
            addr,
            size,
            kind: AccessKind::Read,
        }
    }
}

/// The order in which [`lines`] visits addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Line after line from address 0.
    Sequential,
    /// Uniformly random lines below `span` bytes, from a xorshift64 generator seeded with `seed`
    /// (non-zero).
    Random {
        /// Seed.
        seed: u64,
        /// Bytes the addresses stay below.
        span: u64,
    },
}

/// `n` requests of `size` bytes in `order`; when `write_every` > 0, every `write_every`-th is a
/// writeback, the others reads.
pub fn lines(n: u64, size: u64, order: Order, write_every: u64) -> impl Iterator<Item = Request> {
    let mut x = match order {
        Order::Random { seed, .. } => seed,
        Order::Sequential => 0,
    };
    (0..n).map(move |i| {
        let addr = match order {
            Order::Sequential => i * size,
            Order::Random { span, .. } => {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % span) / size * size
            }
        };
        let write = write_every > 0 && (i + 1).is_multiple_of(write_every);
        Request {
            at_ps: 0,
            addr,
            size: size as u32,
            kind: if write {
                AccessKind::Writeback
            } else {
                AccessKind::Read
            },
        }
    })
}

/// The requester component (see the module documentation).
pub struct Requester {
    name: String,
    ports: [PortGroup; 1],
    requests: Box<dyn Iterator<Item = Request>>,
    window: u64,
    in_flight: u64,
    sent: u64,
    record: bool,
    /// Answers received.
    pub answered: u64,
    /// When the first answer arrived.
    pub first_answer: Option<Tick>,
    /// Each answer's request id and arrival, in arrival order (when recording).
    pub answers: Vec<(u64, Tick)>,
}

impl Requester {
    /// A requester named `name` on port `port`, sending `requests` with at most `window`
    /// awaiting an answer (`u64::MAX`: all at once), recording each answer.
    pub fn new(
        name: &str,
        port: &'static str,
        requests: impl Iterator<Item = Request> + 'static,
        window: u64,
    ) -> Requester {
        Requester {
            name: name.to_string(),
            ports: [PortGroup::one(port)],
            requests: Box::new(requests),
            window: window.max(1),
            in_flight: 0,
            sent: 0,
            record: true,
            answered: 0,
            first_answer: None,
            answers: Vec::new(),
        }
    }

    /// Counts answers without keeping each one (long benchmark runs).
    pub fn counting_only(mut self) -> Requester {
        self.record = false;
        self
    }

    /// Each answer's arrival by request id (`None` for a request not answered).
    pub fn answer_times(&self) -> Vec<Option<Tick>> {
        let mut t = vec![None; self.sent as usize];
        for &(id, at) in &self.answers {
            t[id as usize] = Some(at);
        }
        t
    }

    fn send(&mut self, ctx: &mut Ctx) {
        while self.in_flight < self.window {
            let Some(r) = self.requests.next() else {
                return;
            };
            let now = ctx.now().0;
            let at = r.at_ps.max(now);
            let req = MemReq {
                id: self.sent,
                addr: r.addr,
                size: r.size,
                kind: r.kind,
                issued_ps: at,
                split: Split::Whole,
            };
            self.sent += 1;
            ctx.send(PortId(0), Msg::Req(req), Tick(at - now));
            if r.kind != AccessKind::Writeback {
                self.in_flight += 1;
            }
        }
    }
}

impl Component for Requester {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        &self.ports
    }
    fn setup(&mut self, ctx: &mut Ctx) {
        self.send(ctx);
    }
    fn handle(&mut self, _p: PortId, m: Msg, ctx: &mut Ctx) {
        let Msg::Resp(r) = m else {
            panic!("{}: expected answers, got {m:?}", self.name)
        };
        self.first_answer.get_or_insert(ctx.now());
        self.answered += 1;
        if self.record {
            self.answers.push((r.id, ctx.now()));
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        ctx.progress();
        self.send(ctx);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
