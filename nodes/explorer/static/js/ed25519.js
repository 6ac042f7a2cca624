/**
 * Ed25519 identities as `ledger/keys.py` defines them, verified through WebCrypto
 * (`crypto.subtle.verify({name: "Ed25519"}, ...)`).
 *
 * Promises: `keyId(public)` is the lowercase hex SHA-256 of the 32-byte raw key;
 * `verifySignature` throws `SignatureError` unless the 64-byte signature verifies,
 * never returns false.
 * @module ed25519
 */

import { toHex } from "./bytes.js";
import { SignatureError, ValidationError } from "./errors.js";
import { sha256 } from "./sha256.js";

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** Imported WebCrypto keys by their hex, so a pinned trust imports each key once. */
const imported = new Map();

/**
 * Key id of a raw Ed25519 public key: hex SHA-256 of its 32 bytes.
 * @param {Uint8Array} publicKey
 * @returns {Promise<string>}
 */
export async function keyId(publicKey) {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new ValidationError("an Ed25519 public key is 32 bytes");
  }
  return toHex(await sha256(publicKey));
}

/**
 * @param {Uint8Array} publicKey
 * @returns {Promise<CryptoKey>}
 */
function importKey(publicKey) {
  const hex = toHex(publicKey);
  let key = imported.get(hex);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    imported.set(hex, key);
    key.catch(() => imported.delete(hex));
  }
  return key;
}

/**
 * Check an Ed25519 signature; throws `SignatureError` if it does not verify.
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} signature
 * @param {Uint8Array} message
 * @returns {Promise<void>}
 */
export async function verifySignature(publicKey, signature, message) {
  if (signature.length !== SIGNATURE_BYTES) {
    throw new SignatureError("an Ed25519 signature is 64 bytes");
  }
  let ok = false;
  try {
    const key = await importKey(publicKey);
    ok = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    ok = false; // a key WebCrypto cannot import verifies nothing
  }
  if (!ok) throw new SignatureError("signature does not verify");
}
