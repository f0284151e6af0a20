//! Design-space sweeps: many runs of one base experiment with overrides, in parallel, resumable,
//! shardable across processes (and so across a Slurm job array), merged and plotted.
//!
//! A sweep directory holds:
//! - `sweep.json`: the sweep as expanded (every point with its id, seed and overrides), its hash,
//!   and the shard it covers. Written once, when the directory is created.
//! - `results.jsonl`: one line per finished point ([`results::Record`]), appended and synced as each
//!   point ends. When every point of the directory is done it is rewritten sorted by point index
//!   (atomically), so one process, shards merged, or a resumed run give the same bytes.
//! - `timing.jsonl`: wall-clock figures per point (not deterministic, so kept apart).
//! - `results.csv`, `plots/`, `index.html`: views made by [`render`].
//!
//! Parallelism is across points (rayon, one run per thread); each run is single-threaded and
//! deterministic, so results do not depend on the number of jobs.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub mod render;
pub mod results;
pub mod spec;

pub use results::{Record, Status};
pub use spec::{Point, Sweep};

/// Why a sweep could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// Bad input: the sweep file, a shard spec, a directory to resume or merge. Nothing was run or
    /// overwritten.
    #[error("{0}")]
    Input(String),
    /// Writing results failed (disk full, permissions).
    #[error("{0}")]
    Io(String),
}

fn io_err(path: &Path, e: std::io::Error) -> SweepError {
    SweepError::Io(format!("{}: {e}", path.display()))
}

/// Shard `index` of `count` (1-based: `--shard 1/4` ... `--shard 4/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, 1..=count.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = SweepError;
    fn from_str(s: &str) -> Result<Shard, SweepError> {
        let bad = |why: &str| {
            SweepError::Input(format!(
                "--shard {s:?}: {why}; write i/N with 1 <= i <= N, e.g. --shard 1/4"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(|| bad("expected i/N"))?;
        let index: usize = i.trim().parse().map_err(|_| bad("i is not a number"))?;
        let count: usize = n.trim().parse().map_err(|_| bad("N is not a number"))?;
        if count == 0 {
            return Err(bad("N must be at least 1"));
        }
        if index == 0 || index > count {
            return Err(bad(&format!("i must be between 1 and {count}")));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether point `id` belongs to this shard: decided by the id alone, so N processes that
    /// know nothing of each other cover every point exactly once.
    pub fn owns(&self, id: &str) -> bool {
        let h = u64::from_str_radix(id, 16).unwrap_or_else(|_| spec::fnv1a(id.as_bytes()));
        (h % self.count as u64) as usize + 1 == self.index
    }
}

/// `sweep.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The sweep's hash (also on every result line).
    pub sweep_hash: String,
    /// The shard this directory covers; `None` = all points.
    pub shard: Option<Shard>,
    /// The sweep file's text, echoed.
    pub sweep_text: String,
    /// The base experiment's text, echoed.
    pub base_text: String,
    /// The sweep as expanded.
    pub sweep: Sweep,
}

impl Manifest {
    /// Points this directory covers.
    pub fn points(&self) -> Vec<&Point> {
        self.sweep
            .points
            .iter()
            .filter(|p| self.shard.is_none_or(|s| s.owns(&p.id)))
            .collect()
    }

    /// Reads `dir/sweep.json`.
    pub fn read(dir: &Path) -> Result<Manifest, SweepError> {
        let path = dir.join("sweep.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            SweepError::Input(format!(
                "{}: cannot read ({e}); is {} a sweep directory?",
                path.display(),
                dir.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            SweepError::Input(format!("{}: not a sweep manifest ({e})", path.display()))
        })
    }

    fn write(&self, dir: &Path) -> Result<(), SweepError> {
        let path = dir.join("sweep.json");
        let mut text = serde_json::to_string_pretty(self).expect("manifests serialize");
        text.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| io_err(&path, e))
    }
}

/// The default directory of a sweep (or of one shard of it) under `out`.
pub fn default_dir(out: &Path, sweep: &Sweep, shard: Option<Shard>) -> PathBuf {
    match shard {
        None => out.join(&sweep.file.name),
        Some(s) => out.join(format!(
            "{}.shard-{}-of-{}",
            sweep.file.name, s.index, s.count
        )),
    }
}

/// What [`prepare`] found or made.
pub struct Prepared {
    /// The sweep directory.
    pub dir: PathBuf,
    /// The sweep as expanded (`sweep.json`): its points, ids, seeds and hash.
    pub manifest: Manifest,
    /// Records already there (resume).
    pub done: Vec<Record>,
    /// A torn last line was dropped.
    pub torn: bool,
    /// The results log, open for appending.
    pub log: results::Log,
}

/// Makes the sweep directory: `dir` if given (it must be new or empty), else a fresh one under
/// `out` (`name`, or `name-2`... if taken; nothing existing is touched). With `resume`, reopens
/// `dir` (default: the sweep's default directory) after checking that it holds this very sweep and
/// shard. Resuming a directory that does not exist yet starts it, so a requeued cluster task can
/// always pass `--resume`.
pub fn prepare(
    sweep: &Sweep,
    out: &Path,
    shard: Option<Shard>,
    dir: Option<&Path>,
    resume: bool,
) -> Result<Prepared, SweepError> {
    let default = default_dir(out, sweep, shard);
    // The directory to continue (resume) or to create (an explicit --dir).
    let target = if resume {
        Some(dir.unwrap_or(&default))
    } else {
        if let Some(d) = dir.filter(|d| d.join("sweep.json").exists()) {
            return Err(SweepError::Input(format!(
                "{}: already holds a sweep; pass --resume to continue it, or another --dir",
                d.display()
            )));
        }
        dir
    };
    let sweep_text = std::fs::read_to_string(&sweep.path).map_err(|e| io_err(&sweep.path, e))?;
    let base_text = std::fs::read_to_string(&sweep.base).map_err(|e| io_err(&sweep.base, e))?;
    let manifest = Manifest {
        sweep_hash: sweep.hash.clone(),
        shard,
        sweep_text,
        base_text,
        sweep: sweep.clone(),
    };
    let existing = target.filter(|d| d.join("sweep.json").exists());
    if let Some(dir) = existing {
        let old = Manifest::read(dir)?;
        if old.sweep_hash != sweep.hash {
            return Err(SweepError::Input(format!(
                "{}: holds sweep {} ({} points), but {} is now sweep {} ({} points): the sweep file or its base experiment changed. Nothing was run; run without --resume to start a new directory",
                dir.display(),
                old.sweep_hash,
                old.sweep.points.len(),
                sweep.path.display(),
                sweep.hash,
                sweep.points.len()
            )));
        }
        if old.shard != shard {
            let show =
                |s: Option<Shard>| s.map_or("all points".to_string(), |s| format!("shard {s}"));
            return Err(SweepError::Input(format!(
                "{}: holds {}, but this run asks for {}; resume it with the same --shard",
                dir.display(),
                show(old.shard),
                show(shard)
            )));
        }
        let path = dir.join("results.jsonl");
        let c = results::read(&path, Some(&sweep.hash))?;
        let log = results::Log::open(&path, c.good_len).map_err(|e| io_err(&path, e))?;
        let mut seen = BTreeSet::new();
        let done = c
            .records
            .into_iter()
            .filter(|r| seen.insert(r.id.clone()))
            .collect();
        return Ok(Prepared {
            dir: dir.to_path_buf(),
            manifest: old,
            done,
            torn: c.torn,
            log,
        });
    }
    let dir = match target {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| io_err(d, e))?;
            if std::fs::read_dir(d)
                .map_err(|e| io_err(d, e))?
                .next()
                .is_some()
            {
                return Err(SweepError::Input(format!(
                    "{}: exists, is not empty, and has no sweep.json; it is not a sweep directory. Pick another --dir",
                    d.display()
                )));
            }
            d.to_path_buf()
        }
        None => {
            let name = default
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .to_string();
            crate::report::fresh_dir(out, &name).map_err(|e| io_err(out, e))?
        }
    };
    manifest.write(&dir)?;
    let path = dir.join("results.jsonl");
    let log = results::Log::open(&path, 0).map_err(|e| io_err(&path, e))?;
    Ok(Prepared {
        dir,
        manifest,
        done: Vec::new(),
        torn: false,
        log,
    })
}

/// Wall-clock costs of one point.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timing {
    /// Loading and checking the config with the point's overrides.
    pub resolve: Duration,
    /// Loading inputs and simulating.
    pub run: Duration,
    /// Of `run`, the simulation itself.
    pub simulate: Duration,
    /// Writing the record (serialize, append, sync).
    pub record: Duration,
}

/// Runs one point: exactly `sparsim run BASE --set o1 --set o2 ...`.
pub fn run_point(sweep: &Sweep, p: &Point) -> (Record, Timing) {
    let t0 = Instant::now();
    let loaded = crate::experiment::load(&sweep.base, &p.overrides);
    let resolve = t0.elapsed();
    let t1 = Instant::now();
    let (rec, simulate) = match loaded.and_then(|l| l.run()) {
        Ok(o) => (Record::ok(&sweep.hash, p, &o.report), o.wall),
        Err(e) => (
            Record::failed(&sweep.hash, p, e.to_string()),
            Duration::ZERO,
        ),
    };
    let timing = Timing {
        resolve,
        run: t1.elapsed(),
        simulate,
        record: Duration::ZERO,
    };
    (rec, timing)
}

/// What a sweep run did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Points in this directory (the shard's, or all).
    pub total: usize,
    /// Already done before this run (resume).
    pub skipped: usize,
    /// Run now.
    pub ran: usize,
    /// Of all records, how many failed.
    pub failed: usize,
    /// Wall-clock time of this run.
    pub wall: Duration,
    /// Summed per-point costs of this run.
    pub timing: Timing,
}

/// Runs every point of `prep` that has no record yet on `jobs` threads. Each record is appended
/// and synced as soon as its point ends; `on_done` sees each one (for a progress bar). When all
/// points are done, `results.jsonl` is rewritten in canonical order.
pub fn execute(
    prep: &mut Prepared,
    jobs: usize,
    mut on_done: impl FnMut(&Record, usize, usize),
) -> Result<Summary, SweepError> {
    let start = Instant::now();
    let sweep = &prep.manifest.sweep;
    let mine = prep.manifest.points();
    let done_ids: BTreeSet<&str> = prep.done.iter().map(|r| r.id.as_str()).collect();
    let pending: Vec<&Point> = mine
        .iter()
        .copied()
        .filter(|p| !done_ids.contains(p.id.as_str()))
        .collect();
    let mut summary = Summary {
        total: mine.len(),
        skipped: mine.len() - pending.len(),
        ..Summary::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| SweepError::Io(format!("cannot start {jobs} worker threads: {e}")))?;
    let timing_path = prep.dir.join("timing.jsonl");
    let mut timing_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&timing_path)
        .map_err(|e| io_err(&timing_path, e))?;
    let (tx, rx) = mpsc::channel::<(Record, Timing)>();
    let mut new_records = Vec::new();
    let mut write_error = None;
    std::thread::scope(|s| {
        s.spawn(|| {
            pool.install(|| {
                pending.par_iter().for_each_with(tx, |tx, p| {
                    // A closed channel means the writer stopped on an error: stop quietly.
                    let _ = tx.send(run_point(sweep, p));
                });
            });
        });
        let mut n = summary.skipped;
        for (rec, mut t) in rx.iter() {
            let t0 = Instant::now();
            if let Err(e) = prep.log.append(&rec) {
                write_error = Some(io_err(prep.log.path(), e));
                break;
            }
            t.record = t0.elapsed();
            let _ = writeln!(
                timing_file,
                "{{\"id\":\"{}\",\"resolve_us\":{},\"run_us\":{},\"simulate_us\":{},\"record_us\":{}}}",
                rec.id,
                t.resolve.as_micros(),
                t.run.as_micros(),
                t.simulate.as_micros(),
                t.record.as_micros()
            );
            summary.timing.resolve += t.resolve;
            summary.timing.run += t.run;
            summary.timing.simulate += t.simulate;
            summary.timing.record += t.record;
            n += 1;
            summary.ran += 1;
            on_done(&rec, n, summary.total);
            new_records.push(rec);
        }
        // Dropping the receiver makes the workers' sends fail, so they stop after their point.
        drop(rx);
    });
    if let Some(e) = write_error {
        return Err(e);
    }
    let mut all: Vec<Record> = prep.done.drain(..).chain(new_records).collect();
    summary.failed = all.iter().filter(|r| r.status == Status::Failed).count();
    if all.len() == summary.total {
        let path = prep.dir.join("results.jsonl");
        results::write_canonical(&path, &mut all).map_err(|e| io_err(&path, e))?;
    }
    prep.done = all;
    summary.wall = start.elapsed();
    Ok(summary)
}

/// Combines sweep directories (shards, or partial runs of the same sweep) into a new directory
/// `out`, checking that they are one sweep, that no point appears twice, and that none is missing.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<(PathBuf, usize), SweepError> {
    if dirs.is_empty() {
        return Err(SweepError::Input(
            "sweep merge: give the directories to merge".into(),
        ));
    }
    let first = Manifest::read(&dirs[0])?;
    let mut by_id: BTreeMap<String, (Record, &Path)> = BTreeMap::new();
    for d in dirs {
        let m = Manifest::read(d)?;
        if m.sweep_hash != first.sweep_hash {
            return Err(SweepError::Input(format!(
                "{} holds sweep {} but {} holds sweep {}: they are not parts of one sweep",
                d.display(),
                m.sweep_hash,
                dirs[0].display(),
                first.sweep_hash
            )));
        }
        let c = results::read(&d.join("results.jsonl"), Some(&first.sweep_hash))?;
        for r in c.records {
            if let Some((_, other)) = by_id.get(&r.id) {
                return Err(SweepError::Input(format!(
                    "point {} (index {}) is in both {} and {}: the inputs overlap; merge each shard once",
                    r.id,
                    r.index,
                    other.display(),
                    d.display()
                )));
            }
            by_id.insert(r.id.clone(), (r, d.as_path()));
        }
    }
    let missing: Vec<&Point> = first
        .sweep
        .points
        .iter()
        .filter(|p| !by_id.contains_key(&p.id))
        .collect();
    if !missing.is_empty() {
        let show: Vec<String> = missing
            .iter()
            .take(5)
            .map(|p| format!("{} (index {})", p.id, p.index))
            .collect();
        return Err(SweepError::Input(format!(
            "{} of {} points have no result: {}{}; run the shards they belong to (with --resume) and merge again",
            missing.len(),
            first.sweep.points.len(),
            show.join(", "),
            if missing.len() > 5 { ", ..." } else { "" }
        )));
    }
    if out.exists() {
        return Err(SweepError::Input(format!(
            "{}: exists; merge writes a new directory and never into an existing one. Pick another --out",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let manifest = Manifest {
        shard: None,
        ..first
    };
    manifest.write(out)?;
    let mut all: Vec<Record> = by_id.into_values().map(|(r, _)| r).collect();
    let path = out.join("results.jsonl");
    results::write_canonical(&path, &mut all).map_err(|e| io_err(&path, e))?;
    Ok((out.to_path_buf(), all.len()))
}
