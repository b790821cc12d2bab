#!/usr/bin/python3
"""Print `params <count>` and `nodes <count>` of an ONNX model.

params counts the elements of every initializer and Constant node, i.e. the
weights neuroc has to carry after the exporter's constant folding.
"""

import sys

import numpy as np
import onnx


def count(model):
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    for node in model.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    params += int(np.prod(attr.t.dims))
    return params, len(model.graph.node)


def main(argv):
    if len(argv) != 1:
        print("usage: onnx_params.py MODEL.onnx", file=sys.stderr)
        return 2
    params, nodes = count(onnx.load(argv[0]))
    print("params %d" % params)
    print("nodes %d" % nodes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
