/**
 * Refusing Ed25519 public keys that cannot bind a signer, as `ledger/weak_keys.py`: a
 * key whose encoding is not a canonical curve point, or a point of small order (one
 * fixed signature would verify every message). Runs once per key when a trust file is
 * loaded, never on a hot path.
 * @module weak_keys
 */

const P = 2n ** 255n - 19n;

/**
 * @param {bigint} base
 * @param {bigint} exp
 * @returns {bigint}
 */
function pow(base, exp) {
  let result = 1n;
  let b = ((base % P) + P) % P;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

const mod = (/** @type {bigint} */ x) => ((x % P) + P) % P;
const D = mod(-121665n * pow(121666n, P - 2n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/**
 * The affine point of a 32-byte encoding (RFC 8032 §5.1.3), or null if not canonical.
 * @param {Uint8Array} encoded
 * @returns {[bigint, bigint] | null}
 */
function decode(encoded) {
  if (encoded.length !== 32) return null;
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(encoded[i]);
  const y = n & ((1n << 255n) - 1n);
  const sign = n >> 255n;
  if (y >= P) return null;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x - u) !== 0n) {
    if (mod(v * x * x + u) !== 0n) return null;
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign) return null;
  if ((x & 1n) !== sign) x = P - x;
  return [x, y];
}

/**
 * @param {bigint} x
 * @param {bigint} y
 * @returns {[bigint, bigint]}
 */
function double(x, y) {
  const xy = mod(x * y);
  const t = mod(D * xy * xy);
  return [mod(2n * xy * pow(1n + t, P - 2n)), mod((y * y + x * x) * pow(1n - t, P - 2n))];
}

/**
 * Why `publicKey` is unusable as an Ed25519 key, or null if it is fine.
 * @param {Uint8Array} publicKey
 * @returns {string | null}
 */
export function weakness(publicKey) {
  const point = decode(publicKey);
  if (point === null) return "not a canonical Ed25519 point";
  let [x, y] = point;
  for (let i = 0; i < 3; i++) [x, y] = double(x, y);
  if (x === 0n && y === 1n) return "a small-order point (one signature would verify every message)";
  return null;
}
