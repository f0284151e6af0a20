//! SCALE-Sim's `.cfg`: the keys it reads, which are modelled, and their checks.

use super::*;

/// The keys SCALE-Sim v3 reads, by section, lower-case (configparser's default).
const KNOWN: &[(&str, &[&str])] = &[
    ("general", &["run_name"]),
    (
        "architecture_presets",
        &[
            "arrayheight",
            "arraywidth",
            "ifmapsramszkb",
            "filtersramszkb",
            "ofmapsramszkb",
            "ifmapoffset",
            "filteroffset",
            "ofmapoffset",
            "dataflow",
            "bandwidth",
            "memorybanks",
            "readrequestbuffer",
            "writerequestbuffer",
        ],
    ),
    (
        "layout",
        &[
            "ifmapcustomlayout",
            "ifmapsrambankbandwidth",
            "ifmapsrambanknum",
            "ifmapsrambankport",
            "filtercustomlayout",
            "filtersrambankbandwidth",
            "filtersrambanknum",
            "filtersrambankport",
        ],
    ),
    (
        "sparsity",
        &[
            "sparsitysupport",
            "sparserep",
            "optimizedmapping",
            "blocksize",
            "randomnumbergeneratorseed",
        ],
    ),
    ("run_presets", &["interfacebandwidth", "useramulatortrace"]),
    ("network_presets", &["topologycsvloc"]),
];

/// The keys this front end models.
const MODELLED: &[&str] = &[
    "run_name",
    "arrayheight",
    "arraywidth",
    "dataflow",
    "ifmapsramszkb",
    "filtersramszkb",
    "ofmapsramszkb",
    "sparsitysupport",
    "sparserep",
    "optimizedmapping",
    "blocksize",
];

/// Whether a value is well-formed for its key.
type ValueCheck = fn(&str) -> bool;

/// What a key this front end reads but does not model must hold, as SCALE-Sim parses it
/// (`int(...)`, a comma-separated list of ints, configparser's booleans, or one of some words),
/// or `None` for free text. A value SCALE-Sim would reject is refused here too, so a file that
/// runs here runs there.
fn unmodelled_rule(key: &str) -> Option<(&'static str, ValueCheck)> {
    fn count(v: &str) -> bool {
        v.parse::<u64>().is_ok_and(|n| n >= 1)
    }
    fn offset(v: &str) -> bool {
        v.parse::<u64>().is_ok()
    }
    fn list(v: &str) -> bool {
        v.split(',').all(|x| count(x.trim()))
    }
    fn boolean(v: &str) -> bool {
        let v = v.to_ascii_lowercase();
        ["1", "yes", "true", "on", "0", "no", "false", "off"].contains(&v.as_str())
    }
    fn seed(v: &str) -> bool {
        v.parse::<i64>().is_ok()
    }
    Some(match key {
        "ifmapoffset" | "filteroffset" | "ofmapoffset" => {
            ("must be a whole number of words, 0 or more", offset)
        }
        "bandwidth" => (
            "must be words per cycle, a whole number from 1, or one per memory (`10, 10, 10`)",
            list,
        ),
        "memorybanks" | "readrequestbuffer" | "writerequestbuffer" | "ifmapsrambankbandwidth"
        | "ifmapsrambanknum" | "ifmapsrambankport" | "filtersrambankbandwidth"
        | "filtersrambanknum" | "filtersrambankport" => ("must be a whole number from 1", count),
        "ifmapcustomlayout" | "filtercustomlayout" => ("must be true or false", boolean),
        "useramulatortrace" => ("must be True or False", |v: &str| v == "True" || v == "False"),
        "interfacebandwidth" => ("must be USER or CALC", |v: &str| v == "USER" || v == "CALC"),
        "randomnumbergeneratorseed" => ("must be a whole number", seed),
        _ => return None,
    })
}

/// Reads a SCALE-Sim `.cfg` (`file` names it in errors).
pub fn parse_config(text: &str, file: &Path) -> Result<ScaleConfig, ConfigError> {
    let bad = |key: &str, value: &str, msg: &str| Invalid::new(key, value, msg).in_file(file);
    let mut section = String::new();
    let mut values: Vec<(String, String, String, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        let Some(at) = line.find([':', '=']) else {
            return Err(bad(
                &format!("line {}", i + 1),
                line,
                "expected `key: value` or `key = value`, or a [section]",
            ));
        };
        let key = line[..at].trim().to_ascii_lowercase();
        let value = line[at + 1..].trim().to_string();
        // configparser refuses a repeated key too (DuplicateOptionError): SCALE-Sim would stop.
        if let Some((_, _, _, first)) = values.iter().find(|(s, k, _, _)| *s == section && *k == key) {
            return Err(bad(
                &format!("{section}.{key}"),
                &value,
                &format!(
                    "given twice, on lines {first} and {}: keep one",
                    i + 1
                ),
            ));
        }
        values.push((section.clone(), key, value, i + 1));
    }
    let get = |sec: &str, key: &str| {
        values
            .iter()
            .rev()
            .find(|(s, k, _, _)| s == sec && k == key)
            .map(|(_, _, v, _)| v.as_str())
    };
    let mut warnings = Vec::new();
    let mut unmodelled = Vec::new();
    for (sec, key, value, line) in &values {
        let known = KNOWN
            .iter()
            .any(|(s, keys)| s == sec && keys.contains(&key.as_str()));
        if !known {
            warnings.push(format!(
                "{}:{line}: [{sec}] {key} is not a SCALE-Sim v3 key; ignored",
                file.display()
            ));
        } else if !MODELLED.contains(&key.as_str()) {
            if let Some((rule, ok)) = unmodelled_rule(key) {
                if !ok(value) {
                    return Err(bad(&format!("{sec}.{key}"), value, rule));
                }
            }
            unmodelled.push(format!("{key} = {value}"));
        }
    }
    if !unmodelled.is_empty() {
        warnings.push(format!(
            "{}: read but not modelled (SCALE-Sim's DRAM interface, addresses and layouts; the SAT model's run beside uses its own DDR4): {}",
            file.display(),
            unmodelled.join(", ")
        ));
    }
    let run_name = get("general", "run_name")
        .ok_or_else(|| bad("general.run_name", "(missing)", "name the run"))?
        .to_string();
    if !crate::config::is_plain_folder_name(&run_name) {
        return Err(bad(
            "general.run_name",
            &format!("{run_name:?}"),
            crate::config::PLAIN_FOLDER_NAME,
        ));
    }
    let dim = |key: &str| -> Result<u64, ConfigError> {
        let v = get("architecture_presets", key).ok_or_else(|| {
            bad(
                &format!("architecture_presets.{key}"),
                "(missing)",
                "give the array's size",
            )
        })?;
        match v.parse::<u64>() {
            Ok(n) if (1..=1 << 16).contains(&n) => Ok(n),
            _ => Err(bad(
                &format!("architecture_presets.{key}"),
                v,
                "must be a whole number of PEs from 1 to 65536",
            )),
        }
    };
    let rows = dim("arrayheight")?;
    let cols = dim("arraywidth")?;
    let df = get("architecture_presets", "dataflow").unwrap_or("");
    let dataflow = Dataflow::parse(df).ok_or_else(|| {
        bad(
            "architecture_presets.dataflow",
            df,
            "must be ws, os or is (weight-, output- or input-stationary)",
        )
    })?;
    let flag = |key: &str| -> Result<bool, ConfigError> {
        match get("sparsity", key).map(|v| v.to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(bad(&format!("sparsity.{key}"), &v, "must be true or false")),
        }
    };
    let sparsity = if flag("sparsitysupport")? {
        let rep = get("sparsity", "sparserep")
            .unwrap_or("ellpack_block")
            .to_ascii_lowercase();
        if !["csr", "csc", "ellpack_block"].contains(&rep.as_str()) {
            return Err(bad(
                "sparsity.sparserep",
                &rep,
                "must be csr, csc or ellpack_block",
            ));
        }
        let row_wise = flag("optimizedmapping")?;
        let b = get("sparsity", "blocksize").unwrap_or("4");
        let block = match b.parse::<u64>() {
            Ok(n) if (2..=16).contains(&n) && (!row_wise || n <= rows) => n,
            _ => {
                return Err(bad(
                    "sparsity.blocksize",
                    b,
                    "must be a whole number from 2 to 16, and at most ArrayHeight with OptimizedMapping",
                ))
            }
        };
        Some(Sparsity {
            rep,
            row_wise,
            block,
        })
    } else {
        None
    };
    let mut sram_kib = [None; 3];
    for (slot, key) in sram_kib
        .iter_mut()
        .zip(["ifmapsramszkb", "filtersramszkb", "ofmapsramszkb"])
    {
        if let Some(v) = get("architecture_presets", key) {
            match v.parse::<u64>() {
                Ok(n) if (1..=1 << 22).contains(&n) => *slot = Some(n),
                _ => {
                    return Err(bad(
                        &format!("architecture_presets.{key}"),
                        v,
                        "must be a whole number of KiB from 1 to 4194304",
                    ))
                }
            }
        }
    }
    Ok(ScaleConfig {
        run_name,
        rows,
        cols,
        dataflow,
        sparsity,
        sram_kib,
        warnings,
    })
}
