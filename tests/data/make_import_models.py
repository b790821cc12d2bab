#!/usr/bin/python3
"""Generate the small ONNX files used by tests/unit/test_import.c.

Run with /usr/bin/python3 (Debian python3-onnx + python3-numpy); the outputs
are committed next to this script. Broken models are written with
SerializeToString, bypassing the checker, because being broken is the point.
Truncated and random-byte files are made by the test itself at run time.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "import")
F = TensorProto.FLOAT


def save(model, name):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(model.SerializeToString())


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def vi(name, dims, dtype=F):
    return helper.make_tensor_value_info(name, dtype, dims)


def external(name, dims, location, offset=None, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = F
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    return t


def relu_model(inits, x="x"):
    return model([helper.make_node("Add", [x, "w"], ["y"], name="add0")],
                 [vi(x, [2, 3])], [vi("y", [2, 3])], inits)


def main():
    os.makedirs(HERE, exist_ok=True)

    # An initializer of dtype STRING.
    labels = helper.make_tensor("labels", TensorProto.STRING, [2], [b"cat", b"dog"])
    save(model([helper.make_node("Identity", ["x"], ["y"], name="id0")],
               [vi("x", [2])], [vi("y", [2])], [labels]), "bad_string_init.onnx")

    # A node input that nothing produces.
    save(model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add0")],
               [vi("x", [2])], [vi("y", [2])]), "bad_unproduced.onnx")

    # Two nodes feeding each other.
    save(model([helper.make_node("Add", ["x", "b"], ["a"], name="first"),
                helper.make_node("Relu", ["a"], ["b"], name="second")],
               [vi("x", [2])], [vi("a", [2])]), "bad_cycle.onnx")

    # A Constant holding a sparse tensor.
    sp = helper.make_sparse_tensor(numpy_helper.from_array(np.array([1.0], np.float32), "v"),
                                   numpy_helper.from_array(np.array([2], np.int64), "i"), [4])
    save(model([helper.make_node("Constant", [], ["c"], name="const0", sparse_value=sp),
                helper.make_node("Add", ["x", "c"], ["y"], name="add0")],
               [vi("x", [4])], [vi("y", [4])]), "bad_sparse_const.onnx")

    # An input with a symbolic batch dimension.
    save(model([helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", ["N", 3])], [vi("y", ["N", 3])]), "bad_dim_param.onnx")

    # External data: missing file, escaping path, out of bounds, and a good one.
    save(relu_model([external("w", [2, 3], "missing_weights.bin")]), "bad_ext_missing.onnx")
    save(relu_model([external("w", [2, 3], "../outside.bin")]), "bad_ext_escape.onnx")
    save(relu_model([external("w", [2, 3], "ext_weights.bin", offset=24)]), "bad_ext_bounds.onnx")
    w = np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1.0
    with open(os.path.join(HERE, "ext_weights.bin"), "wb") as f:
        f.write(b"\xee" * 16 + w.tobytes())   # 40 bytes: 16 padding + 24 data
    save(relu_model([external("w", [2, 3], "ext_weights.bin", offset=16, length=24)]),
         "good_ext.onnx")

    # Typed-field initializers of many dtypes (no raw_data), Constant node
    # forms, attributes of every kind, an omitted optional input, an
    # unnamed node and a custom-domain node.
    inits = [
        helper.make_tensor("i8", TensorProto.INT8, [3], [-1, 2, -128]),
        helper.make_tensor("u16", TensorProto.UINT16, [2], [1, 65535]),
        helper.make_tensor("h", TensorProto.FLOAT16, [2], np.array([1.5, -2.0], np.float16)),
        helper.make_tensor("d", TensorProto.DOUBLE, [2], [0.25, -8.0]),
        helper.make_tensor("u64", TensorProto.UINT64, [1], [2**63 + 5]),
        helper.make_tensor("u32", TensorProto.UINT32, [2], [7, 4000000000]),
        helper.make_tensor("bools", TensorProto.BOOL, [3], [True, False, True]),
        helper.make_tensor("i64", TensorProto.INT64, [2, 1], [-5, 1 << 40]),
        helper.make_tensor("f", F, [2, 2], [1.0, 2.0, 3.0, 4.0]),
        helper.make_tensor("bf", TensorProto.BFLOAT16, [1], [1.5]),  # bits 0x3FC0
    ]
    sub = helper.make_graph([helper.make_node("Identity", ["x"], ["z"])], "sub", [],
                            [vi("z", [2, 2])])
    nodes = [
        helper.make_node("Constant", [], ["cf"], name="c_float", value_float=2.5),
        helper.make_node("Constant", [], ["cis"], name="c_ints", value_ints=[3, -4, 5]),
        helper.make_node("Constant", [], ["ct"], name="c_tensor",
                         value=numpy_helper.from_array(np.array([[7, 8]], np.int32), "ct")),
        helper.make_node("Clip", ["x", "", "cf"], ["clipped"]),  # unnamed, min omitted
        helper.make_node("Custom", ["clipped", "f"], ["y"], name="attrs", domain="com.example",
                         a_float=0.5, a_int=-3, a_string="hello", a_floats=[1.0, 2.0],
                         a_ints=[4, 5, 6], a_strings=[b"p", b"q"], a_graph=sub,
                         a_tensor=numpy_helper.from_array(np.array([9.0, 10.0], np.float32))),
    ]
    save(model(nodes, [vi("x", [2, 2])], [vi("y", [2, 2]), vi("cis", [3])], inits, opset=17),
         "good_misc.onnx")

    # A float initializer whose float_data count does not match its dims.
    bad = helper.make_tensor("w", F, [2, 3], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    del bad.float_data[5:]
    save(relu_model([bad]), "bad_count.onnx")

    # The same tensor produced by two nodes.
    save(model([helper.make_node("Relu", ["x"], ["y"], name="r1"),
                helper.make_node("Neg", ["x"], ["y"], name="r2")],
               [vi("x", [2])], [vi("y", [2])]), "bad_twice.onnx")


if __name__ == "__main__":
    main()
