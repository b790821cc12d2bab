"""The Python front door (python/neuroc): compile examples/tiny_cnn through
the CLI, build it as a shared library, run it on NumPy arrays through ctypes
and compare with expected_probs.npy, which make_model.py computed with a plain
NumPy forward pass (independent of neuroc). Also the errors a notebook user
meets. Run: NEUROC_EXE=build/compiler/neuroc PYTHONPATH=python
/usr/bin/python3 tests/python/test_neuroc.py WORK_DIR  (ctest label python)."""

import os
import shutil
import subprocess
import sys
import time
import unittest

try:
    import numpy as np
except ImportError:  # Debian python3-numpy
    print("SKIP: numpy not installed (apt-get install python3-numpy)")
    sys.exit(77)

import neuroc

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = os.path.join(SRC, "examples", "tiny_cnn")
WORK = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "test_python_out")
DB = os.path.join(WORK, "db.yaml")


def compile_tiny(name, **options):
    return neuroc.compile(os.path.join(TINY, "model.onnx"),
                          target=os.path.join(SRC, "targets", "host.yaml"),
                          out_dir=os.path.join(WORK, name), db=DB, quiet=True, **options)


class TinyCnn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)
        cls.out = compile_tiny("tiny")
        cls.model = neuroc.load(neuroc.build_shared(cls.out), os.path.join(cls.out, "model.h"))
        cls.x = np.load(os.path.join(TINY, "input.npy"))
        cls.expected = np.load(os.path.join(TINY, "expected_probs.npy"))

    def test_ports_come_from_the_model(self):
        m = self.model
        self.assertEqual([(p.name, p.shape, p.dtype) for p in m.inputs],
                         [("image", (1, 1, 16, 16), np.dtype(np.float32))])
        self.assertEqual([(p.name, p.shape) for p in m.outputs], [("probs", (1, 10))])

    def test_matches_the_numpy_reference(self):
        y = self.model.run({"image": self.x})["probs"]
        np.testing.assert_allclose(y, self.expected, rtol=1e-4, atol=1e-6)
        self.assertAlmostEqual(float(y.sum()), 1.0, places=5)
        # twice, positional, from float64 and non-contiguous memory: same answer
        xf = np.asfortranarray(self.x.astype(np.float64))
        np.testing.assert_allclose(self.model.run([xf])["probs"], y, rtol=0, atol=0)

    def test_other_input_other_output(self):
        rng = np.random.default_rng(7)
        a = self.model.run({"image": rng.standard_normal((1, 1, 16, 16)).astype(np.float32)})
        self.assertFalse(np.allclose(a["probs"], self.expected, atol=1e-3))

    def test_pinned_routines_same_answer(self):
        # constraints pass through as CLI options and land in the plan
        out = compile_tiny("pinned", routine=["cpu:f32:nhwc/*@conv1", "!*/gemm-packed*"])
        with open(os.path.join(out, "plan.yaml")) as f:
            plan = f.read()
        self.assertIn('constraints:\n  - "cpu:f32:nhwc/*@conv1"\n', plan)
        m = neuroc.load(neuroc.build_shared(out))
        np.testing.assert_allclose(m.run({"image": self.x})["probs"], self.expected,
                                   rtol=1e-4, atol=1e-6)

    def test_int8_close_to_the_reference(self):
        # quantized (u8 activations, random calibration): loose tolerance,
        # same class; 0.003 max abs error on the development host
        m = neuroc.load(neuroc.build_shared(compile_tiny("int8", dtype="int8")))
        y = m.run({"image": self.x})["probs"]
        np.testing.assert_allclose(y, self.expected, atol=0.03)
        self.assertEqual(int(y.argmax()), int(self.expected.argmax()))

    def test_profile_times_every_step(self):
        # per-step times inside the running model (linker-wrapped routines)
        m = neuroc.load(neuroc.build_shared(self.out, profile=True))
        np.testing.assert_allclose(m.run([self.x])["probs"], self.expected, rtol=1e-4, atol=1e-6)
        t = m.profile([self.x], runs=10)
        # the plan's layer and adapter steps, counted from plan.yaml's text
        with open(os.path.join(self.out, "plan.yaml")) as f:
            kinds = [line.split(":")[0].strip(" -") for line in f
                     if line.startswith(("  - layer:", "  - adapter:", "  - copy:"))]
        self.assertEqual(sorted(t), [i for i, k in enumerate(kinds) if k != "copy"])
        self.assertTrue(all(ms > 0 for ms in t.values()), t)
        # the steps together take no longer than whole runs timed from Python
        walls = []
        for _ in range(10):
            t0 = time.perf_counter()
            m.run([self.x])
            walls.append((time.perf_counter() - t0) * 1e3)
        self.assertLess(sum(t.values()), 2 * float(np.median(walls)))
        measured = neuroc.write_measured(os.path.join(self.out, "measured.yaml"), t, 10)
        with self.assertRaisesRegex(neuroc.NeurocError, "not built for profiling"):
            self.model.profile([self.x])
        html = os.path.join(self.out, "report.html")
        subprocess.run([neuroc.find_executable(), "report", self.out, "--measured", measured,
                        "-o", html, "-q"], check=True)
        with open(html) as f:
            self.assertIn('id="measured"', f.read())

    def test_bad_inputs_are_named(self):
        with self.assertRaisesRegex(ValueError, r"input 'image': shape \(16, 16\)"):
            self.model.run({"image": self.x[0, 0]})
        with self.assertRaisesRegex(ValueError, r"unknown \['img'\], missing \['image'\]"):
            self.model.run({"img": self.x})
        with self.assertRaisesRegex(ValueError, "cannot be converted"):
            self.model.run({"image": self.x.astype(np.complex64)})

    def test_cli_errors_raise_with_the_message(self):
        with self.assertRaises(neuroc.NeurocError) as cm:
            compile_tiny("bad", routine="cpu:s8:*@gap")
        self.assertEqual(cm.exception.returncode, 3)
        self.assertIn("layer 3 (gap): no routine matches 'cpu:s8:*@gap'", str(cm.exception))
        with self.assertRaises(neuroc.NeurocError):
            neuroc.build_shared(os.path.join(WORK, "nowhere"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
