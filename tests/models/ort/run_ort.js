#!/usr/bin/env node
'use strict';
// Runs an ONNX model with ONNX Runtime (the zoo's reference and speed peer):
// reads inputs from .npy, writes every output to DIR/<name>.npy, and times
// N runs after one warm-up.
//
//   node run_ort.js MODEL.onnx --input NAME=FILE.npy [...] -o DIR
//                   [--repeat N] [--threads 1|all|N]
//
// Prints `load_ms <ms>` and `median_ms <ms>` (plus min/max) on stdout.

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { readNpy, writeNpy, DTYPES, descrForOrtType } = require('./npy');

function usage(msg) {
  if (msg) process.stderr.write(`run_ort: ${msg}\n`);
  process.stderr.write('usage: node run_ort.js MODEL.onnx --input NAME=FILE.npy [...] -o DIR '
    + '[--repeat N] [--threads 1|all|N]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { model: null, inputs: [], outDir: null, repeat: 1, threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--input' || a === '-i') {
      const v = next();
      const eq = v.indexOf('=');
      if (eq <= 0) usage(`--input wants NAME=FILE.npy, got '${v}'`);
      opts.inputs.push({ name: v.slice(0, eq), file: v.slice(eq + 1) });
    } else if (a === '-o' || a === '--out') {
      opts.outDir = next();
    } else if (a === '--repeat') {
      opts.repeat = Number.parseInt(next(), 10);
      if (!(opts.repeat >= 1)) usage('--repeat wants a positive integer');
    } else if (a === '--threads') {
      const v = next();
      // 0 lets ONNX Runtime use one thread per physical core.
      opts.threads = v === 'all' ? 0 : Number.parseInt(v, 10);
      if (!(opts.threads >= 0)) usage("--threads wants 'all' or a positive integer");
    } else if (a === '-h' || a === '--help') {
      usage();
    } else if (a.startsWith('-')) {
      usage(`unknown option '${a}'`);
    } else if (opts.model === null) {
      opts.model = a;
    } else {
      usage(`unexpected argument '${a}'`);
    }
  }
  if (!opts.model) usage('no model given');
  if (!opts.outDir) usage('no output directory given (-o DIR)');
  return opts;
}

// Same rule as `neuroc run`, so both tools write the same file names.
function outputFileName(name) {
  return `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`;
}

function loadFeeds(session, inputs) {
  const feeds = {};
  for (const { name, file } of inputs) {
    if (!session.inputNames.includes(name)) {
      throw new Error(`model has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    }
    const arr = readNpy(file);
    feeds[name] = new ort.Tensor(DTYPES[arr.descr].ort, arr.data, arr.dims);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) throw new Error(`no --input given for model input(s): ${missing.join(', ')}`);
  return feeds;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timedRun(session, feeds) {
  const t0 = process.hrtime.bigint();
  const result = await session.run(feeds);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { result, ms };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(opts.model, {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const feeds = loadFeeds(session, opts.inputs);

  const warm = await timedRun(session, feeds);
  const times = [];
  for (let i = 0; i < opts.repeat; i++) times.push((await timedRun(session, feeds)).ms);

  fs.mkdirSync(opts.outDir, { recursive: true });
  for (const name of session.outputNames) {
    const t = warm.result[name];
    writeNpy(path.join(opts.outDir, outputFileName(name)), descrForOrtType(t.type),
      t.dims.map(Number), t.data);
  }
  const fmt = (x) => x.toFixed(3);
  process.stdout.write(`ort_version ${ort.env.versions.common}\n`);
  process.stdout.write(`threads ${opts.threads === 0 ? 'all' : opts.threads}\n`);
  process.stdout.write(`load_ms ${fmt(loadMs)}\n`);
  process.stdout.write(`min_ms ${fmt(Math.min(...times))}\n`);
  process.stdout.write(`max_ms ${fmt(Math.max(...times))}\n`);
  process.stdout.write(`median_ms ${fmt(median(times))}\n`);
}

main().catch((e) => {
  process.stderr.write(`run_ort: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
