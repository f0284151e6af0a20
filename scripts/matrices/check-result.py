#!/usr/bin/env python3
"""Checks a product written by `sparsim run ... --write-result C.mtx` against scipy, a reference
independent of sparsim's own tests (which use sprs): C must have A's product's shape and, over the
union of both patterns, differ from it by at most 1e-12 of C's largest magnitude (floating-point
sums may be added in another order). C keeps the product's structural pattern, as sprs does: an
entry whose partial products cancel to exactly zero is stored as 0, where scipy's product drops it
(850 of bcsstk13 x bcsstk13's 396,773 entries). Exit code 0 if it matches, 1 if not.

usage: check-result.py A.mtx C.mtx [a_a | a_at | a_b B.mtx]
Needs numpy and scipy (pip install scipy); sparsim itself does not."""
import sys

import scipy.io
import scipy.sparse as sp


def main(argv):
    if len(argv) < 2 or argv[2:3] == ["a_b"] and len(argv) < 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    a_path, c_path = argv[0], argv[1]
    product = argv[2] if len(argv) > 2 else "a_a"
    a = sp.csr_matrix(scipy.io.mmread(a_path))
    if product not in ("a_a", "a_at", "a_b"):
        print(f"unknown product {product!r}: a_a, a_at or a_b", file=sys.stderr)
        return 2
    b = {"a_a": lambda: a, "a_at": lambda: a.T, "a_b": lambda: scipy.io.mmread(argv[3])}[product]()
    b = sp.csr_matrix(b)
    if a.shape[1] != b.shape[0]:
        print(f"{a_path}: {product} needs A's columns ({a.shape[1]}) to equal B's rows ({b.shape[0]})",
              file=sys.stderr)
        return 2
    ref = a @ b
    ref = sp.csr_matrix(ref)
    c = sp.csr_matrix(scipy.io.mmread(c_path))
    if c.shape != ref.shape:
        print(f"{c_path}: shape {c.shape}, but the product is {ref.shape}")
        return 1
    diff = abs(c - ref)
    scale = max(abs(c).max() if c.nnz else 0.0, abs(ref).max() if ref.nnz else 0.0, 1e-300)
    err = diff.max() / scale if diff.nnz else 0.0
    zeros = int((c.data == 0).sum())
    print(
        f"{c_path}: {c.shape[0]} x {c.shape[1]}, {c.nnz} entries of which {zeros} are exactly 0 "
        f"(scipy's product stores {ref.nnz}); largest difference {err:.2e} of the largest magnitude"
    )
    return 0 if err <= 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
