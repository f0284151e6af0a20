//! The component contract and the context a component acts through.

use std::any::Any;

use super::msg::Msg;
use super::queue::{EventQueue, Payload};
use super::time::Tick;
use crate::stats::StatTree;

/// A component's index in its simulation, given by [`super::SimBuilder::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId(pub u32);

/// A port's index in its component's [`Component::ports`] list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortId(pub u16);

impl PortId {
    /// The pseudo-port on which a component receives the wake-ups it scheduled for itself.
    pub const SELF: PortId = PortId(u16::MAX);
}

/// A group of `count` ports sharing one name: a component with several upper neighbours (a
/// cache, a DRAM) or endpoints (a mesh) declares one group instead of a name per port. The group's
/// ports are `name[0]` .. `name[count - 1]`; a group of one is just `name`. A component's
/// [`PortId`]s number its groups' ports in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortGroup {
    /// The group's name.
    pub name: &'static str,
    /// How many ports it has.
    pub count: u16,
}

impl PortGroup {
    /// A single port.
    pub const fn one(name: &'static str) -> PortGroup {
        PortGroup { name, count: 1 }
    }

    /// `count` ports named `name`.
    pub const fn many(name: &'static str, count: u16) -> PortGroup {
        PortGroup { name, count }
    }
}

/// A port named in [`super::SimBuilder::connect`]: a group's name and the index in it (0 for a
/// single port). `"net"` converts to `("net", 0)`, and `("up", 3)` names the fourth port of `up`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRef<'a> {
    /// The group's name.
    pub group: &'a str,
    /// The index in the group.
    pub index: usize,
}

impl<'a> From<&'a str> for PortRef<'a> {
    fn from(group: &'a str) -> PortRef<'a> {
        PortRef { group, index: 0 }
    }
}

impl<'a> From<(&'a str, usize)> for PortRef<'a> {
    fn from((group, index): (&'a str, usize)) -> PortRef<'a> {
        PortRef { group, index }
    }
}

/// The display name of port `index` of `group` (`up[3]`, or `net` for a single port).
pub fn port_name(group: &PortGroup, index: usize) -> String {
    if group.count == 1 {
        group.name.to_string()
    } else {
        format!("{}[{index}]", group.name)
    }
}

/// A request a component is still waiting on, reported to the watchdog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outstanding {
    /// The request's id.
    pub id: u64,
    /// Its address, if it has one.
    pub addr: u64,
    /// When the component started waiting.
    pub since: Tick,
    /// A short description ("read miss", "waiting for token").
    pub what: &'static str,
}

/// A simulated hardware component.
///
/// Lifecycle, in the order the engine calls it: the owner builds the component and adds it to a
/// [`super::SimBuilder`]; `setup` runs once before time starts (schedule the first events there);
/// `handle` runs for every message delivered to one of its ports or to [`PortId::SELF`];
/// `finish` runs once when the run stops. `outstanding` is only called by the watchdog, off the hot path.
///
/// Contract: a component changes only its own state and talks to others only through [`Ctx::send`].
/// `handle` must not allocate on its common path. Methods with defaults may be left out.
pub trait Component: Any {
    /// A unique, human-readable instance name ("l1d", "dram.ch0").
    fn name(&self) -> &str;

    /// This component's ports, as groups; a port's [`PortId`] counts the ports of the groups
    /// before its own, plus its index in its group. Default: none.
    fn ports(&self) -> &[PortGroup] {
        &[]
    }

    /// Called once before time starts. Default: nothing.
    fn setup(&mut self, _ctx: &mut Ctx) {}

    /// Handles one message delivered on `port` at `ctx.now()`.
    fn handle(&mut self, port: PortId, msg: Msg, ctx: &mut Ctx);

    /// Called once when the run ends, at the final time. Default: nothing.
    fn finish(&mut self, _now: Tick) {}

    /// Appends the requests this component is still waiting on. Default: none.
    fn outstanding(&self, _out: &mut Vec<Outstanding>) {}

    /// Adds this component's statistics to `out`, named `prefix.field` (a component that owns
    /// embedded ones adds theirs under `prefix.<part>`). Called by its owner after the run, off
    /// the hot path. Default: it has none.
    fn collect_stats(&self, _prefix: &str, _out: &mut StatTree) {}

    /// A copy of this component in its current state, for [`super::Running::fork`]; None if it
    /// cannot be copied. Default: None.
    fn fork(&self) -> Option<Box<dyn Component>> {
        None
    }

    /// The component as `Any`, so its owner can read its typed statistics after the run.
    fn as_any(&self) -> &dyn Any;
}

/// The far end of a link, as seen from one port.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkEnd {
    pub(crate) dst: u32,
    pub(crate) dst_port: u16,
    pub(crate) latency_ps: u64,
}

/// What a component may do while handling a message: read the time, send, schedule, report progress.
pub struct Ctx<'a> {
    pub(super) now: Tick,
    pub(super) me: ComponentId,
    pub(super) port_base: u32,
    pub(super) links: &'a [Option<LinkEnd>],
    pub(super) queue: &'a mut EventQueue,
    pub(super) last_progress: &'a mut Tick,
}

impl Ctx<'_> {
    /// The current time.
    #[inline]
    pub fn now(&self) -> Tick {
        self.now
    }

    /// This component's id.
    #[inline]
    pub fn me(&self) -> ComponentId {
        self.me
    }

    /// Sends `msg` out of `port`; it arrives after the link's latency plus `extra` ticks.
    ///
    /// Panics if the port is not connected: `SimBuilder::build` rejects dangling ports, so this is a bug.
    #[inline]
    pub fn send(&mut self, port: PortId, msg: Msg, extra: Tick) {
        let end = self.links[(self.port_base + port.0 as u32) as usize]
            .expect("build() checked that every declared port is connected");
        let tick = self.now.0 + end.latency_ps + extra.0;
        self.push(tick, end.dst, end.dst_port, msg);
    }

    /// Schedules `msg` back to this component on [`PortId::SELF`] after `delay`.
    #[inline]
    pub fn wake_after(&mut self, delay: Tick, msg: Msg) {
        let tick = self.now.0 + delay.0;
        self.push(tick, self.me.0, PortId::SELF.0, msg);
    }

    /// The time of the earliest event still pending (not counting the one being handled), if any.
    ///
    /// Nothing can be delivered to any component before it: every future event is scheduled by a
    /// handler running at or after that time. A component may use this to advance its own state
    /// over the quiet interval without scheduling an event per step.
    #[inline]
    pub fn next_event_tick(&self) -> Option<Tick> {
        self.queue.peek_tick().map(Tick)
    }

    /// The context for a component embedded in this one (owned as a field and driven by direct
    /// calls, so it costs no events): the embedded component's port `i` is this component's port
    /// `first + i`. Its self wake-ups would come to this component, so an embedded component must
    /// not schedule any.
    #[inline]
    pub fn embedded(&mut self, first: PortId) -> Ctx<'_> {
        Ctx {
            now: self.now,
            me: self.me,
            port_base: self.port_base + first.0 as u32,
            links: self.links,
            queue: self.queue,
            last_progress: self.last_progress,
        }
    }

    /// Records that useful work completed now; the watchdog measures stalls from the last progress.
    #[inline]
    pub fn progress(&mut self) {
        *self.last_progress = self.now;
    }

    #[inline]
    fn push(&mut self, tick: u64, dst: u32, port: u16, msg: Msg) {
        self.queue.push(tick, Payload { dst, port, msg });
    }
}

/// A component's wake-up call to itself, kept at the earliest time asked for: a request later than
/// the pending one is dropped; an earlier one replaces it, and the replaced event, when it arrives,
/// is recognised by [`Alarm::ring`] and ignored. Saves an event per redundant request.
#[derive(Debug, Default, Clone, Copy)]
pub struct Alarm {
    at: Option<Tick>,
}

impl Alarm {
    /// Makes sure `Msg::Wake(0)` arrives no later than the first edge of `clock` at or after `at`.
    pub fn set(&mut self, clock: super::time::Clock, at: Tick, ctx: &mut Ctx) {
        self.set_edge(clock.next_edge(at.max(ctx.now())), ctx);
    }

    /// [`Alarm::set`] for a time the caller knows is a clock edge, not before now (no division).
    /// True if the alarm now rings at `edge` (it was later, or not set).
    #[inline]
    pub fn set_edge(&mut self, edge: Tick, ctx: &mut Ctx) -> bool {
        debug_assert!(edge >= ctx.now(), "an alarm in the past");
        if self.at.is_some_and(|w| w <= edge) {
            return false;
        }
        self.at = Some(edge);
        ctx.wake_after(Tick(edge.0 - ctx.now().0), Msg::Wake(0));
        true
    }

    /// Called on a `Wake`: true (and the alarm is cleared) if it is the pending one, false if it
    /// was replaced by an earlier one.
    pub fn ring(&mut self, now: Tick) -> bool {
        if self.at != Some(now) {
            return false;
        }
        self.at = None;
        true
    }
}
