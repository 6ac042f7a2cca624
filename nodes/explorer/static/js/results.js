/**
 * Transaction results, exactly as `ledger/results.py`: what one transaction of a block
 * did, hashed as an RFC 9162 leaf of its RFC 8785 bytes under the header's
 * `results_root`.
 *
 *   {"tx_id": "<hex>", "status": "applied", "writes": [[contract, key, value_hash], ...]}
 *   {"tx_id": "<hex>", "status": "refused", "code": "<code>", "reason": "<sentence>",
 *    "writes": [...]}
 *
 * `decodeResult` accepts exactly what Python's `TxResult.from_dict` accepts, with the
 * same `ValidationError` messages; `verifyResult` throws `ProofError` unless the result
 * is result `position` of the `count` under the root.
 * @module results
 */

import { fromHex } from "./bytes.js";
import { ValidationError } from "./errors.js";
import { expectObject, getHex, isObject } from "./fields.js";
import { canonicalBytes } from "./jcs.js";
import { leafHash, verifyInclusion } from "./merkle.js";

export const APPLIED = "applied";
export const REFUSED = "refused";
export const MAX_REASON = 2000;
const CODE = /^[a-z][a-z0-9_]{0,39}$/;
const VALUE_HASH = /^[0-9a-f]{64}$/;

/**
 * @typedef {object} TxResult the outcome of one transaction (Python's `TxResult.to_dict`)
 * @property {string} tx_id
 * @property {"applied" | "refused"} status
 * @property {[string, string, string][]} writes contract, key, value hash (hex)
 * @property {string} [code] refused only
 * @property {string} [reason] refused only
 */

/**
 * Decode and check a result; `ValidationError` naming the fault, as Python's.
 * @param {unknown} obj
 * @returns {TxResult}
 */
export function decodeResult(obj) {
  const w = "result";
  if (!isObject(obj)) throw new ValidationError(`${w}: expected a JSON object`);
  const { status } = obj;
  if (status === APPLIED) {
    expectObject(obj, w, ["tx_id", "status", "writes"]);
  } else if (status === REFUSED) {
    expectObject(obj, w, ["tx_id", "status", "writes", "code", "reason"]);
    if (typeof obj.code !== "string" || !CODE.test(obj.code)) {
      throw new ValidationError(`${w}.code: expected a lowercase code like 'not_custodian'`);
    }
    const length = typeof obj.reason === "string" ? [...obj.reason].length : 0;
    if (!(0 < length && length <= MAX_REASON)) {
      throw new ValidationError(`${w}.reason: expected a sentence of 1 to ${MAX_REASON}`);
    }
  } else {
    throw new ValidationError(`${w}.status: expected 'applied' or 'refused'`);
  }
  if (!Array.isArray(obj.writes)) throw new ValidationError(`${w}.writes: expected a list`);
  const txId = getHex(obj, "tx_id", w, 32);
  const writes = obj.writes.map((item, i) => written(item, `${w}.writes[${i}]`));
  /** @type {TxResult} */
  const out = { tx_id: txId, status, writes };
  if (status === REFUSED) {
    out.code = obj.code;
    out.reason = obj.reason;
  }
  return out;
}

/**
 * @param {unknown} item
 * @param {string} where
 * @returns {[string, string, string]}
 */
function written(item, where) {
  if (!Array.isArray(item) || item.length !== 3 || !item.every((p) => typeof p === "string")) {
    throw new ValidationError(`${where}: expected [contract, key, value_hash]`);
  }
  if (!VALUE_HASH.test(item[2])) {
    throw new ValidationError(`${where}: the value hash is 64 lowercase hex characters`);
  }
  return [item[0], item[1], item[2]];
}

/**
 * The RFC 9162 leaf hash of a decoded result (of its RFC 8785 bytes).
 * @param {TxResult} result
 * @returns {Promise<Uint8Array>}
 */
export function resultLeaf(result) {
  return leafHash(canonicalBytes(result));
}

/**
 * That `result` is result `position` of the `count` under `rootHex`; `ProofError`
 * otherwise.
 * @param {TxResult} result
 * @param {number | bigint} position
 * @param {number | bigint} count
 * @param {Uint8Array[]} proof
 * @param {string} rootHex
 * @returns {Promise<void>}
 */
export async function verifyResult(result, position, count, proof, rootHex) {
  await verifyInclusion(await resultLeaf(result), position, count, proof, fromHex(rootHex));
}
