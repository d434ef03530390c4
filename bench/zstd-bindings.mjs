// Compares ZSTD bindings on Arrow-like column buffers at level 3 (Fluss's default):
// compress and decompress MB/s of uncompressed bytes, and the compressed size.
// Usage: node bench/zstd-bindings.mjs [module ...]   (modules that are not installed are skipped)
// Supported: zstd-napi, @toondepauw/node-zstd, @bokuweb/zstd-wasm, node:zlib (Node >= 22.15),
// and "flussjs" (src/record/arrow/zstd.ts, run with `node --import tsx`: native encoder +
// WebAssembly decoder given the Arrow length prefix).

const LEVEL = 3;
const ROWS = 256 * 1024;

/** Buffers of one Arrow record batch: int32 ids, int64 timestamps, float64 prices, utf8 names. */
function arrowLikeBuffers() {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const ids = new Int32Array(ROWS).map((_, i) => 1_000_000 + i);
  const ts = new BigInt64Array(ROWS).map((_, i) => 1_700_000_000_000n + BigInt(i * 7 + Math.floor(rand() * 5)));
  const prices = new Float64Array(ROWS).map(() => Math.round(rand() * 100_000) / 100);
  const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
  const offsets = new Int32Array(ROWS + 1);
  const parts = [];
  let len = 0;
  for (let i = 0; i < ROWS; i++) {
    const s = `${words[Math.floor(rand() * words.length)]}-${Math.floor(rand() * 1000)}`;
    parts.push(s);
    len += s.length;
    offsets[i + 1] = len;
  }
  const chars = new TextEncoder().encode(parts.join(""));
  return [ids, ts, prices, offsets, chars].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

async function candidate(name) {
  try {
    switch (name) {
      case "zstd-napi": {
        const z = await import("zstd-napi");
        return { c: (b) => z.compress(b, { compressionLevel: LEVEL }), d: (b) => z.decompress(b) };
      }
      case "@toondepauw/node-zstd": {
        const { Encoder, Decoder } = await import("@toondepauw/node-zstd");
        const enc = new Encoder(LEVEL);
        const dec = new Decoder();
        return { c: (b) => enc.encodeSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), d: (b) => dec.decodeSync(b) };
      }
      case "@bokuweb/zstd-wasm": {
        const z = await import("@bokuweb/zstd-wasm");
        await z.init();
        return { c: (b) => z.compress(b, LEVEL), d: (b) => z.decompress(b) };
      }
      case "flussjs": {
        const z = await import("../src/record/arrow/zstd.ts");
        const lengths = new Map();
        return {
          c: (b) => {
            const out = z.zstdCompress(b, LEVEL);
            lengths.set(out, b.length);
            return out;
          },
          d: (b) => z.zstdDecompress(b, lengths.get(b)),
        };
      }
      case "node:zlib": {
        const z = await import("node:zlib");
        if (!z.zstdCompressSync) return null;
        const opts = { params: { [z.constants.ZSTD_c_compressionLevel]: LEVEL } };
        return { c: (b) => z.zstdCompressSync(b, opts), d: (b) => z.zstdDecompressSync(b) };
      }
    }
  } catch {
    return null;
  }
  return null;
}

function measure(fn, inputs, bytes) {
  for (const b of inputs) fn(b); // warm-up
  let rounds = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 1.5 || rounds < 3) {
    for (const b of inputs) fn(b);
    rounds++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return (bytes * rounds) / elapsed / 1e6;
}

const names = process.argv.length > 2 ? process.argv.slice(2) : ["zstd-napi", "@toondepauw/node-zstd", "@bokuweb/zstd-wasm", "node:zlib", "flussjs"];
const inputs = arrowLikeBuffers();
const bytes = inputs.reduce((n, b) => n + b.length, 0);
console.log(`${(bytes / 1e6).toFixed(1)} MB in ${inputs.length} Arrow-like buffers, level ${LEVEL}, node ${process.version}`);
for (const name of names) {
  const z = await candidate(name);
  if (!z) {
    console.log(`${name.padEnd(24)} not available`);
    continue;
  }
  const compressed = inputs.map((b) => z.c(b));
  for (let i = 0; i < inputs.length; i++) {
    if (Buffer.compare(Buffer.from(z.d(compressed[i])), Buffer.from(inputs[i])) !== 0) throw new Error(`${name}: round trip differs`);
  }
  const ratio = compressed.reduce((n, b) => n + b.length, 0) / bytes;
  const cMBs = measure(z.c, inputs, bytes);
  const dMBs = measure(z.d, compressed, bytes);
  console.log(`${name.padEnd(24)} compress ${cMBs.toFixed(0).padStart(5)} MB/s  decompress ${dMBs.toFixed(0).padStart(5)} MB/s  ratio ${ratio.toFixed(3)}`);
}
