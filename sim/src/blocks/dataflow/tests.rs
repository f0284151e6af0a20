//! The scheduler against closed forms, and its invariants on random graphs.

use proptest::prelude::*;

use super::*;

fn task(name: &str, duration: u64, needs: Vec<(ResourceId, u64)>) -> Task {
    Task {
        name: name.into(),
        category: "t".into(),
        duration,
        needs,
    }
}

#[test]
fn a_chain_runs_back_to_back_and_its_length_is_the_makespan() {
    let mut g = TaskGraph::new();
    let a = g.add_task(task("a", 2, vec![]));
    let b = g.add_task(task("b", 3, vec![]));
    let c = g.add_task(task("c", 4, vec![]));
    g.add_dep(a, b);
    g.add_dep(b, c);
    let s = g.schedule(&Priority::CriticalPath).unwrap();
    assert_eq!(s.start, vec![0, 2, 5]);
    assert_eq!(s.makespan, 9);
    assert_eq!(s.critical_path, vec![a, b, c]);
    assert_eq!(g.critical_path_length().unwrap(), 9);
}

#[test]
fn a_fork_join_overlaps_its_branches_unless_they_share_a_unit() {
    // a(1) -> {b(5), c(3)} -> d(2)
    let build = |capacity: u64| {
        let mut g = TaskGraph::new();
        let pe = g.add_resource("array", capacity);
        let a = g.add_task(task("a", 1, vec![]));
        let b = g.add_task(task("b", 5, vec![(pe, 1)]));
        let c = g.add_task(task("c", 3, vec![(pe, 1)]));
        let d = g.add_task(task("d", 2, vec![]));
        for (x, y) in [(a, b), (a, c), (b, d), (c, d)] {
            g.add_dep(x, y);
        }
        g
    };
    let s = build(2).schedule(&Priority::CriticalPath).unwrap();
    assert_eq!(s.makespan, 1 + 5 + 2);
    assert_eq!(s.utilisation, vec![(5.0 + 3.0) / (2.0 * 8.0)]);
    // One unit: the branches take turns, the longer first (its path to the end is longer).
    let s = build(1).schedule(&Priority::CriticalPath).unwrap();
    assert_eq!(s.makespan, 1 + 5 + 3 + 2);
    assert_eq!((s.start[1], s.start[2]), (1, 6));
    assert_eq!(
        s.critical_path,
        vec![TaskId(0), TaskId(1), TaskId(2), TaskId(3)],
        "c waited for b's unit, so b is on the critical path"
    );
}

#[test]
fn independent_tasks_on_two_resources_run_side_by_side() {
    let mut g = TaskGraph::new();
    let array = g.add_resource("array", 1);
    let dma = g.add_resource("dma", 1);
    for i in 0..3 {
        g.add_task(task(&format!("mac{i}"), 10, vec![(array, 1)]));
        g.add_task(task(&format!("load{i}"), 4, vec![(dma, 1)]));
    }
    let s = g.schedule(&Priority::CriticalPath).unwrap();
    assert_eq!(
        s.makespan, 30,
        "the array's 3 x 10 cycles; the DMA hides under it"
    );
    assert_eq!(s.utilisation, vec![1.0, 12.0 / 30.0]);
}

#[test]
fn a_static_order_is_kept_even_where_another_would_be_faster() {
    // In order: long(10) on the array, then short(1) on the DMA must wait to start after it
    // started (it may run beside it), then tail(5) on the DMA after short.
    let mut g = TaskGraph::new();
    let array = g.add_resource("array", 1);
    let dma = g.add_resource("dma", 1);
    let a = g.add_task(task("a", 10, vec![(array, 1)]));
    let b = g.add_task(task("b", 10, vec![(array, 1)]));
    let c = g.add_task(task("c", 1, vec![(dma, 1)]));
    // In this order c waits for b to start, so for a to end: a, b, c strictly.
    let s = g.schedule(&Priority::Order(vec![a, b, c])).unwrap();
    assert_eq!((s.start[0], s.start[1], s.start[2]), (0, 10, 10));
    // By critical path c runs at once beside a.
    let s = g.schedule(&Priority::CriticalPath).unwrap();
    assert_eq!(s.start[2], 0);
    assert!(matches!(
        g.schedule(&Priority::Order(vec![a, b])),
        Err(DataflowError::BadOrder(_))
    ));
    let mut h = g.clone();
    h.add_dep(c, a);
    assert!(matches!(
        h.schedule(&Priority::Order(vec![a, b, c])),
        Err(DataflowError::BadOrder(_))
    ));
}

#[test]
fn cycles_and_tasks_bigger_than_a_resource_are_refused() {
    let mut g = TaskGraph::new();
    let r = g.add_resource("buffer", 4);
    let a = g.add_task(task("a", 1, vec![(r, 5)]));
    assert!(matches!(
        g.schedule(&Priority::CriticalPath),
        Err(DataflowError::TooBig {
            need: 5,
            capacity: 4,
            ..
        })
    ));
    let mut g = TaskGraph::new();
    let a2 = g.add_task(task("a", 1, vec![]));
    let b = g.add_task(task("b", 1, vec![]));
    g.add_dep(a2, b);
    g.add_dep(b, a2);
    assert!(matches!(
        g.schedule(&Priority::CriticalPath),
        Err(DataflowError::Cycle(_))
    ));
    let _ = a;
}

#[test]
fn tasks_on_a_resource_of_several_units_get_lanes_that_never_overlap() {
    // Two channels: a 2-channel task, then two 1-channel tasks side by side, and a task that
    // holds nothing.
    let mut g = TaskGraph::new();
    let array = g.add_resource("array", 1);
    let dram = g.add_resource("dram", 2);
    let a = g.add_task(task("ff", 200, vec![(array, 1), (dram, 2)]));
    let b = g.add_task(task("gen", 100, vec![(dram, 1)]));
    let c = g.add_task(task("bp", 300, vec![(array, 1), (dram, 1)]));
    let d = g.add_task(task("sum", 50, vec![]));
    g.add_dep(a, b);
    g.add_dep(a, c);
    let s = g.schedule(&Priority::CriticalPath).unwrap();
    let (names, lanes) = s.lanes(&g);
    assert_eq!(names, ["array", "dram[0]", "dram[1]", "t"]);
    assert_eq!(lanes[a.0], [0, 1, 2]);
    assert_eq!(lanes[d.0], [3]);
    let mut on_dram: Vec<usize> = [b, c].iter().map(|t| *lanes[t.0].last().unwrap()).collect();
    on_dram.sort();
    assert_eq!(on_dram, [1, 2], "b and c run at once on the two channels");
}

/// A random graph: tasks with durations and needs on three resources, edges only forward.
fn graph() -> impl Strategy<Value = TaskGraph> {
    (
        proptest::collection::vec((1u64..20, 0u64..3, 0u64..3, 0u64..4), 1..25),
        proptest::collection::vec((0usize..25, 0usize..25), 0..40),
        (1u64..4, 1u64..3, 1u64..5),
    )
        .prop_map(|(tasks, edges, caps)| {
            let mut g = TaskGraph::new();
            let r = [
                g.add_resource("a", caps.0),
                g.add_resource("b", caps.1),
                g.add_resource("c", caps.2),
            ];
            let n = tasks.len();
            for (i, &(d, ua, ub, uc)) in tasks.iter().enumerate() {
                let needs = [
                    (r[0], ua.min(caps.0)),
                    (r[1], ub.min(caps.1)),
                    (r[2], uc.min(caps.2)),
                ]
                .into_iter()
                .filter(|&(_, u)| u > 0)
                .collect();
                g.add_task(task(&format!("t{i}"), d, needs));
            }
            for (x, y) in edges {
                let (x, y) = (x % n, y % n);
                if x < y {
                    g.add_dep(TaskId(x), TaskId(y));
                }
            }
            g
        })
}

/// The list-scheduling rule written plainly: at each event, scan every ready task best first
/// (critical path, then index) and start each that fits; then advance to the next end.
fn plain_list_schedule(g: &TaskGraph) -> Vec<u64> {
    let n = g.n_tasks();
    let level = g.bottom_levels().unwrap();
    let mut rank: Vec<usize> = (0..n).collect();
    rank.sort_by_key(|&t| (std::cmp::Reverse(level[t]), t));
    let mut free: Vec<u64> = g.resources().iter().map(|r| r.capacity).collect();
    let (mut start, mut end) = (vec![u64::MAX; n], vec![u64::MAX; n]);
    let mut now = 0;
    while start.contains(&u64::MAX) {
        for &t in &rank {
            let ready = g.preds(TaskId(t)).all(|p| end[p.0] <= now);
            let task = g.task(TaskId(t));
            if start[t] == u64::MAX && ready && task.needs.iter().all(|&(r, u)| free[r.0] >= u) {
                for &(r, u) in &task.needs {
                    free[r.0] -= u;
                }
                start[t] = now;
                end[t] = now + task.duration;
            }
        }
        let next = (0..n)
            .filter(|&t| end[t] != u64::MAX && end[t] > now)
            .map(|t| end[t])
            .min();
        let Some(next) = next else { break };
        now = next;
        for t in (0..n).filter(|&t| end[t] == now) {
            for &(r, u) in &g.task(TaskId(t)).needs {
                free[r.0] += u;
            }
        }
    }
    start
}

proptest! {
    /// The scheduler visits only the best ready task of each class of equal needs per event; it
    /// starts exactly what scanning every ready task would.
    #[test]
    fn the_schedule_is_the_plain_list_schedule(g in graph()) {
        let s = g.schedule(&Priority::CriticalPath).unwrap();
        prop_assert_eq!(s.start, plain_list_schedule(&g));
    }

    #[test]
    fn a_schedule_respects_dependences_and_never_oversubscribes(g in graph(), strict in any::<bool>()) {
        let priority = if strict {
            Priority::Order((0..g.n_tasks()).map(TaskId).collect())
        } else {
            Priority::CriticalPath
        };
        let s = g.schedule(&priority).unwrap();
        for t in 0..g.n_tasks() {
            prop_assert_eq!(s.end[t], s.start[t] + g.task(TaskId(t)).duration);
            for p in g.preds(TaskId(t)) {
                prop_assert!(s.start[t] >= s.end[p.0]);
            }
        }
        // At every start, the units held by the tasks running then fit every capacity.
        for &at in &s.start {
            for (ri, r) in g.resources().iter().enumerate() {
                let held: u64 = (0..g.n_tasks())
                    .filter(|&t| s.start[t] <= at && at < s.end[t])
                    .flat_map(|t| g.task(TaskId(t)).needs.iter().filter(|x| x.0 .0 == ri).map(|x| x.1))
                    .sum();
                prop_assert!(held <= r.capacity, "{} holds {} of {}", r.name, held, r.capacity);
            }
        }
        prop_assert!(s.makespan >= g.critical_path_length().unwrap());
        // The critical chain ends at the makespan and adds up to it.
        let chain = &s.critical_path;
        prop_assert_eq!(s.end[chain.last().unwrap().0], s.makespan);
        prop_assert_eq!(s.start[chain[0].0], 0);
        for w in chain.windows(2) {
            let (a, b) = (w[0].0, w[1].0);
            prop_assert!(
                s.end[a] == s.start[b] || (strict && a + 1 == b && s.start[a] == s.start[b]),
                "{} -> {}", a, b
            );
        }
    }

    #[test]
    fn with_unbounded_resources_the_makespan_is_the_critical_path(g in graph()) {
        let mut unbounded = TaskGraph::new();
        for r in g.resources() {
            unbounded.add_resource(&r.name, u64::MAX / 4);
        }
        for t in 0..g.n_tasks() {
            unbounded.add_task(g.task(TaskId(t)).clone());
        }
        for t in 0..g.n_tasks() {
            for p in g.preds(TaskId(t)) {
                unbounded.add_dep(p, TaskId(t));
            }
        }
        let s = unbounded.schedule(&Priority::CriticalPath).unwrap();
        prop_assert_eq!(s.makespan, unbounded.critical_path_length().unwrap());
    }
}
