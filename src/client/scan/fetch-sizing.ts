/**
 * Per-bucket fetch sizes that adapt to the backlog (issue 15).
 *
 * Java asks every bucket for `scanner.log.fetch.max-bytes-for-bucket` (1 MiB) per request,
 * whatever is waiting. A bucket with a backlog then costs one round trip per MiB, and a
 * batch larger than the limit is cut on every fetch (the server sends a slice the client
 * throws away, then the bucket is fetched again alone). Here a bucket whose last answer
 * left data behind (high watermark beyond what it returned) doubles its limit for the next
 * fetch, up to `scanner.log.fetch.max-bytes` and half of `scanner.log.max-buffered-bytes`;
 * a bucket that caught up goes back to the configured limit, and a limit never drops below
 * the largest batch seen (so batches are not cut twice). What a request asks for beyond the
 * configured per-bucket limits is also bounded by the room left in the buffer, so a scan
 * keeps to `scanner.log.max-buffered-bytes` plus at most one request of configured limits
 * per server. The request itself stays what any Fluss server accepts: only the per-bucket
 * `max_fetch_bytes` values change.
 */

/** The adaptive limit of one bucket. */
export class BucketFetchSize {
  /** The limit the next fetch asks for, before the buffer's room is applied. */
  limit: number;
  /** The largest batch (bytes) seen in this bucket. */
  largestBatch = 0;

  constructor(private readonly sizing: FetchSizing) {
    this.limit = sizing.base;
  }

  /**
   * After an answer: `returned` bytes of records came back and `more` says whether the
   * log holds more beyond them (high watermark past the next fetch offset).
   */
  update(returned: number, more: boolean, largestBatch: number): void {
    if (largestBatch > this.largestBatch) this.largestBatch = largestBatch;
    const floor = Math.min(this.sizing.max, Math.max(this.sizing.base, this.largestBatch));
    if (more && returned > 0) this.limit = Math.min(this.sizing.max, Math.max(floor, this.limit * 2));
    else this.limit = floor;
  }
}

/** The limits of a scan: configured per-bucket size, the adaptive ceiling. */
export class FetchSizing {
  /** `scanner.log.fetch.max-bytes-for-bucket`: what a bucket gets at least. */
  readonly base: number;
  /** Ceiling of an adaptive limit. */
  readonly max: number;

  constructor(
    bucketBytes: number,
    private readonly requestBytes: number,
    private readonly bufferBytes: number,
  ) {
    this.base = bucketBytes;
    this.max = Math.max(bucketBytes, Math.min(requestBytes, Math.floor(bufferBytes / 2)));
  }

  /**
   * The `max_fetch_bytes` of each bucket of one request, given their adaptive sizes and
   * the bytes buffered or already asked for by requests in flight: extras beyond `base`
   * share what room is left under the buffer bound and the request's total
   * (`scanner.log.fetch.max-bytes`, which the server would otherwise enforce by cutting the
   * last bucket's slice). A raised limit is rounded down to whole multiples of the bucket's
   * largest batch: the server answers a byte slice, and a slice ending inside a batch sends
   * bytes the client drops and fetches again (with 2 MiB batches, up to a quarter of a
   * 8 MiB slice; with equal batches the rounded slice ends on a boundary).
   */
  limits(sizes: readonly BucketFetchSize[], committed: number): number[] {
    let wanted = 0;
    for (const s of sizes) wanted += Math.max(0, s.limit - this.base);
    const room = Math.max(0, Math.min(this.bufferBytes - committed, this.requestBytes) - sizes.length * this.base);
    const share = wanted <= room ? 1 : room / wanted;
    return sizes.map((s) => {
      const limit = this.base + Math.floor(Math.max(0, s.limit - this.base) * share);
      const batch = s.largestBatch;
      if (limit <= this.base || batch <= 0) return limit;
      // less than one batch would be a cut slice only: one whole batch instead (the server's
      // total then leaves later buckets of this request empty, fetched by the next one)
      if (limit < batch) return Math.min(batch, this.max);
      const whole = Math.floor(limit / batch) * batch;
      return whole >= this.base ? whole : limit;
    });
  }
}
