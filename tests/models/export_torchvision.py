#!/usr/bin/python3
"""Export torchvision architectures with random weights to ONNX for the zoo.

Writes tests/models/onnx/<name>.onnx (opset 13, batch 1, input `input`,
output `output`, constant folding on, eval mode) and a deterministic input
tests/models/onnx/<name>.input.npy. Weights are random (weights=None) but
reproducible: the seed is fixed, so re-exporting gives the same numbers on
the same torch build. BatchNorm statistics are calibrated on a random batch
(see calibrate_batchnorm) so activations keep a sane scale.

    /usr/bin/python3 tests/models/export_torchvision.py [--force] [--out DIR] [MODEL ...]

With no MODEL, exports all of them. Prints `export_s <name> <seconds>`.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

SEED = 20240613
OPSET = 13
CALIB_BATCH = 4

# name -> (input side, extra constructor kwargs)
MODELS = {
    "resnet18": (224, {}),
    "resnet50": (224, {}),
    "mobilenet_v2": (224, {}),
    "mobilenet_v3_large": (224, {}),
    "vgg16": (224, {}),
    "squeezenet1_1": (224, {}),
    # Auxiliary classifiers only run in training; init_weights=True picks the
    # truncated-normal init explicitly instead of relying on a deprecated default.
    "googlenet": (224, {"aux_logits": False, "init_weights": True}),
    "densenet121": (224, {}),
    "efficientnet_b0": (224, {}),
    "inception_v3": (299, {"aux_logits": False, "init_weights": True}),
}

HERE = os.path.dirname(os.path.abspath(__file__))


def model_input(name, side):
    """Deterministic N(0,1) input, independent of torch's RNG."""
    rng = np.random.RandomState(SEED + sum(map(ord, name)))
    return rng.standard_normal((1, 3, side, side)).astype(np.float32)


def calibrate_batchnorm(net, side):
    """Set BatchNorm running statistics from a random calibration batch.

    Fresh BatchNorm layers hold mean 0 / variance 1, so in eval mode a
    randomly initialised deep net lets activations vanish (efficientnet_b0
    ends near 1e-14, mobilenets near 1e-9) or explode (inception_v3 near
    1e12). That drifts towards denormals and makes a numeric comparison say
    little. Measured statistics keep every layer near unit scale, as in a
    trained net; the weights themselves stay random.
    """
    import torch

    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batch
        bn.train()
    rng = np.random.RandomState(SEED - 1)
    batch = rng.standard_normal((CALIB_BATCH, 3, side, side)).astype(np.float32)
    with torch.no_grad():
        net(torch.from_numpy(batch))
    for bn in bns:
        bn.eval()


def build(name, side, kwargs):
    import torch
    import torchvision

    torch.manual_seed(SEED)
    ctor = getattr(torchvision.models, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = ctor(weights=None, **kwargs)
    # Only the BatchNorm layers run in training mode while calibrating:
    # dropout and stochastic depth stay off.
    net.eval()
    calibrate_batchnorm(net, side)
    return net


def export_one(name, out_dir):
    import torch

    side, kwargs = MODELS[name]
    net = build(name, side, kwargs)
    x = model_input(name, side)
    onnx_path = os.path.join(out_dir, name + ".onnx")
    tmp_path = onnx_path + ".tmp"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            torch.from_numpy(x),
            tmp_path,
            opset_version=OPSET,
            input_names=["input"],
            output_names=["output"],
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
        )
    # Rename last so an interrupted export never leaves a file that looks done.
    np.save(os.path.join(out_dir, name + ".input.npy"), x)
    os.replace(tmp_path, onnx_path)
    return onnx_path


def is_exported(name, out_dir):
    return all(os.path.exists(os.path.join(out_dir, name + ext))
               for ext in (".onnx", ".input.npy"))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", metavar="MODEL",
                    help="subset to export (default: all): " + ", ".join(MODELS))
    ap.add_argument("--out", default=os.path.join(HERE, "onnx"),
                    help="output directory (default: tests/models/onnx)")
    ap.add_argument("--force", action="store_true", help="re-export existing models")
    ap.add_argument("--list", action="store_true", help="print the model names and exit")
    args = ap.parse_args(argv)

    if args.list:
        print("\n".join(MODELS))
        return 0
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        ap.error("unknown model(s): %s (known: %s)" % (", ".join(unknown), ", ".join(MODELS)))

    import torch
    # The machine is shared: one intra-op thread keeps the export polite.
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for name in args.models or list(MODELS):
        if is_exported(name, args.out) and not args.force:
            print("export_s %s cached" % name)
            continue
        t0 = time.monotonic()
        export_one(name, args.out)
        print("export_s %s %.1f" % (name, time.monotonic() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
