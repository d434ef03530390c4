/**
 * `rbm32` and `rbm64` (Java `FieldRoaringBitmap32Agg`, `FieldRoaringBitmap64Agg`): the union
 * of serialized Roaring bitmaps in BYTES columns, nulls skipped; the result is run-optimized
 * and serialized as Java's RoaringBitmap library does.
 */
import { type FieldAggregator, nullSkipping } from "./field-aggregator.js";
import { deserializeRoaring32, orRoaring32, runOptimizeRoaring32, serializeRoaring32 } from "./roaring32.js";
import { deserializeRoaring64, orRoaring64, runOptimizeRoaring64, serializeRoaring64 } from "./roaring64.js";

function guarded(fn: (a: Uint8Array, b: Uint8Array) => Uint8Array): FieldAggregator {
  return nullSkipping((acc, input) => {
    try {
      return fn(acc as Uint8Array, input as Uint8Array);
    } catch (e) {
      throw new Error(`Unable to se/deserialize roaring bitmap. ${(e as Error).message}`, { cause: e });
    }
  });
}

export const RBM32: FieldAggregator = guarded((a, b) =>
  serializeRoaring32(runOptimizeRoaring32(orRoaring32(deserializeRoaring32(a), deserializeRoaring32(b)))),
);

export const RBM64: FieldAggregator = guarded((a, b) =>
  serializeRoaring64(runOptimizeRoaring64(orRoaring64(deserializeRoaring64(a), deserializeRoaring64(b)))),
);
