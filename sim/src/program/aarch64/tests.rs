//! The bundled kernels against plain Rust references, and bad kernels refused.

use std::path::{Path, PathBuf};

use super::driver::Layout;
use super::exec::{ExecError, Machine};
use super::parse::parse;
use super::{Inst, Kernel};

fn bundled(name: &str) -> (Kernel, PathBuf) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../workloads/kernels/aarch64")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (parse(&text, &path).unwrap(), path)
}

/// Runs `kernel` under `layout`; returns the machine after it returned.
fn run<'k>(kernel: &'k Kernel, layout: Layout, seed: u64) -> Machine<'k> {
    let l = layout.launch(seed);
    let mut m = Machine::new(kernel, &l.args, l.sp, l.mem);
    m.run(1 << 32, |_| {}).unwrap();
    m
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn every_bundled_kernel_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads/kernels/aarch64");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "s") {
            let k = parse(&std::fs::read_to_string(&p).unwrap(), &p).unwrap();
            assert!(k.symbol.is_some(), "{}: no .global entry", p.display());
            n += 1;
        }
    }
    assert!(n >= 7);
}

/// sgemm_4x4 against a plain triple loop that accumulates k in order with fused multiply-adds,
/// as the kernel does: bit-identical.
#[test]
fn sgemm_computes_the_product() {
    let (k, _) = bundled("sgemm_4x4.s");
    for (mm, nn, kk) in [(4, 4, 1), (8, 8, 16), (4, 12, 7), (12, 8, 33)] {
        let m = run(
            &k,
            Layout::Gemm {
                m: mm,
                n: nn,
                k: kk,
            },
            3,
        );
        let a = f32s(&m.mem.region("A").unwrap().bytes);
        let b = f32s(&m.mem.region("B").unwrap().bytes);
        let c = f32s(&m.mem.region("C").unwrap().bytes);
        for i in 0..mm as usize {
            for j in 0..nn as usize {
                let mut acc = 0f32;
                for p in 0..kk as usize {
                    acc = a[i * kk as usize + p].mul_add(b[p * nn as usize + j], acc);
                }
                assert_eq!(
                    c[i * nn as usize + j].to_bits(),
                    acc.to_bits(),
                    "C[{i}][{j}] of {mm}x{nn}x{kk}"
                );
            }
        }
    }
}

#[test]
fn micro_kernels_compute_what_they_say() {
    // fmla_chain_acc: v0 += v1*v2 then v0 += v2*v1, 8 per iteration.
    let (k, _) = bundled("fmla_chain_acc.s");
    let m = run(
        &k,
        Layout::Loop {
            iterations: 3,
            floats: 32,
        },
        5,
    );
    let a = f32s(&m.mem.region("A").unwrap().bytes);
    let c = f32s(&m.mem.region("C").unwrap().bytes);
    for lane in 0..4 {
        let (mut v0, v1, v2) = (a[lane], a[4 + lane], a[8 + lane]);
        for _ in 0..24 {
            v0 = v1.mul_add(v2, v0);
        }
        assert_eq!(c[lane].to_bits(), v0.to_bits());
    }
    // load_chain: a pointer to itself, chased: offset 0.
    let (k, _) = bundled("load_chain.s");
    let m = run(
        &k,
        Layout::Loop {
            iterations: 4,
            floats: 16,
        },
        1,
    );
    assert_eq!(&m.mem.region("C").unwrap().bytes[..8], &[0; 8]);
    assert_eq!(m.executed, 2 + 4 * 10 + 3);
    // branchy: counts the non-negative floats, m times.
    let (k, _) = bundled("branchy.s");
    let m = run(
        &k,
        Layout::Loop {
            iterations: 2,
            floats: 100,
        },
        9,
    );
    let a = f32s(&m.mem.region("A").unwrap().bytes);
    let pos = a.iter().filter(|v| v.to_bits() as i32 >= 0).count() as u64;
    let got = u64::from_le_bytes(m.mem.region("C").unwrap().bytes[..8].try_into().unwrap());
    assert_eq!(got, 2 * pos);
    // stream_sum: four lane-wise partial sums, then added pairwise.
    let (k, _) = bundled("stream_sum.s");
    let m = run(
        &k,
        Layout::Loop {
            iterations: 2,
            floats: 64,
        },
        2,
    );
    let a = f32s(&m.mem.region("A").unwrap().bytes);
    let mut acc = [[0f32; 4]; 4];
    for _ in 0..2 {
        for chunk in a.chunks(16) {
            for r in 0..4 {
                for l in 0..4 {
                    acc[r][l] += chunk[4 * r + l];
                }
            }
        }
    }
    let c = f32s(&m.mem.region("C").unwrap().bytes);
    for l in 0..4 {
        let want = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
        assert_eq!(c[l].to_bits(), want.to_bits());
    }
}

#[test]
fn bad_kernels_name_the_file_line_and_fix() {
    for (src, want) in [
        (
            "f:\n  fdiv v0.4s, v1.4s, v2.4s\n",
            "t.s:2: `fdiv v0.4s, v1.4s, v2.4s`: unsupported instruction",
        ),
        ("f:\n  b nowhere\n", "t.s:2: `b nowhere`: undefined label"),
        ("f:\n  add x0, x1\n", "t.s:2"),
        ("f:\n  ldr q0, [w1]\n", "must be an x register"),
        ("f:\n  fmla v0.4s, v1.8h, v2.4s\n", "arrangement .4s"),
        ("f:\n  ld1 {v0.4s, v2.4s}, [x0]\n", "consecutive"),
        ("f:\n  .weird 3\n", "directive .weird"),
        ("f:\n  mov x0, #1\nf:\n  ret\n", "defined twice"),
        ("f:\n  b.xx f\n", "unknown condition"),
        ("f:\n  b 1b\n", "no numeric label 1"),
    ] {
        let e = parse(src, Path::new("t.s")).unwrap_err().to_string();
        assert!(e.contains(want), "{src:?}: {e}");
    }
}

#[test]
fn a_stray_access_and_a_runaway_loop_stop_with_where() {
    let k = parse("f:\n  ldr q0, [x0, #-16]\n  ret\n", Path::new("t.s")).unwrap();
    let l = Layout::Loop {
        iterations: 1,
        floats: 16,
    }
    .launch(1);
    let mut m = Machine::new(&k, &l.args, l.sp, l.mem);
    let e = m.run(100, |_| {}).unwrap_err();
    assert!(matches!(e, ExecError::OutOfBounds { line: 2, .. }), "{e}");
    assert!(e
        .to_string()
        .contains("outside the memory its driver laid out"));
    let k = parse("f:\n1:\n  add x0, x0, #1\n  b 1b\n", Path::new("t.s")).unwrap();
    let l = Layout::Loop {
        iterations: 1,
        floats: 16,
    }
    .launch(1);
    let mut m = Machine::new(&k, &l.args, l.sp, l.mem);
    let e = m.run(1000, |_| {}).unwrap_err().to_string();
    assert!(
        e.contains("after 1000 instructions without returning") && e.contains("t.s:"),
        "{e}"
    );
}

#[test]
fn flags_follow_the_architecture() {
    // subs of equal values sets Z and C; a signed compare of -1 with 1 is "lt".
    let k = parse(
        "f:\n  mov x9, #5\n  subs x10, x9, #5\n  b.ne 1f\n  mov x11, #-1\n  cmp x11, #1\n  b.ge 1f\n  b.hs 2f\n1:\n  mov x0, #0\n  ret\n2:\n  mov x0, #7\n  ret\n",
        Path::new("t.s"),
    )
    .unwrap();
    let l = Layout::Loop {
        iterations: 1,
        floats: 16,
    }
    .launch(1);
    let mut m = Machine::new(&k, &l.args, l.sp, l.mem);
    m.run(100, |_| {}).unwrap();
    assert_eq!(m.x[0], 7, "-1 is unsigned-higher than 1, and signed-less");
}

/// The XNNPACK-style SpMM against a plain 1x1 convolution of the same pruned weights, summing the
/// non-zeros in input-channel order with fused multiply-adds as the kernel does: bit-identical.
#[test]
fn spmm_computes_the_sparse_convolution() {
    use rand_core::SeedableRng;
    let (k, _) = bundled("spmm_16x1.s");
    for (hw, cout, cin, permille) in [
        (16, 4, 8, 0),
        (49, 4, 8, 300),
        (32, 8, 16, 700),
        (48, 5, 33, 900),
        (16, 3, 7, 999),
    ] {
        let layout = Layout::Spmm {
            hw,
            cout,
            cin,
            sparsity_permille: permille,
            block: 1,
            rearrange: false,
        };
        layout.check().unwrap();
        let m = run(&k, layout, 11);
        let mut rng = rand_pcg::Pcg64::seed_from_u64(11);
        let x = f32s(&super::tensor::floats(&mut rng, hw * cin));
        let w = super::tensor::prune(
            &f32s(&super::tensor::floats(&mut rng, cout * cin)),
            cout,
            cin,
            1,
            permille,
        );
        let zeros = w.iter().filter(|v| **v == 0.0).count();
        assert_eq!(zeros, (cout * cin * permille / 1000) as usize);
        let c = f32s(&m.mem.region("C").unwrap().bytes);
        let (hw, cout, cin) = (hw as usize, cout as usize, cin as usize);
        for co in 0..cout {
            for p in 0..hw {
                let mut acc = 0f32;
                for ci in 0..cin {
                    let wv = w[co * cin + ci];
                    if wv != 0.0 {
                        acc = x[ci * hw + p].mul_add(wv, acc);
                    }
                }
                assert_eq!(
                    c[co * hw + p].to_bits(),
                    acc.to_bits(),
                    "out[{co}][{p}] at {permille} per mille"
                );
            }
        }
    }
    assert!(Layout::Spmm {
        hw: 12,
        cout: 4,
        cin: 4,
        sparsity_permille: 0,
        block: 1,
        rearrange: false,
    }
    .check()
    .unwrap_err()
    .contains("at least 16"));
    assert!(Layout::Spmm {
        hw: 16,
        cout: 4,
        cin: 4,
        sparsity_permille: 1000,
        block: 1,
        rearrange: false,
    }
    .check()
    .unwrap_err()
    .contains("[0, 1)"));
}

/// The group-sparse kernel against a plain 1x1 convolution of the block-pruned weights: whole
/// blocks of 4 output channels x 1 input channel are zero, and the output is bit-identical.
#[test]
fn spmm4_computes_the_group_sparse_convolution() {
    use rand_core::SeedableRng;
    for (file, g) in [("spmm_16x4.s", 4usize), ("spmm_16x2.s", 2)] {
        let (k, _) = bundled(file);
        for (hw, cout, cin, permille) in [(16, 4, 8, 0), (32, 8, 16, 700), (49, 12, 33, 900)] {
            let layout = Layout::Spmm {
                hw,
                cout,
                cin,
                sparsity_permille: permille,
                block: g as u64,
                rearrange: false,
            };
            layout.check().unwrap();
            let m = run(&k, layout, 5);
            let mut rng = rand_pcg::Pcg64::seed_from_u64(5);
            let x = f32s(&super::tensor::floats(&mut rng, hw * cin));
            let w = super::tensor::prune(
                &f32s(&super::tensor::floats(&mut rng, cout * cin)),
                cout,
                cin,
                g as u64,
                permille,
            );
            let (hw, cout, cin) = (hw as usize, cout as usize, cin as usize);
            let zero_blocks = (0..cout / g * cin)
                .filter(|b| (0..g).all(|o| w[(g * (b / cin) + o) * cin + b % cin] == 0.0))
                .count();
            assert_eq!(zero_blocks, cout / g * cin * permille as usize / 1000);
            let c = f32s(&m.mem.region("C").unwrap().bytes);
            for co in 0..cout {
                for p in 0..hw {
                    let mut acc = 0f32;
                    for ci in 0..cin {
                        let blk = (0..g).any(|o| w[(g * (co / g) + o) * cin + ci] != 0.0);
                        if blk {
                            acc = x[ci * hw + p].mul_add(w[co * cin + ci], acc);
                        }
                    }
                    assert_eq!(
                        c[co * hw + p].to_bits(),
                        acc.to_bits(),
                        "{file}: out[{co}][{p}] at {permille} per mille"
                    );
                }
            }
        }
    }
    assert!(Layout::Spmm {
        hw: 16,
        cout: 6,
        cin: 4,
        sparsity_permille: 0,
        block: 4,
        rearrange: false,
    }
    .check()
    .unwrap_err()
    .contains("multiple of 4"));
}

#[test]
fn class_indices_follow_the_list() {
    for (i, c) in super::Class::ALL.iter().enumerate() {
        assert_eq!(c.index(), i, "{c:?}");
    }
}

/// Every DNN-layer kernel against its plain computation ([`super::conv::OpLayout::reference`]) on
/// shapes that exercise the overlapping last blocks (widths and pixel counts not multiples of
/// the kernels' blocks).
#[test]
fn layer_kernels_compute_their_operators() {
    use super::conv::{Op, OpLayout};
    let cases: &[(Op, u64, u64, u64, u64)] = &[
        (Op::Conv3x3s2, 8, 4, 3, 0),
        (Op::Conv3x3s2, 14, 6, 3, 0),
        (Op::Dw3x3(1), 4, 3, 0, 0),
        (Op::Dw3x3(1), 7, 5, 0, 0),
        (Op::Dw3x3(1), 14, 2, 0, 0),
        (Op::Dw3x3(2), 8, 3, 0, 0),
        (Op::Dw3x3(2), 14, 2, 0, 0),
        (Op::Conv1x1, 16, 4, 3, 0),
        (Op::Conv1x1, 49, 8, 12, 0),
        (Op::Mnn4, 16, 4, 8, 500),
        (Op::Mnn4, 49, 12, 20, 300),
        (Op::Mnn4, 36, 8, 9, 900),
        (Op::Mnn1, 16, 4, 8, 500),
        (Op::Mnn1, 49, 12, 20, 300),
        (Op::Mnn1, 36, 8, 9, 900),
        (Op::Pad, 4, 3, 0, 0),
        (Op::Pad, 7, 2, 0, 0),
        (Op::Nc4hw4, 7, 8, 1, 0),
        (Op::Nc4hw4, 4, 4, 0, 0),
        (Op::Gavgpool, 49, 8, 0, 0),
        (Op::Gavgpool, 16, 4, 0, 0),
        (Op::Gemv, 1, 16, 5, 0),
        (Op::Gemv, 1, 40, 33, 0),
    ];
    for &(op, m, n, k, permille) in cases {
        let o = OpLayout {
            op,
            m,
            n,
            k,
            sparsity_permille: permille,
        };
        o.check().unwrap();
        let (kernel, _) = bundled(&format!("{}.s", op.kernel()));
        let machine = run(&kernel, Layout::Op(o), 5);
        let t = o.tensors(5);
        let c = &machine.mem.region("C").unwrap().bytes;
        if let Err((i, got, want)) = o.compare(&t, c) {
            panic!("{op:?} m {m} n {n} k {k}: output {i} is {got}, want {want}");
        }
    }
}

/// The reference itself: a hand-computed 3x3 depthwise output and a mask-checked pooling.
#[test]
fn layer_references_hold_by_hand() {
    use super::conv::{Op, OpLayout, Tensors};
    let o = OpLayout {
        op: Op::Dw3x3(1),
        m: 4,
        n: 1,
        k: 0,
        sparsity_permille: 0,
    };
    let t = Tensors {
        x: (0..16).map(|i| i as f32).collect(),
        w: vec![1.0; 9],
    };
    let (out, _) = o.reference(&t);
    // Corner (0,0): 0+1+4+5; centre (1,1): 0+1+2+4+5+6+8+9+10.
    assert_eq!(out[0], 10.0);
    assert_eq!(out[5], 45.0);
    let g = OpLayout {
        op: Op::Gavgpool,
        m: 4,
        n: 4,
        k: 0,
        sparsity_permille: 0,
    };
    let t = Tensors {
        x: (0..16).map(|i| (i / 4) as f32).collect(),
        w: Vec::new(),
    };
    let (out, _) = g.reference(&t);
    assert_eq!(out, vec![0.0, 1.0, 2.0, 3.0]);
}

/// Channel rearrangement: a permutation of the rows that groups rows with coinciding strong
/// inputs, so group pruning keeps more of the magnitude when such rows exist.
#[test]
fn rearrangement_groups_rows_with_coinciding_strong_inputs() {
    use super::driver::{kept_magnitude, rearranged};
    use super::tensor::prune;
    // Even rows strong on inputs 0-3, odd rows on inputs 4-7.
    let (cout, cin) = (8u64, 8u64);
    let w: Vec<f32> = (0..cout * cin)
        .map(|i| {
            let (o, c) = (i / cin, i % cin);
            let strong = (o % 2 == 0) == (c < 4);
            if strong {
                1.0 + (i % 3) as f32 * 0.1
            } else {
                0.01
            }
        })
        .collect();
    let r = rearranged(&w, cout, cin, 4, 500);
    let mut rows: Vec<Vec<u32>> = (0..8)
        .map(|o| w[o * 8..o * 8 + 8].iter().map(|v| v.to_bits()).collect())
        .collect();
    let mut got: Vec<Vec<u32>> = (0..8)
        .map(|o| r[o * 8..o * 8 + 8].iter().map(|v| v.to_bits()).collect())
        .collect();
    rows.sort();
    got.sort();
    assert_eq!(rows, got, "a permutation of the rows");
    let plain = kept_magnitude(&w, &prune(&w, cout, cin, 4, 500));
    let better = kept_magnitude(&r, &prune(&r, cout, cin, 4, 500));
    assert!(
        better > 0.99 && plain < 0.75,
        "kept {plain} plain, {better} rearranged"
    );
}

/// Issue 28, case 4: numeric labels resolve to the nearest definition in their direction, each
/// looked up among its own number's positions (every branch scanned every numeric label: a 1 MB
/// kernel of them took 0.8 s to parse against 0.06 s now, measured with `kernel run --budget 1`).
#[test]
fn numeric_labels_resolve_to_the_nearest_in_their_direction_among_many() {
    let mut text = String::from("f:\n");
    let blocks = 5000;
    for _ in 0..blocks {
        text.push_str("1:\n  add x9, x9, #1\n2:\n  cbz x9, 1f\n  b 2b\n");
    }
    text.push_str("1:\n  ret\n");
    let k = parse(&text, Path::new("t.s")).unwrap();
    for b in 0..blocks {
        // Block b: add at 3b, cbz at 3b+1 (to the next block's 1:, at 3b+3), b at 3b+2 (to 2:, at 3b+1).
        assert!(
            matches!(k.insts[3 * b + 1], Inst::Cbz(_, _, _, d) if d == 3 * b + 3),
            "block {b}"
        );
        assert!(
            matches!(k.insts[3 * b + 2], Inst::B(d) if d == 3 * b + 1),
            "block {b}"
        );
    }
}

/// Issue 28 (found by the fuzzer at 1 M inputs): an entry label after the last instruction ran
/// the machine off the end of the kernel (an index panic); it is refused when parsed.
#[test]
fn an_entry_label_after_the_last_instruction_is_refused() {
    let text = "    .global f\n    ret\nf:\n";
    let e = parse(text, Path::new("t.s")).unwrap_err().to_string();
    assert!(
        e.contains("t.s:3") && e.contains("`f` labels no instruction"),
        "{e}"
    );
}
