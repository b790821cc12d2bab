#!/usr/bin/python3
"""Generate the small QDQ model used by tests/unit/test_qdq.c (run with
/usr/bin/python3: Debian python3-onnx and python3-numpy); the outputs are
committed in qdq/.

qdq_conv.onnx, the shape of a statically quantized CNN as quantization tools
write it:

    x -> Q/DQ (u8, scale 0.02, zero point 128) -> Conv1 (+ bias) -> Relu
      -> Q/DQ (s8, scale 0.05, zero point -100) -> Conv2 (+ bias) -> y

with both weights stored as s8 initializers behind a per-output-channel
DequantizeLinear (axis 0, zero point 0). y carries no pair. x.npy is one
input, y.npy the model's output computed here with numpy following ONNX's
QDQ float semantics (round half to even, saturation), calib/ holds four
calibration samples."""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qdq")
F = TensorProto.FLOAT
rng = np.random.default_rng(5)
C, M, H = 4, 8, 8


def quant(x, s, z, lo, hi):
    return np.clip(np.round(x / s) + z, lo, hi)


def qdq(x, s, z, lo, hi):
    return ((quant(x, s, z, lo, hi) - z) * s).astype(np.float32)


def conv3x3(x, w, b):
    """NCHW convolution, pad 1, stride 1, in float64."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.zeros((x.shape[0], w.shape[0], x.shape[2], x.shape[3]))
    for i in range(3):
        for j in range(3):
            patch = xp[:, :, i:i + x.shape[2], j:j + x.shape[3]]
            y += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


def s8_weight(shape):
    q = rng.integers(-127, 128, size=shape).astype(np.int8)
    s = rng.uniform(0.002, 0.01, size=shape[0]).astype(np.float32)
    return q, s, (q.astype(np.float32) * s.reshape(-1, 1, 1, 1)).astype(np.float32)


def main():
    os.makedirs(os.path.join(HERE, "calib"), exist_ok=True)
    w1q, w1s, w1 = s8_weight((M, C, 3, 3))
    w2q, w2s, w2 = s8_weight((M, M, 3, 3))
    b1 = rng.uniform(-0.1, 0.1, M).astype(np.float32)
    b2 = rng.uniform(-0.1, 0.1, M).astype(np.float32)
    inits = {
        "x_scale": np.array(0.02, np.float32), "x_zp": np.array(128, np.uint8),
        "r_scale": np.array(0.05, np.float32), "r_zp": np.array(-100, np.int8),
        "w1_q": w1q, "w1_scale": w1s, "w1_zp": np.zeros(M, np.int8), "b1": b1,
        "w2_q": w2q, "w2_scale": w2s, "w2_zp": np.zeros(M, np.int8), "b2": b2,
    }
    n = helper.make_node
    nodes = [
        n("QuantizeLinear", ["x", "x_scale", "x_zp"], ["x_q"], name="x_q"),
        n("DequantizeLinear", ["x_q", "x_scale", "x_zp"], ["x_dq"], name="x_dq"),
        n("DequantizeLinear", ["w1_q", "w1_scale", "w1_zp"], ["w1"], name="w1_dq", axis=0),
        n("Conv", ["x_dq", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        n("Relu", ["c1"], ["r"], name="relu1"),
        n("QuantizeLinear", ["r", "r_scale", "r_zp"], ["r_q"], name="r_q"),
        n("DequantizeLinear", ["r_q", "r_scale", "r_zp"], ["r_dq"], name="r_dq"),
        n("DequantizeLinear", ["w2_q", "w2_scale", "w2_zp"], ["w2"], name="w2_dq", axis=0),
        n("Conv", ["r_dq", "w2", "b2"], ["y"], name="conv2", pads=[1, 1, 1, 1]),
    ]
    g = helper.make_graph(nodes, "qdq_conv",
                          [helper.make_tensor_value_info("x", F, [1, C, H, H])],
                          [helper.make_tensor_value_info("y", F, [1, M, H, H])],
                          initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    with open(os.path.join(HERE, "qdq_conv.onnx"), "wb") as f:
        f.write(m.SerializeToString())

    def forward(x):
        r = np.maximum(conv3x3(qdq(x, 0.02, 128, 0, 255), w1, b1), 0.0).astype(np.float32)
        return conv3x3(qdq(r, 0.05, -100, -128, 127), w2, b2).astype(np.float32)

    x = rng.uniform(-2.0, 2.0, (1, C, H, H)).astype(np.float32)
    np.save(os.path.join(HERE, "x.npy"), x)
    np.save(os.path.join(HERE, "y.npy"), forward(x))
    for i in range(4):
        s = rng.uniform(-2.0, 2.0, (1, C, H, H)).astype(np.float32)
        np.save(os.path.join(HERE, "calib", "%d.npy" % i), s)


if __name__ == "__main__":
    main()
