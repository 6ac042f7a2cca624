/**
 * RFC 8785 (JSON Canonicalization Scheme) bytes of the values the ledger signs, with
 * the refusals of `ledger/canonical.py`.
 *
 * Promises:
 * - `canonicalize(value)` is the RFC 8785 text of `value`: object members sorted by
 *   their keys' UTF-16 code units, no white space, strings escaped as ECMAScript's
 *   JSON.stringify escapes them, numbers in ECMAScript's serialisation.
 * - Only JSON values the data model allows pass: objects, arrays, strings without lone
 *   surrogates, booleans, null and integers within ±(2^53 − 1). Fractions, unsafe
 *   integers, NaN, infinities and any other type throw `CanonicalError` naming the path
 *   (`$.a[2]`), never rounded or guessed.
 * - `parseJson(text)` reads JSON text as Python's `json.loads` + the data model would
 *   (text that is not JSON throws `ValidationError`):
 *   a number written with a fraction or an exponent (`1.0`, `1e3`), or an integer
 *   outside ±(2^53 − 1), throws `CanonicalError` instead of becoming a different number.
 * @module jcs
 */

import { CanonicalError, ValidationError } from "./errors.js";
import { isWellFormed, utf8 } from "./bytes.js";

export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * The RFC 8785 text of `value`.
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalize(value) {
  return write(value, "$");
}

/**
 * The RFC 8785 bytes (UTF-8) of `value`.
 * @param {unknown} value
 * @returns {Uint8Array}
 */
export function canonicalBytes(value) {
  return utf8(canonicalize(value));
}

/**
 * @param {unknown} value
 * @param {string} path
 * @returns {string}
 */
function write(value, path) {
  if (value === null || value === true || value === false) return String(value);
  switch (typeof value) {
    case "string":
      return writeString(value, path);
    case "number":
      if (!Number.isInteger(value)) {
        throw new CanonicalError(`${path}: floats are not allowed in signed data (${value})`);
      }
      if (Math.abs(value) > MAX_SAFE_INTEGER) {
        throw new CanonicalError(`${path}: integer ${value} is outside ±(2^53-1)`);
      }
      return String(value); // ECMAScript serialisation; -0 becomes "0"
    case "object":
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, `${path}[${i}]`)).join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        const keys = Object.keys(value).sort(); // default sort: UTF-16 code units
        const members = keys.map(
          (k) => `${writeString(k, path)}:${write(value[k], `${path}.${k}`)}`,
        );
        return `{${members.join(",")}}`;
      }
      break;
    default:
      break;
  }
  const kind = value === undefined ? "undefined" : value?.constructor?.name ?? typeof value;
  throw new CanonicalError(`${path}: ${kind} has no canonical form`);
}

/**
 * @param {string} text
 * @param {string} path
 * @returns {string}
 */
function writeString(text, path) {
  if (!isWellFormed(text)) {
    throw new CanonicalError(`${path}: string is not valid Unicode (lone surrogate)`);
  }
  return JSON.stringify(text); // RFC 8785 §3.2.2.2 is ECMAScript's string serialisation
}

/**
 * Parse JSON text, refusing numbers the data model has no room for (see module doc).
 * Needs the JSON.parse source-text access of modern browsers (reviver context); where
 * it is missing, numbers whose value is not a safe integer are still refused.
 * @param {string} text
 * @returns {unknown}
 */
export function parseJson(text) {
  try {
    return JSON.parse(text, reviveNumber);
  } catch (exc) {
    if (exc instanceof SyntaxError) throw new ValidationError(`not JSON: ${exc.message}`);
    throw exc;
  }
}

/**
 * @param {string} key
 * @param {unknown} value
 * @param {{source?: string}} [context]
 * @returns {unknown}
 */
function reviveNumber(key, value, context) {
  if (typeof value !== "number") return value;
  const source = context?.source;
  if (source !== undefined && !INTEGER_TEXT.test(source)) {
    throw new CanonicalError(`number ${source} is not an integer (no floats in signed data)`);
  }
  const exact = source === undefined || String(value) === source.replace(/^-0$/, "0");
  if (!Number.isSafeInteger(value) || !exact) {
    throw new CanonicalError(`number ${source ?? value} is outside ±(2^53-1)`);
  }
  return value;
}
