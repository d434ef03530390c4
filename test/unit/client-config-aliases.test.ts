/** Java's `client.*` option keys (ConfigOptions.java) are accepted, with Java's duration and memory-size values. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Config, ErrorCode, FlussError } from "../../src/index.js";

test("Java's client.* keys map to our options, durations and memory sizes in Java's forms", () => {
  const c = Config.fromRecord({
    "client.connect-timeout": "5s",
    "client.request-timeout": "2 min",
    "client.writer.buffer.memory-size": "32mb",
    "client.writer.batch-size": "1 mb",
    "client.writer.batch-timeout": "50ms",
    "client.writer.request-max-size": "4mb",
    "client.writer.enable-idempotence": "false",
    "client.writer.max-inflight-requests-per-bucket": 3,
    "client.writer.dynamic-create-partition.enabled": false,
    "client.scanner.log.check-crc": "false",
    "client.scanner.log.fetch.max-bytes": "8mb",
    "client.scanner.log.fetch.max-bytes-for-bucket": "512kb",
    "client.scanner.log.fetch.min-bytes": "1b",
    "client.scanner.log.fetch.wait-max-time": "1s",
    "client.scanner.kv.fetch.max-bytes": "2mb",
  });
  assert.equal(c.get("connect.timeout.ms"), 5000);
  assert.equal(c.get("request.timeout.ms"), 120_000);
  assert.equal(c.get("writer.buffer.memory.size"), 32 * 1024 * 1024);
  assert.equal(c.get("writer.batch.size"), 1024 * 1024);
  assert.equal(c.get("writer.batch.timeout.ms"), 50);
  assert.equal(c.get("request.max.size"), 4 * 1024 * 1024);
  assert.equal(c.get("writer.enable.idempotence"), false);
  assert.equal(c.get("writer.max.inflight.requests.per.bucket"), 3);
  assert.equal(c.get("writer.dynamic-create-partition.enabled"), false);
  assert.equal(c.get("scanner.log.check-crc"), false);
  assert.equal(c.get("scanner.log.fetch.max-bytes"), 8 * 1024 * 1024);
  assert.equal(c.get("scanner.log.fetch.max-bytes-for-bucket"), 512 * 1024);
  assert.equal(c.get("scanner.log.fetch.min-bytes"), 1);
  assert.equal(c.get("scanner.log.fetch.wait-max-time-ms"), 1000);
  assert.equal(c.get("scanner.kv.fetch.max-bytes"), 2 * 1024 * 1024);
  // our own spellings keep taking plain numbers and numeric strings
  assert.equal(new Config({ "request.timeout.ms": "1500", "writer.batch.size": 4096 }).get("request.timeout.ms"), 1500);
  assert.equal(new Config().get("writer.dynamic-create-partition.enabled"), true);
});

test("a bad duration or memory size names the key", () => {
  for (const [key, value] of [
    ["client.request-timeout", "5 parsecs"],
    ["client.scanner.log.fetch.max-bytes", "8 furlongs"],
  ] as const) {
    assert.throws(
      () => Config.fromRecord({ [key]: value }),
      (e: unknown) =>
        e instanceof FlussError &&
        e.code === ErrorCode.CLIENT_ERROR &&
        e.message.includes(key === "client.request-timeout" ? "request.timeout.ms" : "scanner.log.fetch.max-bytes"),
    );
  }
});

test("a SASL password is kept exactly, spaces included (the server compares it byte for byte)", () => {
  const c = new Config({
    "client.security.protocol": "SASL",
    "client.security.sasl.username": "alice",
    "client.security.sasl.password": "  pass word ",
  });
  assert.equal(c.get("client.security.sasl.password"), "  pass word ");
  // a password of spaces only is a password, not "missing"
  assert.equal(
    new Config({ "security.sasl.username": "u", "security.sasl.password": " " }).get("client.security.sasl.password"),
    " ",
  );
});
