import { crc32, deflateRawSync, constants as zlibConstants } from 'node:zlib';

/** R2's smallest part: every part of an upload but the last is exactly this size. */
export const PART_BYTES = 5 * 1024 * 1024;

/** A gzip member's header (RFC 1952): deflate, no name, no time, unknown OS. */
export const GZIP_HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * Deflate for speed: compression takes a sixth of an export's CPU. Level 1 is four times faster
 * than the default 6 on CSV pages, about 10 % larger; an 8 KiB window (windowBits 13) with
 * zlib's largest hash (memLevel 9) deflates CSV pages 30 % faster again (78 → 102 MB/s here),
 * 3 % larger (ratio 2.28 → 2.21). Any gzip reader inflates it: a smaller window only shortens
 * the distances the stream uses.
 */
const DEFLATE = { level: 1, windowBits: 13, memLevel: 9, finishFlush: zlibConstants.Z_SYNC_FLUSH };

/**
 * The export's output as it is produced, plain or as one gzip member. Gzip: each page is
 * deflated on its own and ends on a sync flush (a byte boundary, no reference to earlier data),
 * so the compressor needs no state across pages or invocations: resuming continues the same
 * member, with the CRC-32 and length of everything so far taken from the checkpoint. `finish`
 * adds the final empty block and the trailer. Every gzip reader, DecompressionStream included,
 * reads the file as one stream.
 */
export class Output {
  chunks: Uint8Array[] = [];
  size = 0;
  /** The most bytes held at once: what memory an export needs, whatever its length. */
  peak = 0;

  constructor(
    private readonly gzip: boolean,
    public crc: number,
    public rawBytes: number,
  ) {}

  push(bytes: Uint8Array): void {
    if (bytes.length) {
      this.chunks.push(bytes);
      this.size += bytes.length;
      this.peak = Math.max(this.peak, this.size);
    }
  }

  write(bytes: Uint8Array): void {
    if (!this.gzip) {
      this.push(bytes);
      return;
    }
    this.crc = crc32(bytes, this.crc);
    this.rawBytes += bytes.length;
    this.push(deflateRawSync(bytes, DEFLATE));
  }

  /** The end of the document: the final deflate block and the trailer (CRC-32, length mod 2^32). */
  finish(): void {
    if (!this.gzip) return;
    this.push(deflateRawSync(new Uint8Array(0), { finishFlush: zlibConstants.Z_FINISH }));
    const trailer = new DataView(new ArrayBuffer(8));
    trailer.setUint32(0, this.crc >>> 0, true);
    trailer.setUint32(4, this.rawBytes % 2 ** 32, true);
    this.push(new Uint8Array(trailer.buffer));
  }

  /** Takes the first `n` bytes out (n ≤ size). */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = this.chunks[0];
      const used = Math.min(head.length, n - at);
      out.set(head.subarray(0, used), at);
      at += used;
      if (used === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(used);
    }
    this.size -= n;
    return out;
  }
}

/** Uploads every whole part the output holds (R2: all parts but the last of one size), numbered after `parts`. */
export async function uploadWholeParts(upload: R2MultipartUpload, out: Output, parts: R2UploadedPart[], partBytes: number): Promise<void> {
  while (out.size >= partBytes) parts.push(await upload.uploadPart(parts.length + 1, out.take(partBytes)));
}
