//! A fuzzer for every parser of user input: Matrix Market, valgrind lackey, sparsim's binary
//! (plain and zstd) and text traces, experiment and hierarchy configs, DRAM presets, energy
//! tables and sweep files. Each parser gets inputs mutated from a seed corpus (bundled and
//! malformed files), and each input must end in a value or an error: no panic, no input slower
//! than a second, and no allocation beyond 1 MiB plus 64 times the input's size (a zstd trace
//! may add its decoder's window, at most 8 MiB).
//!
//! `cargo test --test fuzz` runs 2,000 inputs per parser; the full run is
//! `FUZZ_INPUTS=1000000 cargo test --release --test fuzz -- --nocapture` (`FUZZ_SEED` changes the
//! inputs, `FUZZ_TARGETS=layer-table,scalesim-config` picks parsers by name). An input that fails is written to `sim/tests/data/fuzz/<parser>/`, and every file
//! there is replayed first, on every run: the crashes found become regression tests.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand_core::{RngCore, SeedableRng};

/// The system allocator, counting the bytes live and their peak since the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE
                .fetch_add(layout.size(), Ordering::Relaxed)
                .wrapping_add(layout.size());
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed).wrapping_add(grow);
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The counters are global: the tests take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A parser under test: its name, its seed corpus, and a function that parses an input fully.
struct Target {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    parse: fn(&[u8]),
    /// Extra bytes the parser may allocate whatever the input's size.
    extra_bytes: usize,
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn files(dir: &str, ext: &str, max_len: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    for p in paths {
        let b = std::fs::read(&p).unwrap();
        if b.len() <= max_len {
            out.push(b);
        }
    }
    out
}

fn name() -> &'static Path {
    Path::new("fuzz-input")
}

fn parse_mtx(b: &[u8]) {
    let _ = sparsim::workload::mtx::read_from(Cursor::new(b), b.len() as u64, name());
}

fn parse_trace(b: &[u8]) {
    if let Ok(mut r) =
        sparsim::program::trace::from_reader(Box::new(Cursor::new(b.to_vec())), name())
    {
        for _ in 0..100_000 {
            match r.read_next() {
                Some(Ok(_)) => {}
                _ => break,
            }
        }
    }
}

fn text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b).ok()
}

fn parse_piuma_experiment(b: &[u8]) {
    let Some(t) = text(b) else { return };
    if let Ok(e) =
        sparsim::config::parse::<sparsim::machines::piuma::PiumaExperiment>(t, name(), &[])
    {
        let _ = e.piuma.check();
        let _ = e.limits.check();
    }
}

fn parse_sat_experiment(b: &[u8]) {
    let Some(t) = text(b) else { return };
    if let Ok(e) = sparsim::config::parse::<sparsim::machines::sat::SatExperiment>(t, name(), &[]) {
        let _ = e.sat.check();
        let _ = sparsim::machines::sat::Nm::parse(&e.sparsity, e.sat.max_m);
    }
}

fn parse_layer_table(b: &[u8]) {
    let Some(t) = text(b) else { return };
    if let Ok(n) = sparsim::workload::layers::parse(t, name()) {
        let _ = n.with_input(7);
        let _ = (n.params(), n.macs());
    }
}

fn plan_mobile_network(b: &[u8]) {
    use sparsim::machines::mobile::network::{plan, Choice, Engine};
    let Some(t) = text(b) else { return };
    if let Ok(n) = sparsim::workload::layers::parse(t, name()) {
        for net in [Some(n.clone()), n.with_input(128).ok()]
            .into_iter()
            .flatten()
        {
            for (engine, group) in [
                (Engine::Dense, 4),
                (Engine::Unstructured, 1),
                (Engine::Group, 4),
                (Engine::Group, 2),
                (Engine::Mnn, 1),
                (Engine::Mnn, 4),
            ] {
                let _ = plan(
                    &net,
                    Choice {
                        engine,
                        group,
                        permille: 300,
                        mnn_threshold: 300,
                        rearrange: false,
                    },
                );
            }
        }
    }
}

fn parse_scalesim_config(b: &[u8]) {
    let Some(t) = text(b) else { return };
    let _ = sparsim::machines::sat::scalesim::parse_config(t, name());
}

fn parse_scalesim_topology(b: &[u8]) {
    let Some(t) = text(b) else { return };
    for gemm in [false, true] {
        if let Ok(layers) = sparsim::machines::sat::scalesim::parse_topology(t, name(), gemm) {
            let _: Vec<_> = layers.iter().take(64).map(|l| l.gemm()).collect();
        }
    }
}

fn parse_kernel(b: &[u8]) {
    use sparsim::program::aarch64::{driver::Layout, parse, wasm, Machine};
    let Some(t) = text(b) else { return };
    if let Ok(k) = parse(t, name()) {
        let l = Layout::Loop {
            iterations: 3,
            floats: 64,
        }
        .launch(1);
        let mut m = Machine::new(&k, &l.args, l.sp, l.mem);
        let _ = m.run(10_000, |_| {});
        for bounds in [wasm::Bounds::Guard, wasm::Bounds::Explicit] {
            let p = wasm::WasmProfile {
                relaxed_simd: false,
                bounds_checks: bounds,
                vector_registers: 24,
            };
            if let Ok(lowered) = wasm::lower(t, name(), &p) {
                let _ = parse(&lowered, name());
            }
        }
    }
}

fn parse_core(b: &[u8]) {
    let Some(t) = text(b) else { return };
    if let Ok(c) =
        sparsim::config::parse::<sparsim::machines::mobile::config::CoreConfig>(t, name(), &[])
    {
        let _ = c.resolve();
    }
}

fn parse_hierarchy(b: &[u8]) {
    let Some(t) = text(b) else { return };
    if let Ok(c) =
        sparsim::config::parse::<sparsim::machines::cachesim::CachesimConfig>(t, name(), &[])
    {
        let _ = c.resolve();
    }
}

fn parse_preset(b: &[u8]) {
    let Some(t) = text(b) else { return };
    let _ = sparsim::blocks::dram::check_preset_text(t, name());
}

fn parse_energy(b: &[u8]) {
    let Some(t) = text(b) else { return };
    let _ = sparsim::config::parse::<sparsim::energy::EnergyTable>(t, name(), &[]);
}

fn parse_sweep(b: &[u8]) {
    let Some(t) = text(b) else { return };
    if let Ok(s) = sparsim::config::parse::<sparsim::sweep::spec::SweepFile>(t, name(), &[]) {
        for (i, a) in s.axis.iter().enumerate() {
            let _ = a.expand(&format!("axis[{i}]"));
        }
    }
}

fn targets() -> Vec<Target> {
    let lackey = read("sim/tests/data/garbage.lackey");
    let small_lackey =
        b"I  04000000,3\n L 04001000,8\n S 04002000,4\n M 04003000,8\nI  04000003,2\n".to_vec();
    let text_trace = b"# sparsim trace text v1\nL 0x1000 8\nS 0x2000 4\nI 0x400000 4\n".to_vec();
    // A binary trace of a few operations, plain and zstd-compressed, made by the writer itself.
    let binary = |zstd: Option<i32>| -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t.bin");
        let mut w = sparsim::program::trace::TraceWriter::new(
            Box::new(std::fs::File::create(&out).unwrap()),
            sparsim::program::trace::Format::Binary,
            zstd,
        )
        .unwrap();
        let mut r = sparsim::program::trace::from_reader(
            Box::new(Cursor::new(small_lackey.clone())),
            name(),
        )
        .unwrap();
        while let Some(Ok(op)) = r.read_next() {
            w.write(&op).unwrap();
        }
        w.finish().unwrap();
        std::fs::read(&out).unwrap()
    };
    let mut trace_seeds = vec![
        lackey,
        small_lackey.clone(),
        text_trace,
        read("sim/tests/data/truncated.bin"),
    ];
    trace_seeds.push(binary(None));
    trace_seeds.push(binary(Some(3)));
    let mut mtx = files("workloads/matrices", "mtx", 20_000);
    mtx.extend(files("sim/tests/data/bad-matrices", "mtx", 20_000));
    let mut hierarchies = files("configs/cachesim", "toml", 100_000);
    hierarchies.extend(files("sim/tests/data", "toml", 100_000));
    vec![
        Target {
            name: "matrix-market",
            seeds: mtx,
            parse: parse_mtx,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "trace",
            seeds: trace_seeds,
            parse: parse_trace,
            // The reader's 64 KiB buffer, and a zstd frame's window (at most 8 MiB).
            extra_bytes: 10 << 20,
        },
        Target {
            name: "piuma-experiment",
            seeds: files("configs/experiments", "toml", 100_000),
            parse: parse_piuma_experiment,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "hierarchy",
            seeds: hierarchies,
            parse: parse_hierarchy,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "dram-preset",
            seeds: files("configs/presets/dram", "toml", 100_000),
            parse: parse_preset,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "energy-table",
            seeds: files("configs/energy", "toml", 100_000),
            parse: parse_energy,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "sweep",
            seeds: files("configs/sweeps", "toml", 100_000),
            parse: parse_sweep,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "sat-experiment",
            seeds: files("configs/experiments", "toml", 100_000),
            parse: parse_sat_experiment,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "layer-table",
            seeds: files("workloads/dnn", "csv", 100_000),
            parse: parse_layer_table,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "aarch64-kernel",
            seeds: files("workloads/kernels/aarch64", "s", 100_000),
            parse: parse_kernel,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "mobile-core",
            seeds: files("configs/mobile", "toml", 100_000),
            parse: parse_core,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "mobile-network",
            seeds: files("workloads/dnn", "csv", 100_000),
            parse: plan_mobile_network,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "scalesim-config",
            seeds: files("configs/scalesim", "cfg", 100_000),
            parse: parse_scalesim_config,
            extra_bytes: 1 << 20,
        },
        Target {
            name: "scalesim-topology",
            seeds: files("workloads/scalesim", "csv", 100_000),
            parse: parse_scalesim_topology,
            // A depthwise row is one layer per channel, as SCALE-Sim runs it: a short row may
            // name up to scalesim::MAX_LAYERS of them: a layer, twice over while the list
            // doubles, and its name.
            extra_bytes: (1 << 20)
                + sparsim::machines::sat::scalesim::MAX_LAYERS as usize
                    * (2 * std::mem::size_of::<sparsim::machines::sat::scalesim::Layer>() + 32),
        },
    ]
}

/// Pieces the mutator inserts: the tokens these formats are made of, and edge values.
const TOKENS: &[&[u8]] = &[
    b"%%MatrixMarket matrix coordinate real general\n",
    b"%%MatrixMarket matrix array real symmetric\n",
    b"%%GraphBLAS type int8\n",
    b",conv,",
    b",input,",
    b",add,a+b",
    b"global",
    b"3x3",
    b"2:8",
    b"16:4",
    b"SparsitySupport : true\n",
    b"OptimizedMapping : true\n",
    b"[sparsity]\n",
    b"DP",
    b"fmla v0.4s, v1.4s, v2.s[3]\n",
    b"ldr q0, [x0], #16\n",
    b"[x1, x2, lsl #3]",
    b"b.ne 1b\n",
    b"1:\n",
    b"ret\n",
    b"#-1",
    b"pattern",
    b"skew-symmetric",
    b"hermitian",
    b"complex",
    b"0",
    b"-1",
    b"18446744073709551615",
    b"9223372036854775807",
    b"99999999999999999999999999",
    b"1e308",
    b"nan",
    b"inf",
    b"-0",
    b"0x",
    b"0xffffffffffffffff",
    b" ",
    b"\n",
    b"\r\n",
    b"\t",
    b"=",
    b"\"",
    b"[",
    b"]",
    b"[[",
    b"{",
    b"}",
    b",",
    b".",
    b"#",
    b"I  ",
    b" L ",
    b" S ",
    b" M ",
    b"==",
    b"key = ",
    b"[piuma]\n",
    b"[limits]\n",
    b"[[axis]]\nkey = \"seed\"\n",
    b"log = { from = 1, to = 1e300, factor = 1.0000001 }\n",
    b"range = { from = 0, to = 1e18, step = 1 }\n",
    b"values = []\n",
    b"\xff\xfe",
    b"\0",
];

fn below(rng: &mut rand_pcg::Pcg64, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

/// One input: a seed, changed by one to four mutations.
fn mutate(rng: &mut rand_pcg::Pcg64, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut b = seeds[below(rng, seeds.len())].clone();
    for _ in 0..1 + below(rng, 4) {
        let at = below(rng, b.len() + 1);
        match below(rng, 9) {
            0 if !b.is_empty() => {
                let i = below(rng, b.len());
                b[i] ^= 1 << below(rng, 8);
            }
            1 if !b.is_empty() => {
                let i = below(rng, b.len());
                b[i] = rng.next_u64() as u8;
            }
            2 => {
                let t = TOKENS[below(rng, TOKENS.len())];
                b.splice(at..at, t.iter().copied());
            }
            3 if !b.is_empty() => {
                let end = (at + 1 + below(rng, 64)).min(b.len());
                b.drain(at.min(end)..end);
            }
            4 => b.truncate(at),
            5 if !b.is_empty() => {
                // Repeat a piece of the input (long lines, many entries).
                let start = below(rng, b.len());
                let end = (start + 1 + below(rng, 256)).min(b.len());
                let piece = b[start..end].to_vec();
                for _ in 0..1 + below(rng, 8) {
                    b.splice(at..at, piece.iter().copied());
                }
            }
            6 => {
                // Splice another seed's tail in.
                let other = &seeds[below(rng, seeds.len())];
                let from = below(rng, other.len() + 1);
                b.truncate(at);
                b.extend_from_slice(&other[from..]);
            }
            7 => {
                // A number, anywhere.
                let n = match below(rng, 4) {
                    0 => (rng.next_u64() % 100).to_string(),
                    1 => rng.next_u64().to_string(),
                    2 => format!("-{}", rng.next_u64() % 1000),
                    _ => format!("{}e{}", rng.next_u64() % 10, below(rng, 400)),
                };
                b.splice(at..at, n.bytes());
            }
            _ => {
                let n = below(rng, 16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                b.splice(at..at, bytes);
            }
        }
        b.truncate(1 << 20);
    }
    b
}

/// Runs `t` on `input`; the failure, if any.
fn check(t: &Target, input: &[u8]) -> Result<Duration, String> {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let start = Instant::now();
    let ok = std::panic::catch_unwind(|| (t.parse)(input));
    let took = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    if ok.is_err() {
        return Err("panicked".into());
    }
    if took > Duration::from_secs(1) {
        return Err(format!("took {took:?}"));
    }
    let limit = t.extra_bytes + 64 * input.len();
    if peak > limit {
        return Err(format!(
            "allocated {peak} bytes at its peak for a {}-byte input (limit {limit})",
            input.len()
        ));
    }
    Ok(took)
}

#[test]
fn every_parser_survives_mutated_inputs() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let n: usize = std::env::var("FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    // Quiet the panic messages of the inputs that fail: they are reported below.
    std::panic::set_hook(Box::new(|_| {}));
    let crashes = root().join("sim/tests/data/fuzz");
    let mut failures = Vec::new();
    // FUZZ_TARGETS=layer-table,aarch64-kernel fuzzes only those parsers.
    let only = std::env::var("FUZZ_TARGETS").unwrap_or_default();
    let only: Vec<&str> = only.split(',').filter(|s| !s.is_empty()).collect();
    for t in targets() {
        if !only.is_empty() && !only.contains(&t.name) {
            continue;
        }
        assert!(!t.seeds.is_empty(), "{}: no seeds", t.name);
        // The crashes found before, first.
        let dir = crashes.join(t.name);
        let mut replayed = 0;
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries {
                let p = e.unwrap().path();
                let input = std::fs::read(&p).unwrap();
                replayed += 1;
                if let Err(why) = check(&t, &input) {
                    failures.push(format!("{}: {}: {why}", t.name, p.display()));
                }
            }
        }
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed ^ t.name.len() as u64);
        let (mut slowest, mut total) = (Duration::ZERO, Duration::ZERO);
        let mut new_failures = 0;
        for i in 0..n {
            let input = mutate(&mut rng, &t.seeds);
            match check(&t, &input) {
                Ok(took) => {
                    slowest = slowest.max(took);
                    total += took;
                }
                Err(why) => {
                    new_failures += 1;
                    std::fs::create_dir_all(&dir).unwrap();
                    let file = dir.join(format!("seed{seed}-input{i}"));
                    std::fs::write(&file, &input).unwrap();
                    failures.push(format!("{}: input {i} ({}): {why}", t.name, file.display()));
                    if new_failures >= 5 {
                        break;
                    }
                }
            }
        }
        println!(
            "{:<18} {n} inputs (seed {seed}), {replayed} saved ones replayed: slowest {slowest:?}, all {total:?}, {new_failures} failed",
            t.name
        );
    }
    let _ = std::panic::take_hook();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The checks can fail: a parser that panics, one that allocates far beyond its input, and one
/// that is slow are each caught.
#[test]
fn the_checks_catch_a_panic_an_allocation_and_a_slow_parser() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    fn panics(_: &[u8]) {
        panic!("a parser bug");
    }
    fn hoards(b: &[u8]) {
        let v = vec![1u8; 64 << 20];
        assert!(v.len() > b.len());
    }
    fn dawdles(_: &[u8]) {
        std::thread::sleep(Duration::from_millis(1100));
    }
    std::panic::set_hook(Box::new(|_| {}));
    for (parse, expect) in [
        (panics as fn(&[u8]), "panicked"),
        (hoards, "allocated"),
        (dawdles, "took"),
    ] {
        let t = Target {
            name: "self-test",
            seeds: vec![b"x".to_vec()],
            parse,
            extra_bytes: 1 << 20,
        };
        let e = check(&t, b"x").unwrap_err();
        assert!(e.contains(expect), "{e}");
    }
    let _ = std::panic::take_hook();
    let ok = Target {
        name: "self-test",
        seeds: vec![b"x".to_vec()],
        parse: |b| {
            let _ = b.len();
        },
        extra_bytes: 1 << 20,
    };
    assert!(check(&ok, b"x").is_ok());
}
