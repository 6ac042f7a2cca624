/**
 * RFC 9162 Merkle tree hashing and proof verification, exactly as `ledger/merkle.py`.
 *
 * - `leafHash(data)` = SHA-256(0x00 || data); `nodeHash(l, r)` = SHA-256(0x01 || l || r).
 * - `rootOf(leaves)` is the RFC 9162 §2.1.1 tree hash (split at the largest power of two
 *   below n; the empty tree hashes to SHA-256 of nothing).
 * - `verifyInclusion` and `verifyConsistency` follow §2.1.3.2 and §2.1.4.2 and throw
 *   `ProofError` on any failure: they never return false. Indexes and sizes may be
 *   numbers or BigInts; they are worked in BigInt, so logs past 2^32 leaves are exact.
 * Hashes are 32-byte `Uint8Array`s.
 * @module merkle
 */

import { concat, equalBytes } from "./bytes.js";
import { ProofError } from "./errors.js";
import { sha256 } from "./sha256.js";

export const HASH_SIZE = 32;

/**
 * RFC 9162 hash of a leaf.
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export function leafHash(data) {
  return sha256(concat(Uint8Array.of(0), data));
}

/**
 * RFC 9162 hash of an interior node.
 * @param {Uint8Array} left
 * @param {Uint8Array} right
 * @returns {Promise<Uint8Array>}
 */
export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/**
 * RFC 9162 Merkle tree hash of the given leaf hashes.
 * @param {Uint8Array[]} leaves
 * @returns {Promise<Uint8Array>}
 */
export async function rootOf(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  let level = leaves;
  // Pairing left to right, carrying an odd last node up, gives the same tree as
  // splitting at the largest power of two below n.
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    const hashed = await Promise.all(next);
    if (level.length % 2) hashed.push(level[level.length - 1]);
    level = hashed;
  }
  return level[0];
}

/**
 * @param {unknown} n
 * @returns {bigint}
 */
function toBig(n) {
  if (typeof n === "bigint") return n;
  if (typeof n === "number" && Number.isSafeInteger(n)) return BigInt(n);
  throw new ProofError("indexes and sizes must be integers");
}

/**
 * @param {Uint8Array[]} proof
 * @param {...Uint8Array} hashes
 */
function checkHashes(proof, ...hashes) {
  for (const h of [...hashes, ...proof]) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new ProofError("every hash must be 32 bytes");
    }
  }
}

/**
 * Check that `leaf` is leaf `index` of the tree of `size` leaves with `root`; throws
 * `ProofError` when the index is out of range, the proof is too short or too long, or
 * the computed root differs.
 * @param {Uint8Array} leaf
 * @param {number | bigint} index
 * @param {number | bigint} size
 * @param {Uint8Array[]} proof
 * @param {Uint8Array} root
 * @returns {Promise<void>}
 */
export async function verifyInclusion(leaf, index, size, proof, root) {
  checkHashes(proof, leaf, root);
  let fn = toBig(index);
  let sn = toBig(size) - 1n;
  if (sn < 0n) throw new ProofError("a tree of size 0 has no leaves");
  if (fn < 0n || fn > sn) throw new ProofError(`index ${index} is outside a tree of size ${size}`);
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new ProofError("inclusion proof is longer than the tree is deep");
    if (fn & 1n || fn === sn) {
      r = await nodeHash(p, r);
      if (!(fn & 1n)) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError("inclusion proof is shorter than the tree is deep");
  if (!equalBytes(r, root)) throw new ProofError("inclusion proof leads to a different root");
}

/**
 * Check that the tree of `newSize`/`newRoot` extends `oldSize`/`oldRoot`; throws
 * `ProofError` otherwise. Equal sizes need equal roots and an empty proof; an empty old
 * tree is consistent with anything given an empty proof.
 * @param {number | bigint} oldSize
 * @param {number | bigint} newSize
 * @param {Uint8Array[]} proof
 * @param {Uint8Array} oldRoot
 * @param {Uint8Array} newRoot
 * @returns {Promise<void>}
 */
export async function verifyConsistency(oldSize, newSize, proof, oldRoot, newRoot) {
  checkHashes(proof, oldRoot, newRoot);
  const m = toBig(oldSize);
  const n = toBig(newSize);
  if (m < 0n || n < m) throw new ProofError(`sizes ${m} -> ${n}: a log never shrinks`);
  if (m === n) {
    if (proof.length) throw new ProofError("a proof between equal sizes must be empty");
    if (!equalBytes(oldRoot, newRoot)) throw new ProofError("equal sizes with different roots");
    return;
  }
  if (m === 0n) {
    if (proof.length) throw new ProofError("a proof from the empty tree must be empty");
    return;
  }
  if (!proof.length) throw new ProofError("consistency proof is empty");
  const path = (m & (m - 1n)) === 0n ? [oldRoot, ...proof] : [...proof];
  let fn = m - 1n;
  let sn = n - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new ProofError("consistency proof is longer than needed");
    if (fn & 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!(fn & 1n)) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError("consistency proof is shorter than needed");
  if (!equalBytes(fr, oldRoot)) {
    throw new ProofError("consistency proof leads to a different old root");
  }
  if (!equalBytes(sr, newRoot)) {
    throw new ProofError("consistency proof leads to a different new root");
  }
}
