#!/usr/bin/python3
"""Generate the small ONNX files used by tests/unit/test_passes.c and
tests/unit/test_emit.c (run with /usr/bin/python3: Debian python3-onnx and
python3-numpy); the outputs are committed next to this script."""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "passes")
F, I64 = TensorProto.FLOAT, TensorProto.INT64
rng = np.random.default_rng(7)


def save(nodes, inputs, outputs, inits, name, opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(m.SerializeToString())


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def vi(name, dims, dtype=F):
    return helper.make_tensor_value_info(name, dtype, dims)


# 1. The flatten chain PyTorch exports: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
save([
    helper.make_node("Shape", ["x"], ["s"], name="shape"),
    helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
    helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze"),
    helper.make_node("Concat", ["n1", "minus1"], ["newshape"], name="concat", axis=0),
    helper.make_node("Reshape", ["x", "newshape"], ["y"], name="reshape"),
], [vi("x", [2, 3, 4, 5])], [vi("y", None)],
    [const("zero", np.array(0, np.int64)), const("axes0", np.array([0], np.int64)),
     const("minus1", np.array([-1], np.int64))], "flatten_chain.onnx")

# 2. Conv + BatchNormalization + Relu, then a dead branch (Sigmoid nobody uses).
w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
b = rng.standard_normal(4).astype(np.float32)
save([
    helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["bn"],
                     name="bn", epsilon=1e-5),
    helper.make_node("Relu", ["bn"], ["y"], name="relu"),
    helper.make_node("Sigmoid", ["x"], ["unused"], name="dead"),
], [vi("x", [1, 3, 8, 8])], [vi("y", None)],
    [const("w", w), const("b", b),
     const("scale", rng.uniform(0.5, 1.5, 4).astype(np.float32)),
     const("bias", rng.standard_normal(4).astype(np.float32)),
     const("mean", rng.standard_normal(4).astype(np.float32)),
     const("var", rng.uniform(0.5, 2.0, 4).astype(np.float32))], "conv_bn_relu.onnx")

# 3. Two branches joined by Add, with a graph output that is also consumed,
#    and two outputs naming the same tensor: exercises DPRS joins, adapters
#    and output copies in the emitter.
w1 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
w2 = rng.standard_normal((8, 3, 1, 1)).astype(np.float32)
save([
    helper.make_node("Conv", ["x", "w1"], ["a"], name="conv_a", pads=[1, 1, 1, 1]),
    helper.make_node("Conv", ["x", "w2"], ["b"], name="conv_b"),
    helper.make_node("Relu", ["a"], ["ar"], name="relu_a"),
    helper.make_node("Add", ["ar", "b"], ["s"], name="add"),
    helper.make_node("MaxPool", ["s"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
], [vi("x", [1, 3, 16, 16])], [vi("p", None), vi("s", None)],
    [const("w1", w1), const("w2", w2)], "branches.onnx")

# 4. An op neuroc does not know, for the CLI's error and exit-code tests.
save([helper.make_node("Frobnicate", ["x"], ["y"], name="frob")],
     [vi("x", [4])], [vi("y", [4])], [], "unsupported_op.onnx")

# 5. Edge cases of the emitter's output handling: a graph input that is also
#    an output, a constant output, one tensor named by two outputs, and an
#    optional output left out.
save([
    helper.make_node("Split", ["x"], ["a", ""], name="split", axis=0),
    helper.make_node("Shape", ["x"], ["shp"], name="shape"),
    helper.make_node("Neg", ["a"], ["n"], name="neg"),
], [vi("x", [4, 3])], [vi("x", [4, 3]), vi("shp", [2], I64), vi("n", [2, 3]), vi("n", [2, 3])],
    [], "outputs_edge.onnx")

# 6. Layers that compute nothing at inference: Identity, a Pad by zero (as
#    PyTorch exports before pools), Dropout without a mask.
save([
    helper.make_node("Identity", ["x"], ["i"], name="ident"),
    helper.make_node("Pad", ["i", "zeros"], ["p"], name="pad0", mode="constant"),
    helper.make_node("Dropout", ["p"], ["d"], name="drop"),
    helper.make_node("Relu", ["d"], ["y"], name="relu"),
], [vi("x", [1, 2, 3, 3])], [vi("y", None)],
    [const("zeros", np.zeros(8, np.int64))], "noops.onnx")
