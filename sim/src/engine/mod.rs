//! The discrete-event engine: typed time, messages, components, links and the run loop.
//!
//! Events are ordered by `(tick, seq)`, so ties resolve in the order they were scheduled and a run is
//! deterministic. Components own their state and talk only through [`Msg`]s sent on links that carry a
//! latency; a component with nothing to do schedules nothing and costs nothing.
//!
//! **Architecture Invariant:** the engine names no block or machine. It knows components by a small
//! integer id and ports by a small integer index; everything above it plugs in through [`Component`].

mod component;
mod msg;
mod queue;
mod running;
mod sim;
mod time;

pub use component::{
    port_name, Alarm, Component, ComponentId, Ctx, Outstanding, PortGroup, PortId, PortRef,
};
pub use msg::{AccessKind, MemReq, Msg, Split};
pub use running::Running;
pub use sim::{BuildError, Finished, RunError, RunLimits, Sim, SimBuilder, StopReason};
pub use time::{Clock, Cycle, Tick};
