import { hash } from 'node:crypto';

export type Split = 'train' | 'valid' | 'test';

/** Buckets 0..79 train, 80..89 valid, 90..99 test: an 80/10/10 split that never moves a transaction. */
export function splitOf(transactionId: string): Split {
  const bucket = splitBucket(transactionId);
  return bucket < 80 ? 'train' : bucket < 90 ? 'valid' : 'test';
}

/** First 4 bytes of SHA-256(UTF-8 transaction id), as a big-endian uint32, mod 100. */
export function splitBucket(transactionId: string): number {
  return sha256FirstWord(transactionId) % 100;
}

/**
 * The first 32-bit word of SHA-256(UTF-8 text). Ids up to 55 ASCII characters (one SHA-256 block) are hashed here
 * in plain JavaScript: a native crypto call costs ~2 µs per id on the target machine, which is 40% of the backfill's
 * per-event budget, while this costs a fraction of that. Anything longer or non-ASCII goes to node:crypto. A test
 * checks both paths against node:crypto.
 */
export function sha256FirstWord(text: string): number {
  const length = text.length;
  if (length > 55) {
    return nativeFirstWord(text);
  }
  W.fill(0, 0, 16);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) {
      return nativeFirstWord(text);
    }
    W[i >> 2]! |= code << (24 - 8 * (i & 3));
  }
  W[length >> 2]! |= 0x80 << (24 - 8 * (length & 3));
  W[15] = length * 8;
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
  }
  let a = H0[0]!;
  let b = H0[1]!;
  let c = H0[2]!;
  let d = H0[3]!;
  let e = H0[4]!;
  let f = H0[5]!;
  let g = H0[6]!;
  let h = H0[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  return (H0[0]! + a) >>> 0;
}

function nativeFirstWord(text: string): number {
  return hash('sha256', text, 'buffer').readUInt32BE(0);
}

/** Message schedule scratch: reused, so hashing allocates nothing. */
const W = new Int32Array(64);
const H0 = Int32Array.of(
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
);
const K = Int32Array.of(
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
);
