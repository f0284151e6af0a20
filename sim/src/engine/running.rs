//! Driving a simulation from outside: `Sim::start` → `Running` (post, run to a time, fork,
//! finish), for a one-pass model that asks a block on the engine for answers as it goes.

use std::time::Instant;

use super::component::{Component, ComponentId, Ctx, PortId};
use super::msg::Msg;
use super::sim::{Finished, Sim, StopReason};
use super::time::Tick;

/// A simulation driven step by step from outside, for a model that times in one pass and asks a
/// block on the engine for answers as it goes (`blocks/memory/detailed.rs`): [`Sim::start`] runs
/// `setup`; [`Running::post`] delivers a message to a component's [`PortId::SELF`] at a given
/// time; [`Running::run_until`] delivers every event up to a time; [`Running::fork`] copies the
/// whole simulation, so the copy can be run ahead to find an answer while the original stays
/// where it is; [`Running::finish`] drains it into a [`Finished`].
///
/// Contract: a component may simulate ahead of the engine up to the earliest pending event
/// ([`Ctx::next_event_tick`]); so a message must be posted *before* the run is brought to its
/// time, and never earlier than the latest time posted so far. Both are checked: `run_until`
/// goes no further than the latest post, and a run stepped freely ([`Running::step`], as a fork
/// run ahead is) takes no more posts.
pub struct Running {
    sim: Sim,
    now: Tick,
    last_progress: Tick,
    n_events: u64,
    latest_post: Tick,
    /// Stepped freely: components may have simulated past any time, so nothing may be posted.
    free: bool,
    started: Instant,
}

impl Sim {
    /// Runs `setup` on every component and returns the simulation, ready to be driven.
    pub fn start(mut self) -> Running {
        let mut last_progress = Tick(0);
        self.setup_all(&mut last_progress);
        Running {
            sim: self,
            now: Tick(0),
            last_progress,
            n_events: 0,
            latest_post: Tick(0),
            free: false,
            started: Instant::now(),
        }
    }
}

impl Running {
    /// The time of the last event delivered.
    pub fn now(&self) -> Tick {
        self.now
    }

    /// The latest time a message was posted for (a later post may not be earlier).
    pub fn latest_post(&self) -> Tick {
        self.latest_post
    }

    /// Events delivered so far.
    pub fn n_events(&self) -> u64 {
        self.n_events
    }

    /// Schedules `msg` for component `dst`'s [`PortId::SELF`] at `at`.
    ///
    /// Panics if `at` is earlier than the latest post or the last event delivered, or if the run
    /// was stepped freely: a component may already have simulated up to there (a bug of the
    /// caller).
    pub fn post(&mut self, dst: ComponentId, msg: Msg, at: Tick) {
        assert!(!self.free, "posted to a run that was stepped freely");
        assert!(
            at >= self.latest_post && at >= self.now,
            "posted for {} ps, after the simulation reached {} ps",
            at.0,
            self.latest_post.0.max(self.now.0)
        );
        self.latest_post = at;
        self.sim.queue.push(
            at.0,
            super::queue::Payload {
                dst: dst.0,
                port: PortId::SELF.0,
                msg,
            },
        );
    }

    /// Delivers the earliest pending event, if any, and returns its time. The run then takes no
    /// more posts.
    pub fn step(&mut self) -> Option<Tick> {
        self.free = true;
        self.deliver()
    }

    fn deliver(&mut self) -> Option<Tick> {
        let (tick, ev) = self.sim.queue.pop()?;
        self.now = Tick(tick);
        self.n_events += 1;
        let i = ev.dst as usize;
        let mut ctx = Ctx {
            now: self.now,
            me: ComponentId(ev.dst),
            port_base: self.sim.port_base[i],
            links: &self.sim.links,
            queue: &mut self.sim.queue,
            last_progress: &mut self.last_progress,
        };
        self.sim.components[i].handle(PortId(ev.port), ev.msg, &mut ctx);
        Some(self.now)
    }

    /// Delivers every event at or before `until`, which may not be later than the latest post
    /// (a component could otherwise simulate past a time that is still to be posted for).
    pub fn run_until(&mut self, until: Tick) {
        assert!(
            until <= self.latest_post,
            "run to {} ps, past the latest post at {} ps",
            until.0,
            self.latest_post.0
        );
        while self.sim.queue.peek_tick().is_some_and(|t| t <= until.0) {
            self.deliver();
        }
    }

    /// A copy of the whole simulation in its current state, or None if a component cannot be
    /// copied ([`Component::fork`]).
    pub fn fork(&self) -> Option<Running> {
        let components = self
            .sim
            .components
            .iter()
            .map(|c| c.fork())
            .collect::<Option<Vec<_>>>()?;
        Some(Running {
            sim: Sim {
                components,
                port_base: self.sim.port_base.clone(),
                links: self.sim.links.clone(),
                queue: self.sim.queue.clone(),
            },
            now: self.now,
            last_progress: self.last_progress,
            n_events: self.n_events,
            latest_post: self.latest_post,
            free: self.free,
            started: self.started,
        })
    }

    /// The component with this id, downcast to its concrete type.
    pub fn get<T: Component>(&self, id: ComponentId) -> Option<&T> {
        self.sim.components[id.0 as usize]
            .as_any()
            .downcast_ref::<T>()
    }

    /// Adds the statistics of component `id` to `out` under `prefix`.
    pub fn collect_stats(&self, id: ComponentId, prefix: &str, out: &mut crate::stats::StatTree) {
        self.sim.components[id.0 as usize].collect_stats(prefix, out);
    }

    /// Delivers everything still pending, runs `finish`, and returns the finished run.
    pub fn finish(mut self) -> Finished {
        while self.deliver().is_some() {}
        for c in &mut self.sim.components {
            c.finish(self.now);
        }
        Finished {
            components: self.sim.components,
            now: self.now,
            n_events: self.n_events,
            stop: StopReason::Drained,
            wall: self.started.elapsed(),
        }
    }
}
