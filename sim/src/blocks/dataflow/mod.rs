//! A dataflow scheduler: a task graph (tasks with durations, resource needs and dependences, on
//! petgraph) and a non-preemptive list scheduler over resources with capacities. The result is a
//! timed schedule, each resource's utilisation, and the critical path; a schedule exports as
//! Chrome trace-event JSON (Perfetto, chrome://tracing) and as the bars of a Gantt chart.
//!
//! Modelled: a task holds its resources from its start to its end and cannot be interrupted; it
//! starts when all its predecessors have ended and its resources are free. Two priorities: by
//! critical path (the longest path from a task to the graph's end, the classic list-scheduling
//! rule; ties by insertion order), or a given static order, started strictly in that order (a
//! task waits for every task before it in the order to have started), which is how a naive
//! in-order execution or an offline schedule computed elsewhere is replayed.
//! Not modelled: resources shared by fractions of a unit, preemption, or durations that depend on
//! what runs beside a task (a machine that wants that computes the durations itself).
//!
//! **Architecture Invariant:** this block knows no machine; durations are plain cycles of
//! whatever clock the caller uses.

#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use petgraph::algo::toposort;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

/// A resource's index in its graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceId(pub usize);

/// A task's index in its graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub usize);

/// A resource: `capacity` units that tasks hold while they run (an array, a DMA engine, the
/// bytes of a buffer).
#[derive(Debug, Clone)]
pub struct Resource {
    /// Its name in reports and traces.
    pub name: String,
    /// Units available at once.
    pub capacity: u64,
}

/// A task: a duration in cycles and the units of each resource it holds while it runs.
#[derive(Debug, Clone)]
pub struct Task {
    /// Its name in reports and traces.
    pub name: String,
    /// A category for grouping in traces and plots (`FF`, `BP`, `WG`, `DMA`).
    pub category: String,
    /// Cycles from start to end.
    pub duration: u64,
    /// Units of each resource it holds.
    pub needs: Vec<(ResourceId, u64)>,
}

/// How the scheduler picks among the tasks that could start.
#[derive(Debug, Clone)]
pub enum Priority {
    /// The longest remaining path first (ties: the task added first).
    CriticalPath,
    /// Strictly this order: every task, each started only after all before it have started.
    Order(Vec<TaskId>),
}

/// Why a graph cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataflowError {
    /// The dependences form a cycle.
    #[error("the task graph has a cycle through task {0:?}")]
    Cycle(String),
    /// A task needs more of a resource than it has.
    #[error("task {task:?} needs {need} units of {resource:?}, which has {capacity}")]
    TooBig {
        /// The task.
        task: String,
        /// The resource.
        resource: String,
        /// Units it needs.
        need: u64,
        /// Units there are.
        capacity: u64,
    },
    /// A static order that is not every task once, or puts a task before a predecessor.
    #[error("the static order is not usable: {0}")]
    BadOrder(String),
}

/// Tasks, resources and dependences.
#[derive(Debug, Clone, Default)]
pub struct TaskGraph {
    graph: DiGraph<Task, ()>,
    resources: Vec<Resource>,
}

/// A timed schedule of a graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Each task's start cycle, by task id.
    pub start: Vec<u64>,
    /// Each task's end cycle.
    pub end: Vec<u64>,
    /// The last end (0 for no tasks).
    pub makespan: u64,
    /// Each resource's busy share: units held times cycles, over capacity times the makespan.
    pub utilisation: Vec<f64>,
    /// A chain of tasks from cycle 0 to the makespan, each starting when the one before it ended
    /// (by a dependence, or by waiting for its resources) or, in a static order, when the one
    /// before it in the order started: what to shorten to finish sooner.
    pub critical_path: Vec<TaskId>,
}

impl TaskGraph {
    /// An empty graph.
    pub fn new() -> TaskGraph {
        TaskGraph::default()
    }

    /// Adds a resource with `capacity` units.
    pub fn add_resource(&mut self, name: &str, capacity: u64) -> ResourceId {
        self.resources.push(Resource {
            name: name.to_string(),
            capacity,
        });
        ResourceId(self.resources.len() - 1)
    }

    /// Adds a task.
    pub fn add_task(&mut self, task: Task) -> TaskId {
        TaskId(self.graph.add_node(task).index())
    }

    /// `after` may start only when `before` has ended.
    pub fn add_dep(&mut self, before: TaskId, after: TaskId) {
        self.graph
            .add_edge(NodeIndex::new(before.0), NodeIndex::new(after.0), ());
    }

    /// The number of tasks.
    pub fn n_tasks(&self) -> usize {
        self.graph.node_count()
    }

    /// A task.
    pub fn task(&self, t: TaskId) -> &Task {
        &self.graph[NodeIndex::new(t.0)]
    }

    /// The resources.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The tasks `t` depends on.
    pub fn preds(&self, t: TaskId) -> impl Iterator<Item = TaskId> + '_ {
        self.graph
            .neighbors_directed(NodeIndex::new(t.0), Direction::Incoming)
            .map(|n| TaskId(n.index()))
    }

    /// Tasks in an order where every task comes after its predecessors.
    fn topo(&self) -> Result<Vec<NodeIndex>, DataflowError> {
        toposort(&self.graph, None)
            .map_err(|c| DataflowError::Cycle(self.graph[c.node_id()].name.clone()))
    }

    /// The longest path from each task to the graph's end, its own duration included.
    pub fn bottom_levels(&self) -> Result<Vec<u64>, DataflowError> {
        let order = self.topo()?;
        let mut level = vec![0u64; self.n_tasks()];
        for &n in order.iter().rev() {
            let below = self
                .graph
                .neighbors_directed(n, Direction::Outgoing)
                .map(|s| level[s.index()])
                .max()
                .unwrap_or(0);
            level[n.index()] = self.graph[n].duration + below;
        }
        Ok(level)
    }

    /// The length of the longest path through the graph: the makespan with unbounded
    /// resources.
    pub fn critical_path_length(&self) -> Result<u64, DataflowError> {
        Ok(self.bottom_levels()?.into_iter().max().unwrap_or(0))
    }

    /// Schedules every task, never holding more of a resource than its capacity.
    pub fn schedule(&self, priority: &Priority) -> Result<Schedule, DataflowError> {
        let n = self.n_tasks();
        for t in 0..n {
            let task = self.task(TaskId(t));
            for &(r, need) in &task.needs {
                let res = &self.resources[r.0];
                if need > res.capacity {
                    return Err(DataflowError::TooBig {
                        task: task.name.clone(),
                        resource: res.name.clone(),
                        need,
                        capacity: res.capacity,
                    });
                }
            }
        }
        let level = self.bottom_levels()?;
        // The candidates, best first.
        let (rank, strict): (Vec<usize>, bool) = match priority {
            Priority::CriticalPath => {
                let mut ids: Vec<usize> = (0..n).collect();
                ids.sort_by_key(|&t| (std::cmp::Reverse(level[t]), t));
                (ids, false)
            }
            Priority::Order(order) => {
                let mut seen = vec![false; n];
                for &TaskId(t) in order {
                    if t >= n || seen[t] {
                        return Err(DataflowError::BadOrder(format!(
                            "task {t} is unknown or listed twice"
                        )));
                    }
                    seen[t] = true;
                }
                if order.len() != n {
                    return Err(DataflowError::BadOrder(format!(
                        "{} of {n} tasks listed",
                        order.len()
                    )));
                }
                let mut pos = vec![0; n];
                for (i, &TaskId(t)) in order.iter().enumerate() {
                    pos[t] = i;
                }
                for t in 0..n {
                    if let Some(p) = self.preds(TaskId(t)).find(|p| pos[p.0] > pos[t]) {
                        return Err(DataflowError::BadOrder(format!(
                            "{:?} comes before its predecessor {:?}",
                            self.task(TaskId(t)).name,
                            self.task(p).name
                        )));
                    }
                }
                (order.iter().map(|t| t.0).collect(), true)
            }
        };
        let mut waiting_preds: Vec<usize> = (0..n).map(|t| self.preds(TaskId(t)).count()).collect();
        let mut free: Vec<u64> = self.resources.iter().map(|r| r.capacity).collect();
        let mut start = vec![u64::MAX; n];
        let mut end = vec![0u64; n];
        // Running tasks by end cycle.
        let mut running: BTreeMap<(u64, usize), ()> = BTreeMap::new();
        let mut now = 0u64;
        let mut n_started = 0;
        let mut next_in_order = 0;
        // The tasks whose predecessors have all ended, by rank position, in classes of tasks that
        // need the same amounts of the same resources. Within one event the free amounts only
        // fall, so once a class's best ready task does not fit, none of that class does: each
        // event visits the classes' heads and the tasks it starts, not every ready task (tens of
        // thousands of independent layers are all ready at once).
        let mut pos = vec![0usize; n];
        for (i, &t) in rank.iter().enumerate() {
            pos[t] = i;
        }
        let mut class_of_need: HashMap<&[(ResourceId, u64)], usize> = HashMap::new();
        let class: Vec<usize> = (0..n)
            .map(|t| {
                let k = class_of_need.len();
                *class_of_need
                    .entry(&self.task(TaskId(t)).needs)
                    .or_insert(k)
            })
            .collect();
        let mut ready: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); class_of_need.len()];
        let mut is_ready = vec![false; n];
        for t in (0..n).filter(|&t| waiting_preds[t] == 0) {
            ready[class[t]].insert(pos[t]);
            is_ready[pos[t]] = true;
        }
        let mut heads: BinaryHeap<Reverse<(usize, usize)>> = BinaryHeap::new();
        while n_started < n {
            // Start what can start now, best first: any ready task that fits, or in a strict
            // order only the next one, as long as each fits.
            let mut begin = |t: usize| -> bool {
                let task = self.task(TaskId(t));
                if !task.needs.iter().all(|&(r, u)| free[r.0] >= u) {
                    return false;
                }
                for &(r, u) in &task.needs {
                    free[r.0] -= u;
                }
                n_started += 1;
                start[t] = now;
                end[t] = now.saturating_add(task.duration);
                running.insert((end[t], t), ());
                true
            };
            if strict {
                while next_in_order < n && is_ready[next_in_order] {
                    let t = rank[next_in_order];
                    if !begin(t) {
                        break;
                    }
                    ready[class[t]].remove(&next_in_order);
                    next_in_order += 1;
                }
            } else {
                heads.clear();
                heads.extend(
                    ready
                        .iter()
                        .enumerate()
                        .filter_map(|(c, r)| r.first().map(|&i| Reverse((i, c)))),
                );
                while let Some(Reverse((i, c))) = heads.pop() {
                    if begin(rank[i]) {
                        ready[c].remove(&i);
                        if let Some(&j) = ready[c].first() {
                            heads.push(Reverse((j, c)));
                        }
                    }
                }
            }
            if n_started == n {
                break;
            }
            // Advance to the next end, releasing every task that ends then.
            let Some((&(t_end, _), _)) = running.iter().next() else {
                unreachable!("a task that cannot start while nothing runs needs more than a resource has, which was checked")
            };
            now = t_end;
            while let Some((&(e, t), _)) = running.iter().next() {
                if e != now {
                    break;
                }
                running.remove(&(e, t));
                for &(r, u) in &self.task(TaskId(t)).needs {
                    free[r.0] += u;
                }
                for s in self
                    .graph
                    .neighbors_directed(NodeIndex::new(t), Direction::Outgoing)
                {
                    waiting_preds[s.index()] -= 1;
                    if waiting_preds[s.index()] == 0 {
                        ready[class[s.index()]].insert(pos[s.index()]);
                        is_ready[pos[s.index()]] = true;
                    }
                }
            }
        }
        let makespan = end.iter().copied().max().unwrap_or(0);
        let mut held = vec![0u128; self.resources.len()];
        for t in 0..n {
            let task = self.task(TaskId(t));
            for &(r, u) in &task.needs {
                held[r.0] += u as u128 * task.duration as u128;
            }
        }
        let utilisation = self
            .resources
            .iter()
            .zip(&held)
            .map(|(r, &h)| {
                let room = r.capacity as u128 * makespan as u128;
                if room == 0 {
                    0.0
                } else {
                    h as f64 / room as f64
                }
            })
            .collect();
        let critical_path = self.critical_chain(&start, &end, strict.then_some(&rank));
        Ok(Schedule {
            start,
            end,
            makespan,
            utilisation,
            critical_path,
        })
    }

    /// From the task that ends last, back through the task that ended exactly when each one
    /// started: a predecessor if one did, or else a task that released one of its resources.
    fn critical_chain(
        &self,
        start: &[u64],
        end: &[u64],
        order: Option<&Vec<usize>>,
    ) -> Vec<TaskId> {
        let n = self.n_tasks();
        let mut pos = vec![0usize; n];
        if let Some(order) = order {
            for (i, &t) in order.iter().enumerate() {
                pos[t] = i;
            }
        }
        let Some(mut t) = (0..n).max_by_key(|&t| (end[t], std::cmp::Reverse(t))) else {
            return Vec::new();
        };
        let mut chain = vec![TaskId(t)];
        while start[t] > 0 {
            let by_dep = self.preds(TaskId(t)).find(|p| end[p.0] == start[t]);
            let by_resource = || {
                let mine: Vec<ResourceId> =
                    self.task(TaskId(t)).needs.iter().map(|x| x.0).collect();
                (0..n).find(|&o| {
                    o != t
                        && end[o] == start[t]
                        && self
                            .task(TaskId(o))
                            .needs
                            .iter()
                            .any(|x| mine.contains(&x.0))
                })
            };
            // In a static order, a task may have waited for the one before it to start.
            let by_order = || {
                order
                    .filter(|_| pos[t] > 0)
                    .map(|o| o[pos[t] - 1])
                    .filter(|&p| start[p] == start[t])
            };
            match by_dep.map(|p| p.0).or_else(by_resource).or_else(by_order) {
                Some(p) => {
                    t = p;
                    chain.push(TaskId(t));
                }
                None => break,
            }
        }
        chain.reverse();
        chain
    }
}

/// Resources with at most this many units get a lane per unit; larger ones a lane per task
/// running at once.
const UNIT_LANES_UP_TO: u64 = 64;

impl Schedule {
    /// The lanes of the schedule's timeline and, per task, the lanes it occupies, so that tasks
    /// on one lane never overlap in time: a resource of one unit is one lane (`array`); each unit
    /// of a resource of up to 64 units is a lane (`dram[2]`, a DRAM channel), and a task holding
    /// k units occupies k of them; a larger resource, and the tasks of a category that hold
    /// nothing, get a lane per task running at once (`buffer #2`). Lanes are given in resource
    /// order, then by category; each task takes the lowest-numbered lanes free at its start.
    pub fn lanes(&self, g: &TaskGraph) -> (Vec<String>, Vec<Vec<usize>>) {
        // Per group (a resource, or a category of tasks that hold nothing): each lane's name and
        // when it is next free.
        struct Group {
            name: String,
            per_unit: bool,
            lanes: Vec<(usize, u64)>,
        }
        let mut groups: Vec<Group> = g
            .resources
            .iter()
            .map(|r| {
                let per_unit = r.capacity > 1 && r.capacity <= UNIT_LANES_UP_TO;
                Group {
                    name: r.name.clone(),
                    per_unit,
                    lanes: Vec::new(),
                }
            })
            .collect();
        let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
        let mut names: Vec<(usize, String)> = Vec::new();
        let mut order: Vec<usize> = (0..g.n_tasks()).collect();
        order.sort_by_key(|&t| (self.start[t], t));
        let mut taken: Vec<Vec<(usize, usize)>> = vec![Vec::new(); g.n_tasks()];
        for &t in &order {
            let task = g.task(TaskId(t));
            let needs: Vec<(usize, u64)> = if task.needs.is_empty() {
                let gi = *by_category.entry(task.category.clone()).or_insert_with(|| {
                    groups.push(Group {
                        name: task.category.clone(),
                        per_unit: false,
                        lanes: Vec::new(),
                    });
                    groups.len() - 1
                });
                vec![(gi, 1)]
            } else {
                task.needs
                    .iter()
                    .map(|&(r, k)| (r.0, if groups[r.0].per_unit { k } else { 1 }))
                    .collect()
            };
            for (gi, k) in needs {
                let group = &mut groups[gi];
                if group.per_unit && group.lanes.is_empty() {
                    group.lanes = vec![(usize::MAX, 0); g.resources[gi].capacity as usize];
                }
                let mut got = 0;
                for (li, lane) in group.lanes.iter_mut().enumerate() {
                    if got < k && lane.1 <= self.start[t] {
                        lane.1 = self.end[t];
                        taken[t].push((gi, li));
                        got += 1;
                    }
                }
                while got < k {
                    // Only groups with a lane per running task grow; a unit group always has a
                    // free unit, as the schedule never holds more units than it has.
                    assert!(
                        !group.per_unit,
                        "a task holds more units of {} than are free",
                        group.name
                    );
                    group.lanes.push((usize::MAX, self.end[t]));
                    taken[t].push((gi, group.lanes.len() - 1));
                    got += 1;
                }
            }
        }
        // Number the lanes group by group.
        let mut first = Vec::with_capacity(groups.len());
        for (gi, group) in groups.iter().enumerate() {
            first.push(names.len());
            let n = group.lanes.len();
            for li in 0..n {
                let name = if group.per_unit {
                    format!("{}[{li}]", group.name)
                } else if li == 0 {
                    group.name.clone()
                } else {
                    format!("{} #{}", group.name, li + 1)
                };
                names.push((gi, name));
            }
        }
        let lanes = taken
            .into_iter()
            .map(|ts| ts.into_iter().map(|(gi, li)| first[gi] + li).collect())
            .collect();
        (names.into_iter().map(|n| n.1).collect(), lanes)
    }
}
