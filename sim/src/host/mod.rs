//! Helpers for the host machine running the simulation: a fast hash map for integer keys and
//! cache and page hints. They change the simulator's speed only, never what it simulates, and
//! know nothing of the models.

pub mod hash;
pub mod hints;
