#!/usr/bin/env bash
# How fast a model with 100 MB of weights compiles: neuroc's own time and the
# C compiler's time on the emitted model.c (weights as one string literal).
# usage: scripts/bench_weights.sh [MB]   (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-100}
work=build/bench_weights
mkdir -p "$work"
/usr/bin/python3 - "$mb" "$work" <<'PY'
import sys, numpy as np
from onnx import helper, numpy_helper, TensorProto
mb, work = int(sys.argv[1]), sys.argv[2]
n = int((mb * 1e6 / 4) ** 0.5)
w = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])],
    initializer=[numpy_helper.from_array(w, "w")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
open(f"{work}/big.onnx", "wb").write(m.SerializeToString())
np.save(f"{work}/x.npy", np.ones((1, n), np.float32))
print(f"model: MatMul with a {n}x{n} f32 weight ({w.nbytes / 1e6:.0f} MB)")
PY
./build/compiler/neuroc run "$work/big.onnx" -t targets/host.yaml --input x="$work/x.npy" -o "$work/out" -q
ls -l "$work/out/model.c" | awk '{printf "model.c: %.0f MB of C\n", $5 / 1e6}'
