/**
 * C2SP tlog-checkpoints of the provledger log, cosigned by the validators, as
 * `ledger/checkpoint.py`. The checkpoint text is
 *
 *     <origin: the chain id>\n<log size, decimal>\n<log root, base64>\n
 *     provledger-block <height> <block hash hex>\n      (the extension line)
 *
 * each validator signing it as a C2SP Ed25519 note key named as in genesis. A verifier
 * accepts a checkpoint with valid signatures from at least a quorum of validators.
 * @module checkpoint
 */

import { fromBase64, toHex } from "./bytes.js";
import { NoteError } from "./errors.js";
import { HASH_SIZE } from "./merkle.js";
import { verifyNote } from "./note.js";

export const BLOCK_EXTENSION = "provledger-block";
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const BLOCK_LINE = new RegExp(`^${BLOCK_EXTENSION} (0|[1-9][0-9]*) ([0-9a-f]{64})$`);

/**
 * @typedef {object} Checkpoint
 * @property {string} origin
 * @property {bigint} size
 * @property {Uint8Array} root
 * @property {bigint} height
 * @property {string} blockHash
 */

/**
 * Parse a checkpoint body; throws `NoteError` if it is not one of ours.
 * @param {string} text
 * @returns {Checkpoint}
 */
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length !== 5 || lines[4] !== "") {
    throw new NoteError("checkpoint must have origin, size, root and block lines");
  }
  const [origin, size, root64, block] = lines;
  if (!origin || !DECIMAL.test(size)) throw new NoteError("checkpoint origin or size is malformed");
  let root;
  try {
    root = fromBase64(root64);
  } catch {
    throw new NoteError("checkpoint root is not base64");
  }
  const match = BLOCK_LINE.exec(block);
  if (root.length !== HASH_SIZE || !match) {
    throw new NoteError("checkpoint root or block line is malformed");
  }
  return { origin, size: BigInt(size), root, height: BigInt(match[1]), blockHash: match[2] };
}

/**
 * Parse and verify a cosigned checkpoint for `origin`; return it with the names of the
 * validators whose signatures verified. Throws `NoteError` unless at least `threshold`
 * distinct validators signed it validly, no known validator's signature is invalid, and
 * the origin matches.
 * @param {string} note
 * @param {{name: string, publicKey: Uint8Array}[]} validators
 * @param {number} threshold
 * @param {string} origin
 * @returns {Promise<{checkpoint: Checkpoint, signers: string[]}>}
 */
export async function verifyCheckpoint(note, validators, threshold, origin) {
  const { text, signers } = await verifyNote(note, validators, threshold);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== origin) {
    const shown = checkpoint.origin.slice(0, 20);
    throw new NoteError(`checkpoint is for origin ${shown}…, not this chain`);
  }
  return { checkpoint, signers };
}

/**
 * What in ``checkpoint`` does not match the block of ``header`` (whose hash is
 * ``blockHashHex``): "another chain", "another block", "another log size or root", or
 * null when it is that block's checkpoint (ledger/certified.py ``head_faults``).
 * @param {{chain_id: string, height: number, log_size: number, log_root: string}} header
 * @param {string} blockHashHex
 * @param {{origin: string, height: number, blockHash: string, size: number, root: Uint8Array}} checkpoint
 * @returns {string | null}
 */
export function headMismatch(header, blockHashHex, checkpoint) {
  const h = header;
  const c = checkpoint;
  const pairs = [
    ["another chain", h.chain_id, c.origin],
    [
      "another block",
      `height ${h.height} block ${blockHashHex}`,
      `height ${c.height} block ${c.blockHash}`,
    ],
    [
      "another log size or root",
      `size ${h.log_size} root ${h.log_root}`,
      `size ${c.size} root ${toHex(c.root)}`,
    ],
  ];
  for (const [what, want, got] of pairs) {
    if (want !== got) return what;
  }
  return null;
}
