/**
 * Zstandard for Arrow body buffers, from two packages that install without compiling:
 *
 * - compression: `@toondepauw/node-zstd` (libzstd through napi-rs; the binary for each
 *   platform ships inside an npm package of its own, picked by `optionalDependencies`);
 * - decompression: `@bokuweb/zstd-wasm` (libzstd built to WebAssembly), because the native
 *   package decodes 3-5x slower than its encoder, while the WebAssembly `ZSTD_decompress`
 *   into an output of the known size is within ~20% of native (figures in
 *   `bench/zstd-bindings.mjs` and the architecture notes). Frames whose size is unknown (no
 *   content size in the header and no length given) go to the native streaming decoder.
 *
 * The WebAssembly module is instantiated synchronously on first use through emscripten's
 * `instantiateWasm` hook, so no `await` is needed before the first decode.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Decoder, Encoder } from "@toondepauw/node-zstd";
import { ErrorCode, FlussError } from "../../rpc/errors.js";

const require = createRequire(import.meta.url);

/** Largest output we let the WebAssembly decoder allocate (its heap is 32-bit). */
const WASM_MAX_OUTPUT = 1 << 30;

const encoders = new Map<number, Encoder>();
let decoder: Decoder | undefined;

/** Compresses `data` into one Zstandard frame at `level`. */
export function zstdCompress(data: Uint8Array, level: number): Uint8Array {
  let enc = encoders.get(level);
  if (!enc) {
    enc = new Encoder(level);
    encoders.set(level, enc);
  }
  return enc.encodeSync(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

interface WasmZstd {
  decompress(buf: Uint8Array, opts?: { defaultHeapSize?: number }): Uint8Array;
  frameContentSize(buf: Uint8Array): number;
}

let wasm: WasmZstd | undefined;

/** The slice of the WebAssembly global used here (lib "dom" is not loaded). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface EmscriptenModule {
  onRuntimeInitialized?: () => void;
  instantiateWasm?: (imports: object, receive: (instance: { exports: object }) => void) => object;
  init(bytes: Uint8Array): void;
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _ZSTD_getFrameContentSize(p: number, n: number): number;
}

function loadWasm(): WasmZstd {
  if (wasm) return wasm;
  // The package exports only its entry; its files sit beside it.
  const dir = dirname(require.resolve("@bokuweb/zstd-wasm"));
  const { Module } = require(join(dir, "module.js")) as { Module: EmscriptenModule };
  const { decompress } = require(join(dir, "simple", "decompress.js")) as Pick<WasmZstd, "decompress">;
  const bytes = readFileSync(join(dir, "zstd.wasm"));
  let ready = false;
  const onReady = Module.onRuntimeInitialized;
  Module.onRuntimeInitialized = () => {
    ready = true;
    onReady?.();
  };
  Module.instantiateWasm = (imports, receive) => {
    const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), imports);
    receive(instance);
    return instance.exports;
  };
  Module.init(bytes);
  if (!ready) throw FlussError.client("the ZSTD WebAssembly module did not initialize synchronously");
  const frameContentSize = (buf: Uint8Array): number => {
    const n = Math.min(buf.length, 18); // the longest frame header
    const p = Module._malloc(n);
    try {
      Module.HEAPU8.set(buf.subarray(0, n), p);
      return Module._ZSTD_getFrameContentSize(p, n);
    } finally {
      Module._free(p);
    }
  };
  wasm = { decompress, frameContentSize };
  return wasm;
}

/**
 * Decompresses one Zstandard frame; `expectedLength` (when known) sizes the output.
 * Corrupt input is a CORRUPT_RECORD_EXCEPTION.
 */
export function zstdDecompress(data: Uint8Array, expectedLength?: number): Uint8Array {
  try {
    const z = loadWasm();
    // ZSTD_getFrameContentSize: the size, or 2^32-1 / 2^32-2 (unknown / error) as unsigned on wasm32.
    let size = expectedLength;
    if (size === undefined) {
      const declared = z.frameContentSize(data);
      if (declared >= 0 && declared < WASM_MAX_OUTPUT) size = declared;
    }
    if (size !== undefined && size <= WASM_MAX_OUTPUT) {
      const out = z.decompress(data, { defaultHeapSize: Math.max(size, 1) });
      return out;
    }
    decoder ??= new Decoder();
    return decoder.decodeSync(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  } catch (e) {
    if (e instanceof FlussError) throw e;
    throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `ZSTD frame does not decompress: ${(e as Error).message}`);
  }
}
