/**
 * Strict readers for decoding JSON objects into model objects, as
 * `ledger/model/fields.py` and the checks of `ledger/canonical.py`: each names the
 * field in its `ValidationError`, so a person can find the fault.
 * @module fields
 */

import { fromHex } from "./bytes.js";
import { ValidationError } from "./errors.js";

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,6})?Z$/;

/**
 * True if `value` is a plain JSON object (not an array, not null).
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `obj` if it is an object with every `required` key and nothing unknown.
 * @param {unknown} obj
 * @param {string} where
 * @param {string[]} required
 * @returns {Record<string, any>}
 */
export function expectObject(obj, where, required) {
  if (!isObject(obj)) throw new ValidationError(`${where}: expected a JSON object`);
  const keys = Object.keys(obj);
  const missing = required.filter((k) => !Object.hasOwn(obj, k)).sort();
  if (missing.length) throw new ValidationError(`${where}: missing field(s) ${missing.join(", ")}`);
  const extra = keys.filter((k) => !required.includes(k)).sort();
  if (extra.length) throw new ValidationError(`${where}: unknown field(s) ${extra.join(", ")}`);
  return obj;
}

/**
 * A string field of at most `maxLen` characters.
 * @param {Record<string, any>} obj
 * @param {string} key
 * @param {string} where
 * @param {number} [maxLen]
 * @returns {string}
 */
export function getStr(obj, key, where, maxLen = 1024) {
  const value = obj[key];
  if (typeof value !== "string") throw new ValidationError(`${where}.${key}: expected a string`);
  if ([...value].length > maxLen) {
    throw new ValidationError(`${where}.${key}: longer than ${maxLen} characters`);
  }
  return value;
}

/**
 * An integer field (not a boolean) within `minimum`..2^53-1.
 * @param {Record<string, any>} obj
 * @param {string} key
 * @param {string} where
 * @param {number} [minimum]
 * @returns {number}
 */
export function getInt(obj, key, where, minimum = 0) {
  const value = obj[key];
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new ValidationError(`${where}.${key}: expected an integer`);
  }
  if (!(minimum <= value && value <= Number.MAX_SAFE_INTEGER)) {
    throw new ValidationError(`${where}.${key}: ${value} is outside ${minimum}..2^53-1`);
  }
  return value;
}

/**
 * A lowercase hex field, of exactly `nbytes` bytes when given; returns the text.
 * @param {unknown} text
 * @param {string} field
 * @param {number} [nbytes]
 * @returns {string}
 */
export function checkHex(text, field, nbytes) {
  try {
    fromHex(text, nbytes);
  } catch (exc) {
    throw new ValidationError(`${field}: ${exc.message}`);
  }
  return /** @type {string} */ (text);
}

/**
 * The bytes of a lowercase hex field, checked as `checkHex`.
 * @param {unknown} text
 * @param {string} field
 * @param {number} [nbytes]
 * @returns {Uint8Array}
 */
export function unhex(text, field, nbytes) {
  return fromHex(checkHex(text, field, nbytes));
}

/**
 * A lowercase hex field of `obj`.
 * @param {Record<string, any>} obj
 * @param {string} key
 * @param {string} where
 * @param {number} [nbytes]
 * @returns {string}
 */
export function getHex(obj, key, where, nbytes) {
  return checkHex(obj[key], `${where}.${key}`, nbytes);
}

/**
 * A list field.
 * @param {Record<string, any>} obj
 * @param {string} key
 * @param {string} where
 * @returns {unknown[]}
 */
export function getList(obj, key, where) {
  const value = obj[key];
  if (!Array.isArray(value)) throw new ValidationError(`${where}.${key}: expected a list`);
  return value;
}

/**
 * A short lowercase identifier: organisation, role, validator or contract name.
 * @param {string} value
 * @param {string} where
 * @returns {string}
 */
export function checkName(value, where) {
  if (!NAME.test(value)) {
    throw new ValidationError(
      `${where}: ${JSON.stringify(value)} must be 1-63 characters of a-z, 0-9, '.', '_' or '-'`,
    );
  }
  return value;
}

/**
 * `text` if it is an RFC 3339 UTC time (`Z`, at most six fractional digits) naming a
 * real date and time of years 1 to 9999, as `ledger.canonical.check_time`.
 * @param {unknown} text
 * @param {string} field
 * @returns {string}
 */
export function checkTime(text, field) {
  const match = typeof text === "string" ? TIME.exec(text) : null;
  if (!match) {
    throw new ValidationError(`${field}: expected an RFC 3339 UTC time like 2026-01-31T12:00:00Z`);
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  const valid =
    year >= 1 && days !== undefined && day >= 1 && day <= days && hour <= 23 && minute <= 59 &&
    second <= 59;
  if (!valid) {
    throw new ValidationError(`${field}: ${JSON.stringify(text)} is not a valid date and time`);
  }
  return /** @type {string} */ (text);
}

/**
 * True if `c` is white space as Python's `str.isspace` defines it (which differs from
 * JavaScript's `\s`: U+001C..U+001F and U+0085 are, U+FEFF is not).
 * @param {string} c one character
 * @returns {boolean}
 */
export function isPythonSpace(c) {
  return PY_SPACE.has(c);
}

const PY_SPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
    0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
    0x2029, 0x202f, 0x205f, 0x3000,
  ].map((c) => String.fromCharCode(c)),
);
