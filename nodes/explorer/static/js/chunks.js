/**
 * Content chunks of a document, exactly as `ledger/chunks.py` cuts and hashes them:
 * bytes in, RFC 9162 leaf hashes out.
 *
 * Valid UTF-8 (a leading byte order mark is kept as a character) is cut into
 * paragraphs: maximal runs of lines holding something other than white space (as
 * Python's `str.isspace` defines it), lines ending at "\r\n", "\r" or "\n". A
 * paragraph's bytes are the UTF-8 of its text from its first line's first character to
 * its last line's end, without the final line break. Anything else is cut into blocks
 * of `BLOCK_SIZE` bytes. Each chunk's leaf is `leafHash(chunk bytes)`.
 *
 * Promises: the same bytes give the same leaves here as in Python; a change inside one
 * paragraph changes that paragraph's leaf only. Offsets differ in unit from Python's
 * on purpose: a paragraph's `start`/`end` index the decoded string in UTF-16 code units
 * (what `String.prototype.slice` takes), a block's index the bytes.
 * @module chunks
 */

import { decodeUtf8, fromHex, toHex, utf8 } from "./bytes.js";
import { isPythonSpace } from "./fields.js";
import { leafHash, rootOf } from "./merkle.js";

export const BLOCK_SIZE = 64 * 1024;
export const MAX_CHUNKS = 4096;

/**
 * @typedef {object} Chunk
 * @property {number} number 1-based
 * @property {number} start
 * @property {number} end
 * @property {"paragraph" | "block"} kind
 * @property {string} leaf hex leaf hash
 * @property {number} line first line of a paragraph (1-based); 0 for a block
 */

/**
 * The paragraphs of `text` as `[start, end, first line]` (UTF-16 offsets), in order.
 * @param {string} text
 * @returns {[number, number, number][]}
 */
export function paragraphs(text) {
  const out = [];
  let start = -1;
  let end = -1;
  let first = -1;
  let pos = 0;
  for (let number = 1; pos < text.length; number++) {
    let stop = pos;
    while (stop < text.length && text[stop] !== "\r" && text[stop] !== "\n") stop++;
    let next = stop;
    if (text[stop] === "\r" && text[stop + 1] === "\n") next = stop + 2;
    else if (stop < text.length) next = stop + 1;
    if (hasContent(text, pos, stop)) {
      if (start < 0) [start, first] = [pos, number];
      end = stop;
    } else if (start >= 0) {
      out.push([start, end, first]);
      start = -1;
    }
    pos = next;
  }
  if (start >= 0) out.push([start, end, first]);
  return out;
}

/**
 * @param {string} text
 * @param {number} from
 * @param {number} to
 * @returns {boolean}
 */
function hasContent(text, from, to) {
  for (let i = from; i < to; i++) if (!isPythonSpace(text[i])) return true;
  return false;
}

/**
 * The chunks of a document's bytes: paragraphs of UTF-8 text, else blocks.
 * @param {Uint8Array} data
 * @returns {Promise<Chunk[]>}
 */
export async function chunksOf(data) {
  const text = decodeUtf8(data);
  if (text === null) {
    const spans = [];
    for (let at = 0; at < data.length; at += BLOCK_SIZE) {
      spans.push([at, Math.min(at + BLOCK_SIZE, data.length)]);
    }
    const leaves = await Promise.all(spans.map(([s, e]) => leafHash(data.subarray(s, e))));
    return spans.map(([start, end], i) => ({
      number: i + 1,
      start,
      end,
      kind: "block",
      leaf: toHex(leaves[i]),
      line: 0,
    }));
  }
  const spans = paragraphs(text);
  const leaves = await Promise.all(spans.map(([s, e]) => leafHash(utf8(text.slice(s, e)))));
  return spans.map(([start, end, line], i) => ({
    number: i + 1,
    start,
    end,
    kind: "paragraph",
    leaf: toHex(leaves[i]),
    line,
  }));
}

/**
 * The Merkle root (hex) of chunk leaf hashes (hex), RFC 9162.
 * @param {string[]} leaves
 * @returns {Promise<string>}
 */
export async function chunksRoot(leaves) {
  return toHex(await rootOf(leaves.map((h) => fromHex(h, 32))));
}
