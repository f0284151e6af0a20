#!/usr/bin/env python3
"""Prints the expected shape, entry count and checksums of workloads/matrices/*.mtx, as read by
scipy.io.mmread (scipy 1.17). Four files scipy itself refuses (an `integer` header holding floats or
2^64 - 1, and blank lines inside the body); for those a minimal independent parser below is used.
The output is pasted into sim/tests/it/matrices.rs. Run: python3 scripts/matrices/expectations.py"""
import glob, math, os, warnings
import numpy as np
import scipy.io

warnings.simplefilter("ignore")


def manual(path):
    rows = []
    with open(path) as f:
        banner = f.readline().split()
        sym = banner[4].lower()
        pattern = banner[3].lower() == "pattern"
        size = None
        for line in f:
            s = line.strip()
            if not s or s.startswith("%"):
                continue
            if size is None:
                size = [int(x) for x in s.split()]
                continue
            t = s.split()
            i, j = int(t[0]) - 1, int(t[1]) - 1
            v = 1.0 if pattern else float(t[2])
            rows.append((i, j, v))
            if i != j and sym == "symmetric":
                rows.append((j, i, v))
            if i != j and sym == "skew-symmetric":
                rows.append((j, i, -v))
    r = np.array([x[0] for x in rows]); c = np.array([x[1] for x in rows]); v = np.array([x[2] for x in rows], dtype=np.float64)
    return (size[0], size[1]), r, c, v


for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "../../workloads/matrices/*.mtx"))):
    name = os.path.basename(path)
    try:
        m = scipy.io.mmread(path)
        if hasattr(m, "tocoo"):
            c = m.tocoo(); shape, r, cc, v = c.shape, c.row, c.col, c.data.astype(np.float64)
        else:
            m = np.asarray(m, dtype=np.float64); shape = m.shape
            r, cc = np.indices(shape); r = r.ravel(order="F"); cc = cc.ravel(order="F"); v = m.ravel(order="F")
        how = "scipy"
    except Exception:
        shape, r, cc, v = manual(path)
        how = "manual"
    w = 1 + ((r.astype(np.int64) * 7919 + cc.astype(np.int64) * 104729) % 1009)
    finite = np.isfinite(v)
    print(f'    ("{name}", {shape[0]}, {shape[1]}, {len(v)}, {int(np.isnan(v).sum())}, {int(np.isposinf(v).sum())}, {int(np.isneginf(v).sum())}, {float(v[finite].sum())!r}, {float((v * w)[finite].sum())!r}), // {how}')
