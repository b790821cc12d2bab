#!/usr/bin/env bash
# The main job on the bundled example: compile examples/tiny_cnn/model.onnx to C
# for the host, build it with the host toolchain, run it, print the output and
# the time, and check it against the independent numpy reference.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
out=out/tiny_cnn
./build/compiler/neuroc run examples/tiny_cnn/model.onnx -t targets/host.yaml \
  --input image=examples/tiny_cnn/input.npy -o "$out" --repeat 100
echo "generated: $out/model.c $out/model.h $out/plan.yaml"
/usr/bin/python3 - "$out/probs.npy" examples/tiny_cnn/expected_probs.npy <<'PY'
import sys, numpy as np
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
print("probs:", np.array2string(got.ravel(), precision=4))
print("class:", int(got.argmax()), " max abs diff vs numpy reference: %.3g" % np.abs(got - want).max())
sys.exit(0 if np.allclose(got, want, rtol=1e-4, atol=1e-6) else 1)
PY
