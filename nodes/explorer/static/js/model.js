/**
 * The signed objects a receipt carries, decoded and checked as `ledger/model/*.py`
 * decode them: a signed transaction (`transaction.py`), a block header (`block.py`) and
 * a commit certificate (`vote.py`). Decoding checks structure only; the signatures are
 * checked by `verifyEntrySignature` and `verifyCertificate`.
 * @module model
 */

import { toHex } from "./bytes.js";
import { SIGNATURE_BYTES, keyId, verifySignature } from "./ed25519.js";
import { QuorumError, SignatureError, ValidationError } from "./errors.js";
import { Tag, signingMessage } from "./domain.js";
import {
  checkName,
  checkTime,
  expectObject,
  getHex,
  getInt,
  getList,
  getStr,
  isObject,
  unhex,
} from "./fields.js";
import { canonicalBytes } from "./jcs.js";
import { sha256 } from "./sha256.js";

const TX_FIELDS = ["chain_id", "contract", "action", "args", "sender", "nonce", "created_at"];
const HEADER_FIELDS = [
  "chain_id",
  "height",
  "prev_hash",
  "time",
  "proposer",
  "tx_count",
  "tx_root",
  "log_size",
  "log_root",
  "state_root",
  "results_root",
];

/**
 * @typedef {object} SignedTransaction
 * @property {Record<string, any>} tx the transaction as signed
 * @property {Uint8Array} signature
 * @property {Uint8Array} txIdBytes SHA-256 of the canonical envelope
 * @property {string} txId its hex
 */

/**
 * Decode and check a signed transaction `{tx, signature}`; compute its id.
 * @param {unknown} obj
 * @returns {Promise<SignedTransaction>}
 */
export async function decodeSignedTransaction(obj) {
  expectObject(obj, "signed transaction", ["tx", "signature"]);
  const signature = unhex(obj.signature, "signed transaction.signature", SIGNATURE_BYTES);
  const tx = decodeTransaction(obj.tx);
  const txIdBytes = await sha256(canonicalBytes({ tx, signature: toHex(signature) }));
  return { tx, signature, txIdBytes, txId: toHex(txIdBytes) };
}

/**
 * @param {unknown} obj
 * @returns {Record<string, any>}
 */
function decodeTransaction(obj) {
  const w = "transaction";
  expectObject(obj, w, TX_FIELDS);
  if (!isObject(obj.args)) throw new ValidationError(`${w}.args: expected a JSON object`);
  try {
    canonicalBytes(obj.args); // args must have a canonical form (no floats, etc.)
  } catch (exc) {
    throw new ValidationError(`${w}.args: ${exc.message}`);
  }
  getHex(obj, "chain_id", w, 32);
  checkName(getStr(obj, "contract", w), `${w}.contract`);
  checkName(getStr(obj, "action", w), `${w}.action`);
  getHex(obj, "sender", w, 32);
  const nonce = getHex(obj, "nonce", w);
  checkTime(obj.created_at, `${w}.created_at`);
  if (!(nonce.length >= 1 && nonce.length <= 64)) {
    throw new ValidationError(`${w}.nonce: expected 1 to 32 bytes of hex`);
  }
  return obj;
}

/**
 * Check a transaction's signature with `publicKey`, which must be the sender's key.
 * @param {SignedTransaction} entry
 * @param {Uint8Array} publicKey
 * @returns {Promise<void>}
 */
export async function verifyEntrySignature(entry, publicKey) {
  if ((await keyId(publicKey)) !== entry.tx.sender) {
    throw new SignatureError("public key does not match the transaction's sender");
  }
  await verifySignature(publicKey, entry.signature, signingMessage(Tag.TRANSACTION, entry.tx));
}

/**
 * @typedef {object} BlockHeader
 * @property {string} chain_id
 * @property {number} height
 * @property {string} prev_hash
 * @property {string} time
 * @property {string} proposer
 * @property {number} tx_count
 * @property {string} tx_root
 * @property {number} log_size
 * @property {string} log_root
 * @property {string} state_root
 * @property {string} results_root
 */

/**
 * Decode and check a block header.
 * @param {unknown} obj
 * @returns {BlockHeader}
 */
export function decodeHeader(obj) {
  const w = "header";
  expectObject(obj, w, HEADER_FIELDS);
  getHex(obj, "chain_id", w, 32);
  getInt(obj, "height", w, 1);
  getHex(obj, "prev_hash", w, 32);
  checkTime(obj.time, `${w}.time`);
  getHex(obj, "proposer", w, 32);
  getInt(obj, "tx_count", w);
  getHex(obj, "tx_root", w, 32);
  getInt(obj, "log_size", w);
  getHex(obj, "log_root", w, 32);
  getHex(obj, "state_root", w, 32);
  getHex(obj, "results_root", w, 32);
  if (obj.tx_count > obj.log_size) {
    throw new ValidationError(`${w}: tx_count ${obj.tx_count} exceeds log_size`);
  }
  return /** @type {BlockHeader} */ (obj);
}

/**
 * Hex SHA-256 of the canonical header.
 * @param {BlockHeader} header
 * @returns {Promise<string>}
 */
export async function blockHash(header) {
  return toHex(await sha256(canonicalBytes(header)));
}

/**
 * @typedef {object} CommitCertificate
 * @property {string} chain_id
 * @property {number} height
 * @property {number} round
 * @property {string} block_hash
 * @property {{validator: string, signature: Uint8Array}[]} signatures
 */

/**
 * Decode and check a commit certificate's structure (not its signatures).
 * @param {unknown} obj
 * @returns {CommitCertificate}
 */
export function decodeCertificate(obj) {
  const w = "certificate";
  expectObject(obj, w, ["chain_id", "height", "round", "block_hash", "signatures"]);
  const signatures = getList(obj, "signatures", w).map((item) => {
    expectObject(item, `${w}.signatures[]`, ["validator", "signature"]);
    return {
      validator: getHex(item, "validator", `${w}.signatures[]`, 32),
      signature: unhex(item.signature, `${w}.signatures[].signature`, SIGNATURE_BYTES),
    };
  });
  return {
    chain_id: getHex(obj, "chain_id", w, 32),
    height: getInt(obj, "height", w, 1),
    round: getInt(obj, "round", w),
    block_hash: getHex(obj, "block_hash", w, 32),
    signatures,
  };
}

/**
 * Check that `certificate` is for this block and carries a quorum of valid, distinct
 * validator precommit signatures (`CommitCertificate.verify`); throws `QuorumError` or
 * `SignatureError`.
 * @param {CommitCertificate} certificate
 * @param {{keys: Map<string, Uint8Array>, threshold: number}} validators
 * @param {{chainId: string, height: number, blockHash: string}} block
 * @returns {Promise<void>}
 */
export async function verifyCertificate(certificate, validators, { chainId, height, blockHash }) {
  const c = certificate;
  if (c.chain_id !== chainId || c.height !== height || c.block_hash !== blockHash) {
    throw new SignatureError(
      `certificate is for height ${c.height} block ${c.block_hash.slice(0, 16)}…, ` +
        `not height ${height} block ${blockHash.slice(0, 16)}…`,
    );
  }
  const seen = new Set();
  for (const { validator, signature } of c.signatures) {
    if (seen.has(validator)) {
      throw new QuorumError(`validator ${validator.slice(0, 16)}… signed twice`);
    }
    const publicKey = validators.keys.get(validator);
    if (publicKey === undefined) {
      throw new SignatureError(`vote signer ${validator.slice(0, 16)}… is not a validator`);
    }
    const vote = {
      chain_id: c.chain_id,
      height: c.height,
      round: c.round,
      type: "precommit",
      block_hash: c.block_hash,
      validator,
    };
    await verifySignature(publicKey, signature, signingMessage(Tag.VOTE, vote));
    seen.add(validator);
  }
  if (seen.size < validators.threshold) {
    throw new QuorumError(`${seen.size} validator signature(s), quorum is ${validators.threshold}`);
  }
}
