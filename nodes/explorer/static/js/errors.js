/**
 * Typed errors of the browser verifier, one class per kind of failure, as in
 * `ledger/errors.py`: a caller can tell a malformed object from a bad signature from
 * a proof that does not check, and show one clear line for each.
 * @module errors
 */

/** Base class of every error the verifier throws on purpose. */
export class LedgerError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** A value has no canonical (RFC 8785) form: float, unsafe integer, lone surrogate... */
export class CanonicalError extends LedgerError {}

/** A decoded object breaks the data model: missing or extra field, wrong type or length. */
export class ValidationError extends LedgerError {}

/** A signature does not verify, or its signer is not the one expected. */
export class SignatureError extends LedgerError {}

/** Fewer than a quorum of distinct, known validators signed. */
export class QuorumError extends SignatureError {}

/** An RFC 9162 inclusion or consistency proof does not verify. */
export class ProofError extends LedgerError {}

/** A C2SP signed note or checkpoint is malformed or fails its signature policy. */
export class NoteError extends LedgerError {}

/**
 * A receipt is malformed or one of its checks fails. `step` names the check (the same
 * names as `ledger/receipt.py`); the message is `"<step>: <what is wrong>"`.
 */
export class ReceiptError extends LedgerError {
  /**
   * @param {string} step
   * @param {string} detail
   */
  constructor(step, detail) {
    super(`${step}: ${detail}`);
    this.step = step;
    this.detail = detail;
  }
}

/**
 * A state proof is malformed or does not verify (`ledger.errors.StateProofError`).
 * Thrown by `state_proof.js` with `step` naming the failed check and a message
 * `"<step…>: <detail>"`; thrown here without a step.
 */
export class StateProofError extends LedgerError {
  /**
   * @param {string} message
   * @param {string} [step]
   */
  constructor(message, step) {
    super(message);
    this.step = step;
  }
}

/** A state proof or history is not of the format (`StateProofFormatError`). */
export class StateProofFormatError extends StateProofError {}
