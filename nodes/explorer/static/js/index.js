/**
 * The browser verifier's public interface, one import for a page: verify a receipt, a
 * state proof or a history against a pinned trust.json, and find what changed in a copy
 * of an anchored document.
 * Everything runs on WebCrypto in the page; nothing is fetched or trusted from a server.
 * @module index
 */

export { canonicalize, canonicalBytes, parseJson } from "./jcs.js";
export { chunksOf, chunksRoot, paragraphs, BLOCK_SIZE } from "./chunks.js";
export { differences, sharedCount } from "./chunk_diff.js";
export { leafHash, nodeHash, rootOf, verifyConsistency, verifyInclusion } from "./merkle.js";
export { parseNote, verifyNote, noteKeyId, encodeVerifierKey, decodeVerifierKey } from "./note.js";
export { parseCheckpoint, verifyCheckpoint } from "./checkpoint.js";
export { parseTlogProof } from "./tlog_proof.js";
export { loadTrust, quorum } from "./trust.js";
export { RECEIPT_STEPS, verifyReceipt } from "./receipt.js";
export { HISTORY_STEPS, STATE_STEPS, verifyHistory, verifyState } from "./state_proof.js";
export { stateKey, valueHash } from "./state_tree.js";
export { weakness } from "./weak_keys.js";
export { fromBase64, fromHex, toBase64, toHex, utf8 } from "./bytes.js";
export * as errors from "./errors.js";
