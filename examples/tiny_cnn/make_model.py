#!/usr/bin/python3
"""Build the tiny_cnn example: a small image classifier as ONNX (opset 13).

Writes, next to this script:
  model.onnx          image[1,1,16,16] f32 -> probs[1,10] f32
  input.npy           a deterministic test image
  expected_probs.npy  the output, computed by the plain numpy forward pass
                      below (a reference independent of neuroc)

Network: Conv 3x3 (8) + BatchNormalization + Relu, MaxPool 2x2,
Conv 3x3 (16) + Relu, GlobalAveragePool, Flatten, Gemm (10), Softmax.
Needs only the Debian packages python3-onnx and python3-numpy.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240601


def make_weights(rng):
    w = {}
    w["conv1_w"] = (rng.standard_normal((8, 1, 3, 3)) * 0.4).astype(np.float32)
    w["conv1_b"] = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w["bn_scale"] = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    w["bn_bias"] = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w["bn_mean"] = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w["bn_var"] = rng.uniform(0.5, 2.0, 8).astype(np.float32)
    w["conv2_w"] = (rng.standard_normal((16, 8, 3, 3)) * 0.15).astype(np.float32)
    w["conv2_b"] = (rng.standard_normal(16) * 0.1).astype(np.float32)
    w["fc_w"] = (rng.standard_normal((10, 16)) * 0.5).astype(np.float32)
    w["fc_b"] = (rng.standard_normal(10) * 0.1).astype(np.float32)
    return w


def make_image():
    """A bright ring on a dark background with a gentle gradient."""
    y, x = np.mgrid[0:16, 0:16].astype(np.float32)
    r = np.sqrt((y - 7.5) ** 2 + (x - 7.5) ** 2)
    img = np.exp(-((r - 5.0) ** 2) / 2.0) + 0.02 * x
    return img.reshape(1, 1, 16, 16).astype(np.float32)


BN_EPS = 1e-5


def build_model(w):
    nodes = [
        helper.make_node("Conv", ["image", "conv1_w", "conv1_b"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["b1"],
                         name="bn1", epsilon=BN_EPS),
        helper.make_node("Relu", ["b1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2_w", "conv2_b"], ["c2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc",
                         transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 16, 16])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])],
        initializer=[numpy_helper.from_array(v, k) for k, v in w.items()])
    model = helper.make_model(graph, producer_name="neuroc examples/tiny_cnn",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7  # readable by older runtimes too
    onnx.checker.check_model(model)
    return model


# ---- reference forward pass: plain loops over numpy, float64 accumulation ----

def conv2d(x, w, b, pad):
    n, c, h, wd = x.shape
    k, _, kh, kw = w.shape
    xp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), np.float64)
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, k, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i:i + kh, j:j + kw]          # n, c, kh, kw
            y[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return y + b.reshape(1, k, 1, 1)


def maxpool2(x):
    n, c, h, wd = x.shape
    return x.reshape(n, c, h // 2, 2, wd // 2, 2).max(axis=(3, 5))


def forward(w, image):
    x = image.astype(np.float64)
    x = conv2d(x, w["conv1_w"], w["conv1_b"], 1)
    inv = 1.0 / np.sqrt(w["bn_var"].astype(np.float64) + BN_EPS)
    x = (x - w["bn_mean"].reshape(1, 8, 1, 1)) * (w["bn_scale"] * inv).reshape(1, 8, 1, 1) \
        + w["bn_bias"].reshape(1, 8, 1, 1)
    x = np.maximum(x, 0.0)
    x = maxpool2(x)
    x = np.maximum(conv2d(x, w["conv2_w"], w["conv2_b"], 1), 0.0)
    x = x.mean(axis=(2, 3))                                # GAP + Flatten -> [1, 16]
    logits = x @ w["fc_w"].T.astype(np.float64) + w["fc_b"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def main():
    rng = np.random.default_rng(SEED)
    w = make_weights(rng)
    image = make_image()
    onnx.save(build_model(w), os.path.join(HERE, "model.onnx"))
    np.save(os.path.join(HERE, "input.npy"), image)
    probs = forward(w, image)
    np.save(os.path.join(HERE, "expected_probs.npy"), probs)
    print("probs:", np.array2string(probs[0], precision=4), "argmax", int(probs.argmax()))


if __name__ == "__main__":
    main()
