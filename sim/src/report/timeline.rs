//! Timelines: what ran on which track, and when, as typed spans that every machine emits the same
//! way; written as Chrome trace-event JSON (`timeline.json`, for Perfetto and `chrome://tracing`)
//! by one writer, and drawn as a Gantt chart from the same spans.
//!
//! **Invariant:** spans on one track never partially overlap (they are disjoint or nest), in
//! cycles and in the whole nanoseconds Perfetto imports the trace in ([`check_nesting`]). The
//! trace-event format forbids partial overlap, and Perfetto drops such slices.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::blocks::dataflow::{Schedule, TaskGraph, TaskId};

/// A machine's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The clock the spans count cycles of, in MHz.
    pub clock_mhz: f64,
    /// The tracks' names, in display order.
    pub tracks: Vec<String>,
    /// The spans.
    pub spans: Vec<Span>,
}

/// One span: a task, kernel call or pass on one track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// Index of its track in [`Timeline::tracks`].
    pub track: usize,
    /// What ran.
    pub name: String,
    /// Its kind, for colours and filters (`FF`, `operator`).
    pub category: String,
    /// First cycle.
    pub start_cycle: u64,
    /// Cycles it lasted.
    pub cycles: u64,
    /// Further counts shown with it in a trace viewer (instructions).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, u64>,
}

impl Timeline {
    /// An empty timeline at `clock_mhz` with these tracks.
    pub fn new(clock_mhz: f64, tracks: Vec<String>) -> Timeline {
        Timeline {
            clock_mhz,
            tracks,
            spans: Vec::new(),
        }
    }

    /// A dataflow schedule at `clock_mhz`: a track per resource, or per unit of a resource of a
    /// few units (a DRAM channel: a task holding k channels is on k tracks), so that no two spans
    /// on a track overlap ([`Schedule::lanes`]).
    pub fn from_schedule(s: &Schedule, g: &TaskGraph, clock_mhz: f64) -> Timeline {
        let (tracks, lanes) = s.lanes(g);
        let mut t = Timeline::new(clock_mhz, tracks);
        for (i, on) in lanes.iter().enumerate() {
            let task = g.task(TaskId(i));
            for &track in on {
                t.spans.push(Span {
                    track,
                    name: task.name.clone(),
                    category: task.category.clone(),
                    start_cycle: s.start[i],
                    cycles: task.duration,
                    args: BTreeMap::new(),
                });
            }
        }
        t
    }

    /// Whole nanoseconds at cycle `cycle` (monotone in the cycle, so order is kept).
    pub fn ns(&self, cycle: u64) -> u64 {
        (cycle as f64 * 1000.0 / self.clock_mhz).round() as u64
    }

    /// The timeline as Chrome trace-event JSON: a `thread_name` record per track, then a
    /// complete event (`"ph": "X"`) per span, with `ts` and `dur` in microseconds, the format's
    /// unit, holding whole nanoseconds.
    pub fn chrome_trace(&self) -> serde_json::Value {
        serde_json::from_str(&self.chrome_trace_text()).expect("a trace sparsim writes parses")
    }

    /// [`Timeline::chrome_trace`] as JSON text, written span by span without building a JSON
    /// tree (a 100,000-layer run has millions of spans). Keys are in alphabetical order, as a
    /// `serde_json::Value` writes them.
    pub fn chrome_trace_text(&self) -> String {
        #[derive(Serialize)]
        struct Meta<'a> {
            args: MetaArgs<'a>,
            name: &'a str,
            ph: &'a str,
            pid: u32,
            tid: usize,
        }
        #[derive(Serialize)]
        struct MetaArgs<'a> {
            name: &'a str,
        }
        #[derive(Serialize)]
        struct Complete<'a> {
            args: BTreeMap<&'a str, u64>,
            cat: &'a str,
            dur: f64,
            name: &'a str,
            ph: &'a str,
            pid: u32,
            tid: usize,
            ts: f64,
        }
        let mut out = String::with_capacity(64 + 160 * (self.tracks.len() + self.spans.len()));
        out.push_str("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
        let mut first = true;
        let mut push = |out: &mut String, event: String| {
            if !std::mem::take(&mut first) {
                out.push(',');
            }
            out.push_str(&event);
        };
        for (tid, name) in self.tracks.iter().enumerate() {
            let m = Meta {
                args: MetaArgs { name },
                name: "thread_name",
                ph: "M",
                pid: 1,
                tid,
            };
            push(
                &mut out,
                serde_json::to_string(&m).expect("plain data serializes"),
            );
        }
        for s in &self.spans {
            let (start, end) = (self.ns(s.start_cycle), self.ns(s.start_cycle + s.cycles));
            let mut args: BTreeMap<&str, u64> =
                [("start_cycle", s.start_cycle), ("cycles", s.cycles)].into();
            for (k, v) in &s.args {
                args.insert(k, *v);
            }
            let c = Complete {
                args,
                cat: &s.category,
                dur: (end - start) as f64 / 1000.0,
                name: &s.name,
                ph: "X",
                pid: 1,
                tid: s.track,
                ts: start as f64 / 1000.0,
            };
            push(
                &mut out,
                serde_json::to_string(&c).expect("plain data serializes"),
            );
        }
        out.push_str("]}");
        out
    }

    /// The bars of a Gantt chart: (track, category, first cycle, end cycle) per span, track by
    /// track in the timeline's order (a chart draws its rows in the order bars first name them).
    pub fn gantt_bars(&self) -> Vec<(String, String, u64, u64)> {
        let mut spans: Vec<&Span> = self.spans.iter().collect();
        spans.sort_by_key(|s| s.track);
        spans
            .into_iter()
            .map(|s| {
                (
                    self.tracks[s.track].clone(),
                    s.category.clone(),
                    s.start_cycle,
                    s.start_cycle + s.cycles,
                )
            })
            .collect()
    }
}

/// A complete event's start and end in whole nanoseconds, and its name.
type NsSpan = (i64, i64, String);

/// Checks that a Chrome trace's complete events nest on every track (`pid`, `tid`): any two
/// are disjoint or one holds the other, compared in whole nanoseconds as Perfetto imports them.
/// Returns the first pair that partially overlaps.
pub fn check_nesting(trace: &serde_json::Value) -> Result<(), String> {
    let events = trace["traceEvents"]
        .as_array()
        .ok_or("no traceEvents array")?;
    let mut tracks: BTreeMap<(i64, i64), Vec<NsSpan>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let ns = |k: &str| e[k].as_f64().map(|us| (us * 1000.0).round() as i64);
        let (Some(ts), Some(dur)) = (ns("ts"), ns("dur")) else {
            return Err(format!("a complete event without ts or dur: {e}"));
        };
        let key = (
            e["pid"].as_i64().unwrap_or(0),
            e["tid"].as_i64().unwrap_or(0),
        );
        let name = e["name"].as_str().unwrap_or("").to_string();
        tracks.entry(key).or_default().push((ts, ts + dur, name));
    }
    for ((pid, tid), mut spans) in tracks {
        // By start, longer first: each span must end within every open span that holds it.
        spans.sort_by_key(|s| (s.0, -s.1));
        let mut open: Vec<&NsSpan> = Vec::new();
        for s in &spans {
            while open.last().is_some_and(|o| o.1 <= s.0) {
                open.pop();
            }
            if let Some(o) = open.last() {
                if s.1 > o.1 {
                    return Err(format!(
                        "track {pid}/{tid}: {:?} [{} ns, {} ns) and {:?} [{} ns, {} ns) overlap without nesting",
                        o.2, o.0, o.1, s.2, s.0, s.1
                    ));
                }
            }
            open.push(s);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(track: usize, start: u64, cycles: u64) -> Span {
        Span {
            track,
            name: format!("{track}@{start}"),
            category: "t".into(),
            start_cycle: start,
            cycles,
            args: BTreeMap::new(),
        }
    }

    #[test]
    fn the_trace_gives_microseconds_of_whole_nanoseconds_and_one_event_per_span() {
        let mut t = Timeline::new(200.0, vec!["array".into()]);
        t.spans = vec![span(0, 0, 200), span(0, 200, 100)];
        let trace = t.chrome_trace();
        let x: Vec<&serde_json::Value> = trace["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "X")
            .collect();
        assert_eq!(x.len(), 2);
        assert_eq!(x[1]["ts"], 1.0, "200 cycles at 200 MHz");
        assert_eq!(x[1]["dur"], 0.5);
        assert_eq!(t.gantt_bars()[1], ("array".into(), "t".into(), 200, 300));
        assert_eq!(check_nesting(&trace), Ok(()));
    }

    #[test]
    fn partial_overlap_on_a_track_is_found_and_nesting_is_not() {
        let mut t = Timeline::new(1000.0, vec!["a".into(), "b".into()]);
        t.spans = vec![span(0, 0, 100), span(0, 10, 20), span(1, 50, 100)];
        assert_eq!(check_nesting(&t.chrome_trace()), Ok(()));
        t.spans.push(span(0, 90, 20));
        let e = check_nesting(&t.chrome_trace()).unwrap_err();
        assert!(e.contains("overlap without nesting"), "{e}");
    }
}
