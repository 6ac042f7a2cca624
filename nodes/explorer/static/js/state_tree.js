/**
 * The authenticated map of contract state, verified as `ledger/state_tree.py` defines
 * it: a 256-bit sparse Merkle tree with collapsed subtrees.
 *
 * - a key's path is `stateKey(contract, key)` = SHA-256 of the RFC 8785 bytes of
 *   `[contract, key]`, read most significant bit first; a value is `valueHash(value)`
 *   = SHA-256 of its RFC 8785 bytes;
 * - an empty subtree hashes to 32 zero bytes, a lone leaf (wherever it sits) to
 *   `leafHash` = SHA-256(0x02 || key_hash || value_hash), two or more leaves to
 *   `nodeHash` = SHA-256(0x03 || left || right);
 * - a proof is `{siblings, leaf}`: the sibling hashes met from the root down (root
 *   first), and the leaf the path ends at (`{keyHash, valueHash}`) or null where it ends
 *   at an empty subtree.
 *
 * `verifyMembership` and `verifyNonMembership` need nothing but the root, the key and
 * the proof; they throw `StateProofError` with the messages of the Python functions,
 * and never resolve to false. Hashes are 32-byte `Uint8Array`s.
 * @module state_tree
 */

import { concat, equalBytes } from "./bytes.js";
import { StateProofError } from "./errors.js";

export { StateProofError } from "./errors.js";
import { canonicalBytes } from "./jcs.js";
import { sha256 } from "./sha256.js";

export const HASH_SIZE = 32;
export const KEY_BITS = 8 * HASH_SIZE;
export const EMPTY = new Uint8Array(HASH_SIZE);
const LEAF_TAG = Uint8Array.of(2);
const NODE_TAG = Uint8Array.of(3);

/**
 * @typedef {object} Leaf
 * @property {Uint8Array} keyHash
 * @property {Uint8Array} valueHash
 */

/**
 * @typedef {object} StateProof
 * @property {Uint8Array[]} siblings root first
 * @property {Leaf | null} leaf
 */

/**
 * The path of `(contract, key)`: SHA-256 of the RFC 8785 bytes of `[contract, key]`.
 * @param {string} contract
 * @param {string} key
 * @returns {Promise<Uint8Array>}
 */
export function stateKey(contract, key) {
  return sha256(canonicalBytes([contract, key]));
}

/**
 * SHA-256 of the RFC 8785 bytes of a state value.
 * @param {unknown} value
 * @returns {Promise<Uint8Array>}
 */
export function valueHash(value) {
  return sha256(canonicalBytes(value));
}

/**
 * SHA-256(0x02 || key_hash || value_hash).
 * @param {Leaf} leaf
 * @returns {Promise<Uint8Array>}
 */
export function leafHash(leaf) {
  return sha256(concat(LEAF_TAG, leaf.keyHash, leaf.valueHash));
}

/**
 * SHA-256(0x03 || left || right).
 * @param {Uint8Array} left
 * @param {Uint8Array} right
 * @returns {Promise<Uint8Array>}
 */
export function nodeHash(left, right) {
  return sha256(concat(NODE_TAG, left, right));
}

/**
 * Bit `depth` of a path (0 is the most significant bit of the first byte).
 * @param {Uint8Array} keyHash
 * @param {number} depth
 * @returns {number}
 */
export function bit(keyHash, depth) {
  return (keyHash[depth >> 3] >> (7 - (depth & 7))) & 1;
}

/**
 * That `keyHash` maps to `expectedValueHash` in the tree of `root`.
 * @param {Uint8Array} root
 * @param {Uint8Array} keyHash
 * @param {Uint8Array} expectedValueHash
 * @param {StateProof} proof
 * @returns {Promise<void>}
 */
export async function verifyMembership(root, keyHash, expectedValueHash, proof) {
  const { leaf } = proof;
  if (leaf === null) {
    throw new StateProofError("the proof ends at an empty subtree: the key is absent");
  }
  if (!equalBytes(leaf.keyHash, keyHash)) {
    throw new StateProofError("the proof ends at another key's leaf: the key is absent");
  }
  if (!equalBytes(leaf.valueHash, expectedValueHash)) {
    throw new StateProofError("the proven value hash differs from the expected value's");
  }
  await checkRoot(root, keyHash, proof);
}

/**
 * That no leaf has `keyHash` in the tree of `root`.
 * @param {Uint8Array} root
 * @param {Uint8Array} keyHash
 * @param {StateProof} proof
 * @returns {Promise<void>}
 */
export async function verifyNonMembership(root, keyHash, proof) {
  const { leaf } = proof;
  if (leaf !== null) {
    if (equalBytes(leaf.keyHash, keyHash)) {
      throw new StateProofError("the proof shows the key present, not absent");
    }
    if (commonPrefix(leaf.keyHash, keyHash) < proof.siblings.length) {
      throw new StateProofError("the proof's leaf is not on the key's path");
    }
  }
  await checkRoot(root, keyHash, proof);
}

/**
 * @param {Uint8Array} root
 * @param {Uint8Array} keyHash
 * @param {StateProof} proof
 */
async function checkRoot(root, keyHash, proof) {
  if (keyHash.length !== HASH_SIZE || root.length !== HASH_SIZE) {
    throw new StateProofError("keys and roots are 32-byte hashes");
  }
  const { siblings } = proof;
  if (siblings.length > KEY_BITS) {
    throw new StateProofError(`the proof is deeper than ${KEY_BITS} levels`);
  }
  if (siblings.some((s) => !(s instanceof Uint8Array) || s.length !== HASH_SIZE)) {
    throw new StateProofError("every sibling is a 32-byte hash");
  }
  let current = proof.leaf === null ? EMPTY : await leafHash(proof.leaf);
  for (let depth = siblings.length - 1; depth >= 0; depth--) {
    const sibling = siblings[depth];
    current = bit(keyHash, depth)
      ? await nodeHash(sibling, current)
      : await nodeHash(current, sibling);
  }
  if (!equalBytes(current, root)) throw new StateProofError("the proof does not lead to the root");
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {number}
 */
function commonPrefix(a, b) {
  for (let depth = 0; depth < KEY_BITS; depth++) {
    if (bit(a, depth) !== bit(b, depth)) return depth;
  }
  return KEY_BITS;
}
