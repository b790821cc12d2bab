"""neuroc from Python: compile a model with the neuroc CLI, build the emitted C
as a shared library and run it on NumPy arrays (docs/python.md).

Standard library plus NumPy only. The compiler is the `neuroc` executable
(run as a subprocess); the emitted model is called through ctypes, reading
its inputs and outputs (names, dtypes, shapes) from the tables model.c
exports (`<prefix>_inputs`, `<prefix>_outputs`) and the arena size from
model.h.

    import neuroc, numpy as np
    out = neuroc.compile("examples/tiny_cnn/model.onnx", out_dir="out/tiny")
    so = neuroc.build_shared(out)
    m = neuroc.load(so, out + "/model.h")
    probs = m.run({"image": np.load("examples/tiny_cnn/input.npy")})["probs"]
"""

import ctypes
import glob
import os
import re
import shutil
import subprocess

import numpy as np

__all__ = ["NeurocError", "Model", "compile", "build_shared", "load", "write_measured",
           "find_executable", "runtime_paths"]

# python/neuroc/__init__.py -> the source tree root (when run from a checkout)
_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ONNX TensorProto.DataType codes, as model.h documents for `dtype`.
_ONNX_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16,
                6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64,
                12: np.uint32, 13: np.uint64}


class NeurocError(RuntimeError):
    """The CLI failed (exit code and its message kept) or a model cannot be used."""

    def __init__(self, message, returncode=None, stderr=""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


def find_executable():
    """The neuroc executable: $NEUROC_EXE, else `neuroc` on PATH, else the
    most recently built build*/compiler/neuroc of this source tree."""
    exe = os.environ.get("NEUROC_EXE")
    if exe:
        if not os.access(exe, os.X_OK):
            raise NeurocError("NEUROC_EXE=%s is not an executable file" % exe)
        return exe
    exe = shutil.which("neuroc")
    if exe:
        return exe
    built = [p for p in glob.glob(os.path.join(_SOURCE_ROOT, "build*", "compiler", "neuroc"))
             if os.access(p, os.X_OK)]
    if built:
        return max(built, key=os.path.getmtime)
    raise NeurocError("neuroc executable not found: set NEUROC_EXE, put neuroc on PATH, or "
                      "build it (cmake -S . -B build && make -C build)")


def runtime_paths(exe=None):
    """(include_dir, library) of the runtime that emitted C is built against:
    $NEUROC_RT_INCLUDE / $NEUROC_RT_LIBRARY, else beside the executable
    (a build tree: BUILD/runtime-min/libneuroc_rt.a and the source tree's
    runtime-min/include; an install prefix: PREFIX/lib and PREFIX/include)."""
    exe = os.path.realpath(exe or find_executable())
    build = os.path.dirname(os.path.dirname(exe))
    lib = os.environ.get("NEUROC_RT_LIBRARY")
    inc = os.environ.get("NEUROC_RT_INCLUDE")
    for cand_lib, cand_inc in ((os.path.join(build, "runtime-min", "libneuroc_rt.a"),
                                os.path.join(_SOURCE_ROOT, "runtime-min", "include")),
                               (os.path.join(build, "lib", "libneuroc_rt.a"),
                                os.path.join(build, "include"))):
        if not lib and os.path.isfile(cand_lib):
            lib = cand_lib
        if not inc and os.path.isfile(os.path.join(cand_inc, "neuroc", "rt.h")):
            inc = cand_inc
    if not lib or not os.path.isfile(lib):
        raise NeurocError("runtime library libneuroc_rt.a not found near %s: set "
                          "NEUROC_RT_LIBRARY" % exe)
    if not inc or not os.path.isfile(os.path.join(inc, "neuroc", "rt.h")):
        raise NeurocError("runtime headers (neuroc/rt.h) not found near %s: set "
                          "NEUROC_RT_INCLUDE" % exe)
    return inc, lib


def _cli_args(options):
    """keyword options -> CLI flags: routine=['a', 'b'] -> --routine a --routine b,
    quiet=True -> --quiet, error_weight=2 -> --error-weight 2; None/False left out."""
    args = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if v is None or v is False:
                continue
            args.append(flag)
            if v is not True:
                args.append(str(v))
    return args


def _existing(path):
    """A relative path that is not there from the current directory is tried
    from the source tree root (targets/host.yaml from a notebook elsewhere)."""
    if os.path.isabs(path) or os.path.exists(path):
        return path
    alt = os.path.join(_SOURCE_ROOT, path)
    return alt if os.path.exists(alt) else path


def compile(model, target="targets/host.yaml", out_dir=None, command="compile", **options):
    """Run `neuroc compile MODEL -t TARGET -o OUT_DIR [options]` and return
    OUT_DIR (model.c, model.h, plan.yaml). command='tune' writes a plan only.
    Options are the CLI's long options (see `neuroc compile --help`), e.g.
    routine=['cpu:f32:nhwc/*@conv1'], dtype='int8', db='db.yaml', quiet=True.
    Raises NeurocError with the CLI's message and exit code on failure."""
    if out_dir is None:
        base = os.path.splitext(os.path.basename(str(model)))[0]
        out_dir = os.path.join("out", base)
    cmd = [find_executable(), command, _existing(str(model)), "-t", _existing(str(target)),
           "-o", str(out_dir)] + _cli_args(options)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        msg = proc.stderr.strip() or proc.stdout.strip()
        raise NeurocError("neuroc %s failed (exit %d): %s" % (command, proc.returncode, msg),
                          proc.returncode, proc.stderr)
    return str(out_dir)


def _routine_calls(src, prefix):
    """[(routine symbol, step index)] in the order PREFIX_run calls them: the
    emitted run function is straight-line code, one call per routine step,
    each passing &s<STEP>_args (STEP = the index in plan.yaml's steps)."""
    with open(src, encoding="utf-8") as f:
        text = f.read()
    start = text.find("\nint %s_run(" % prefix)
    end = text.find("\n}\n", start)
    if start < 0 or end < 0:
        raise NeurocError("%s: no %s_run function: not emitted by neuroc" % (src, prefix))
    return [(m.group(1), int(m.group(2)))
            for m in re.finditer(r"^\s*(\w+)\(&s(\d+)_args, in_, out_,", text[start:end], re.M)]


# Times every routine call of the run function through the linker's --wrap
# (the routines live in libneuroc_rt.a, model.c calls them by name), so the
# emitted C is profiled unchanged.
_PROFILE_C = """/* Generated by neuroc.build_shared(profile=True) -- do not edit.
 * Wraps each routine PREFIX_run calls (ld --wrap) and records its wall time. */
#define _POSIX_C_SOURCE 199309L
#include <time.h>
#include "neuroc/rt.h"
#define NC_PROF_MAX 65536
double nc_prof_ns[NC_PROF_MAX];
int nc_prof_n;
static double nc_prof_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}
"""

_PROFILE_WRAP = """void __real_{0}(const nc_args *, const void *const *, void *const *, void *);
void __wrap_{0}(const nc_args *a, const void *const *in, void *const *out, void *scratch) {{
  double t0 = nc_prof_now();
  __real_{0}(a, in, out, scratch);
  if (nc_prof_n < NC_PROF_MAX) nc_prof_ns[nc_prof_n++] = nc_prof_now() - t0;
}}
"""


def build_shared(out_dir, prefix="model", cc=None, cflags="-O2", so_path=None, profile=False):
    """Compile OUT_DIR/PREFIX.c and the runtime library into one shared
    library (the runtime is built position independent) and return its path
    (default OUT_DIR/libPREFIX.so, libPREFIX-profile.so with profile).
    cc: $CC or cc. profile=True also times every routine call, for
    Model.profile (GNU ld's --wrap; the emitted C is not changed)."""
    src = os.path.join(str(out_dir), prefix + ".c")
    if not os.path.isfile(src):
        raise NeurocError("%s not found: compile the model first (neuroc.compile)" % src)
    inc, lib = runtime_paths()
    suffix = "-profile" if profile else ""
    so_path = so_path or os.path.join(str(out_dir), "lib%s%s.so" % (prefix, suffix))
    cc = cc or os.environ.get("CC") or "cc"
    extra = []
    if profile:
        symbols = sorted({sym for sym, _ in _routine_calls(src, prefix)})
        wrap_c = os.path.join(str(out_dir), "%s_profile.c" % prefix)
        with open(wrap_c, "w", encoding="utf-8") as f:
            f.write(_PROFILE_C.replace("PREFIX", prefix))
            for sym in symbols:
                f.write(_PROFILE_WRAP.format(sym))
        extra = [wrap_c] + ["-Wl,--wrap=" + sym for sym in symbols]
    cmd = [cc] + cflags.split() + ["-fPIC", "-shared", "-I", inc, "-I", str(out_dir), src] + \
        extra + [lib, "-lm", "-o", so_path]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise NeurocError("building %s failed (exit %d): %s\ncommand: %s"
                          % (so_path, proc.returncode, proc.stderr.strip(), " ".join(cmd)),
                          proc.returncode, proc.stderr)
    return so_path


class _TensorInfo(ctypes.Structure):
    # model.h: struct PREFIX_tensor_info
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32), ("ndim", ctypes.c_int32),
                ("dims", ctypes.c_int64 * 8), ("bytes", ctypes.c_size_t)]


def _read_header(header):
    """prefix, arena bytes, arena alignment, input and output counts from model.h."""
    with open(header, encoding="utf-8") as f:
        text = f.read()
    run = re.search(r"^int (\w+)_run\(const void \*const inputs\[\]", text, re.M)
    if not run:
        raise NeurocError("%s: no PREFIX_run declaration: not a header emitted by neuroc" % header)
    prefix = run.group(1)
    P = prefix.upper()

    def define(name):
        m = re.search(r"^#define %s_%s (\d+)u?$" % (P, name), text, re.M)
        if not m:
            raise NeurocError("%s: #define %s_%s missing" % (header, P, name))
        return int(m.group(1))

    return prefix, define("ARENA_BYTES"), define("ARENA_ALIGN"), define("NUM_INPUTS"), \
        define("NUM_OUTPUTS")


class _Port:
    """One input or output: name, NumPy dtype, shape, size in bytes."""

    def __init__(self, info, where):
        self.name = info.name.decode()
        if info.dtype not in _ONNX_DTYPES:
            raise NeurocError("%s '%s': dtype code %d has no NumPy equivalent"
                              % (where, self.name, info.dtype))
        self.dtype = np.dtype(_ONNX_DTYPES[info.dtype])
        self.shape = tuple(int(info.dims[i]) for i in range(info.ndim))
        self.nbytes = int(info.bytes)

    def __repr__(self):
        return "%s%s %s" % (self.name, list(self.shape), self.dtype)


class Model:
    """An emitted model loaded from a shared library; call run()."""

    def __init__(self, so_path, header):
        prefix, arena_bytes, align, n_in, n_out = _read_header(header)
        self.path = so_path
        self._header = header
        self._prefix = prefix
        self._lib = ctypes.CDLL(os.path.abspath(so_path))
        try:
            table_in = (_TensorInfo * n_in).in_dll(self._lib, prefix + "_inputs")
            table_out = (_TensorInfo * n_out).in_dll(self._lib, prefix + "_outputs")
            self._run = getattr(self._lib, prefix + "_run")
        except (ValueError, AttributeError) as e:
            raise NeurocError("%s does not export the model %s declares: %s"
                              % (so_path, header, e)) from None
        self._run.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p),
                              ctypes.c_void_p]
        self._run.restype = ctypes.c_int
        self.inputs = [_Port(table_in[i], "input") for i in range(n_in)]
        self.outputs = [_Port(table_out[i], "output") for i in range(n_out)]
        # The arena belongs to this Model (one run at a time), aligned as model.h asks.
        self._arena_raw = np.zeros(max(arena_bytes, 1) + align, dtype=np.uint8)
        addr = self._arena_raw.ctypes.data
        self._arena = ctypes.c_void_p(addr + (-addr) % align)

    def _input_array(self, port, value):
        a = np.asarray(value)
        if a.shape != port.shape:
            raise ValueError("input '%s': shape %s, the model wants %s"
                             % (port.name, a.shape, port.shape))
        if a.dtype != port.dtype and not np.can_cast(a.dtype, port.dtype, casting="same_kind"):
            raise ValueError("input '%s': dtype %s cannot be converted to the model's %s"
                             % (port.name, a.dtype, port.dtype))
        return np.ascontiguousarray(a, dtype=port.dtype)

    def run(self, inputs):
        """inputs: {name: array} (or a list in model.h's order). Returns
        {output name: new array}. Shapes must match exactly."""
        if not isinstance(inputs, dict):
            inputs = list(inputs)
            if len(inputs) != len(self.inputs):
                raise ValueError("%d inputs given, the model has %d: %s"
                                 % (len(inputs), len(self.inputs), self.inputs))
            inputs = {p.name: v for p, v in zip(self.inputs, inputs)}
        unknown = sorted(set(inputs) - {p.name for p in self.inputs})
        missing = [p.name for p in self.inputs if p.name not in inputs]
        if unknown or missing:
            raise ValueError("inputs: unknown %s, missing %s; the model has %s"
                             % (unknown, missing, self.inputs))
        arrays = [self._input_array(p, inputs[p.name]) for p in self.inputs]
        outs = [np.empty(p.shape, dtype=p.dtype) for p in self.outputs]
        in_ptrs = (ctypes.c_void_p * max(1, len(arrays)))(*[a.ctypes.data for a in arrays])
        out_ptrs = (ctypes.c_void_p * max(1, len(outs)))(*[o.ctypes.data for o in outs])
        rc = self._run(in_ptrs, out_ptrs, self._arena)
        if rc != 0:
            raise NeurocError("%s: the model returned %d" % (self.path, rc), rc)
        return {p.name: o for p, o in zip(self.outputs, outs)}

    __call__ = run

    def profile(self, inputs, runs=20, warmup=2):
        """Time every step of the model inside the running model (a library
        from build_shared(profile=True)): returns {plan.yaml step index: ms},
        the median over `runs` runs after `warmup`. Copies are not timed."""
        try:
            count = ctypes.c_int.in_dll(self._lib, "nc_prof_n")
            times = (ctypes.c_double * 65536).in_dll(self._lib, "nc_prof_ns")
        except ValueError:
            raise NeurocError("%s was not built for profiling: "
                              "neuroc.build_shared(..., profile=True)" % self.path) from None
        calls = _routine_calls(os.path.join(os.path.dirname(self._header),
                                            self._prefix + ".c"), self._prefix)
        per_step = {step: [] for _, step in calls}
        for k in range(warmup + runs):
            count.value = 0
            self.run(inputs)
            if count.value != len(calls):
                raise NeurocError("%s: %d routine calls timed, model.c makes %d: the library "
                                  "and model.c differ" % (self.path, count.value, len(calls)))
            if k >= warmup:
                for i, (_, step) in enumerate(calls):
                    per_step[step].append(times[i] / 1e6)
        return {step: float(np.median(v)) for step, v in per_step.items()}

    def __repr__(self):
        return "neuroc.Model(%s: inputs %s, outputs %s)" % (self.path, self.inputs, self.outputs)


def write_measured(path, times, runs, note=""):
    """Write Model.profile's {step: ms} as the file `neuroc report --measured`
    reads (docs/report.md). Returns path."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Generated by neuroc.write_measured (python) -- do not edit.\n")
        f.write("# Per-step wall time inside the running model, median of the runs%s.\n"
                % (": " + note if note else ""))
        f.write("runs: %d\nsteps:\n" % runs)
        for step in sorted(times):
            f.write("  - {step: %d, ms: %.6f}\n" % (step, times[step]))
    return path


def load(so_path, header=None):
    """Load a model built by build_shared. header: its model.h (default: the
    PREFIX.h beside the library, PREFIX from libPREFIX.so)."""
    if header is None:
        base = os.path.basename(so_path)
        name = base[3:-3] if base.startswith("lib") and base.endswith(".so") else "model"
        if name.endswith("-profile"):
            name = name[:-len("-profile")]
        header = os.path.join(os.path.dirname(so_path), name + ".h")
    if not os.path.isfile(so_path):
        raise NeurocError("%s not found: build it with neuroc.build_shared" % so_path)
    return Model(so_path, header)
