/**
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, as `ledger/note.py`.
 *
 * A note is text (lines, each ending in "\n"), one blank line, then signature lines
 * `"— " name " " base64(key_id[4] || signature) "\n"`. Only the text is signed. For
 * Ed25519, `key_id = SHA-256(name || 0x0A || 0x01 || public key)[:4]`; a verifier key
 * string is `name+hex8(key_id)+base64(0x01 || public key)`.
 *
 * Verification policy (`verifyNote`): signatures from unknown keys are ignored; a
 * signature from a known key that does not verify rejects the note; the note is
 * accepted only when at least `threshold` distinct known keys signed it.
 * @module note
 */

import { concat, fromBase64, isWellFormed, toBase64, toHex, utf8 } from "./bytes.js";
import { PUBLIC_KEY_BYTES, verifySignature } from "./ed25519.js";
import { NoteError, SignatureError } from "./errors.js";
import { isPythonSpace } from "./fields.js";
import { sha256 } from "./sha256.js";

export const ALG_ED25519 = 0x01;
export const SIG_PREFIX = "— ";
export const MAX_SIGNATURES = 100;
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/;

/**
 * `name` if it can name a note key: non-empty, without white space or "+".
 * @param {string} name
 * @returns {string}
 */
export function checkKeyName(name) {
  if (!name || name.includes("+") || [...name].some(isPythonSpace)) {
    const shown = JSON.stringify(name);
    throw new NoteError(`key name ${shown} must be non-empty, without spaces or '+'`);
  }
  return name;
}

/**
 * The 4-byte C2SP key id of an Ed25519 key under `name`.
 * @param {string} name
 * @param {Uint8Array} publicKey
 * @returns {Promise<Uint8Array>}
 */
export async function noteKeyId(name, publicKey) {
  const bytes = concat(utf8(checkKeyName(name)), Uint8Array.of(0x0a, ALG_ED25519), publicKey);
  return (await sha256(bytes)).slice(0, 4);
}

/**
 * The verifier key string of an Ed25519 key under `name`.
 * @param {string} name
 * @param {Uint8Array} publicKey
 * @returns {Promise<string>}
 */
export async function encodeVerifierKey(name, publicKey) {
  const id = await noteKeyId(name, publicKey);
  return `${name}+${toHex(id)}+${toBase64(concat(Uint8Array.of(ALG_ED25519), publicKey))}`;
}

/**
 * Parse a verifier key string; throws `NoteError` if malformed or inconsistent.
 * @param {string} vkey
 * @returns {Promise<{name: string, publicKey: Uint8Array}>}
 */
export async function decodeVerifierKey(vkey) {
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  const name = vkey.slice(0, first);
  const hash = vkey.slice(first + 1, second);
  const b64 = vkey.slice(second + 1);
  if (second < 0 || hash.length !== 8) {
    throw new NoteError("verifier key must be name+hex8+base64");
  }
  let raw;
  try {
    raw = fromBase64(b64);
  } catch {
    throw new NoteError("verifier key has bad hex or base64");
  }
  if (raw.length !== 1 + PUBLIC_KEY_BYTES || raw[0] !== ALG_ED25519) {
    throw new NoteError("verifier key is not a 32-byte Ed25519 key");
  }
  const publicKey = raw.slice(1);
  if (toHex(await noteKeyId(name, publicKey)) !== hash.toLowerCase()) {
    throw new NoteError("verifier key id does not match its name and key");
  }
  return { name, publicKey };
}

/**
 * @param {string} text
 */
function checkText(text) {
  if (!isWellFormed(text)) throw new NoteError("note is not valid UTF-8");
  if (!text.endsWith("\n")) throw new NoteError("note text must end with a newline");
  if (CONTROL.test(text)) {
    throw new NoteError("note text must not contain control characters other than newline");
  }
}

/**
 * @typedef {object} NoteSignature
 * @property {string} name
 * @property {Uint8Array} keyId 4 bytes
 * @property {Uint8Array} signature
 */

/**
 * Split a note into its text and signatures; throws `NoteError` if malformed.
 * @param {string} note
 * @returns {{text: string, signatures: NoteSignature[]}}
 */
export function parseNote(note) {
  if (typeof note !== "string") throw new NoteError("a note is text");
  checkText(note);
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("note has no blank line before its signatures");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  const signatures = [];
  for (const line of block.slice(0, -1).split("\n")) {
    if (!line.startsWith(SIG_PREFIX)) {
      throw new NoteError(`malformed signature line ${JSON.stringify(line.slice(0, 40))}`);
    }
    const body = line.slice(SIG_PREFIX.length);
    const space = body.indexOf(" ");
    const name = space < 0 ? body : body.slice(0, space);
    let raw;
    try {
      raw = fromBase64(space < 0 ? "" : body.slice(space + 1));
    } catch {
      throw new NoteError(`signature of ${JSON.stringify(name)} is not base64`);
    }
    if (space < 0 || raw.length < 5) {
      throw new NoteError(`malformed signature line ${JSON.stringify(line.slice(0, 40))}`);
    }
    signatures.push({ name: checkKeyName(name), keyId: raw.slice(0, 4), signature: raw.slice(4) });
  }
  if (!signatures.length) throw new NoteError("note has no signatures");
  if (signatures.length > MAX_SIGNATURES) {
    throw new NoteError(`note has more than ${MAX_SIGNATURES} signatures`);
  }
  return { text, signatures };
}

/**
 * Verify `note` against known keys `{name, publicKey}`; return its text and the names
 * of the keys that signed (in signature order). Throws `NoteError` when malformed, when
 * a known key's signature is invalid, or when fewer than `threshold` known keys signed.
 * @param {string} note
 * @param {{name: string, publicKey: Uint8Array}[]} verifiers
 * @param {number} [threshold]
 * @returns {Promise<{text: string, signers: string[]}>}
 */
export async function verifyNote(note, verifiers, threshold = 1) {
  const { text, signatures } = parseNote(note);
  const known = new Map();
  for (const v of verifiers) {
    known.set(`${v.name} ${toHex(await noteKeyId(v.name, v.publicKey))}`, v);
  }
  const message = utf8(text);
  const signed = new Map();
  for (const sig of signatures) {
    const ident = `${sig.name} ${toHex(sig.keyId)}`;
    const key = known.get(ident);
    if (key === undefined || signed.has(ident)) continue;
    try {
      await verifySignature(key.publicKey, sig.signature, message);
    } catch (exc) {
      if (!(exc instanceof SignatureError)) throw exc;
      throw new NoteError(`invalid signature for key ${sig.name}+${toHex(sig.keyId)}`);
    }
    signed.set(ident, key);
  }
  if (signed.size < Math.max(threshold, 1)) {
    throw new NoteError(
      `note has ${signed.size} valid signature(s) from known keys, ${threshold} required`,
    );
  }
  return { text, signers: [...signed.values()].map((k) => k.name) };
}
