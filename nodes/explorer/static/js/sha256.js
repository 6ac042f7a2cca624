/**
 * SHA-256 through WebCrypto (`crypto.subtle.digest`), the only hash the ledger uses.
 * @module sha256
 */

/**
 * SHA-256 of `data`.
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}
