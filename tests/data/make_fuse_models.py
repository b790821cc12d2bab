#!/usr/bin/python3
"""Generate the small ONNX files and expected outputs used by the epilogue
fusion tests in tests/unit/test_passes.c (run with /usr/bin/python3: Debian
python3-onnx and python3-numpy); the outputs are committed in fuse/.

Each model comes with x.npy (its input) and y.npy (its output computed here
with numpy, layer by layer, without any fusion), so the tests compare the
fused, compiled model with an independent unfused result."""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuse")
F = TensorProto.FLOAT
rng = np.random.default_rng(11)


def save(nodes, inputs, outputs, inits, name, x, y, opset=13):
    os.makedirs(HERE, exist_ok=True)
    g = helper.make_graph(nodes, "g", inputs, outputs,
                          initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())
    np.save(os.path.join(HERE, name + ".x.npy"), x.astype(np.float32))
    np.save(os.path.join(HERE, name + ".y.npy"), y.astype(np.float32))


def vi(name, dims):
    return helper.make_tensor_value_info(name, F, dims)


def conv(x, w, b=None, pad=0, stride=1):
    """Plain NCHW convolution in float64 (one image batch, group 1)."""
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, m, oh, ow))
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, :, ky:ky + stride * oh:stride, kx:kx + stride * ow:stride]
            y += np.einsum("nchw,mc->nmhw", patch, w[:, :, ky, kx].astype(np.float64))
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return y


def relu(v):
    return np.maximum(v, 0.0)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def weights(m, c, k):
    return (rng.standard_normal((m, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)


# 1. ResNet blocks: a 3x3 basic block whose second conv adds the block input
#    (Add then Relu), then a bottleneck-like pair where the skip is a strided
#    1x1 projection (Add with the conv output second), then an Add whose
#    conv output is also a graph output (must not fuse) and a conv plus a
#    broadcast [1,C,1,1] constant (must not fuse).
C = 16
x = rng.standard_normal((1, C, 10, 10)).astype(np.float32)
w1, b1 = weights(C, C, 3), rng.standard_normal(C).astype(np.float32)
w2, b2 = weights(C, C, 3), rng.standard_normal(C).astype(np.float32)
w3 = weights(2 * C, C, 3)
wp, bp = weights(2 * C, C, 1), rng.standard_normal(2 * C).astype(np.float32)
w4 = weights(2 * C, 2 * C, 1)
w5 = weights(2 * C, 2 * C, 1)
bc = rng.standard_normal((1, 2 * C, 1, 1)).astype(np.float32)
a1 = relu(conv(x, w1, b1, pad=1))
r1 = relu(conv(a1, w2, b2, pad=1) + x)
c3 = conv(r1, w3, None, pad=1, stride=2)
r2 = relu(conv(r1, wp, bp, stride=2) + c3)
c4 = conv(r2, w4)
y = conv(relu(c4 + r2), w5) + bc
save([
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["a1"], name="relu1"),
    helper.make_node("Conv", ["a1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
    helper.make_node("Add", ["c2", "x"], ["s1"], name="add1"),
    helper.make_node("Relu", ["s1"], ["r1"], name="relu2"),
    helper.make_node("Conv", ["r1", "w3"], ["c3"], name="conv3", pads=[1, 1, 1, 1],
                     strides=[2, 2]),
    helper.make_node("Conv", ["r1", "wp", "bp"], ["cp"], name="proj", strides=[2, 2]),
    helper.make_node("Add", ["c3", "cp"], ["s2"], name="add2"),
    helper.make_node("Relu", ["s2"], ["r2"], name="relu3"),
    helper.make_node("Conv", ["r2", "w4"], ["c4"], name="conv4"),
    helper.make_node("Add", ["c4", "r2"], ["s3"], name="add3"),
    helper.make_node("Relu", ["s3"], ["r3"], name="relu4"),
    helper.make_node("Conv", ["r3", "w5"], ["c5"], name="conv5"),
    helper.make_node("Add", ["c5", "bc"], ["y"], name="add_bcast"),
], [vi("x", [1, C, 10, 10])], [vi("y", None), vi("c4", None)],
    {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "wp": wp, "bp": bp, "w4": w4,
     "w5": w5, "bc": bc}, "residual", x, y)
np.save(os.path.join(HERE, "residual.c4.npy"), c4.astype(np.float32))

# 2. SiLU as exported by PyTorch (Sigmoid + Mul, both operand orders), and
#    a squeeze-excitation gate x * Sigmoid(f(x)) that must stay a Mul.
x = rng.standard_normal((1, 8, 9, 9)).astype(np.float32)
w1, b1 = weights(24, 8, 1), rng.standard_normal(24).astype(np.float32)
w2, b2 = weights(24, 24, 3), rng.standard_normal(24).astype(np.float32)
w3, b3 = weights(24, 24, 1), rng.standard_normal(24).astype(np.float32)
c1 = conv(x, w1, b1)
s1 = c1 * sigmoid(c1)
c2 = conv(s1, w2, b2, pad=1)
s2 = sigmoid(c2) * c2
c3 = conv(s2, w3, b3)
y = s2 * sigmoid(c3)
save([
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1"),
    helper.make_node("Sigmoid", ["c1"], ["g1"], name="sig1"),
    helper.make_node("Mul", ["c1", "g1"], ["s1"], name="mul1"),
    helper.make_node("Conv", ["s1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
    helper.make_node("Sigmoid", ["c2"], ["g2"], name="sig2"),
    helper.make_node("Mul", ["g2", "c2"], ["s2"], name="mul2"),
    helper.make_node("Conv", ["s2", "w3", "b3"], ["c3"], name="conv3"),
    helper.make_node("Sigmoid", ["c3"], ["g3"], name="sig3"),
    helper.make_node("Mul", ["s2", "g3"], ["y"], name="gate"),
], [vi("x", [1, 8, 9, 9])], [vi("y", None)],
    {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "b3": b3}, "silu", x, y)
