// How the SDK turns an application's values into the bytes an AtomicValue stores, and back.

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export const bytesCodec: Codec<Uint8Array> = {
  encode: (value) => value,
  decode: (bytes) => bytes,
};

export const stringCodec: Codec<string> = {
  encode: (value) => encoder.encode(value),
  decode: (bytes) => decoder.decode(bytes),
};

export const jsonCodec: Codec<unknown> = {
  encode: (value) => encoder.encode(JSON.stringify(value)),
  decode: (bytes) => JSON.parse(decoder.decode(bytes)),
};

export const codecs = { bytes: bytesCodec, string: stringCodec, json: jsonCodec } as const;
export type CodecName = keyof typeof codecs;
