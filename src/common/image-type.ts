// Image type by magic bytes, not by file name: what KISC receives must be what its Content-Type says.

export type ImageContentType = 'image/png' | 'image/jpeg';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);

export function imageContentType(bytes: Uint8Array): ImageContentType | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 8));
  if (b.length >= 8 && b.equals(PNG)) return 'image/png';
  if (b.length >= 3 && b.subarray(0, 3).equals(JPEG)) return 'image/jpeg';
  return undefined;
}
