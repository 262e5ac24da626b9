import { crc32c as crc32cNative } from '@node-rs/crc32';

/** CRC32C (Castagnoli) of `data`, continuing from `initial` when chaining chunks. */
export function crc32c(data: Uint8Array, initial = 0): number {
  return crc32cNative(data, initial) >>> 0;
}
