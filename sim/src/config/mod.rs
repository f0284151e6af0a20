//! Configuration: TOML files into serde structs, `--set` overrides, and the errors that name the fix.
//!
//! Loading is two-stage. Stage one ([`load`]) parses TOML, applies `--set key.path=value` overrides and
//! deserializes into raw structs that deny unknown keys. Stage two is each model's `resolve`, which
//! checks values and cross-field rules and returns a [`Invalid`] naming the key path and the fix.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A configuration problem, always naming the file and, where there is one, the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read config: {source}", .file.display())]
    Io {
        /// The config file that could not be read.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}: not valid TOML:\n{msg}", .file.display())]
    Syntax {
        /// The config file whose TOML is malformed.
        file: PathBuf,
        /// The parser's message, with line and column.
        msg: String,
    },
    /// A key is unknown, missing or has the wrong type.
    #[error("{}: key `{key}`: {msg}", .file.display())]
    Schema {
        /// The config file with the bad key.
        file: PathBuf,
        /// The key path.
        key: String,
        /// What is wrong.
        msg: String,
    },
    /// A value is out of range or inconsistent with another.
    #[error("{}: {}", .file.display(), .invalid)]
    Invalid {
        /// The config file the invalid value came from.
        file: PathBuf,
        /// The key, its value and the fix.
        invalid: Invalid,
    },
    /// A `--set` argument is malformed.
    #[error("--set {arg:?}: {msg}")]
    Override {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        msg: String,
    },
}

/// A value that failed validation: `key = value: must ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} = {value}: {msg}")]
pub struct Invalid {
    /// Full key path, e.g. `level[1].n_ways`.
    pub key: String,
    /// The offending value as written.
    pub value: String,
    /// What it must be instead.
    pub msg: String,
}

impl Invalid {
    /// A new validation error.
    pub fn new(key: impl Into<String>, value: impl ToString, msg: impl Into<String>) -> Invalid {
        Invalid {
            key: key.into(),
            value: value.to_string(),
            msg: msg.into(),
        }
    }

    /// Attaches the file it came from.
    pub fn in_file(self, file: &Path) -> ConfigError {
        ConfigError::Invalid {
            file: file.to_path_buf(),
            invalid: self,
        }
    }
}

/// Reads `file`, applies `overrides` (`key.path=value`) and deserializes it into `T`.
pub fn load<T: DeserializeOwned + Serialize>(
    file: &Path,
    overrides: &[String],
) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    parse(&text, file, overrides)
}

/// Parses TOML `text` (named `file` in errors), applies overrides and deserializes it into `T`.
///
/// An override changes exactly the key it names. The overrides are applied to the file as
/// resolved, with every default filled in, so one key of a table the file leaves out (say
/// `piuma.dram.preset`) keeps the table's other defaults instead of replacing the whole table.
/// If the file alone does not deserialize (an override supplies a required key), the overrides
/// go onto the file as written.
pub fn parse<T: DeserializeOwned + Serialize>(
    text: &str,
    file: &Path,
    overrides: &[String],
) -> Result<T, ConfigError> {
    let written: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        file: file.to_path_buf(),
        msg: e.to_string().trim_end().to_string(),
    })?;
    if overrides.is_empty() {
        return deserialize(written, file);
    }
    let resolved = deserialize::<T>(written.clone(), file)
        .ok()
        .and_then(|base| toml::Value::try_from(&base).ok());
    let mut table = match resolved {
        Some(toml::Value::Table(full)) => full,
        _ => written,
    };
    for arg in overrides {
        apply_override(&mut table, arg)?;
    }
    deserialize(table, file)
}

/// Deserializes a table into `T`; errors name `file` and the key path.
fn deserialize<T: DeserializeOwned>(table: toml::Table, file: &Path) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let key = e.path().to_string();
        ConfigError::Schema {
            file: file.to_path_buf(),
            key: if key == "." {
                "(top level)".into()
            } else {
                key
            },
            msg: e.into_inner().to_string().trim().to_string(),
        }
    })
}

/// Applies one `key.path=value` override. The value is read as TOML (`32`, `true`, `"lru"`, `[1, 2]`),
/// and as a plain string if it is not valid TOML. Keys that do not exist yet are created; the
/// schema check that follows rejects keys the config does not have.
pub fn apply_override(root: &mut toml::Table, arg: &str) -> Result<(), ConfigError> {
    let bad = |msg: &str| ConfigError::Override {
        arg: arg.to_string(),
        msg: msg.to_string(),
    };
    let (path, raw) = arg
        .split_once('=')
        .ok_or_else(|| bad("expected key.path=value"))?;
    let path = path.trim();
    if path.is_empty() || path.split('.').any(|p| p.trim().is_empty()) {
        return Err(bad("the key path has an empty part"));
    }
    let raw_t = raw.trim();
    if !raw_t.is_empty()
        && raw_t
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_')
        && raw_t.replace('_', "").parse::<i64>().is_err()
    {
        return Err(bad(&format!(
            "{raw_t} is beyond the integers TOML holds ({} to {})",
            i64::MIN,
            i64::MAX
        )));
    }
    let value = match toml::from_str::<toml::Table>(&format!("v = {}", raw.trim())) {
        Ok(mut t) => t.remove("v").expect("the table was parsed from `v = ...`"),
        Err(_) => toml::Value::String(raw.trim().to_string()),
    };
    let parts: Vec<&str> = path.split('.').collect();
    let mut table = root;
    for (i, part) in parts.iter().enumerate() {
        let (name, index) = split_index(part).ok_or_else(|| bad("bad array index in key path"))?;
        let last = i + 1 == parts.len();
        if last && index.is_none() {
            table.insert(name.to_string(), value);
            return Ok(());
        }
        let entry = table
            .entry(name.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let next = match index {
            Some(idx) => {
                let arr = entry
                    .as_array_mut()
                    .ok_or_else(|| bad(&format!("`{name}` is not an array")))?;
                let len = arr.len();
                let slot = arr.get_mut(idx).ok_or_else(|| {
                    bad(&format!(
                        "`{name}` has {len} entries; index {idx} is out of range"
                    ))
                })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            None => entry,
        };
        table = next
            .as_table_mut()
            .ok_or_else(|| bad(&format!("`{part}` is a value, not a table")))?;
    }
    unreachable!("the loop returns at the last part")
}

/// Splits `name[3]` into `("name", Some(3))` and `name` into `("name", None)`.
fn split_index(part: &str) -> Option<(&str, Option<usize>)> {
    match part.split_once('[') {
        None => Some((part, None)),
        Some((name, rest)) => {
            let idx = rest.strip_suffix(']')?.parse().ok()?;
            Some((name, Some(idx)))
        }
    }
}

/// Checks that `value` is a power of two, naming `key` if not.
pub fn require_pow2(key: &str, value: u64) -> Result<(), Invalid> {
    if value == 0 || !value.is_power_of_two() {
        return Err(Invalid::new(key, value, "must be a power of two"));
    }
    Ok(())
}

/// What a report folder's name must be, said the same way wherever one is given.
pub const PLAIN_FOLDER_NAME: &str =
    "give a plain folder name (no slashes, no control characters, not starting with a dot, at most 200 characters)";

/// True if `name` can name a folder inside another without reaching outside it, on every
/// common file system: not empty, no path separators or control characters (NUL included),
/// not starting with a dot, at most 200 characters (file systems allow 255 bytes).
pub fn is_plain_folder_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
        && !name.starts_with('.')
        && name.chars().count() <= 200
        && name.len() <= 255
}

/// Checks that `value` is at least `min`, naming `key` if not.
pub fn require_at_least(key: &str, value: u64, min: u64) -> Result<(), Invalid> {
    if value < min {
        return Err(Invalid::new(key, value, format!("must be at least {min}")));
    }
    Ok(())
}

/// Checks `min <= value <= max`; above the range, the message says what the bound protects.
pub fn require_in(key: &str, value: u64, min: u64, max: u64, why: &str) -> Result<(), Invalid> {
    require_at_least(key, value, min)?;
    if value > max {
        return Err(Invalid::new(
            key,
            value,
            format!("must be at most {max} ({why})"),
        ));
    }
    Ok(())
}

/// Slowest clock a timed model accepts, in MHz. Our assumption: no design these machines model
/// runs below it, and a slower clock's cycle spans many DRAM refresh intervals (7.8 us in
/// DDR4), each of which the DRAM model simulates, so a mistyped unit (`1e-9`) would run for hours.
pub const MIN_CLOCK_MHZ: f64 = 1.0;

/// Checks a clock frequency `mhz` given as `value` in the key's own unit (`unit`: "MHz" or
/// "GHz"): finite, at least [`MIN_CLOCK_MHZ`] and at most `max_mhz`.
pub fn require_clock(key: &str, value: f64, unit: &str, max_mhz: f64) -> Result<(), Invalid> {
    let per_mhz = if unit == "GHz" { 1e-3 } else { 1.0 };
    let mhz = value / per_mhz;
    if !(mhz.is_finite() && (MIN_CLOCK_MHZ..=max_mhz).contains(&mhz)) {
        return Err(Invalid::new(
            key,
            value,
            format!(
                "must be a clock in {unit} from {} to {} (is the unit right?)",
                MIN_CLOCK_MHZ * per_mhz,
                max_mhz * per_mhz
            ),
        ));
    }
    Ok(())
}

/// Largest latency, in cycles, a model accepts: longer is surely a typo, and near 2^64
/// picoseconds a run's time would overflow.
pub const MAX_LATENCY_CYCLES: u64 = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, serde::Serialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        n_ways: u32,
    }
    #[derive(Debug, Deserialize, serde::Serialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: String,
        level: Vec<Inner>,
    }

    const TEXT: &str = "name = \"x\"\n[[level]]\nn_ways = 4\n[[level]]\nn_ways = 8\n";

    #[test]
    fn overrides_reach_array_entries_and_plain_keys() {
        let o: Outer = parse(
            TEXT,
            Path::new("t.toml"),
            &["level[1].n_ways=16".into(), "name=renamed".into()],
        )
        .unwrap();
        assert_eq!(o.level[1].n_ways, 16);
        assert_eq!(o.name, "renamed");
    }

    #[test]
    fn unknown_key_error_names_file_and_path() {
        let text = TEXT.replace("n_ways = 8", "n_wayz = 8");
        let err = parse::<Outer>(&text, Path::new("t.toml"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.toml: key `level[1]"), "{err}");
        assert!(err.contains("n_wayz"), "{err}");
    }

    #[test]
    fn override_errors_are_reported_not_panicked() {
        for bad in ["novalue", "level[9].n_ways=1", ".x=1", "level[x].n=1"] {
            let e = parse::<Outer>(TEXT, Path::new("t.toml"), &[bad.into()]).unwrap_err();
            assert!(matches!(e, ConfigError::Override { .. }), "{bad}: {e}");
        }
        let e = parse::<Outer>(
            TEXT,
            Path::new("t.toml"),
            &["level[0].n_ways=\"many\"".into()],
        )
        .unwrap_err();
        assert!(e.to_string().contains("level[0].n_ways"), "{e}");
    }

    #[test]
    fn syntax_error_names_the_line() {
        let e = parse::<Outer>("name = \n", Path::new("bad.toml"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("bad.toml: not valid TOML") && e.contains("line 1"),
            "{e}"
        );
    }
}
