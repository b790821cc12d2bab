#!/usr/bin/env node
'use strict';
// ONNX Runtime over a batch of samples (tests/models/run_quant.sh): runs the
// model once per sample of IN.npy ([N, ...], each sample the size of the
// model's single input), writes output 0 of every sample to OUT.npy as
// [N, elements], then times REPEAT runs of sample 0 after one warm-up.
//
//   node ort_batch.js MODEL.onnx IN.npy OUT.npy REPEAT [THREADS]
//
// Prints `ort_version`, `samples`, `median_ms`, `min_ms` (THREADS default 1).
const path = require('path');
const ortDir = path.join(__dirname, '..', 'ort');
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));
const { readNpy, writeNpy } = require(path.join(ortDir, 'npy'));

async function main() {
  const [model, inFile, outFile, repeatArg, threadsArg] = process.argv.slice(2);
  const repeat = Number.parseInt(repeatArg, 10);
  const threads = threadsArg === undefined ? 1 : Number.parseInt(threadsArg, 10);
  if (!model || !outFile || !(repeat >= 1) || !(threads >= 0)) {
    process.stderr.write('usage: node ort_batch.js MODEL.onnx IN.npy OUT.npy REPEAT [THREADS]\n');
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  if (session.inputNames.length !== 1) throw new Error(`${model}: one input expected`);
  const x = readNpy(inFile);
  if (x.descr !== '<f4') throw new Error(`${inFile}: float32 expected`);
  const n = x.dims[0];
  const per = x.data.length / n;
  // Per-sample shape: the batch's own trailing dims with a leading 1.
  const dims = [1, ...x.dims.slice(1)];
  const name = session.inputNames[0];
  const feed = (i) => ({ [name]: new ort.Tensor('float32', x.data.subarray(i * per, (i + 1) * per), dims) });
  let out = null;
  let perOut = 0;
  for (let i = 0; i < n; i++) {
    const r = await session.run(feed(i));
    const y = r[session.outputNames[0]].data;
    if (!out) { perOut = y.length; out = new Float32Array(n * perOut); }
    out.set(y, i * perOut);
  }
  writeNpy(outFile, '<f4', [n, perOut], out);
  const f0 = feed(0);
  await session.run(f0);
  const times = [];
  for (let r = 0; r < repeat; r++) {
    const t0 = process.hrtime.bigint();
    await session.run(f0);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const m = times.length >> 1;
  const med = times.length % 2 ? times[m] : (times[m - 1] + times[m]) / 2;
  process.stdout.write(`ort_version ${ort.env.versions.common}\nsamples ${n}\n`);
  process.stdout.write(`median_ms ${med.toFixed(4)}\nmin_ms ${times[0].toFixed(4)}\n`);
}

main().catch((e) => {
  process.stderr.write(`ort_batch: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
