'use strict';
// Minimal reader/writer for NumPy .npy files (format versions 1.0-3.0,
// little-endian, C order): just enough to feed ONNX Runtime and store its
// outputs where numpy (compare.py) and neuroc can read them.

const fs = require('fs');

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"

// npy descr -> ONNX Runtime tensor type and typed-array constructor.
const DTYPES = {
  '<f4': { ort: 'float32', array: Float32Array },
  '<f8': { ort: 'float64', array: Float64Array },
  '<i8': { ort: 'int64', array: BigInt64Array },
  '<i4': { ort: 'int32', array: Int32Array },
  '<i2': { ort: 'int16', array: Int16Array },
  '|i1': { ort: 'int8', array: Int8Array },
  '<u8': { ort: 'uint64', array: BigUint64Array },
  '<u4': { ort: 'uint32', array: Uint32Array },
  '<u2': { ort: 'uint16', array: Uint16Array },
  '|u1': { ort: 'uint8', array: Uint8Array },
  '|b1': { ort: 'bool', array: Uint8Array },
};

function descrForOrtType(type) {
  for (const [descr, d] of Object.entries(DTYPES)) {
    if (d.ort === type) return descr;
  }
  throw new Error(`npy: no .npy dtype for ONNX Runtime tensor type '${type}'`);
}

// Parses the Python-literal header dict, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }
function parseHeader(text, file) {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) {
    throw new Error(`${file}: malformed .npy header: ${text.trim()}`);
  }
  if (fortran[1] === 'True') {
    throw new Error(`${file}: Fortran-order arrays are not supported`);
  }
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0)
    .map((s) => Number.parseInt(s, 10));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${file}: bad shape in .npy header: (${shape[1]})`);
  }
  // '<' and '|' are the only byte orders we read; '=' means native, which is
  // little-endian on every host this harness runs on.
  const key = descr[1].replace(/^=/, '<');
  if (!DTYPES[key]) throw new Error(`${file}: unsupported .npy dtype '${descr[1]}'`);
  return { descr: key, dims };
}

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new Error(`${file}: not a .npy file (bad magic)`);
  }
  const major = buf[6];
  let headerLen;
  let start;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new Error(`${file}: unsupported .npy version ${major}`);
  }
  const header = parseHeader(buf.toString('latin1', start, start + headerLen), file);
  const count = header.dims.reduce((a, b) => a * b, 1);
  const Ctor = DTYPES[header.descr].array;
  const offset = start + headerLen;
  const bytes = count * Ctor.BYTES_PER_ELEMENT;
  if (buf.length - offset < bytes) {
    throw new Error(`${file}: truncated .npy data (${buf.length - offset} of ${bytes} bytes)`);
  }
  // Copy into a fresh, aligned buffer: typed arrays need element alignment.
  const data = new Ctor(count);
  Buffer.from(data.buffer).set(buf.subarray(offset, offset + bytes));
  return { descr: header.descr, dims: header.dims, data };
}

function writeNpy(file, descr, dims, data) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Version 1.0: 10-byte preamble + header padded with spaces to a multiple
  // of 64 bytes, ending in '\n'.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

module.exports = { readNpy, writeNpy, DTYPES, descrForOrtType };
