/**
 * Byte encodings, all strict: lowercase hex, canonical standard base64, and UTF-8 that
 * refuses what is not well-formed. Two different strings never decode to the same bytes
 * (as `ledger/canonical.py` promises for hex and base64), so a changed character in a
 * signed or hashed field is always noticed.
 * @module bytes
 */

const HEX = /^(?:[0-9a-f]{2})*$/;
const B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64_VALUE = new Map([...B64_ALPHABET].map((c, i) => [c, i]));
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Lowercase hex of `bytes`.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * Bytes of a lowercase hex string; throws `TypeError` for anything else (upper case,
 * odd length, other characters) and, when `nbytes` is given, for another length.
 * @param {unknown} text
 * @param {number} [nbytes]
 * @returns {Uint8Array}
 */
export function fromHex(text, nbytes) {
  if (typeof text !== "string" || !HEX.test(text)) throw new TypeError("expected lowercase hex");
  if (nbytes !== undefined && text.length !== 2 * nbytes) {
    throw new TypeError(`expected ${nbytes} bytes of hex, got ${text.length / 2}`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Standard base64 (with padding) of `bytes`.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toBase64(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const quad = [18, 12, 6, 0].map((s) => B64_ALPHABET[(n >> s) & 63]);
    const have = Math.min(3, bytes.length - i) + 1;
    out += quad.slice(0, have).join("") + "=".repeat(4 - have);
  }
  return out;
}

/**
 * Bytes of standard base64 in its one canonical form; throws `TypeError` for bad
 * characters, bad padding or non-zero padding bits (as `b64decode_strict`).
 * @param {unknown} text
 * @returns {Uint8Array}
 */
export function fromBase64(text) {
  if (typeof text !== "string" || !B64_SHAPE.test(text)) throw new TypeError("not base64");
  const body = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((body.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (const c of body) {
    acc = (acc << 6) | B64_VALUE.get(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  if (acc & ((1 << bits) - 1)) throw new TypeError("base64 is not in canonical form");
  return out;
}

/**
 * True if `text` holds no lone surrogate (so it has a UTF-8 form).
 * @param {string} text
 * @returns {boolean}
 */
export function isWellFormed(text) {
  return !LONE_SURROGATE.test(text);
}

/**
 * UTF-8 bytes of `text`; throws `TypeError` on a lone surrogate (never replaces it).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8(text) {
  if (!isWellFormed(text)) throw new TypeError("string is not valid Unicode (lone surrogate)");
  return new TextEncoder().encode(text);
}

/**
 * `bytes` as text if they are valid UTF-8 (a leading byte order mark is kept as a
 * character, as Python's `bytes.decode("utf-8")` keeps it), else null.
 * @param {Uint8Array} bytes
 * @returns {string | null}
 */
export function decodeUtf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The concatenation of byte arrays.
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * True if `a` and `b` hold the same bytes.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {boolean}
 */
export function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
