/**
 * State proofs and histories verified in the browser, with the checks of
 * `ledger/state_proof.py` `verify_state` and `ledger/history_proof.py` `verify_history`,
 * in the same order, under the same step names and with the same messages.
 *
 * A state proof (`provledger-state-proof/v1`) is `{format, entries, header,
 * certificate, checkpoint}`: each entry `{contract, key, value, proof}` proves from the
 * header's `state_root` what `(contract, key)` held after the block (`value` null: it
 * was absent). A history (`provledger-history/v1`) adds `subject` (`{kind: "product",
 * id}` or `{kind: "document", sha256}`) and `events` (a product's events, oldest first).
 *
 * `verifyState(doc, trust, {minHeight})` and `verifyHistory(doc, trust, {minHeight})`
 * trust nothing but `trust` (trust.json, pinned by the caller) and WebCrypto. They
 * resolve to what the document proves, or reject with a `StateProofError` whose message
 * is `"<step>: <what is wrong>"` and whose `step` names the check:
 *
 *   format       the document and its parts decode (`StateProofFormatError`)
 *   chain        the header is of the trust file's chain
 *   certificate  a quorum of validator precommits over the header's block hash
 *   checkpoint   a quorum cosigned the checkpoint, and it states this header's head
 *   height       the block is at least `minHeight` (only when given)
 *   entry        every entry's proof leads from `state_root` to its value, or shows it
 *                absent; the message names it: `"entry <contract>/<key>: …"`
 *   history      (histories only) the entries and events are exactly the subject's
 *                whole history as of the block
 *
 * The checks are the lists `STATE_STEPS` and `HISTORY_STEPS` of named steps, each
 * reading and extending one context, as `RECEIPT_STEPS` of `receipt.js`.
 * @module state_proof
 */

import { toHex } from "./bytes.js";
import { headMismatch, verifyCheckpoint } from "./checkpoint.js";
import { LedgerError, StateProofError, StateProofFormatError } from "./errors.js";
import { checkHex, expectObject, getList, getStr, isObject } from "./fields.js";
import { canonicalBytes, parseJson } from "./jcs.js";
import { blockHash, decodeCertificate, decodeHeader, verifyCertificate } from "./model.js";
import { sha256 } from "./sha256.js";
import {
  KEY_BITS,
  stateKey,
  valueHash,
  verifyMembership,
  verifyNonMembership,
} from "./state_tree.js";
import { loadTrust } from "./trust.js";

export { StateProofError, StateProofFormatError } from "./errors.js";

export const STATE_PROOF_FORMAT = "provledger-state-proof/v1";
export const HISTORY_FORMAT = "provledger-history/v1";
const STATE_FIELDS = ["format", "entries", "header", "certificate", "checkpoint"];
const HISTORY_FIELDS = [...STATE_FIELDS, "subject", "events"];
const ENTRY_FIELDS = ["contract", "key", "value", "proof"];
const PROOF_FIELDS = ["siblings", "leaf"];
const LEAF_FIELDS = ["key_hash", "value_hash"];
const HASH_HEX = /^[0-9a-f]{64}$/;
const PRODUCT = "product";
const DOCUMENT = "document";
const TRACEABILITY = "traceability";
const EVIDENCE = "evidence";

/**
 * @typedef {object} ProvenValue
 * @property {string} contract
 * @property {string} key
 * @property {any} value its value after the block, or null: proven absent
 */

/**
 * @typedef {object} ProvenState what a valid state proof proves (Python's `ProvenState`)
 * @property {string} chain_id
 * @property {number} height
 * @property {string} block_hash
 * @property {string} time
 * @property {string} state_root
 * @property {ProvenValue[]} entries
 * @property {string[]} checkpoint_signers
 * @property {string[]} certificate_signers
 */

/**
 * @typedef {object} ProvenHistory what a valid history proves (Python's `ProvenHistory`)
 * @property {ProvenState} state
 * @property {string} kind "product" or "document"
 * @property {string} subject the product id or the document's sha256
 * @property {Record<string, any> | null} record null: absent as of the block
 * @property {Record<string, any>[]} events a product's events, oldest first
 * @property {Record<string, any>[]} redeposits a document's re-deposit records
 * @property {Record<string, any> | null} facts a document's published facts
 */

/**
 * @typedef {object} Step one named check
 * @property {string} name the step named in errors
 * @property {(ctx: Record<string, any>) => Promise<void>} run checks, and adds to `ctx`
 *   what later steps need; throws `StateProofError` or a `LedgerError` (reported as
 *   `"<name>: <message>"`)
 */

// ---- format ---------------------------------------------------------------------

/**
 * `doc` if it is an object of format `expected` with exactly `fields`.
 * @param {unknown} doc
 * @param {string} expected
 * @param {string[]} fields
 * @returns {Record<string, any>}
 */
function checkFormat(doc, expected, fields) {
  if (!isObject(doc)) throw formatError("expected a JSON object");
  if (doc.format !== expected) {
    const found = doc.format;
    const shown = typeof found === "string" ? [...pyRepr(found)].slice(0, 60).join("") : "none";
    throw formatError(`expected ${pyRepr(expected)}, found ${shown}`);
  }
  return expectObject(doc, "document", fields);
}

/**
 * @param {Record<string, any>} obj
 * @param {string} name
 * @param {string} where
 * @returns {Uint8Array}
 */
function hash32(obj, name, where) {
  const value = obj[name];
  if (typeof value !== "string") throw formatError(`${where}.${name}: expected 32 bytes of hex`);
  if (!HASH_HEX.test(value)) {
    throw formatError(`${where}.${name}: expected 32 bytes of lowercase hex`);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Decode the JSON form of a state proof (`{siblings: [hex…], leaf: {key_hash,
 * value_hash} | null}`) into the form `state_tree.js` verifies.
 * @param {unknown} obj
 * @param {string} [where]
 * @returns {import("./state_tree.js").StateProof}
 */
export function decodeStateProof(obj, where = "proof") {
  expectObject(obj, where, PROOF_FIELDS);
  const siblings = getList(obj, "siblings", where);
  if (siblings.length > KEY_BITS) {
    throw formatError(`${where}.siblings: more than ${KEY_BITS}`);
  }
  const hashes = siblings.map((s, i) => hash32({ s }, "s", `${where}.siblings[${i}]`));
  const leafObj = obj.leaf;
  let leaf = null;
  if (leafObj !== null) {
    expectObject(leafObj, `${where}.leaf`, LEAF_FIELDS);
    leaf = {
      keyHash: hash32(leafObj, "key_hash", `${where}.leaf`),
      valueHash: hash32(leafObj, "value_hash", `${where}.leaf`),
    };
  }
  return { siblings: hashes, leaf };
}

/**
 * @param {unknown} obj
 * @param {number} i
 * @returns {{entry: ProvenValue, proof: import("./state_tree.js").StateProof}}
 */
function parseEntry(obj, i) {
  const where = `entries[${i}]`;
  expectObject(obj, where, ENTRY_FIELDS);
  const contract = getStr(obj, "contract", where, 200);
  const key = getStr(obj, "key", where);
  const proof = decodeStateProof(obj.proof, `${where}.proof`);
  const { value } = obj;
  if (value !== null) canonicalBytes(value); // a value must have canonical form
  return { entry: { contract, key, value }, proof };
}

/**
 * The fields common to state proofs and histories (Python's `parse_state_fields`).
 * @param {Record<string, any>} doc
 */
function parseStateFields(doc) {
  const entries = getList(doc, "entries", "document").map(parseEntry);
  const header = decodeHeader(doc.header);
  const certificate = decodeCertificate(doc.certificate);
  const { checkpoint } = doc;
  if (typeof checkpoint !== "string") {
    throw formatError("checkpoint: expected the checkpoint note text");
  }
  const seen = new Set();
  for (const { entry } of entries) {
    const name = JSON.stringify([entry.contract, entry.key]);
    if (seen.has(name)) throw formatError(`${entry.contract}/${entry.key} is proven twice`);
    seen.add(name);
  }
  return { header, certificate, checkpoint, entries };
}

/**
 * @param {unknown} obj
 * @returns {{kind: string, subject: string}}
 */
function parseSubject(obj) {
  if (isObject(obj) && obj.kind === PRODUCT) {
    expectObject(obj, "subject", ["kind", "id"]);
    return { kind: PRODUCT, subject: getStr(obj, "id", "subject") };
  }
  if (isObject(obj) && obj.kind === DOCUMENT) {
    expectObject(obj, "subject", ["kind", "sha256"]);
    return { kind: DOCUMENT, subject: checkHex(obj.sha256, "subject.sha256", 32) };
  }
  throw formatError(
    `subject: expected kind '${PRODUCT}' with an id, or '${DOCUMENT}' with a sha256`,
  );
}

/**
 * @param {unknown} obj
 * @returns {Promise<Record<string, any>[]>}
 */
async function parseEvents(obj) {
  const events = getList({ events: obj }, "events", "document");
  for (const [i, event] of events.entries()) {
    const where = `events[${i}]`;
    if (!isObject(event)) throw formatError(`${where}: expected an event record`);
    checkHex(get(event, "event_id"), `${where}.event_id`, 32);
    if (!isObject(event.previous)) throw formatError(`${where}.previous: expected an object`);
    await eventHash(event); // canonical form, or CanonicalError
  }
  return /** @type {Record<string, any>[]} */ (events);
}

/**
 * The event id of `record` (`ledger/event_chain.py`): hex SHA-256 of its RFC 8785
 * bytes without `event_id`.
 * @param {Record<string, any>} record
 * @returns {Promise<string>}
 */
export async function eventHash(record) {
  const body = Object.fromEntries(Object.entries(record).filter(([k]) => k !== "event_id"));
  return toHex(await sha256(canonicalBytes(body)));
}

// ---- the steps --------------------------------------------------------------------

/** @type {Step} */
const stateFormat = {
  name: "format",
  async run(ctx) {
    Object.assign(ctx, parseStateFields(checkFormat(ctx.doc, STATE_PROOF_FORMAT, STATE_FIELDS)));
  },
};

/** @type {Step} */
const historyFormat = {
  name: "format",
  async run(ctx) {
    const body = checkFormat(ctx.doc, HISTORY_FORMAT, HISTORY_FIELDS);
    Object.assign(ctx, parseStateFields(body));
    Object.assign(ctx, parseSubject(body.subject));
    ctx.events = await parseEvents(body.events);
  },
};

/** @type {Step} */
const chain = {
  name: "chain",
  async run(ctx) {
    const { header: h, trust } = ctx;
    if (h.chain_id !== trust.chainId) {
      throw new StateProofError(
        `chain: the header is of chain ${h.chain_id.slice(0, 16)}…, not of ` +
          `${trust.chainName} (${trust.chainId.slice(0, 16)}…) that the trust file names`,
        "chain",
      );
    }
  },
};

/** @type {Step} */
const certificate = {
  name: "certificate",
  async run(ctx) {
    const { header: h, trust } = ctx;
    ctx.blockHash = await blockHash(h);
    await verifyCertificate(
      ctx.certificate,
      { keys: trust.validatorKeys, threshold: trust.threshold },
      { chainId: h.chain_id, height: h.height, blockHash: ctx.blockHash },
    );
  },
};

/** @type {Step} */
const checkpoint = {
  name: "checkpoint",
  async run(ctx) {
    const { header: h, trust } = ctx;
    const verified = await verifyCheckpoint(
      ctx.checkpoint,
      trust.validators,
      trust.threshold,
      trust.chainId,
    );
    ctx.checkpointSigners = verified.signers;
    const what = headMismatch(h, ctx.blockHash, verified.checkpoint);
    if (what !== null) {
      throw new StateProofError(
        `checkpoint: checkpoint does not match the block: ${what}`,
        "checkpoint",
      );
    }
  },
};

/** @type {Step} */
const height = {
  name: "height",
  async run(ctx) {
    const { minHeight } = ctx;
    const h = ctx.header.height;
    if (minHeight !== undefined && minHeight !== null && h < minHeight) {
      throw new StateProofError(
        `height: proven as of height ${h}, older than the height ${minHeight} you asked for`,
        "height",
      );
    }
  },
};

/** @type {Step} */
const entries = {
  name: "entry",
  async run(ctx) {
    const root = hash32(ctx.header, "state_root", "header");
    for (const { entry, proof } of ctx.entries) {
      try {
        const path = await stateKey(entry.contract, entry.key);
        if (entry.value === null) {
          await verifyNonMembership(root, path, proof);
        } else {
          await verifyMembership(root, path, await valueHash(entry.value), proof);
        }
      } catch (exc) {
        if (!(exc instanceof LedgerError)) throw exc;
        throw new StateProofError(`entry ${entry.contract}/${entry.key}: ${exc.message}`, "entry");
      }
    }
    ctx.proven = {
      chain_id: ctx.trust.chainId,
      height: ctx.header.height,
      block_hash: ctx.blockHash,
      time: ctx.header.time,
      state_root: ctx.header.state_root,
      entries: ctx.entries.map(({ entry }) => entry),
      checkpoint_signers: [...ctx.checkpointSigners],
      certificate_signers: ctx.certificate.signatures.map((s) =>
        ctx.trust.validatorNames.get(s.validator),
      ),
    };
  },
};

/** @type {Step} */
const history = {
  name: "history",
  async run(ctx) {
    const { proven: state, kind, subject, events } = ctx;
    ctx.history =
      kind === PRODUCT
        ? await productHistory(state, subject, events)
        : documentHistory(state, subject, events);
  },
};

/**
 * The checks of a state proof, in order. Frozen: build a longer list to add a step.
 * @type {readonly Step[]}
 */
export const STATE_STEPS = Object.freeze([
  stateFormat,
  chain,
  certificate,
  checkpoint,
  height,
  entries,
]);

/**
 * The checks of a history, in order: the state proof's, then `history`.
 * @type {readonly Step[]}
 */
export const HISTORY_STEPS = Object.freeze([
  historyFormat,
  chain,
  certificate,
  checkpoint,
  height,
  entries,
  history,
]);

/**
 * Verify a state-proof document (an object, or its JSON text) against `trust`
 * (trust.json's object, or what `loadTrust` made of it); resolve to what it proves, or
 * reject with a `StateProofError` naming the first step that failed (`"trust"` if the
 * trust file itself does not load).
 * @param {unknown} doc
 * @param {unknown} trust
 * @param {{minHeight?: number | null}} [options]
 * @param {readonly Step[]} [steps]
 * @returns {Promise<ProvenState>}
 */
export async function verifyState(doc, trust, { minHeight } = {}, steps = STATE_STEPS) {
  const ctx = await run(doc, trust, minHeight, steps);
  return ctx.proven;
}

/**
 * Verify a history document (an object, or its JSON text) against `trust`: every check
 * of `verifyState`, then that its entries and events are exactly the subject's whole
 * history. Resolve to what it proves or reject with a `StateProofError`.
 * @param {unknown} doc
 * @param {unknown} trust
 * @param {{minHeight?: number | null}} [options]
 * @param {readonly Step[]} [steps]
 * @returns {Promise<ProvenHistory>}
 */
export async function verifyHistory(doc, trust, { minHeight } = {}, steps = HISTORY_STEPS) {
  const ctx = await run(doc, trust, minHeight, steps);
  return ctx.history;
}

/**
 * @param {unknown} doc
 * @param {unknown} trust
 * @param {number | null | undefined} minHeight
 * @param {readonly Step[]} steps
 */
async function run(doc, trust, minHeight, steps) {
  /** @type {Record<string, any>} */
  const ctx = { doc, trust, minHeight };
  if (!(trust instanceof Object && trust.validatorKeys instanceof Map)) {
    await runStep("trust", async () => {
      ctx.trust = await loadTrust(trust);
    });
  }
  if (typeof doc === "string") {
    await runStep("format", async () => {
      ctx.doc = parseJson(doc);
    });
  }
  for (const step of steps) await runStep(step.name, () => step.run(ctx));
  return ctx;
}

/**
 * Run one step, reporting a `LedgerError` as a `StateProofError` of that step (format
 * faults as `StateProofFormatError`); anything else is a bug of the verifier and
 * propagates as it is.
 * @param {string} name
 * @param {() => Promise<void>} body
 */
async function runStep(name, body) {
  try {
    await body();
  } catch (exc) {
    if (exc instanceof StateProofError && exc.step !== undefined) throw exc;
    if (exc instanceof LedgerError) {
      const Kind = name === "format" ? StateProofFormatError : StateProofError;
      throw new Kind(`${name}: ${exc.message}`, name);
    }
    throw exc;
  }
}

/**
 * @param {string} detail
 * @returns {StateProofFormatError}
 */
function formatError(detail) {
  return new StateProofFormatError(`format: ${detail}`, "format");
}

/**
 * @param {string} detail
 * @returns {StateProofError}
 */
function fault(detail) {
  return new StateProofError(`history: ${detail}`, "history");
}

// ---- histories ----------------------------------------------------------------------

/**
 * @param {ProvenState} state
 * @param {string} productId
 * @param {Record<string, any>[]} events
 * @returns {Promise<ProvenHistory>}
 */
async function productHistory(state, productId, events) {
  const key = `product/${productId}`;
  first(state, TRACEABILITY, key);
  if (state.entries.length > 1) {
    const extra = state.entries[1];
    throw fault(`${extra.contract}/${extra.key} is not part of the history of ${productId}`);
  }
  const record = state.entries[0].value;
  const proven = { state, kind: PRODUCT, subject: productId, redeposits: [], facts: null };
  if (record === null) {
    if (events.length) {
      throw fault(
        `product ${productId} is absent as of height ${state.height}, ` +
          `yet the history lists ${events.length} events`,
      );
    }
    return { ...proven, record: null, events: [] };
  }
  if (!isObject(record) || get(record, "id") !== productId) {
    throw fault(`the proven ${TRACEABILITY}/${key} is not a record of product ${productId}`);
  }
  const last = get(record, "last_event");
  const count = get(record, "events");
  if (!(last === null || typeof last === "string") || !Number.isInteger(count)) {
    throw fault(`the record of ${productId} has no last_event and events count`);
  }
  for (const [i, event] of events.entries()) {
    if ((await eventHash(event)) !== event.event_id) {
      throw fault(
        `event ${i + 1} (${short(event.event_id)}) does not hash to its event_id: it was edited`,
      );
    }
  }
  let expected = last;
  for (let n = events.length; n > 0; n--) {
    const eventId = events[n - 1].event_id;
    if (expected === null) {
      throw fault(
        `the chain of ${productId} reaches its first event after event ${n + 1}: ` +
          `event ${n} (${short(eventId)}) is not in it`,
      );
    }
    if (eventId !== expected) {
      if (n === events.length) {
        throw fault(
          `the last event of ${productId} is ${short(expected)}, the history ` +
            `ends with ${short(eventId)}`,
        );
      }
      throw fault(
        `event ${n + 1} names ${short(expected)} as the previous event of ` +
          `${productId}, the history has ${short(eventId)} before it`,
      );
    }
    const { previous } = events[n - 1];
    if (!Object.hasOwn(previous, productId)) {
      throw fault(`event ${n} (${short(eventId)}) does not touch ${productId}`);
    }
    expected = previous[productId];
  }
  if (expected !== null) {
    const where = events.length ? "the oldest event of the history" : `the record of ${productId}`;
    throw fault(`${where} names an earlier event ${short(expected)}, which it leaves out`);
  }
  if (events.length !== count) {
    throw fault(
      `the record of ${productId} counts ${count} events, its chain from last_event ` +
        `back to the first has ${events.length}`,
    );
  }
  return { ...proven, record, events };
}

/**
 * @param {ProvenState} state
 * @param {string} contract
 * @param {string} key
 */
function first(state, contract, key) {
  const found = state.entries.length ? state.entries[0] : null;
  if (found === null || found.contract !== contract || found.key !== key) {
    const shown = found === null ? "nothing" : `${found.contract}/${found.key}`;
    throw fault(`the first entry is ${shown}, not ${contract}/${key}`);
  }
}

/**
 * @param {ProvenState} state
 * @param {string} sha
 * @param {Record<string, any>[]} events
 * @returns {ProvenHistory}
 */
function documentHistory(state, sha, events) {
  const doc = `doc/${sha}`;
  const factsKey = `facts/${sha}`;
  if (events.length) throw fault("a document's history lists no events");
  const { entries: proven } = state;
  first(state, EVIDENCE, doc);
  const record = proven[0].value;
  const base = { state, kind: DOCUMENT, subject: sha, events: [] };
  if (record === null) {
    if (proven.length > 1) {
      throw fault(
        `document ${sha} was never anchored as of height ${state.height}, ` +
          `yet the history proves ${proven[1].contract}/${proven[1].key}`,
      );
    }
    return { ...base, record: null, redeposits: [], facts: null };
  }
  if (
    !isObject(record) ||
    get(record, "sha256") !== sha ||
    typeof get(record, "tx_id") !== "string" ||
    !Number.isInteger(get(record, "redeposits")) ||
    typeof get(record, "facts_published") !== "boolean"
  ) {
    throw fault(`the proven ${EVIDENCE}/${doc} is not an anchor record of ${sha}`);
  }
  const redeposits = [];
  let facts = null;
  let factsProven = false;
  for (const entry of proven.slice(1)) {
    const name = `${entry.contract}/${entry.key}`;
    if (entry.contract === EVIDENCE && entry.key.startsWith("redeposit/")) {
      redeposits.push(redeposit(entry, name, sha, record.tx_id));
    } else if (entry.contract === EVIDENCE && entry.key === factsKey) {
      factsProven = true;
      if ((entry.value !== null) !== record.facts_published) {
        const said = record.facts_published ? "published" : "not published";
        const shown = entry.value === null ? "absent" : "present";
        throw fault(`the record says facts ${said}, the history proves ${name} ${shown}`);
      }
      facts = entry.value;
    } else {
      throw fault(`${name} is not part of the history of ${sha}`);
    }
  }
  if (redeposits.length !== record.redeposits) {
    throw fault(
      `the record of ${sha} counts ${record.redeposits} re-deposits, the history ` +
        `proves ${redeposits.length}`,
    );
  }
  if (record.facts_published && !factsProven) {
    throw fault(`the record says facts published, the history does not prove ${factsKey}`);
  }
  return { ...base, record, redeposits, facts };
}

/**
 * @param {ProvenValue} entry
 * @param {string} name
 * @param {string} sha
 * @param {string} firstTxId
 * @returns {Record<string, any>}
 */
function redeposit(entry, name, sha, firstTxId) {
  const { value } = entry;
  if (value === null) throw fault(`${name} is proven absent: it is no re-deposit`);
  if (!isObject(value) || get(value, "sha256") !== sha) {
    throw fault(`${name} is a re-deposit of another document`);
  }
  if (get(value, "first_tx_id") !== firstTxId) {
    throw fault(`${name} names another first anchor than ${short(firstTxId)}`);
  }
  return value;
}

// ---- Python's wording -------------------------------------------------------------

/**
 * `obj.get(key)` of Python: the member, or null where there is none.
 * @param {Record<string, any>} obj
 * @param {string} key
 * @returns {any}
 */
function get(obj, key) {
  return Object.hasOwn(obj, key) ? obj[key] : null;
}

/**
 * A hash shortened as `history_proof._short` shows it.
 * @param {unknown} h
 * @returns {string}
 */
function short(h) {
  return typeof h === "string" ? `${[...h].slice(0, 16).join("")}…` : pyRepr(h);
}

/**
 * Python's `repr` of a JSON value (for the few messages that show one).
 * @param {unknown} value
 * @returns {string}
 */
function pyRepr(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return reprString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  if (isObject(value)) {
    const items = Object.entries(value).map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`);
    return `{${items.join(", ")}}`;
  }
  return String(value);
}

const PY_ESCAPES = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * @param {string} text
 * @returns {string}
 */
function reprString(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (c === quote) out += `\\${c}`;
    else if (Object.hasOwn(PY_ESCAPES, c)) out += PY_ESCAPES[/** @type {"\\"} */ (c)];
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) {
      out += `\\x${code.toString(16).padStart(2, "0")}`;
    } else if (
      (code >= 0xd800 && code <= 0xdfff) ||
      code === 0x2028 ||
      code === 0x2029 ||
      (code >= 0x200b && code <= 0x200f) ||
      code === 0xfeff
    ) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += c;
  }
  return out + quote;
}
