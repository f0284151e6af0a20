//! `results.jsonl`: one complete JSON line per finished point, appended, flushed and synced, so a
//! sweep killed at any moment loses at most the line being written, and that torn line is found and
//! dropped on resume.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::spec::Point;
use super::SweepError;
use crate::report::RunReport;

/// How a point ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It ran to the end.
    Ok,
    /// Its config was rejected or its simulation failed; `error` says why.
    Failed,
}

/// A metric with its unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Value {
    /// The metric's value.
    pub value: f64,
    /// Its unit.
    pub unit: String,
}

/// One line of `results.jsonl`. Nothing in it depends on wall-clock time or thread count, so the
/// same sweep gives the same lines however it is run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Hash of the sweep this point belongs to.
    pub sweep: String,
    /// The point: index, id, workload, axes, seed, overrides.
    #[serde(flatten)]
    pub point: Point,
    /// How it ended.
    pub status: Status,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Simulated time, in picoseconds.
    pub simulated_ps: u64,
    /// Engine events delivered.
    pub n_events: u64,
    /// Derived metrics of the run's report, plus `energy_uj` (finite values only).
    pub metrics: BTreeMap<String, Value>,
    /// Energy by component, in picojoules.
    pub energy_pj: BTreeMap<String, f64>,
}

impl std::ops::Deref for Record {
    type Target = Point;
    fn deref(&self) -> &Point {
        &self.point
    }
}

impl Record {
    /// The record of a point that ran.
    pub fn ok(hash: &str, p: &Point, r: &RunReport) -> Record {
        let mut metrics: BTreeMap<String, Value> = r
            .derived
            .iter()
            .filter(|(_, m)| m.value.is_finite())
            .map(|(k, m)| {
                (
                    k.clone(),
                    Value {
                        value: m.value,
                        unit: m.unit.clone(),
                    },
                )
            })
            .collect();
        metrics.insert(
            "energy_uj".into(),
            Value {
                value: r.energy.total_pj / 1e6,
                unit: "uJ".into(),
            },
        );
        metrics.insert(
            "simulated_time_us".into(),
            Value {
                value: r.simulated_ps as f64 / 1e6,
                unit: "us".into(),
            },
        );
        Record {
            status: Status::Ok,
            error: None,
            simulated_ps: r.simulated_ps,
            n_events: r.n_events,
            metrics,
            energy_pj: r.energy.by_component.clone(),
            ..Record::failed(hash, p, String::new())
        }
    }

    /// The record of a point that failed.
    pub fn failed(hash: &str, p: &Point, error: String) -> Record {
        Record {
            sweep: hash.to_string(),
            point: p.clone(),
            status: Status::Failed,
            error: Some(error),
            simulated_ps: 0,
            n_events: 0,
            metrics: BTreeMap::new(),
            energy_pj: BTreeMap::new(),
        }
    }

    /// The record as one line, newline included.
    pub fn line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("records serialize");
        s.push('\n');
        s
    }

    /// A metric's value, if the point has it.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.get(name).map(|v| v.value)
    }
}

/// The records of a results file, and whether a torn last line was dropped.
pub struct Contents {
    /// Complete records, in file order.
    pub records: Vec<Record>,
    /// Bytes of the complete lines (a torn tail starts here).
    pub good_len: u64,
    /// A partial last line was found.
    pub torn: bool,
}

/// Reads `path`. Every complete line must be a record of sweep `hash` (if given); an unterminated
/// last line is the mark of a write cut short and is reported as torn, not as an error.
pub fn read(path: &Path, hash: Option<&str>) -> Result<Contents, SweepError> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_string(&mut text)
                .map_err(|e| SweepError::Input(format!("{}: cannot read: {e}", path.display())))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(SweepError::Input(format!(
                "{}: cannot read: {e}",
                path.display()
            )))
        }
    }
    let good_len = text.rfind('\n').map_or(0, |i| i + 1);
    let torn = good_len < text.len();
    let mut records = Vec::new();
    for (n, line) in text[..good_len].lines().enumerate() {
        let r: Record = serde_json::from_str(line).map_err(|e| {
            SweepError::Input(format!(
                "{}:{}: not a sweep result ({e}); the file was edited or is not a results.jsonl",
                path.display(),
                n + 1
            ))
        })?;
        if let Some(h) = hash {
            if r.sweep != h {
                return Err(SweepError::Input(format!(
                    "{}:{}: a result of sweep {}, not of this sweep ({h}); the sweep file or its base experiment changed since. Run it into a new directory (without --resume)",
                    path.display(),
                    n + 1,
                    r.sweep
                )));
            }
        }
        records.push(r);
    }
    Ok(Contents {
        records,
        good_len: good_len as u64,
        torn,
    })
}

/// An open results file that points are appended to.
pub struct Log {
    file: File,
    path: PathBuf,
}

impl Log {
    /// Opens `path` for appending after cutting it to `good_len` bytes (dropping a torn tail).
    pub fn open(path: &Path, good_len: u64) -> std::io::Result<Log> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)?;
        if file.metadata()?.len() != good_len {
            file.set_len(good_len)?;
            file.sync_data()?;
        }
        file.seek(SeekFrom::End(0))?;
        Ok(Log {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends one record as one write, then syncs it to disk.
    pub fn append(&mut self, r: &Record) -> std::io::Result<()> {
        self.file.write_all(r.line().as_bytes())?;
        self.file.sync_data()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `records`, sorted by index, as the canonical `path`: to a temporary file, synced, then
/// renamed over `path` (a rename is atomic, so a kill leaves the old or the new file, never half).
pub fn write_canonical(path: &Path, records: &mut [Record]) -> std::io::Result<()> {
    records.sort_by_key(|r| r.index);
    let tmp = path.with_extension("jsonl.tmp");
    {
        let mut f = File::create(&tmp)?;
        let mut text = String::new();
        for r in records.iter() {
            text.push_str(&r.line());
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: usize) -> Point {
        Point {
            index: i,
            id: format!("{i:016x}"),
            workload: "w".into(),
            axes: BTreeMap::new(),
            seed: 7,
            overrides: vec![format!("x={i}")],
        }
    }

    #[test]
    fn a_torn_last_line_is_detected_and_cut_on_reopen() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("results.jsonl");
        let mut log = Log::open(&path, 0).unwrap();
        for i in 0..3 {
            log.append(&Record::failed("h", &point(i), "e".into()))
                .unwrap();
        }
        drop(log);
        let full = std::fs::read(&path).unwrap();
        // Cut the last line in half, as a kill during the write would.
        let cut = full.len() - 20;
        std::fs::write(&path, &full[..cut]).unwrap();
        let r = read(&path, Some("h")).unwrap();
        assert!(r.torn);
        assert_eq!(r.records.len(), 2);
        let mut log = Log::open(&path, r.good_len).unwrap();
        log.append(&Record::failed("h", &point(2), "e".into()))
            .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), full);
    }

    #[test]
    fn a_result_of_another_sweep_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("results.jsonl");
        let mut log = Log::open(&path, 0).unwrap();
        log.append(&Record::failed("other", &point(0), "e".into()))
            .unwrap();
        let e = read(&path, Some("mine")).err().unwrap().to_string();
        assert!(e.contains("not of this sweep"), "{e}");
    }
}
