/**
 * Classes users obtain from the client (never construct) have private constructors in the
 * published types: each `@ts-expect-error` below fails the type-check if one becomes
 * constructible again (a stripped `@internal` constructor leaves a public zero-argument one).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BatchScanner,
  BucketScanner,
  FlussAdmin,
  FlussTable,
  KvSnapshotLease,
  LogScanner,
  PrefixLookuper,
  ScanRecords,
  SnapshotScanner,
  TableScan,
  WriteResultHandle,
} from "../../src/index.js";

test("client objects are created by the client, not by `new`", () => {
  const attempts = [
    // @ts-expect-error private constructor
    () => new FlussAdmin(),
    // @ts-expect-error private constructor
    () => new FlussTable(),
    // @ts-expect-error private constructor
    () => new TableScan(),
    // @ts-expect-error protected constructor
    () => new LogScanner(),
    // @ts-expect-error protected constructor
    () => new BatchScanner(),
    // @ts-expect-error private constructor
    () => new BucketScanner(),
    // @ts-expect-error private constructor
    () => new SnapshotScanner(),
    // @ts-expect-error private constructor
    () => new PrefixLookuper(),
    // @ts-expect-error private constructor
    () => new ScanRecords(),
    // @ts-expect-error private constructor
    () => new WriteResultHandle(),
    // @ts-expect-error private constructor
    () => new KvSnapshotLease(),
  ];
  assert.equal(attempts.length, 11);
});
