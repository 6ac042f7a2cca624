/**
 * C2SP tlog-proof text (c2sp.org/tlog-proof), as `ledger/tlog_proof.py`: an inclusion
 * proof with the signed checkpoint it leads to.
 *
 *     c2sp.org/tlog-proof@v1
 *     [extra <base64>]
 *     index <leaf index>
 *     <base64 proof hash, leaf to root>   (zero or more lines)
 *     <blank line>
 *     <signed checkpoint note, verbatim>
 * @module tlog_proof
 */

import { fromBase64 } from "./bytes.js";
import { ProofError } from "./errors.js";
import { HASH_SIZE } from "./merkle.js";

export const HEADER = "c2sp.org/tlog-proof@v1";
const INDEX = /^index (0|[1-9][0-9]*)$/;

/**
 * Parse tlog-proof text; throws `ProofError` if malformed.
 * @param {string} text
 * @returns {{index: bigint, proof: Uint8Array[], checkpoint: string, extra: Uint8Array | null}}
 */
export function parseTlogProof(text) {
  const sep = text.indexOf("\n\n");
  const head = sep < 0 ? text : text.slice(0, sep);
  const checkpoint = sep < 0 ? "" : text.slice(sep + 2);
  const lines = head.split("\n");
  if (sep < 0 || lines[0] !== HEADER) {
    throw new ProofError(`tlog-proof must start with '${HEADER}' and have a blank line`);
  }
  let pos = 1;
  let extra = null;
  let proof;
  let match;
  try {
    if (lines.length > pos && lines[pos].startsWith("extra ")) {
      extra = fromBase64(lines[pos].slice(6));
      pos += 1;
    }
    match = lines.length > pos ? INDEX.exec(lines[pos]) : null;
    if (!match) throw new ProofError("tlog-proof has no 'index N' line");
    proof = lines.slice(pos + 1).map((line) => fromBase64(line));
  } catch (exc) {
    if (exc instanceof ProofError) throw exc;
    throw new ProofError("tlog-proof has a line that is not base64");
  }
  if (proof.some((h) => h.length !== HASH_SIZE)) {
    throw new ProofError("tlog-proof has a hash that is not 32 bytes");
  }
  return { index: BigInt(match[1]), proof, checkpoint, extra };
}
