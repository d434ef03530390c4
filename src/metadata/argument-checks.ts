/**
 * Checks of what callers pass where the types cannot help (plain JavaScript, `any`, JSON):
 * misplaced arguments and unknown option names get a CLIENT_ERROR that names the mistake.
 */
import { FlussError } from "../rpc/errors.js";
import { didYouMean } from "../util/names.js";

/** Short description of a misplaced argument, e.g. `a plain object` or `string "x"`. */
export function describeArg(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v !== "object") return `${typeof v} ${JSON.stringify(v) ?? String(v)}`;
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return `a plain object with keys ${Object.keys(v).join(", ") || "(none)"}`;
  return `a ${(v as object).constructor?.name ?? "object"}`;
}

/**
 * Refuses option names not in `known` (a misspelling or snake_case would otherwise be
 * ignored silently), naming the option meant, e.g. `bucket_count` → `bucketCount`.
 */
export function checkOptionNames(options: object | undefined, known: readonly string[], what: string): void {
  if (options === undefined || options === null) return;
  if (typeof options !== "object") throw FlussError.client(`${what} options must be an object, got ${describeArg(options)}`);
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw FlussError.client(`unknown ${what} option "${k}"${didYouMean(k, known)}; known options: ${known.join(", ")}`);
    }
  }
}
