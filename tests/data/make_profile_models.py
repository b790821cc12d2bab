#!/usr/bin/python3
"""Generate the small ONNX files used by tests/unit/test_profile_db.c and
tests/unit/test_plan.c (run with /usr/bin/python3: Debian python3-onnx); the
outputs are committed next to this script, in profile/.

relu1: one Relu. relu2: two identical Relus in a row (every (routine, shape)
pair of the second repeats the first). relu_sigmoid: relu1 plus a Sigmoid of
the same shape (a second model sharing all of relu1's pairs)."""
import os

from onnx import TensorProto, helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profile")
SHAPE = [1, 8, 16, 16]


def save(ops, name):
    nodes, prev = [], "x"
    for i, op in enumerate(ops):
        out = "y" if i == len(ops) - 1 else "t%d" % i
        nodes.append(helper.make_node(op, [prev], [out], name="%s%d" % (op.lower(), i)))
        prev = out
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, SHAPE)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(m.SerializeToString())


os.makedirs(HERE, exist_ok=True)
save(["Relu"], "relu1.onnx")
save(["Relu", "Relu"], "relu2.onnx")
save(["Relu", "Sigmoid"], "relu_sigmoid.onnx")
