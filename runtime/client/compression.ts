/**
 * Registers the snappy, lz4 and zstd codecs with kafkajs (gzip is built in).
 * Kafka's formats: snappy raw blocks (reading also the xerial framing Java
 * clients write), LZ4 frame format, and zstd frames.
 */
import { compress as zstdCompress, decompress as zstdDecompress } from "@mongodb-js/zstd";
import kafkajs, { CompressionTypes } from "kafkajs";
import { compressFrame, decompressFrame } from "lz4-napi";
import { compress as snappyCompress, uncompress as snappyUncompress } from "snappy";
import type { Compression } from "../config/types.ts";

interface Encoder {
  readonly buffer: Buffer;
}
type Codec = () => { compress(encoder: Encoder): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };

const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const xerialHeaderSize = 16;

async function snappyDecode(buffer: Buffer): Promise<Buffer> {
  if (buffer.length < xerialHeaderSize || !buffer.subarray(0, 8).equals(xerialMagic)) {
    return (await snappyUncompress(buffer)) as Buffer;
  }
  const chunks: Buffer[] = [];
  let pos = xerialHeaderSize;
  while (pos + 4 <= buffer.length) {
    const size = buffer.readUInt32BE(pos);
    pos += 4;
    chunks.push((await snappyUncompress(buffer.subarray(pos, pos + size))) as Buffer);
    pos += size;
  }
  return Buffer.concat(chunks);
}

const snappyCodec: Codec = () => ({
  compress: (encoder) => snappyCompress(encoder.buffer),
  decompress: snappyDecode,
});

const lz4Codec: Codec = () => ({
  compress: (encoder) => compressFrame(encoder.buffer),
  decompress: (buffer) => decompressFrame(buffer),
});

const zstdCodec: Codec = () => ({
  compress: (encoder) => zstdCompress(encoder.buffer, 3),
  decompress: (buffer) => zstdDecompress(buffer),
});

let registered = false;

/** Makes every compression type usable by kafkajs producers and consumers. Idempotent. */
export function registerCompressionCodecs(): void {
  if (registered) return;
  // kafkajs is CommonJS; Node exposes CompressionCodecs only on the default export.
  const codecs = kafkajs.CompressionCodecs as Record<number, Codec>;
  codecs[CompressionTypes.Snappy] = snappyCodec;
  codecs[CompressionTypes.LZ4] = lz4Codec;
  codecs[CompressionTypes.ZSTD] = zstdCodec;
  registered = true;
}

export const compressionType: Readonly<Record<Compression, CompressionTypes>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};
