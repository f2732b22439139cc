// mulberry32: a small seeded PRNG, so randomised tests (interleavings, streams, fuzz cases) repeat for a seed.
// (The amoCRM emulator keeps its own copy: it may import nothing outside its folder.)
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
