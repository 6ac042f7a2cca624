/**
 * Where a copy differs from an anchored document, from the anchored chunk leaf hashes
 * and the copy alone, exactly as `ledger/chunk_diff.py`.
 *
 * Chunks are aligned the way patience diff aligns lines: chunks that occur exactly once
 * in each sequence anchor the alignment (their longest common subsequence, O(n log n));
 * equal neighbours extend it; what lies between two aligned chunks is a change, a
 * removal or an addition. Promises: an unchanged paragraph between aligned ones is never
 * named; every anchored chunk the copy does not reproduce in place is named, as is every
 * chunk of the copy that the anchor lacks. Leaves are hex strings.
 * @module chunk_diff
 */

/**
 * @typedef {object} Difference
 * @property {"changed" | "removed" | "added"} kind
 * @property {number[]} anchored 1-based numbers of anchored chunks
 * @property {number[]} copy numbers of the copy's chunks
 * @property {number} after the anchored chunk an addition follows (0: the start)
 */

/**
 * @param {string[]} items
 * @returns {Map<string, number>}
 */
function counts(items) {
  const out = new Map();
  for (const x of items) out.set(x, (out.get(x) ?? 0) + 1);
  return out;
}

/**
 * Smallest k with sorted[k] >= x.
 * @param {number[]} sorted
 * @param {number} x
 * @returns {number}
 */
function bisectLeft(sorted, x) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Positions `[i, j]` of the chunks that occur once in `a` and once in `b`, the longest
 * run of them in the same order in both (patience sorting).
 * @param {string[]} a
 * @param {string[]} b
 * @returns {[number, number][]}
 */
function uniquePairs(a, b) {
  const inA = counts(a);
  const inB = counts(b);
  const whereB = new Map();
  b.forEach((leaf, j) => {
    if (inB.get(leaf) === 1) whereB.set(leaf, j);
  });
  /** @type {[number, number][]} */
  const pairs = [];
  a.forEach((leaf, i) => {
    if (inA.get(leaf) === 1 && whereB.has(leaf)) pairs.push([i, whereB.get(leaf)]);
  });
  const tails = [];
  const ends = [];
  const before = new Array(pairs.length).fill(-1);
  pairs.forEach(([, j], n) => {
    const k = bisectLeft(tails, j);
    if (k === tails.length) {
      tails.push(j);
      ends.push(n);
    } else {
      tails[k] = j;
      ends[k] = n;
    }
    before[n] = k ? ends[k - 1] : -1;
  });
  const run = [];
  for (let n = ends.length ? ends[ends.length - 1] : -1; n >= 0; n = before[n]) run.push(pairs[n]);
  return run.reverse();
}

/**
 * Aligned positions: the unique anchors, each extended over equal neighbours.
 * @param {string[]} a
 * @param {string[]} b
 * @returns {[number, number][]}
 */
function aligned(a, b) {
  const out = [];
  let i = 0;
  let j = 0;
  for (const [ui, uj] of [...uniquePairs(a, b), [a.length, b.length]]) {
    while (i < ui && j < uj && a[i] === b[j]) {
      out.push([i, j]);
      i += 1;
      j += 1;
    }
    const tail = [];
    let x = ui - 1;
    let y = uj - 1;
    while (x >= i && y >= j && a[x] === b[y]) {
      tail.push([x, y]);
      x -= 1;
      y -= 1;
    }
    out.push(...tail.reverse());
    if (ui < a.length) out.push([ui, uj]);
    i = ui + 1;
    j = uj + 1;
  }
  return out;
}

/**
 * The edits that turn the anchored chunk sequence into the copy's.
 * @param {string[]} anchored leaf hashes (hex) as anchored
 * @param {{number: number, leaf: string}[]} copy the copy's chunks (see `chunksOf`)
 * @returns {Difference[]}
 */
export function differences(anchored, copy) {
  const leaves = copy.map((c) => c.leaf);
  const out = [];
  let i = 0;
  let j = 0;
  for (const [ai, bj] of [...aligned(anchored, leaves), [anchored.length, leaves.length]]) {
    const was = range(i + 1, ai + 1);
    const now = range(j, bj).map((k) => copy[k].number);
    if (was.length && now.length) out.push({ kind: "changed", anchored: was, copy: now, after: 0 });
    else if (was.length) out.push({ kind: "removed", anchored: was, copy: [], after: 0 });
    else if (now.length) out.push({ kind: "added", anchored: [], copy: now, after: i });
    i = ai + 1;
    j = bj + 1;
  }
  return out;
}

/**
 * How many anchored chunks the copy reproduces in order.
 * @param {string[]} anchored
 * @param {string[]} copy
 * @returns {number}
 */
export function sharedCount(anchored, copy) {
  return aligned(anchored, copy).length;
}

/**
 * @param {number} from
 * @param {number} to
 * @returns {number[]}
 */
function range(from, to) {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}
