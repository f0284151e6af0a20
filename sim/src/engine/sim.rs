//! Building and running a simulation: `SimBuilder` → `Sim` → `Finished` (a typestate; a `Sim` runs once).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::component::{
    port_name, Component, ComponentId, Ctx, LinkEnd, Outstanding, PortGroup, PortId, PortRef,
};
use super::queue::EventQueue;
use super::time::Tick;

/// Why a simulation could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// Two components share a name.
    #[error("two components are named {0:?}; names must be unique")]
    DuplicateName(String),
    /// A connect() named a port the component does not declare.
    #[error("component {component:?} has no port {port:?} (its ports: {known})")]
    UnknownPort {
        /// The component asked for the port.
        component: String,
        /// The port asked for.
        port: String,
        /// The port groups it has, with their sizes.
        known: String,
    },
    /// A port was connected twice.
    #[error("port {component}.{port} is connected twice")]
    PortReused {
        /// The component whose port is used twice.
        component: String,
        /// The port, as `group[index]` or a single port's name.
        port: String,
    },
    /// A declared port was never connected.
    #[error("port {component}.{port} is not connected to anything")]
    Dangling {
        /// The component with the unconnected port.
        component: String,
        /// The port, as `group[index]` or a single port's name.
        port: String,
    },
    /// A component declared more ports than a [`PortId`] can number.
    #[error("component {component:?} declares {n_ports} ports; at most 65534")]
    TooManyPorts {
        /// The component with too many ports.
        component: String,
        /// Its ports.
        n_ports: u32,
    },
    /// A link with zero latency would let two components exchange messages forever at one instant.
    #[error("link {from} <-> {to} has zero latency; every link needs at least 1 ps")]
    ZeroLatency {
        /// One end.
        from: String,
        /// The other end.
        to: String,
    },
}

/// Why a run stopped early with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The watchdog found no progress, or nothing left to do while requests were still outstanding.
    #[error("{}", describe_stuck(.reason, *.now, .stuck))]
    Stuck {
        /// What the watchdog saw.
        reason: &'static str,
        /// When it fired.
        now: Tick,
        /// The components with outstanding requests and their oldest few requests.
        stuck: Vec<(String, Vec<Outstanding>)>,
    },
}

fn describe_stuck(reason: &str, now: Tick, stuck: &[(String, Vec<Outstanding>)]) -> String {
    let mut s = format!("watchdog: {reason} at {} ps", now.0);
    if stuck.is_empty() {
        s.push_str("; no component reports an outstanding request");
    }
    for (name, reqs) in stuck {
        s.push_str(&format!("\n  stuck component {name:?}:"));
        for r in reqs {
            s.push_str(&format!(
                " [id {} addr {:#x} {} since {} ps]",
                r.id, r.addr, r.what, r.since.0
            ));
        }
    }
    s
}

/// Limits on one run. `None` means no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunLimits {
    /// Stop (successfully, with [`StopReason::TickLimit`]) at this time.
    pub max_ticks: Option<Tick>,
    /// Stop (successfully, with [`StopReason::WallClock`]) after this much real time.
    pub wall_clock: Option<Duration>,
    /// Fail with [`RunError::Stuck`] when no component reported progress for this long.
    pub watchdog: Option<Tick>,
}

/// Why a finished run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Nothing was left to do.
    Drained,
    /// The simulated-time limit was reached.
    TickLimit,
    /// The wall-clock limit was reached.
    WallClock,
    /// The instruction limit was reached (machines that execute instructions).
    InstructionLimit,
}

impl StopReason {
    /// The `[limits]` key that stopped a run (None: it ran to the end).
    pub fn limit_key(self) -> Option<&'static str> {
        match self {
            StopReason::Drained => None,
            StopReason::TickLimit => Some("limits.max_cycles"),
            StopReason::WallClock => Some("limits.wall_clock_s"),
            StopReason::InstructionLimit => Some("limits.max_instructions"),
        }
    }
}

/// Collects components and links; `build` checks the wiring and yields a runnable [`Sim`].
#[derive(Default)]
pub struct SimBuilder {
    pub(super) components: Vec<Box<dyn Component>>,
    links: Vec<(ComponentId, PortId, ComponentId, PortId, u64)>,
    errors: Vec<BuildError>,
}

impl SimBuilder {
    /// An empty builder.
    pub fn new() -> SimBuilder {
        SimBuilder::default()
    }

    /// Adds a component and returns its id.
    pub fn add(&mut self, component: Box<dyn Component>) -> ComponentId {
        self.components.push(component);
        ComponentId(self.components.len() as u32 - 1)
    }

    fn port(&mut self, c: ComponentId, want: PortRef) -> Option<PortId> {
        let comp = &self.components[c.0 as usize];
        let mut base = 0usize;
        for g in comp.ports() {
            if g.name == want.group && want.index < g.count as usize {
                return Some(PortId((base + want.index) as u16));
            }
            base += g.count as usize;
        }
        self.errors.push(BuildError::UnknownPort {
            component: comp.name().to_string(),
            port: format!("{}[{}]", want.group, want.index),
            known: comp
                .ports()
                .iter()
                .map(|g| format!("{} x {}", g.name, g.count))
                .collect::<Vec<_>>()
                .join(", "),
        });
        None
    }

    /// Joins port `a_port` of `a` and port `b_port` of `b` with a bidirectional link of `latency`.
    /// A port is a group's name (`"net"`) or a group's name and index (`("up", 3)`). Wiring
    /// mistakes are reported by [`SimBuilder::build`].
    pub fn connect<'p>(
        &mut self,
        a: ComponentId,
        a_port: impl Into<PortRef<'p>>,
        b: ComponentId,
        b_port: impl Into<PortRef<'p>>,
        latency: Tick,
    ) {
        let pa = self.port(a, a_port.into());
        let pb = self.port(b, b_port.into());
        if let (Some(pa), Some(pb)) = (pa, pb) {
            self.links.push((a, pa, b, pb, latency.0));
        }
    }

    /// Checks names and wiring, and returns a simulation ready to run.
    pub fn build(mut self) -> Result<Sim, BuildError> {
        if let Some(e) = self.errors.drain(..).next() {
            return Err(e);
        }
        let mut seen = BTreeMap::new();
        for c in &self.components {
            if seen.insert(c.name().to_string(), ()).is_some() {
                return Err(BuildError::DuplicateName(c.name().to_string()));
            }
        }
        let mut port_base = Vec::with_capacity(self.components.len());
        let mut n_ports = 0u32;
        for c in &self.components {
            port_base.push(n_ports);
            let n: u32 = c.ports().iter().map(|g| g.count as u32).sum();
            if n >= PortId::SELF.0 as u32 {
                return Err(BuildError::TooManyPorts {
                    component: c.name().to_string(),
                    n_ports: n,
                });
            }
            n_ports += n;
        }
        let mut ends: Vec<Option<LinkEnd>> = vec![None; n_ports as usize];
        let name = |c: ComponentId, p: PortId, comps: &[Box<dyn Component>]| {
            let comp = &comps[c.0 as usize];
            format!(
                "{}.{}",
                comp.name(),
                nth_port_name(comp.ports(), p.0 as usize)
            )
        };
        for &(a, pa, b, pb, lat) in &self.links {
            if lat == 0 {
                return Err(BuildError::ZeroLatency {
                    from: name(a, pa, &self.components),
                    to: name(b, pb, &self.components),
                });
            }
            for (c, p, d, dp) in [(a, pa, b, pb), (b, pb, a, pa)] {
                let slot = &mut ends[(port_base[c.0 as usize] + p.0 as u32) as usize];
                if slot.is_some() {
                    let comp = &self.components[c.0 as usize];
                    return Err(BuildError::PortReused {
                        component: comp.name().to_string(),
                        port: nth_port_name(comp.ports(), p.0 as usize),
                    });
                }
                *slot = Some(LinkEnd {
                    dst: d.0,
                    dst_port: dp.0,
                    latency_ps: lat,
                });
            }
        }
        for (ci, c) in self.components.iter().enumerate() {
            let n: usize = c.ports().iter().map(|g| g.count as usize).sum();
            for pi in 0..n {
                if ends[port_base[ci] as usize + pi].is_none() {
                    return Err(BuildError::Dangling {
                        component: c.name().to_string(),
                        port: nth_port_name(c.ports(), pi),
                    });
                }
            }
        }
        Ok(Sim {
            components: self.components,
            port_base,
            links: ends,
            queue: EventQueue::new(),
        })
    }
}

/// The display name of a component's port number `i` (`up[3]`).
fn nth_port_name(groups: &[PortGroup], mut i: usize) -> String {
    for g in groups {
        if i < g.count as usize {
            return port_name(g, i);
        }
        i -= g.count as usize;
    }
    format!("#{i}")
}

/// A wired simulation, ready to run once.
pub struct Sim {
    pub(super) components: Vec<Box<dyn Component>>,
    pub(super) port_base: Vec<u32>,
    pub(super) links: Vec<Option<LinkEnd>>,
    pub(super) queue: EventQueue,
}

/// How many events run between two wall-clock checks.
/// (A component may spend up to a few thousand steps on one event: DRAM catching up.)
const WALL_CHECK_EVERY: u64 = 1 << 12;
/// How many outstanding requests per component a watchdog report lists.
const OLDEST_SHOWN: usize = 4;

impl Sim {
    /// Runs `setup` on every component, then delivers events in `(tick, seq)` order until nothing is
    /// left or a limit is reached, then runs `finish`.
    pub fn run(mut self, limits: RunLimits) -> Result<Finished, RunError> {
        let mut now = Tick(0);
        let mut last_progress = Tick(0);
        self.setup_all(&mut last_progress);
        let started = Instant::now();
        let max_tick = limits.max_ticks.map_or(u64::MAX, |t| t.0);
        let watchdog = limits.watchdog.map_or(u64::MAX, |t| t.0);
        let mut n_events = 0u64;
        let stop = loop {
            let Some((tick, ev)) = self.queue.pop() else {
                if self.any_outstanding() {
                    return Err(self.stuck("event queue empty with requests outstanding", now));
                }
                break StopReason::Drained;
            };
            if tick > max_tick {
                now = Tick(max_tick);
                break StopReason::TickLimit;
            }
            now = Tick(tick);
            if now.0.saturating_sub(last_progress.0) > watchdog {
                return Err(self.stuck("no progress within the watchdog interval", now));
            }
            n_events += 1;
            if n_events.is_multiple_of(WALL_CHECK_EVERY) {
                if let Some(wall) = limits.wall_clock {
                    if started.elapsed() >= wall {
                        break StopReason::WallClock;
                    }
                }
            }
            let i = ev.dst as usize;
            let mut ctx = Ctx {
                now,
                me: ComponentId(ev.dst),
                port_base: self.port_base[i],
                links: &self.links,
                queue: &mut self.queue,
                last_progress: &mut last_progress,
            };
            self.components[i].handle(PortId(ev.port), ev.msg, &mut ctx);
        };
        for c in &mut self.components {
            c.finish(now);
        }
        Ok(Finished {
            components: self.components,
            now,
            n_events,
            stop,
            wall: started.elapsed(),
        })
    }

    /// Runs every component's `setup`, at time 0.
    pub(super) fn setup_all(&mut self, last_progress: &mut Tick) {
        for i in 0..self.components.len() {
            let mut ctx = Ctx {
                now: Tick(0),
                me: ComponentId(i as u32),
                port_base: self.port_base[i],
                links: &self.links,
                queue: &mut self.queue,
                last_progress,
            };
            self.components[i].setup(&mut ctx);
        }
    }

    fn any_outstanding(&self) -> bool {
        let mut buf = Vec::new();
        self.components.iter().any(|c| {
            c.outstanding(&mut buf);
            !buf.is_empty()
        })
    }

    fn stuck(&self, reason: &'static str, now: Tick) -> RunError {
        let mut stuck = Vec::new();
        for c in &self.components {
            let mut out = Vec::new();
            c.outstanding(&mut out);
            if !out.is_empty() {
                out.sort_by_key(|o| (o.since, o.id));
                out.truncate(OLDEST_SHOWN);
                stuck.push((c.name().to_string(), out));
            }
        }
        RunError::Stuck { reason, now, stuck }
    }
}

/// A completed run: the final time, the event count and the components, for reading their statistics.
pub struct Finished {
    pub(super) components: Vec<Box<dyn Component>>,
    pub(super) now: Tick,
    pub(super) n_events: u64,
    pub(super) stop: StopReason,
    pub(super) wall: Duration,
}

impl Finished {
    /// Simulated time at the end of the run.
    pub fn now(&self) -> Tick {
        self.now
    }
    /// Events delivered.
    pub fn n_events(&self) -> u64 {
        self.n_events
    }
    /// Why the run stopped.
    pub fn stop_reason(&self) -> StopReason {
        self.stop
    }
    /// Real time the run loop took (not part of any report that must be deterministic).
    pub fn wall(&self) -> Duration {
        self.wall
    }
    /// Adds the statistics of component `id` to `out` under `prefix` (see
    /// [`Component::collect_stats`]).
    pub fn collect_stats(&self, id: ComponentId, prefix: &str, out: &mut crate::stats::StatTree) {
        self.components[id.0 as usize].collect_stats(prefix, out);
    }

    /// The component with this id, downcast to its concrete type.
    pub fn get<T: Component>(&self, id: ComponentId) -> Option<&T> {
        self.components[id.0 as usize].as_any().downcast_ref::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Msg;
    use crate::engine::Running;
    use std::any::Any;

    /// Sends a token to its peer; the peer echoes it back, `n` round trips in all.
    #[derive(Clone)]
    struct Pinger {
        name: &'static str,
        remaining: u64,
        starts: bool,
        received: u64,
    }
    impl Component for Pinger {
        fn name(&self) -> &str {
            self.name
        }
        fn ports(&self) -> &[PortGroup] {
            const PORTS: &[PortGroup] = &[PortGroup::one("peer")];
            PORTS
        }
        fn setup(&mut self, ctx: &mut Ctx) {
            if self.starts {
                ctx.send(PortId(0), Msg::Token(0), Tick(0));
            }
        }
        fn handle(&mut self, _port: PortId, msg: Msg, ctx: &mut Ctx) {
            self.received += 1;
            ctx.progress();
            if let Msg::Token(n) = msg {
                if self.remaining > 0 {
                    self.remaining -= 1;
                    ctx.send(PortId(0), Msg::Token(n + 1), Tick(0));
                }
            }
        }
        fn fork(&self) -> Option<Box<dyn Component>> {
            Some(Box::new(self.clone()))
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn pair(a_rounds: u64, b_rounds: u64, latency: u64) -> (Sim, ComponentId, ComponentId) {
        let mut b = SimBuilder::new();
        let x = b.add(Box::new(Pinger {
            name: "a",
            remaining: a_rounds,
            starts: true,
            received: 0,
        }));
        let y = b.add(Box::new(Pinger {
            name: "b",
            remaining: b_rounds,
            starts: false,
            received: 0,
        }));
        b.connect(x, "peer", y, "peer", Tick(latency));
        (b.build().expect("valid wiring"), x, y)
    }

    #[test]
    fn a_fork_runs_ahead_while_the_original_stays_where_it_was() {
        let (sim, a, b) = pair(3, 100, 7);
        let mut run = sim.start();
        // A token for a at 20 ps, posted before the run is brought to 14 ps.
        run.post(a, Msg::Token(99), Tick(20));
        run.run_until(Tick(14));
        assert_eq!(run.now(), Tick(14));
        let received = |r: &Running, c| r.get::<Pinger>(c).unwrap().received;
        assert_eq!(received(&run, a) + received(&run, b), 2);
        let mut ahead = run.fork().expect("pingers fork");
        while ahead.step().is_some() {}
        assert_eq!(run.now(), Tick(14), "the original stays where it was");
        assert_eq!(received(&run, a) + received(&run, b), 2);
        // Both end the same way: a gets its four echoes and the posted token.
        for fin in [ahead.finish(), run.finish()] {
            assert_eq!(fin.get::<Pinger>(a).unwrap().received, 5);
            assert_eq!(fin.get::<Pinger>(b).unwrap().received, 4);
        }
    }

    #[test]
    fn ping_pong_takes_latency_per_hop() {
        let (sim, a, b) = pair(3, 100, 7);
        let fin = sim.run(RunLimits::default()).unwrap();
        // a sends at 0; b echoes each; a sends 3 more after the first reply: 8 hops of 7 ps.
        assert_eq!(fin.get::<Pinger>(b).unwrap().received, 4);
        assert_eq!(fin.get::<Pinger>(a).unwrap().received, 4);
        assert_eq!(fin.now(), Tick(8 * 7));
        assert_eq!(fin.n_events(), 8);
        assert_eq!(fin.stop_reason(), StopReason::Drained);
    }

    #[test]
    fn tick_limit_stops_the_run_without_error() {
        let (sim, _, _) = pair(1_000, 1_000, 10);
        let fin = sim
            .run(RunLimits {
                max_ticks: Some(Tick(95)),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(fin.stop_reason(), StopReason::TickLimit);
        assert_eq!(fin.n_events(), 9);
    }

    #[test]
    fn build_rejects_zero_latency_dangling_and_unknown_ports() {
        let (mut b, x, y) = {
            let mut b = SimBuilder::new();
            let x = b.add(Box::new(Pinger {
                name: "a",
                remaining: 0,
                starts: false,
                received: 0,
            }));
            let y = b.add(Box::new(Pinger {
                name: "b",
                remaining: 0,
                starts: false,
                received: 0,
            }));
            (b, x, y)
        };
        b.connect(x, "peer", y, "peer", Tick(0));
        assert!(matches!(b.build(), Err(BuildError::ZeroLatency { .. })));

        let mut b = SimBuilder::new();
        b.add(Box::new(Pinger {
            name: "a",
            remaining: 0,
            starts: false,
            received: 0,
        }));
        assert_eq!(
            b.build().err(),
            Some(BuildError::Dangling {
                component: "a".into(),
                port: "peer".into()
            })
        );

        let mut b = SimBuilder::new();
        let x = b.add(Box::new(Pinger {
            name: "a",
            remaining: 0,
            starts: false,
            received: 0,
        }));
        let y = b.add(Box::new(Pinger {
            name: "a",
            remaining: 0,
            starts: false,
            received: 0,
        }));
        b.connect(x, "nope", y, "peer", Tick(1));
        assert!(matches!(b.build(), Err(BuildError::UnknownPort { .. })));
    }

    /// A hub with a group of `n` ports, each answering a token back to where it came from.
    struct Hub {
        groups: [PortGroup; 2],
        seen: Vec<u16>,
    }
    impl Component for Hub {
        fn name(&self) -> &str {
            "hub"
        }
        fn ports(&self) -> &[PortGroup] {
            &self.groups
        }
        fn handle(&mut self, port: PortId, _msg: Msg, _ctx: &mut Ctx) {
            self.seen.push(port.0);
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    #[test]
    fn a_port_group_numbers_its_ports_after_the_groups_before_it_with_no_cap() {
        let n = 40;
        let mut b = SimBuilder::new();
        let hub = b.add(Box::new(Hub {
            groups: [PortGroup::one("ctl"), PortGroup::many("up", n)],
            seen: Vec::new(),
        }));
        let mut pingers = Vec::new();
        for i in 0..=n {
            let name: &'static str = Box::leak(format!("p{i}").into_boxed_str());
            let p = b.add(Box::new(Pinger {
                name,
                remaining: 1,
                starts: true,
                received: 0,
            }));
            pingers.push(p);
        }
        b.connect(pingers[0], "peer", hub, "ctl", Tick(1));
        for i in 0..n as usize {
            b.connect(pingers[i + 1], "peer", hub, ("up", i), Tick(1));
        }
        let fin = b.build().unwrap().run(RunLimits::default()).unwrap();
        let mut seen = fin.get::<Hub>(hub).unwrap().seen.clone();
        seen.sort();
        assert_eq!(
            seen,
            (0..=n).collect::<Vec<u16>>(),
            "ctl is 0, up[i] is 1 + i"
        );

        let mut b = SimBuilder::new();
        let hub = b.add(Box::new(Hub {
            groups: [PortGroup::one("ctl"), PortGroup::many("up", 3)],
            seen: Vec::new(),
        }));
        let p = b.add(Box::new(Pinger {
            name: "p",
            remaining: 0,
            starts: false,
            received: 0,
        }));
        b.connect(p, "peer", hub, ("up", 3), Tick(1));
        let e = b.build().err().unwrap().to_string();
        assert!(e.contains("up[3]") && e.contains("up x 3"), "{e}");
    }

    /// Each waits for a response from the other before answering anything: a classic deadlock.
    struct Waiter {
        name: &'static str,
        waiting_since: Option<Tick>,
    }
    impl Component for Waiter {
        fn name(&self) -> &str {
            self.name
        }
        fn ports(&self) -> &[PortGroup] {
            const PORTS: &[PortGroup] = &[PortGroup::one("peer")];
            PORTS
        }
        fn setup(&mut self, ctx: &mut Ctx) {
            // Both ask at once; each holds the other's request until its own is answered.
            ctx.send(PortId(0), Msg::Token(1), Tick(0));
            self.waiting_since = Some(ctx.now());
        }
        fn handle(&mut self, _port: PortId, _msg: Msg, _ctx: &mut Ctx) {}
        fn outstanding(&self, out: &mut Vec<Outstanding>) {
            if let Some(since) = self.waiting_since {
                out.push(Outstanding {
                    id: 1,
                    addr: 0x40,
                    since,
                    what: "waiting for peer",
                });
            }
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    #[test]
    fn watchdog_names_deadlocked_pair() {
        let mut b = SimBuilder::new();
        let x = b.add(Box::new(Waiter {
            name: "left",
            waiting_since: None,
        }));
        let y = b.add(Box::new(Waiter {
            name: "right",
            waiting_since: None,
        }));
        b.connect(x, "peer", y, "peer", Tick(5));
        let err = b
            .build()
            .unwrap()
            .run(RunLimits::default())
            .err()
            .expect("deadlock detected");
        let text = err.to_string();
        assert!(
            text.contains("\"left\"") && text.contains("\"right\""),
            "{text}"
        );
        assert!(text.contains("waiting for peer"), "{text}");
    }

    #[test]
    fn watchdog_catches_livelock_without_progress() {
        /// Bounces a token forever and never reports progress.
        struct Spinner(&'static str);
        impl Component for Spinner {
            fn name(&self) -> &str {
                self.0
            }
            fn ports(&self) -> &[PortGroup] {
                const PORTS: &[PortGroup] = &[PortGroup::one("peer")];
                PORTS
            }
            fn setup(&mut self, ctx: &mut Ctx) {
                ctx.send(PortId(0), Msg::Token(0), Tick(0));
            }
            fn handle(&mut self, _p: PortId, m: Msg, ctx: &mut Ctx) {
                ctx.send(PortId(0), m, Tick(0));
            }
            fn outstanding(&self, out: &mut Vec<Outstanding>) {
                out.push(Outstanding {
                    id: 9,
                    addr: 0,
                    since: Tick(0),
                    what: "spinning",
                });
            }
            fn as_any(&self) -> &dyn Any {
                self
            }
        }
        let mut b = SimBuilder::new();
        let x = b.add(Box::new(Spinner("s1")));
        let y = b.add(Box::new(Spinner("s2")));
        b.connect(x, "peer", y, "peer", Tick(3));
        let limits = RunLimits {
            watchdog: Some(Tick(1000)),
            ..Default::default()
        };
        let err = b
            .build()
            .unwrap()
            .run(limits)
            .err()
            .expect("livelock detected");
        let text = err.to_string();
        assert!(
            text.contains("no progress") && text.contains("\"s1\"") && text.contains("\"s2\""),
            "{text}"
        );
    }
}
