import { crc32, inflateRawSync } from 'node:zlib';

/**
 * A minimal zip reader for the function packages `serverless package` writes: the central directory
 * is read from the end of the file, each entry's data is inflated (deflate) or copied (stored) and
 * checked against its CRC-32. Zip64, encryption and multi-disk archives are refused: a function
 * package never needs them, and a package that does is worth a failing test.
 */
export interface ZipEntry {
  readonly name: string;
  readonly compressedSize: number;
  readonly size: number;
  /** The uncompressed bytes. */
  read(): Buffer;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function readZip(zip: Buffer): ZipEntry[] {
  // The end-of-central-directory record: 22 bytes, then a comment of up to 65535 bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file: no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  const directoryOffset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new Error('zip64 archives are not supported');

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== CENTRAL) throw new Error(`bad central directory entry at ${at}`);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;

    if (flags & 0x1) throw new Error(`${name}: encrypted entries are not supported`);
    if (method !== 0 && method !== 8)
      throw new Error(`${name}: compression method ${method} is not supported`);
    if (zip.readUInt32LE(localOffset) !== LOCAL) throw new Error(`${name}: bad local header`);
    const dataStart =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);

    entries.push({
      name,
      compressedSize,
      size,
      read() {
        const bytes = method === 8 ? inflateRawSync(data) : Buffer.from(data);
        if (bytes.length !== size)
          throw new Error(`${name}: ${bytes.length} bytes, the directory says ${size}`);
        if (crc32(bytes) !== crc) throw new Error(`${name}: CRC-32 mismatch`);
        return bytes;
      },
    });
  }
  return entries;
}
