//! SAT's statistics, declared as every machine declares its counters ([`crate::stats_struct!`]),
//! and counted from a modelled step: the tasks finished by a horizon (`limits.max_cycles`).

use crate::blocks::dataflow::TaskId;
use crate::stats::StatTree;

use super::step::{PassCost, Step, TaskCost, TaskKind};

crate::stats_struct! {
    /// The step as a whole (`sat.`).
    pub struct StepStats {
        step_cycles: Cycles = "Cycles of the step (the schedule's makespan)",
        elapsed_ps: Picoseconds = "Time of the step at the configured clock",
    }
}

crate::stats_struct! {
    /// The systolic array (`sat.array.`).
    pub struct ArrayStats {
        busy_cycles: Cycles = "Cycles the array holds a task (compute and exposed transfers)",
        compute_cycles: Cycles = "Cycles the array computes (folds, fills and drains, buffer-rate stretches)",
        buffer_stall_cycles: Cycles = "Cycles added because a buffer delivered fewer words than the array consumed",
        memory_stall_cycles: Cycles = "Cycles the array waits for DRAM transfers within its tasks",
        dense_macs: Count = "MACs issued by PEs in dense mode",
        sparse_macs: Count = "MACs issued by PEs in sparse mode (through the N:M multiplexer)",
        skipped_macs: Count = "MACs of pruned weights, skipped",
    }
}

crate::stats_struct! {
    /// The on-chip buffers (`sat.buffer.`).
    pub struct BufferStats {
        read_bytes: Bytes = "Bytes the array reads from the on-chip buffers",
        write_bytes: Bytes = "Bytes written to the on-chip buffers (tile loads and partial sums)",
    }
}

crate::stats_struct! {
    /// The sparse-weight generator (`sat.generator.`).
    pub struct GeneratorStats {
        groups: Count = "Groups of M ranked by the sparse-weight generator",
        busy_cycles: Cycles = "Cycles the generator holds a task",
    }
}

crate::stats_struct! {
    /// The weight-update unit (`sat.updater.`).
    pub struct UpdaterStats {
        weights: Count = "Weights updated",
        busy_cycles: Cycles = "Cycles the update unit holds a task",
    }
}

crate::stats_struct! {
    /// DRAM traffic (`dram.`).
    pub struct DramTraffic {
        bytes_read: Bytes = "Bytes read from DRAM",
        bytes_written: Bytes = "Bytes written to DRAM",
    }
}

crate::stats_struct! {
    /// The functional check (`sat.check.`).
    pub struct CheckStats {
        outputs: Count = "Output values of the sparse array's functional model checked against a plain GEMM of the masked weights (a slice of each distinct pass shape and pattern)",
    }
}

/// Every counter of a SAT run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SatStats {
    /// The step.
    pub step: StepStats,
    /// The array.
    pub array: ArrayStats,
    /// The buffers.
    pub buffer: BufferStats,
    /// The generator.
    pub generator: GeneratorStats,
    /// The update unit.
    pub updater: UpdaterStats,
    /// DRAM traffic.
    pub dram: DramTraffic,
    /// The functional check.
    pub check: CheckStats,
}

impl SatStats {
    /// Counts `step`'s tasks finished by cycle `horizon`, at a clock period of `period_ps`, with
    /// `checked` outputs checked.
    pub fn of(step: &Step, horizon: u64, period_ps: f64, checked: u64) -> SatStats {
        let s = &step.schedule;
        let cycles = s.makespan.min(horizon);
        let (task_done, pass_done) = step.finished_by(horizon);
        let busy = |r: usize| -> u64 {
            (0..step.tasks.len())
                .filter(|&t| {
                    task_done[t]
                        && step
                            .graph
                            .task(TaskId(t))
                            .needs
                            .iter()
                            .any(|n| n.0 == step.resources[r])
                })
                .map(|t| s.end[t] - s.start[t])
                .sum()
        };
        let pass_sum = |f: &dyn Fn(&PassCost) -> u64| -> u64 {
            step.passes.iter().zip(&pass_done).filter(|p| *p.1).map(|p| f(p.0)).sum()
        };
        let task_sum = |f: &dyn Fn(&TaskCost) -> u64| -> u64 {
            step.tasks.iter().zip(&task_done).filter(|t| *t.1).map(|t| f(t.0)).sum()
        };
        let compute = pass_sum(&|p| p.compute_cycles);
        let array_busy = busy(0);
        SatStats {
            step: StepStats {
                step_cycles: cycles,
                elapsed_ps: (cycles as f64 * period_ps).round() as u64,
            },
            array: ArrayStats {
                busy_cycles: array_busy,
                compute_cycles: compute,
                buffer_stall_cycles: pass_sum(&|p| p.buffer_stall_cycles),
                memory_stall_cycles: array_busy.saturating_sub(compute),
                dense_macs: pass_sum(&|p| if p.sparse { 0 } else { p.macs }),
                sparse_macs: pass_sum(&|p| if p.sparse { p.macs } else { 0 }),
                skipped_macs: pass_sum(&|p| p.skipped),
            },
            buffer: BufferStats {
                read_bytes: pass_sum(&|p| p.buffer_read),
                write_bytes: pass_sum(&|p| p.buffer_write),
            },
            generator: GeneratorStats {
                groups: task_sum(&|t| t.groups),
                busy_cycles: busy(1),
            },
            updater: UpdaterStats {
                weights: task_sum(&|t| if t.kind == TaskKind::Update { t.weights } else { 0 }),
                busy_cycles: busy(2),
            },
            dram: DramTraffic {
                bytes_read: task_sum(&|t| t.dram_read),
                bytes_written: task_sum(&|t| t.dram_write),
            },
            check: CheckStats { outputs: checked },
        }
    }

    /// Adds every counter to `out`, in report order.
    pub fn collect(&self, out: &mut StatTree) {
        out.add("sat", &self.step);
        out.add("sat.array", &self.array);
        out.add("sat.buffer", &self.buffer);
        out.add("sat.generator", &self.generator);
        out.add("sat.updater", &self.updater);
        out.add("dram", &self.dram);
        out.add("sat.check", &self.check);
    }
}
