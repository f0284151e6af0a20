//! House rules: every Rust source file opens with a `//!` module doc.

use super::root;

fn rs_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_source_file_starts_with_a_module_doc() {
    let mut files = Vec::new();
    for d in ["sim/src", "sim/tests", "sim/benches"] {
        rs_files(&root().join(d), &mut files);
    }
    let bad: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .collect();
    assert!(bad.is_empty(), "files without a leading //! doc: {bad:?}");
}

/// The crate's modules, bottom layer first: a module may name modules of its own layer or below,
/// never above (ARCHITECTURE.md's code map, checked on every `crate::` path outside tests).
const LAYERS: &[&[&str]] = &[
    &["stats", "host"],
    &["engine"],
    &["config", "parallel"],
    &["energy", "workload", "program"],
    &["blocks"],
    &["report"],
    &["machines"],
    &["experiment"],
    &["sweep", "bench"],
    &["cli", "main", "lib"],
];

/// Front ends that belong to one machine and so may name it (`sparsim scalesim` is SAT's,
/// `sparsim cachesim` and the cache bench are cachesim's).
const MACHINE_FRONT_ENDS: &[(&str, &str)] = &[
    ("cli/scalesim.rs", "sat"),
    ("cli/run.rs", "cachesim"),
    ("cli/bench.rs", "cachesim"),
];

/// A source file's code without its test modules (from `#[cfg(test)]` on).
fn non_test_code(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Every `crate::a::b` (or `sparsim::a::b`) path in `code`, as its segments.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for root in ["crate::", "sparsim::"] {
        for (i, _) in code.match_indices(root) {
            if i > 0 && code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[i + root.len()..];
            let path: Vec<String> = rest
                .split("::")
                .map(|s| {
                    s.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .take_while(|s: &String| !s.is_empty() && s.chars().next().unwrap().is_lowercase())
                .collect();
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
    out
}

fn src_files() -> Vec<(String, std::path::PathBuf)> {
    let src = root().join("sim/src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files
        .into_iter()
        .filter(|f| f.file_name().unwrap() != "tests.rs")
        .map(|f| (f.strip_prefix(&src).unwrap().display().to_string(), f))
        .collect()
}

#[test]
fn modules_name_only_their_own_layer_or_those_below() {
    let layer = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    let mut bad = Vec::new();
    for (rel, path) in src_files() {
        let top = rel.split(['/', '.']).next().unwrap().to_string();
        let own =
            layer(&top).unwrap_or_else(|| panic!("{rel}: module {top} is in no layer of LAYERS"));
        for p in crate_paths(&non_test_code(&path)) {
            if let Some(l) = layer(&p[0]) {
                if l > own {
                    bad.push(format!("{rel} names {}", p.join("::")));
                }
            }
        }
    }
    bad.dedup();
    assert!(bad.is_empty(), "upward dependencies:\n{}", bad.join("\n"));
}

#[test]
fn no_module_outside_machines_names_a_machine() {
    let machines = ["piuma", "sat", "mobile", "cachesim"];
    let mut bad = Vec::new();
    for (rel, path) in src_files() {
        if rel.starts_with("machines/") {
            continue;
        }
        for p in crate_paths(&non_test_code(&path)) {
            if p.len() > 1
                && p[0] == "machines"
                && machines.contains(&p[1].as_str())
                && !MACHINE_FRONT_ENDS.contains(&(rel.as_str(), p[1].as_str()))
            {
                bad.push(format!("{rel} names {}", p.join("::")));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn blocks_name_no_instruction_set() {
    // A core pipeline times `program::inst::DynInst`s; an instruction set's front end makes them.
    let mut bad = Vec::new();
    for (rel, path) in src_files() {
        if rel.starts_with("blocks/") {
            for p in crate_paths(&non_test_code(&path)) {
                if p.len() > 1 && p[0] == "program" && p[1] == "aarch64" {
                    bad.push(format!("{rel} names {}", p.join("::")));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn no_two_source_files_import_each_other_unless_one_contains_the_other() {
    // A file's module path (`program::aarch64::driver`), and the files each one names through
    // `crate::`, `super::` or `self::` paths.
    let files = src_files();
    let module_of = |rel: &str| -> Vec<String> {
        let mut m: Vec<String> = rel
            .trim_end_matches(".rs")
            .split('/')
            .map(String::from)
            .collect();
        if m.last()
            .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
        {
            m.pop();
        }
        m
    };
    let modules: Vec<Vec<String>> = files.iter().map(|(rel, _)| module_of(rel)).collect();
    let file_of = |path: &[String]| -> Option<usize> {
        // The longest prefix of `path` that is a file's module.
        (1..=path.len())
            .rev()
            .find_map(|n| modules.iter().position(|m| m.as_slice() == &path[..n]))
    };
    let mut edges = std::collections::BTreeSet::new();
    for (i, (_, path)) in files.iter().enumerate() {
        let code = non_test_code(path);
        let me = &modules[i];
        let mut targets: Vec<Vec<String>> = crate_paths(&code);
        for (j, _) in code.match_indices("super::") {
            if code[..j].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let name: String = code[j + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // `super` is the module above this file's (a mod.rs's module is its folder).
            let mut t: Vec<String> = me[..me.len().saturating_sub(1)].to_vec();
            t.push(name);
            targets.push(t);
        }
        for t in targets {
            if let Some(k) = file_of(&t) {
                if k != i {
                    edges.insert((i, k));
                }
            }
        }
    }
    let mut bad = Vec::new();
    for &(a, b) in &edges {
        let (ma, mb) = (&modules[a], &modules[b]);
        let nested = ma.starts_with(mb) || mb.starts_with(ma);
        if a < b && edges.contains(&(b, a)) && !nested {
            bad.push(format!("{} <-> {}", files[a].0, files[b].0));
        }
    }
    assert!(
        bad.is_empty(),
        "files that import each other:\n{}",
        bad.join("\n")
    );
}
