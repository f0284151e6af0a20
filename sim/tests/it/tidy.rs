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
