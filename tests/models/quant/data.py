#!/usr/bin/env python3
"""Inputs and error measures for tests/models/run_quant.sh.

  data.py inputs SHAPE_FROM.npy CALIB_DIR N_CALIB EVAL.npy N_EVAL
      Random images normalised like ImageNet (pixels uniform in [0, 1],
      then (x - mean) / std per RGB channel), the shape of SHAPE_FROM.npy's
      one sample. The calibration set (seed 1, one .npy per sample in
      CALIB_DIR) and the evaluation set (seed 2, one [N, ...] batch) are
      disjoint draws. The zoo's models have random weights, so real images
      would not mean more; these at least have ImageNet's statistics.
  data.py error REF.npy OUT.npy
      rel_l2 = sqrt(sum ||y - ref||^2 / sum ||ref||^2) over the batch, and
      top1 = fraction of samples whose argmax agrees.
  data.py accuracy OUT.npy LABELS.npy
      held-out accuracy: fraction of argmax(OUT) == LABELS.
"""
import os
import sys

import numpy as np

MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


def images(shape, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((n,) + tuple(shape[1:]), dtype=np.float32)
    return ((x - MEAN) / STD).astype(np.float32)


def cmd_inputs(shape_from, calib_dir, n_calib, eval_file, n_eval):
    shape = np.load(shape_from).shape
    os.makedirs(calib_dir, exist_ok=True)
    for i, x in enumerate(images(shape, int(n_calib), 1)):
        np.save(os.path.join(calib_dir, "%04d.npy" % i), x[None])
    np.save(eval_file, images(shape, int(n_eval), 2))


def cmd_error(ref, out):
    r = np.load(ref).astype(np.float64)
    y = np.load(out).astype(np.float64)
    if r.shape != y.shape:
        sys.exit("data.py: %s %s and %s %s differ in shape" % (ref, r.shape, out, y.shape))
    rel = np.sqrt(((y - r) ** 2).sum() / (r ** 2).sum())
    top1 = (y.reshape(len(y), -1).argmax(1) == r.reshape(len(r), -1).argmax(1)).mean()
    print("rel_l2 %.6g\ntop1 %.4f" % (rel, top1))


def cmd_accuracy(out, labels):
    y = np.load(out)
    lab = np.load(labels)
    print("accuracy %.4f" % (y.reshape(len(y), -1).argmax(1) == lab).mean())


if __name__ == "__main__":
    cmds = {"inputs": cmd_inputs, "error": cmd_error, "accuracy": cmd_accuracy}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
