/**
 * trust.json: the public trust anchor of one chain, as `ledger/trust.py` reads it.
 *
 * `loadTrust(obj)` checks the file is self-consistent before anything is verified
 * against it: its format; every validator's key id is the SHA-256 of its public key and
 * its note key encodes that key under its name; no public key is weak (small order or
 * not a canonical point); no validator key or name appears twice; and the quorum lies
 * between DESIGN.md's q for this many validators and their number. It throws
 * `ValidationError` otherwise. The result is frozen.
 * @module trust
 */

import { fromHex } from "./bytes.js";
import { keyId } from "./ed25519.js";
import { ValidationError } from "./errors.js";
import { checkName, expectObject, getHex, getInt, getList, getStr } from "./fields.js";
import { encodeVerifierKey } from "./note.js";
import { weakness } from "./weak_keys.js";

export const TRUST_FORMAT = "provledger-trust/v1";
const FIELDS = ["format", "chain_id", "chain_name", "quorum", "validators", "organisations"];

/**
 * f: how many Byzantine validators `n` validators tolerate.
 * @param {number} n
 * @returns {number}
 */
export function maxFaulty(n) {
  return Math.floor((n - 1) / 3);
}

/**
 * q: the number of distinct validator signatures a commit needs.
 * @param {number} n
 * @returns {number}
 */
export function quorum(n) {
  if (n < 1) throw new ValidationError("a validator set needs at least one validator");
  return Math.floor((n + maxFaulty(n)) / 2) + 1;
}

/**
 * @typedef {object} Trust
 * @property {string} chainId
 * @property {string} chainName
 * @property {number} threshold the quorum in force
 * @property {{name: string, keyId: string, publicKey: Uint8Array}[]} validators
 * @property {Map<string, Uint8Array>} validatorKeys public key by key id
 * @property {Map<string, string>} validatorNames name by key id
 * @property {Map<string, {organisation: string, publicKey: Uint8Array}>} members by key id
 */

/**
 * @param {unknown} text
 * @param {string} field
 * @returns {Uint8Array}
 */
function publicKeyFromHex(text, field) {
  getHex({ k: text }, "k", field, 32);
  const publicKey = fromHex(/** @type {string} */ (text));
  const why = weakness(publicKey);
  if (why) throw new ValidationError(`${field}: refused, ${why}`);
  return publicKey;
}

/**
 * Decode and check a trust.json object (see the module doc).
 * @param {unknown} obj
 * @returns {Promise<Trust>}
 */
export async function loadTrust(obj) {
  const w = "trust";
  expectObject(obj, w, FIELDS);
  if (obj.format !== TRUST_FORMAT) {
    throw new ValidationError(`trust.format: expected '${TRUST_FORMAT}'`);
  }
  const validators = [];
  const validatorKeys = new Map();
  const validatorNames = new Map();
  for (const v of getList(obj, "validators", w)) {
    expectObject(v, "trust.validators[]", ["name", "key_id", "public_key", "note_key"]);
    const name = getStr(v, "name", "trust.validators[]");
    const where = `trust validator ${JSON.stringify(name)}`;
    const publicKey = publicKeyFromHex(v.public_key, where);
    const kid = await keyId(publicKey);
    if (v.key_id !== kid) throw new ValidationError(`${where}: key_id does not match key`);
    if (v.note_key !== (await encodeVerifierKey(name, publicKey))) {
      throw new ValidationError(`${where}: note_key does not match key`);
    }
    if (validatorKeys.has(kid)) {
      throw new ValidationError(`validator key of '${name}' appears twice`);
    }
    if ([...validatorNames.values()].includes(name)) {
      throw new ValidationError(`validator name '${name}' appears twice`);
    }
    validatorKeys.set(kid, publicKey);
    validatorNames.set(kid, name);
    validators.push(Object.freeze({ name, keyId: kid, publicKey }));
  }
  const members = new Map();
  for (const o of getList(obj, "organisations", w)) {
    expectObject(o, "organisation", ["name", "roles", "keys"]);
    const org = checkName(getStr(o, "name", "organisation"), "organisation.name");
    const where = `organisation '${org}'`;
    const roles = getList(o, "roles", where);
    for (const role of roles) {
      if (typeof role !== "string") throw new ValidationError(`${where}.roles: expected strings`);
      checkName(role, `${where}.roles`);
    }
    if (new Set(roles).size !== roles.length) {
      throw new ValidationError(`${where}.roles: a role is listed twice`);
    }
    for (const k of getList(o, "keys", where)) {
      const publicKey = publicKeyFromHex(k, `${where}.keys`);
      const kid = await keyId(publicKey);
      if (!members.has(kid)) members.set(kid, Object.freeze({ organisation: org, publicKey }));
    }
  }
  const chainId = getHex(obj, "chain_id", w, 32);
  const chainName = getStr(obj, "chain_name", w, 200);
  const threshold = getInt(obj, "quorum", w, 1);
  const n = validators.length;
  const minimum = quorum(n);
  if (!(minimum <= threshold && threshold <= n)) {
    throw new ValidationError(
      `quorum ${threshold} is outside ${minimum}..${n} for ${n} validators`,
    );
  }
  return Object.freeze({
    chainId,
    chainName,
    threshold,
    validators: Object.freeze(validators),
    validatorKeys,
    validatorNames,
    members,
  });
}
