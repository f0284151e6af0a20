//! DRAM configuration: named presets (`configs/presets/dram/*.toml`, compiled in) plus overrides,
//! resolved into a checked [`DramSpec`].

use serde::{Deserialize, Serialize};

use crate::config::{require_at_least, require_in, require_pow2, Invalid};

/// The preset files, compiled into the binary so a run needs no file but its own config.
const PRESETS: &[(&str, &str)] = &[
    (
        "DDR4-2400",
        include_str!("../../../../configs/presets/dram/ddr4-2400.toml"),
    ),
    (
        "DDR4-3200",
        include_str!("../../../../configs/presets/dram/ddr4-3200.toml"),
    ),
    (
        "DDR5-4400",
        include_str!("../../../../configs/presets/dram/ddr5-4400.toml"),
    ),
    (
        "LPDDR4X-4266",
        include_str!("../../../../configs/presets/dram/lpddr4x-4266.toml"),
    ),
    (
        "HBM2",
        include_str!("../../../../configs/presets/dram/hbm2.toml"),
    ),
];

/// Checks a preset file (`configs/presets/dram/*.toml`): its schema, and the organisation rules
/// every resolved DRAM must meet. Presets are compiled in; this is what `validate` runs on one.
pub fn check_preset_text(
    text: &str,
    file: &std::path::Path,
) -> Result<(), crate::config::ConfigError> {
    let p: PresetFile = crate::config::parse(text, file, &[])?;
    for (name, v) in [
        ("channels", p.org.channels),
        ("ranks", p.org.ranks),
        ("bank_groups", p.org.bank_groups),
        ("banks_per_group", p.org.banks_per_group),
        ("rows", p.org.rows),
        ("columns", p.org.columns),
        ("bus_width_bits", p.org.bus_width_bits),
    ] {
        require_pow2(&format!("org.{name}"), v).map_err(|e| e.in_file(file))?;
    }
    require_at_least("timing.tck_ps", p.timing.tck_ps, 1).map_err(|e| e.in_file(file))?;
    Ok(())
}

/// Names of the built-in presets.
pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// Organisation of one channel (and the number of channels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DramOrg {
    /// Independent channels.
    pub channels: u64,
    /// Ranks per channel.
    pub ranks: u64,
    /// Bank groups per rank (1 where the standard has none).
    pub bank_groups: u64,
    /// Banks per bank group.
    pub banks_per_group: u64,
    /// Rows per bank.
    pub rows: u64,
    /// Columns per row, each one bus-width beat wide.
    pub columns: u64,
    /// Data bus width of one channel in bits.
    pub bus_width_bits: u64,
    /// Burst length in beats of a full access.
    pub burst_length: u64,
}

/// Timing parameters in DRAM clock cycles (`tck_ps` in picoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DramTiming {
    /// Clock period, ps.
    pub tck_ps: u64,
    /// Read (CAS) latency.
    pub cl: u64,
    /// Write latency.
    pub cwl: u64,
    /// ACT to RD/WR.
    pub rcd: u64,
    /// PRE to ACT.
    pub rp: u64,
    /// ACT to PRE.
    pub ras: u64,
    /// ACT to ACT, same bank.
    pub rc: u64,
    /// RD to PRE.
    pub rtp: u64,
    /// Write recovery: end of write data to PRE.
    pub wr: u64,
    /// Column to column, different bank group.
    pub ccd_s: u64,
    /// Column to column, same bank group.
    pub ccd_l: u64,
    /// ACT to ACT, different bank group.
    pub rrd_s: u64,
    /// ACT to ACT, same bank group.
    pub rrd_l: u64,
    /// Window in which at most four ACTs may issue per rank.
    pub faw: u64,
    /// End of write data to RD, different bank group.
    pub wtr_s: u64,
    /// End of write data to RD, same bank group.
    pub wtr_l: u64,
    /// Extra bus cycles when consecutive data bursts come from different ranks.
    pub rtrs: u64,
    /// Refresh cycle time (REF to ACT).
    pub rfc: u64,
    /// Average refresh interval.
    pub refi: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PresetFile {
    name: String,
    org: DramOrg,
    timing: DramTiming,
    controller: ControllerDefaults,
}

/// A preset's memory controller: the defaults of the [`DramConfig`] keys of the same names.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ControllerDefaults {
    queue_size: u64,
    bank_queue: u64,
    row_hit_cap: u64,
    write_buffer: u64,
    write_low: u64,
    write_idle: u64,
}

/// Row-buffer policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PagePolicy {
    /// Rows stay open until a conflicting access or a refresh.
    #[default]
    Open,
    /// A row is closed as soon as no queued request wants it.
    Closed,
}

/// Optional per-field overrides of a preset's organisation.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrgOverrides {
    /// See [`DramOrg::channels`].
    pub channels: Option<u64>,
    /// See [`DramOrg::ranks`].
    pub ranks: Option<u64>,
    /// See [`DramOrg::bank_groups`].
    pub bank_groups: Option<u64>,
    /// See [`DramOrg::banks_per_group`].
    pub banks_per_group: Option<u64>,
    /// See [`DramOrg::rows`].
    pub rows: Option<u64>,
    /// See [`DramOrg::columns`].
    pub columns: Option<u64>,
    /// See [`DramOrg::bus_width_bits`].
    pub bus_width_bits: Option<u64>,
}

/// A DRAM system as written in a config file: a preset and what to change in it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DramConfig {
    /// Preset name: DDR4-2400, DDR4-3200, DDR5-4400, LPDDR4X-4266 or HBM2.
    pub preset: String,
    /// Organisation overrides.
    #[serde(default)]
    pub org: OrgOverrides,
    /// Bytes moved by one column command: 8 to 64, a power of two. Default: bus width x burst length.
    pub access_bytes: Option<u64>,
    /// Row-buffer policy. Default open.
    #[serde(default)]
    pub page_policy: PagePolicy,
    /// Requests each channel's scheduler sees at once (the FR-FCFS window); with `bank_queue`,
    /// the transaction queue in front of the banks' queues instead. Default: the preset's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_size: Option<u64>,
    /// Accesses each bank's queue holds; 0 = no limit per bank, the window is `queue_size`
    /// requests shared by all banks. With a limit, requests wait in a transaction queue of
    /// `queue_size` entries (reads only, with a write buffer), and any of them whose bank's queue
    /// has room enters it: DRAMsim3's PER_BANK command queues (`cmd_queue_size`) behind its
    /// transaction queue (`trans_queue_size`). Default: the preset's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_queue: Option<u64>,
    /// Column commands a bank serves to its open row, since opening it, before it may close it
    /// for an older access to another row; 0 = no cap, row hits always go first (FR-FCFS).
    /// Default: the preset's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_hit_cap: Option<u64>,
    /// Address mapping, most significant field first, fields separated by `-`:
    /// `row`, `rank`, `bankgroup`, `bank`, `column`, `channel`; a field may be split with bit counts
    /// (`row-rank-bank-column:6-bankgroup-channel-column:3`). Default `row-rank-bank-column-bankgroup-channel`.
    #[serde(default = "default_mapping")]
    pub mapping: String,
    /// Whether refresh is modelled. Default true.
    #[serde(default = "yes")]
    pub refresh: bool,
    /// Write-buffer entries per channel; 0 = none, reads and writes share the scheduler window.
    /// With a buffer, writes wait in it (a read of a buffered access is answered from it) and the
    /// window serves reads until the buffer reaches `write_high`, then writes until it falls to
    /// `write_low` (write-drain mode, as DRAMsim3, Ramulator and real controllers do); with no
    /// read waiting, a buffer above `write_idle` drains too. Default: the preset's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_buffer: Option<u64>,
    /// Entries at which draining starts. Default: the buffer's size (DRAMsim3: when full).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_high: Option<u64>,
    /// Entries at which draining stops. Default: the preset's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_low: Option<u64>,
    /// With no read waiting, drain once the buffer holds more than this. Default: the preset's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_idle: Option<u64>,
}

fn default_mapping() -> String {
    "row-rank-bank-column-bankgroup-channel".to_string()
}
fn yes() -> bool {
    true
}

/// An address field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The channel index bits.
    Channel,
    /// The rank index bits.
    Rank,
    /// Bank group.
    BankGroup,
    /// Bank within its group.
    Bank,
    /// The row index bits.
    Row,
    /// Column block (one access).
    Column,
}

/// A resolved DRAM system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DramSpec {
    /// Preset name.
    pub name: String,
    /// The resolved organisation (channels, ranks, banks, rows, columns, bus).
    pub org: DramOrg,
    /// The timing parameters, in DRAM clock cycles.
    pub timing: DramTiming,
    /// Bytes per column command.
    pub access_bytes: u64,
    /// Data-bus cycles one access occupies.
    pub burst_cycles: u64,
    /// Row-buffer policy.
    pub page_policy: PagePolicy,
    /// Scheduler window per channel; with `bank_queue`, the transaction queue.
    pub queue_size: usize,
    /// Accesses a bank's queue holds (0 = no limit per bank).
    pub bank_queue: usize,
    /// Row hits served before an older row miss may close the row (0 = no cap).
    pub row_hit_cap: u32,
    /// Mapping, least significant field first, with each field's bit count.
    pub mapping_lsb_first: Vec<(Field, u32)>,
    /// Whether refresh is modelled.
    pub refresh: bool,
    /// Write buffer per channel: entries (0 = none), drain-start and drain-stop marks, and the
    /// level above which it drains when no read waits.
    pub write_buffer: WriteBuffer,
}

/// A channel's write buffer (see [`DramConfig::write_buffer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteBuffer {
    /// Entries; 0 = no buffer.
    pub entries: usize,
    /// Draining starts at this many.
    pub high: usize,
    /// Draining stops at this many.
    pub low: usize,
    /// With no read waiting, draining starts above this many.
    pub idle: usize,
}

impl DramSpec {
    /// Peak data bandwidth of all channels in bytes per second.
    pub fn peak_bytes_per_s(&self) -> f64 {
        let bytes_per_cycle = self.access_bytes as f64 / self.burst_cycles as f64;
        bytes_per_cycle * 1e12 / self.timing.tck_ps as f64 * self.org.channels as f64
    }

    /// Column accesses per row.
    pub fn accesses_per_row(&self) -> u64 {
        self.org.columns * self.org.bus_width_bits / 8 / self.access_bytes
    }
}

impl DramConfig {
    /// A config that is just `preset` with every default.
    pub fn preset(name: &str) -> DramConfig {
        DramConfig {
            preset: name.to_string(),
            org: OrgOverrides::default(),
            access_bytes: None,
            page_policy: PagePolicy::Open,
            queue_size: None,
            bank_queue: None,
            row_hit_cap: None,
            mapping: default_mapping(),
            refresh: true,
            write_buffer: None,
            write_high: None,
            write_low: None,
            write_idle: None,
        }
    }

    /// Resolves the preset and overrides; errors name `{prefix}.key`.
    pub fn resolve(&self, prefix: &str) -> Result<DramSpec, Invalid> {
        let key = |k: &str| format!("{prefix}.{k}");
        let text = PRESETS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&self.preset))
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                Invalid::new(
                    key("preset"),
                    format!("{:?}", self.preset),
                    format!("unknown preset; choose one of {:?}", preset_names()),
                )
            })?;
        let preset: PresetFile = toml::from_str(text).expect("built-in presets are valid (tested)");
        let mut org = preset.org;
        let o = &self.org;
        for (dst, src) in [
            (&mut org.channels, o.channels),
            (&mut org.ranks, o.ranks),
            (&mut org.bank_groups, o.bank_groups),
            (&mut org.banks_per_group, o.banks_per_group),
            (&mut org.rows, o.rows),
            (&mut org.columns, o.columns),
            (&mut org.bus_width_bits, o.bus_width_bits),
        ] {
            if let Some(v) = src {
                *dst = v;
            }
        }
        for (name, v) in [
            ("channels", org.channels),
            ("ranks", org.ranks),
            ("bank_groups", org.bank_groups),
            ("banks_per_group", org.banks_per_group),
            ("rows", org.rows),
            ("columns", org.columns),
        ] {
            require_pow2(&key(&format!("org.{name}")), v)?;
        }
        for (name, v, max) in [
            ("channels", org.channels, 1 << 10),
            ("ranks", org.ranks, 64),
            ("bank_groups", org.bank_groups, 64),
            ("banks_per_group", org.banks_per_group, 64),
            ("rows", org.rows, 1 << 24),
            ("columns", org.columns, 1 << 16),
            ("bus_width_bits", org.bus_width_bits, 1 << 12),
        ] {
            require_in(
                &key(&format!("org.{name}")),
                v,
                1,
                max,
                "beyond any DRAM organisation",
            )?;
        }
        require_at_least(&key("org.bus_width_bits"), org.bus_width_bits, 8)?;
        require_pow2(&key("org.bus_width_bits"), org.bus_width_bits)?;
        let bus_bytes = org.bus_width_bits / 8;
        let full = bus_bytes * org.burst_length;
        let access_bytes = self.access_bytes.unwrap_or(full);
        require_pow2(&key("access_bytes"), access_bytes)?;
        if !(8..=64).contains(&access_bytes) {
            return Err(Invalid::new(
                key("access_bytes"),
                access_bytes,
                "must be between 8 and 64 bytes",
            ));
        }
        let row_bytes = org.columns * bus_bytes;
        if access_bytes > row_bytes {
            return Err(Invalid::new(
                key("access_bytes"),
                access_bytes,
                format!("is larger than a row ({row_bytes} bytes)"),
            ));
        }
        let ctl = preset.controller;
        let queue_size = self.queue_size.unwrap_or(ctl.queue_size);
        let bank_queue = self.bank_queue.unwrap_or(ctl.bank_queue);
        let row_hit_cap = self.row_hit_cap.unwrap_or(ctl.row_hit_cap);
        require_in(
            &key("queue_size"),
            queue_size,
            1,
            1 << 16,
            "requests per channel",
        )?;
        require_in(
            &key("bank_queue"),
            bank_queue,
            0,
            1 << 16,
            "accesses per bank queue (0 = no limit)",
        )?;
        require_in(
            &key("row_hit_cap"),
            row_hit_cap,
            0,
            1 << 16,
            "row hits before an older miss may close the row (0 = no cap)",
        )?;
        // One beat moves bus_bytes; two beats per clock (double data rate).
        let beats = access_bytes.div_ceil(bus_bytes);
        let burst_cycles = beats.div_ceil(2).max(1);
        let mapping_lsb_first =
            self.parse_mapping(&key("mapping"), &org, row_bytes / access_bytes)?;
        let entries = self.write_buffer.unwrap_or(ctl.write_buffer);
        let write_buffer = if entries == 0 {
            for (k, set) in [
                ("write_high", self.write_high.is_some()),
                ("write_low", self.write_low.is_some_and(|v| v > 0)),
                ("write_idle", self.write_idle.is_some_and(|v| v > 0)),
            ] {
                if set {
                    return Err(Invalid::new(
                        key(k),
                        "(set)",
                        "applies to a write buffer, and write_buffer is 0 (none): give write_buffer entries or leave this key out",
                    ));
                }
            }
            WriteBuffer::default()
        } else {
            require_in(
                &key("write_buffer"),
                entries,
                1,
                1 << 16,
                "write-buffer entries (0 = none)",
            )?;
            let high = self.write_high.unwrap_or(entries);
            require_in(
                &key("write_high"),
                high,
                1,
                entries,
                "entries at which draining starts (at most write_buffer)",
            )?;
            let from = |set: Option<u64>| if set.is_some() { "" } else { " (the preset's)" };
            let low = self.write_low.unwrap_or(ctl.write_low);
            if low >= high {
                return Err(Invalid::new(
                    key("write_low"),
                    format!("{low}{}", from(self.write_low)),
                    format!("must be below write_high ({high})"),
                ));
            }
            let idle = self.write_idle.unwrap_or(ctl.write_idle);
            if idle >= entries {
                return Err(Invalid::new(
                    key("write_idle"),
                    format!("{idle}{}", from(self.write_idle)),
                    format!("must be below write_buffer ({entries})"),
                ));
            }
            WriteBuffer {
                entries: entries as usize,
                high: high as usize,
                low: low as usize,
                idle: idle as usize,
            }
        };
        Ok(DramSpec {
            name: preset.name,
            org,
            timing: preset.timing,
            access_bytes,
            burst_cycles,
            page_policy: self.page_policy,
            queue_size: queue_size as usize,
            bank_queue: bank_queue as usize,
            row_hit_cap: row_hit_cap as u32,
            mapping_lsb_first,
            refresh: self.refresh,
            write_buffer,
        })
    }

    /// Parses the mapping. Each part is a field name, optionally with a bit count (`column:3`); a
    /// field may be split into several parts (their bit counts must add up to the field's width),
    /// and the lower part holds the lower bits, so `...-channel-column:3` keeps 8 consecutive
    /// accesses in one row of one channel before moving to the next channel.
    fn parse_mapping(
        &self,
        key: &str,
        org: &DramOrg,
        n_col_blocks: u64,
    ) -> Result<Vec<(Field, u32)>, Invalid> {
        let bad = |msg: String| Invalid::new(key, format!("{:?}", self.mapping), msg);
        let width = |f: Field| {
            match f {
                Field::Channel => org.channels,
                Field::Rank => org.ranks,
                Field::BankGroup => org.bank_groups,
                Field::Bank => org.banks_per_group,
                Field::Row => org.rows,
                Field::Column => n_col_blocks,
            }
            .trailing_zeros()
        };
        let mut parts: Vec<(Field, Option<u32>)> = Vec::new();
        for part in self.mapping.split('-') {
            let (name, bits) = match part.trim().split_once(':') {
                Some((n, b)) => (
                    n,
                    Some(
                        b.parse::<u32>()
                            .map_err(|_| bad(format!("bad bit count in {part:?}")))?,
                    ),
                ),
                None => (part.trim(), None),
            };
            let f = match name {
                "channel" => Field::Channel,
                "rank" => Field::Rank,
                "bankgroup" => Field::BankGroup,
                "bank" => Field::Bank,
                "row" => Field::Row,
                "column" => Field::Column,
                other => return Err(bad(format!("unknown field {other:?}; use row, rank, bankgroup, bank, column, channel separated by '-'"))),
            };
            parts.push((f, bits));
        }
        let all = [
            Field::Row,
            Field::Rank,
            Field::BankGroup,
            Field::Bank,
            Field::Column,
            Field::Channel,
        ];
        let mut out = Vec::new();
        for f in all {
            let mine: Vec<usize> = (0..parts.len()).filter(|&i| parts[i].0 == f).collect();
            match mine.len() {
                0 => {
                    return Err(bad(
                        "must name all six fields: row, rank, bankgroup, bank, column, channel"
                            .into(),
                    ))
                }
                1 if parts[mine[0]].1.is_none() => parts[mine[0]].1 = Some(width(f)),
                _ => {
                    let given: u32 = mine.iter().map(|&i| parts[i].1.unwrap_or(0)).sum();
                    if mine.iter().any(|&i| parts[i].1.is_none()) || given != width(f) {
                        return Err(bad(format!(
                            "the parts of {f:?} must each give a bit count, adding up to {}",
                            width(f)
                        )));
                    }
                }
            }
        }
        for (f, bits) in parts {
            out.push((f, bits.expect("every part has its bit count now")));
        }
        out.reverse();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_resolves_with_consistent_timing() {
        for name in preset_names() {
            let spec = DramConfig::preset(name).resolve("dram").unwrap();
            let t = spec.timing;
            assert!(t.rc >= t.ras, "{name}: tRC < tRAS");
            assert!(t.ccd_l >= t.ccd_s && t.rrd_l >= t.rrd_s, "{name}");
            assert!(t.refi > t.rfc, "{name}");
            assert!(spec.peak_bytes_per_s() > 1e9, "{name}");
        }
    }

    #[test]
    fn peak_bandwidth_matches_data_rate() {
        // DDR4-3200 on 64 bits: 3200 MT/s x 8 B = 25.6 GB/s.
        let spec = DramConfig::preset("DDR4-3200").resolve("dram").unwrap();
        assert!(
            (spec.peak_bytes_per_s() - 25.6e9).abs() < 1e6,
            "{}",
            spec.peak_bytes_per_s()
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut c = DramConfig::preset("DDR4-3200");
        c.access_bytes = Some(12);
        assert_eq!(c.resolve("dram").unwrap_err().key, "dram.access_bytes");
        let mut c = DramConfig::preset("DDR9");
        assert_eq!(c.resolve("dram").unwrap_err().key, "dram.preset");
        c.preset = "HBM2".into();
        c.mapping = "row-rank-bank-column-channel".into();
        assert_eq!(c.resolve("dram").unwrap_err().key, "dram.mapping");
    }
}
