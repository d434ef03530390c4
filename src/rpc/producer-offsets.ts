/** Producer offsets on the wire: one `PbProducerTableOffsets` per table (RegisterProducerOffsets, GetProducerOffsets). */
import type { PbBucketOffset, PbProducerTableOffsets } from "./messages.js";

/** One bucket's offset, as the client API and the server's store both hold it. */
interface BucketOffset {
  readonly tableId: number;
  readonly partitionId?: number;
  readonly bucket: number;
  readonly offset: number;
}

/** Groups bucket offsets by table, in first-seen table order. */
export function producerTableOffsets(offsets: Iterable<BucketOffset>): PbProducerTableOffsets[] {
  const byTable = new Map<number, PbBucketOffset[]>();
  for (const o of offsets) {
    let list = byTable.get(o.tableId);
    if (!list) byTable.set(o.tableId, (list = []));
    list.push({
      ...(o.partitionId !== undefined ? { partitionId: o.partitionId } : {}),
      bucketId: o.bucket,
      logEndOffset: o.offset,
    });
  }
  return [...byTable].map(([tableId, bucketOffsets]) => ({ tableId, bucketOffsets }));
}
