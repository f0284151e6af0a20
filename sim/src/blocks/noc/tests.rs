//! Network timing rules against closed forms, contention, bandwidth and response routing.

use std::any::Any;

use super::*;
use crate::blocks::requester::{Request, Requester};
use crate::engine::{RunLimits, SimBuilder};

/// Records request arrival ticks and answers at once.
struct Target {
    name: String,
    arrivals: Vec<Tick>,
}
impl Component for Target {
    fn name(&self) -> &str {
        &self.name
    }
    fn ports(&self) -> &[PortGroup] {
        const PORTS: &[PortGroup] = &[PortGroup::one("net")];
        PORTS
    }
    fn handle(&mut self, p: PortId, m: Msg, ctx: &mut Ctx) {
        let Msg::Req(r) = m else { panic!() };
        self.arrivals.push(ctx.now());
        ctx.send(p, Msg::Resp(r), Tick(0));
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A send: (time in ps, address, kind).
type Send = (u64, u64, AccessKind);
/// What a run returns: responses per source, arrivals per target, stats.
type Outcome = (Vec<Vec<(u64, Tick)>>, Vec<Vec<Tick>>, NocStats);

const NS: u64 = 1000; // 1 GHz: one cycle is 1000 ps.

/// A network of `cfg`, a source on each endpoint in `sources` (its sends), targets on the rest.
fn run(cfg: NocConfig, sources: Vec<(usize, Vec<Send>)>) -> Outcome {
    let spec = cfg.resolve("noc").unwrap();
    let n = spec.n_endpoints as usize;
    let mut b = SimBuilder::new();
    let noc = b.add(Box::new(Noc::new("noc", spec, Clock::from_mhz(1000.0))));
    let mut src_ids = Vec::new();
    let mut tgt_ids = vec![None; n];
    for (e, tgt) in tgt_ids.iter_mut().enumerate() {
        if let Some((_, sends)) = sources.iter().find(|(s, _)| *s == e) {
            let reqs = sends
                .clone()
                .into_iter()
                .map(|(at_ps, addr, kind)| Request {
                    at_ps,
                    addr,
                    size: 64,
                    kind,
                });
            let id = b.add(Box::new(Requester::new(
                &format!("s{e}"),
                "net",
                reqs,
                u64::MAX,
            )));
            b.connect(id, "net", noc, ("ep", e), Tick(1));
            src_ids.push(id);
        } else {
            let id = b.add(Box::new(Target {
                name: format!("t{e}"),
                arrivals: Vec::new(),
            }));
            b.connect(id, "net", noc, ("ep", e), Tick(1));
            *tgt = Some(id);
        }
    }
    let fin = b.build().unwrap().run(RunLimits::default()).unwrap();
    let got = src_ids
        .iter()
        .map(|&i| fin.get::<Requester>(i).unwrap().answers.clone())
        .collect();
    let arr = tgt_ids
        .iter()
        .map(|i| {
            i.map(|i| fin.get::<Target>(i).unwrap().arrivals.clone())
                .unwrap_or_default()
        })
        .collect();
    (got, arr, *fin.get::<Noc>(noc).unwrap().stats())
}

fn mesh(targets: Vec<u64>) -> NocConfig {
    NocConfig {
        topology: Topology::Mesh,
        n_endpoints: None,
        mesh_cols: Some(4),
        mesh_rows: Some(4),
        hop_latency_cycles: 2,
        link_bytes_per_cycle: 16,
        header_bytes: 8,
        targets,
        interleave_bytes: 64,
    }
}

#[test]
fn mesh_latency_is_manhattan_distance_plus_one_routers_plus_serialization() {
    // Endpoint 0 at (0, 0) reads from endpoint 15 at (3, 3): 6 links, 7 routers.
    // Request: 8 header bytes -> 1 cycle; it reaches the NoC at 1 ps, injected at the next edge (1 ns).
    let (got, arr, s) = run(mesh(vec![15]), vec![(0, vec![(0, 0, AccessKind::Read)])]);
    let req_arrive = NS + (7 * 2 + 1) * NS + 1; // + 1 ps link to the target
    assert_eq!(arr[15], vec![Tick(req_arrive)]);
    // Response: 8 + 64 bytes -> 5 cycles, back over 7 routers, injected at the next edge.
    let resp_inject = (req_arrive + 1).div_ceil(NS) * NS;
    assert_eq!(got[0], vec![(0, Tick(resp_inject + (7 * 2 + 5) * NS + 1))]);
    assert_eq!(s.router_hops, 14);
}

#[test]
fn crossbar_latency_is_one_router_plus_serialization() {
    let cfg = NocConfig {
        topology: Topology::Crossbar,
        n_endpoints: Some(8),
        mesh_cols: None,
        mesh_rows: None,
        hop_latency_cycles: 3,
        link_bytes_per_cycle: 8,
        header_bytes: 8,
        targets: vec![7],
        interleave_bytes: 64,
    };
    let (_, arr, _) = run(cfg, vec![(0, vec![(0, 0, AccessKind::Write)])]);
    // Write request: 8 + 64 bytes over 8-byte links = 9 cycles.
    assert_eq!(arr[7], vec![Tick(NS + (3 + 9) * NS + 1)]);
}

#[test]
fn two_messages_sharing_a_link_serialize() {
    // Sources 0 and 1 both send to 3 (same row): they share the link 1 -> 2 and 2 -> 3.
    let (_, arr, s) = run(
        mesh(vec![3]),
        vec![
            (0, vec![(0, 0, AccessKind::Write)]),
            (1, vec![(0, 0, AccessKind::Write)]),
        ],
    );
    let mut a = arr[3].clone();
    a.sort();
    // Each write is 72 bytes = 5 cycles of a 16-byte link; the later one waits for the earlier.
    assert_eq!(a[1].0 - a[0].0, 5 * NS);
    assert!(s.contention_cycles > 0);
}

#[test]
fn a_stream_reaches_the_link_bandwidth() {
    let n = 200u64;
    let sends: Vec<_> = (0..n).map(|_| (0, 0, AccessKind::Write)).collect();
    let (_, arr, _) = run(mesh(vec![1]), vec![(0, sends)]);
    let a = &arr[1];
    let span = a.last().unwrap().0 - a.first().unwrap().0;
    // 72-byte messages over 16-byte links: one per 5 cycles.
    assert_eq!(span, (n - 1) * 5 * NS);
}

#[test]
fn responses_return_to_their_source_with_their_own_ids() {
    let sends = |base: u64| {
        (0..10)
            .map(|i| (i * 300, base + i * 64, AccessKind::Read))
            .collect::<Vec<_>>()
    };
    let (got, _, s) = run(mesh(vec![5, 10]), vec![(0, sends(0)), (15, sends(640))]);
    for g in &got {
        let mut ids: Vec<u64> = g.iter().map(|&(id, _)| id).collect();
        ids.sort();
        assert_eq!(ids, (0..10).collect::<Vec<_>>());
    }
    assert_eq!((s.requests, s.responses), (20, 20));
}

#[test]
fn bad_network_configs_name_the_key() {
    let mut c = mesh(vec![16]);
    assert_eq!(c.resolve("noc").unwrap_err().key, "noc.targets");
    c = mesh(vec![1]);
    c.mesh_rows = None;
    assert_eq!(c.resolve("noc").unwrap_err().key, "noc.mesh_rows");
}
