/**
 * Domain separation of signatures, as `ledger/domain.py`: a signature is always over
 * `tag || 0x00 || canonical(payload)`, with one tag per kind of signed object, and every
 * signed payload names its `chain_id`.
 * @module domain
 */

import { concat, utf8 } from "./bytes.js";
import { ValidationError } from "./errors.js";
import { canonicalBytes } from "./jcs.js";

/** The domain tag of each kind of signed object. */
export const Tag = Object.freeze({
  TRANSACTION: "provledger/v1/transaction",
  VOTE: "provledger/v1/vote",
  PROPOSAL: "provledger/v1/proposal",
  PEER_MESSAGE: "provledger/v1/peer-message",
});

/**
 * The exact bytes a signer signs for `payload` of kind `tag`; throws `ValidationError`
 * when the payload does not name a chain id.
 * @param {string} tag
 * @param {Record<string, unknown>} payload
 * @returns {Uint8Array}
 */
export function signingMessage(tag, payload) {
  if (typeof payload.chain_id !== "string") {
    throw new ValidationError(`${tag}: signed payload must carry chain_id`);
  }
  return concat(utf8(tag), Uint8Array.of(0), canonicalBytes(payload));
}
