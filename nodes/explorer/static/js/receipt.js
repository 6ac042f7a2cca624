/**
 * Receipts verified in the browser, with the checks of `ledger/receipt.py`
 * `verify_receipt`, in the same order and under the same step names.
 *
 * A receipt is `{format, tx_id, entry, proof, header, certificate, result}` (see the
 * README's receipt format; `result` is `{result, proof}`: the transaction's result and
 * its RFC 9162 proof under the header's `results_root`). `verifyReceipt(receipt, trust)`
 * trusts nothing but `trust` (the consortium's trust.json, pinned by the caller) and
 * WebCrypto: not the server that delivered the receipt. It resolves to what the receipt
 * proves, or rejects with a `ReceiptError` whose `step` names the first check that failed:
 *
 *   structure        the receipt and its parts decode (`format`, `proof` for their own fields)
 *   checkpoint       the checkpoint carries a quorum of validator signatures for this chain
 *   header           the header hashes to the checkpoint's block and states its log size and root
 *   certificate      a quorum of validator precommits over the block hash (vote domain tag)
 *   entry            the entry hashes to tx_id, is for this chain, and its sender is a member key
 *   entry signature  the member's signature over the entry (transaction domain tag)
 *   inclusion proof  the RFC 9162 proof leads from the entry to the log root, and the entry's
 *                    index lies within the block the header names
 *   result           the result is this entry's, and its RFC 9162 proof (position: the
 *                    entry's index in the block) leads to the header's results_root
 *
 * The checks are the list `RECEIPT_STEPS` of named steps, each reading and extending one
 * context; a later check (a state proof) is one more step.
 * @module receipt
 */

import { toHex } from "./bytes.js";
import { headMismatch, verifyCheckpoint } from "./checkpoint.js";
import { LedgerError, ReceiptError } from "./errors.js";
import { expectObject, getList, isObject, unhex } from "./fields.js";
import { parseJson } from "./jcs.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import {
  blockHash,
  decodeCertificate,
  decodeHeader,
  decodeSignedTransaction,
  verifyCertificate,
  verifyEntrySignature,
} from "./model.js";
import { decodeResult, verifyResult } from "./results.js";
import { parseTlogProof } from "./tlog_proof.js";
import { loadTrust } from "./trust.js";

export const RECEIPT_FORMAT = "provledger-receipt/v2";
const RETIRED = "provledger-receipt/v1";
const FIELDS = ["format", "tx_id", "entry", "proof", "header", "certificate", "result"];

/**
 * @typedef {object} VerifiedReceipt what a valid receipt proves (the fields of Python's
 *   `VerifiedReceipt`)
 * @property {string} tx_id
 * @property {number} index the entry's position in the log
 * @property {number} height of the block that committed it
 * @property {string} block_hash
 * @property {string} time the block's time (RFC 3339 UTC)
 * @property {{tx: Record<string, any>, signature: string}} entry the signed transaction
 * @property {string} organisation that holds the sender's key
 * @property {string[]} checkpoint_signers validators whose checkpoint signatures verified
 * @property {string[]} certificate_signers validators whose precommits verified
 * @property {import("./results.js").TxResult} result what the transaction did
 */

/**
 * @typedef {object} Step one named check of a receipt
 * @property {string} name the step named in errors
 * @property {(ctx: Record<string, any>) => Promise<void>} run checks, and adds to `ctx`
 *   what later steps need; throws `ReceiptError` or a `LedgerError` (reported as
 *   `"<name>: <message>"`)
 */

/** @type {Step} */
const structure = {
  name: "structure",
  async run(ctx) {
    const r = ctx.receipt;
    if (isObject(r) && r.format === RETIRED) {
      throw new ReceiptError(
        "format",
        `'${RETIRED}' is no longer accepted (it proves no transaction result); ` +
          `fetch the receipt again as '${RECEIPT_FORMAT}'`,
      );
    }
    expectObject(r, "receipt", FIELDS);
    if (r.format !== RECEIPT_FORMAT) {
      throw new ReceiptError("format", `expected '${RECEIPT_FORMAT}'`);
    }
    ctx.entry = await decodeSignedTransaction(r.entry);
    ctx.header = decodeHeader(r.header);
    ctx.certificate = decodeCertificate(r.certificate);
    if (typeof r.proof !== "string") throw new ReceiptError("proof", "expected tlog-proof text");
    ctx.proof = parseTlogProof(r.proof);
    if (ctx.proof.extra !== null) {
      throw new ReceiptError("proof", "a provledger receipt carries no 'extra' line");
    }
    const carried = expectObject(r.result, "receipt.result", ["result", "proof"]);
    ctx.result = decodeResult(carried.result);
    ctx.resultProof = getList(carried, "proof", "receipt.result").map((h, i) =>
      unhex(h, `receipt.result.proof[${i}]`, 32),
    );
  },
};

/** @type {Step} */
const checkpoint = {
  name: "checkpoint",
  async run(ctx) {
    const { trust } = ctx;
    const verified = await verifyCheckpoint(
      ctx.proof.checkpoint,
      trust.validators,
      trust.threshold,
      trust.chainId,
    );
    ctx.checkpoint = verified.checkpoint;
    ctx.checkpointSigners = verified.signers;
  },
};

/** @type {Step} */
const header = {
  name: "header",
  async run(ctx) {
    ctx.blockHash = await blockHash(ctx.header);
    const what = headMismatch(ctx.header, ctx.blockHash, ctx.checkpoint);
    if (what !== null) {
      throw new ReceiptError("header", `checkpoint does not match the block: ${what}`);
    }
  },
};

/** @type {Step} */
const certificate = {
  name: "certificate",
  async run(ctx) {
    const { trust } = ctx;
    await verifyCertificate(
      ctx.certificate,
      { keys: trust.validatorKeys, threshold: trust.threshold },
      { chainId: ctx.header.chain_id, height: ctx.header.height, blockHash: ctx.blockHash },
    );
  },
};

/** @type {Step} */
const entry = {
  name: "entry",
  async run(ctx) {
    const { tx } = ctx.entry;
    if (ctx.entry.txId !== ctx.receipt.tx_id) {
      throw new ReceiptError("entry", "does not hash to tx_id");
    }
    if (tx.chain_id !== ctx.trust.chainId) {
      throw new ReceiptError("entry", "transaction is for another chain");
    }
    ctx.member = ctx.trust.members.get(tx.sender);
    if (ctx.member === undefined) {
      throw new ReceiptError("entry", "sender is not a member key of this consortium");
    }
  },
};

/** @type {Step} */
const entrySignature = {
  name: "entry signature",
  async run(ctx) {
    await verifyEntrySignature(ctx.entry, ctx.member.publicKey);
  },
};

/** @type {Step} */
const inclusion = {
  name: "inclusion proof",
  async run(ctx) {
    const { proof, checkpoint: c, header: h } = ctx;
    const leaf = await leafHash(ctx.entry.txIdBytes);
    await verifyInclusion(leaf, proof.index, c.size, proof.proof, c.root);
    const first = BigInt(h.log_size - h.tx_count);
    if (!(first <= proof.index && proof.index < BigInt(h.log_size))) {
      throw new ReceiptError("inclusion proof", "entry is not in the block that the header names");
    }
  },
};

/** @type {Step} */
const result = {
  name: "result",
  async run(ctx) {
    const h = ctx.header;
    if (ctx.result.tx_id !== ctx.entry.txId) {
      throw new ReceiptError("result", "is the result of another transaction than tx_id");
    }
    const position = ctx.proof.index - BigInt(h.log_size - h.tx_count);
    await verifyResult(ctx.result, position, h.tx_count, ctx.resultProof, h.results_root);
  },
};

/**
 * The checks of a receipt, in order. Frozen: build a longer list to add a step.
 * @type {readonly Step[]}
 */
export const RECEIPT_STEPS = Object.freeze([
  structure,
  checkpoint,
  header,
  certificate,
  entry,
  entrySignature,
  inclusion,
  result,
]);

/**
 * Verify `receipt` (an object, or its JSON text) against `trust` (trust.json's object,
 * or what `loadTrust` made of it); resolve to what it proves, or reject with a
 * `ReceiptError` naming the first step that failed (`"trust"` if the trust file itself
 * does not load).
 * @param {unknown} receipt
 * @param {unknown} trust
 * @param {readonly Step[]} [steps]
 * @returns {Promise<VerifiedReceipt>}
 */
export async function verifyReceipt(receipt, trust, steps = RECEIPT_STEPS) {
  const ctx = { receipt, trust };
  if (!(trust instanceof Object && trust.validatorKeys instanceof Map)) {
    await runStep("trust", async () => {
      ctx.trust = await loadTrust(trust);
    });
  }
  if (typeof receipt === "string") {
    await runStep("structure", async () => {
      ctx.receipt = parseJson(receipt);
    });
  }
  for (const step of steps) await runStep(step.name, () => step.run(ctx));
  return {
    tx_id: ctx.entry.txId,
    index: Number(ctx.proof.index),
    height: ctx.header.height,
    block_hash: ctx.blockHash,
    time: ctx.header.time,
    entry: { tx: ctx.entry.tx, signature: toHex(ctx.entry.signature) },
    organisation: ctx.member.organisation,
    checkpoint_signers: [...ctx.checkpointSigners],
    certificate_signers: ctx.certificate.signatures.map((s) =>
      ctx.trust.validatorNames.get(s.validator),
    ),
    result: ctx.result,
  };
}

/**
 * Run one step, reporting a `LedgerError` as a `ReceiptError` of that step (anything
 * else is a bug of the verifier and propagates as it is).
 * @param {string} name
 * @param {() => Promise<void>} run
 */
async function runStep(name, run) {
  try {
    await run();
  } catch (exc) {
    if (exc instanceof ReceiptError) throw exc;
    if (exc instanceof LedgerError) throw new ReceiptError(name, exc.message);
    throw exc;
  }
}
