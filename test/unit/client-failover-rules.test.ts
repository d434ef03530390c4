/** Small rules of the client's failover behaviour that need no cluster. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverTimeoutMs } from "../../src/client/write/sender.js";

test("the produce/put timeout_ms sent to the server is below the client's own request timer", () => {
  for (const clientMs of [1, 2, 50, 300, 1000, 30_000, 120_000]) {
    const server = serverTimeoutMs(clientMs);
    assert.ok(server >= 1, `${clientMs}: ${server}`);
    if (clientMs > 1) assert.ok(server < clientMs, `${clientMs}: ${server}`);
  }
  assert.equal(serverTimeoutMs(30_000), 29_000);
  assert.equal(serverTimeoutMs(300), 270);
});
