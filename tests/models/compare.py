#!/usr/bin/python3
"""Compare neuroc's outputs with the reference (ONNX Runtime).

    /usr/bin/python3 tests/models/compare.py ACTUAL EXPECTED [--tol 1e-4]

ACTUAL and EXPECTED are two .npy files, or two directories: then every
EXPECTED/*.npy must have a same-named file in ACTUAL. For each pair it
prints the relative L2 error ||a-b|| / ||b|| and the max abs difference,
then summary lines `rel_l2 <worst>`, `max_abs <worst>` and `result pass|fail`.
Exit status: 0 pass, 1 mismatch, 2 unusable input (missing file, shape or
dtype disagreement).
"""

import argparse
import os
import sys

import numpy as np


class CompareError(Exception):
    pass


def load(path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise CompareError("%s: cannot read .npy: %s" % (path, e))


def pairs(actual, expected):
    """Yield (label, actual file, expected file)."""
    if os.path.isdir(expected):
        names = sorted(f for f in os.listdir(expected) if f.endswith(".npy"))
        if not names:
            raise CompareError("%s: no .npy outputs to compare against" % expected)
        for f in names:
            a = os.path.join(actual, f)
            if not os.path.exists(a):
                raise CompareError("%s: missing output (expected like %s)"
                                   % (a, os.path.join(expected, f)))
            yield f[:-4], a, os.path.join(expected, f)
    else:
        yield os.path.basename(expected)[:-4], actual, expected


def errors(a, b):
    """(relative L2 error, max abs diff), computed in float64."""
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    if a.size == 0:
        return 0.0, 0.0
    if not np.all(np.isfinite(a)):
        return float("inf"), float("inf")
    diff = a - b
    norm_b = np.linalg.norm(b)
    norm_d = np.linalg.norm(diff)
    # An all-zero reference only matches an all-zero result.
    rel = norm_d / norm_b if norm_b > 0 else (0.0 if norm_d == 0 else float("inf"))
    return float(rel), float(np.max(np.abs(diff)))


def compare(actual, expected, tol):
    worst_rel, worst_abs, ok = 0.0, 0.0, True
    for label, fa, fe in pairs(actual, expected):
        a, b = load(fa), load(fe)
        if a.shape != b.shape:
            raise CompareError("%s: shape %s, reference has %s" % (label, a.shape, b.shape))
        if a.dtype != b.dtype:
            raise CompareError("%s: dtype %s, reference has %s" % (label, a.dtype, b.dtype))
        rel, mx = errors(a, b)
        passed = rel <= tol
        print("output %s shape %s rel_l2 %.3e max_abs %.3e %s"
              % (label, "x".join(map(str, b.shape)) or "scalar", rel, mx,
                 "pass" if passed else "FAIL"))
        ok = ok and passed
        worst_rel, worst_abs = max(worst_rel, rel), max(worst_abs, mx)
    print("rel_l2 %.3e" % worst_rel)
    print("max_abs %.3e" % worst_abs)
    print("result %s" % ("pass" if ok else "fail"))
    return ok


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("actual", help="neuroc output .npy file or directory")
    ap.add_argument("expected", help="reference output .npy file or directory")
    ap.add_argument("--tol", type=float, default=1e-4,
                    help="pass if relative L2 error <= TOL (default 1e-4)")
    args = ap.parse_args(argv)
    try:
        return 0 if compare(args.actual, args.expected, args.tol) else 1
    except CompareError as e:
        print("compare: %s" % e, file=sys.stderr)
        print("result error")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
