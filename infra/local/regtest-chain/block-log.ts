/**
 * The embedded chain on disk: one append-only file (`blocks.log` in the
 * chain's data dir) of records `[kind u8][length u32 BE][payload]`, kind 1 =
 * a block connected (its raw bytes), kind 2 = the tip disconnected (the
 * block's 32-byte hash, internal order). Replaying the records in order
 * rebuilds the best chain; a torn last record (a crash mid-write) is cut off.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';

export const BlockLogRecord = { Connect: 1, Disconnect: 2 } as const;
export type BlockLogRecord = (typeof BlockLogRecord)[keyof typeof BlockLogRecord];

export interface BlockLogEntry {
  readonly kind: BlockLogRecord;
  readonly payload: Uint8Array;
}

export class BlockLog {
  private readonly fd: number;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  /** Opens (creating) `dir/blocks.log`, returns it with the entries already in it. */
  static open(dir: string): { log: BlockLog; entries: BlockLogEntry[] } {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, 'blocks.log');
    const bytes = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const entries: BlockLogEntry[] = [];
    let offset = 0;
    while (offset + 5 <= bytes.length) {
      const kind = bytes[offset]!;
      const length = bytes.readUInt32BE(offset + 1);
      if (kind !== BlockLogRecord.Connect && kind !== BlockLogRecord.Disconnect) break;
      if (offset + 5 + length > bytes.length) break;
      entries.push({ kind, payload: Uint8Array.from(bytes.subarray(offset + 5, offset + 5 + length)) });
      offset += 5 + length;
    }
    const fd = openSync(path, 'a+', 0o600);
    if (offset < bytes.length) ftruncateSync(fd, offset);
    return { log: new BlockLog(path, fd), entries };
  }

  append(kind: BlockLogRecord, payload: Uint8Array): void {
    const record = Buffer.alloc(5 + payload.length);
    record[0] = kind;
    record.writeUInt32BE(payload.length, 1);
    record.set(payload, 5);
    writeSync(this.fd, record);
  }

  /** Flushes to disk (called after each mine or reorg request, not per block). */
  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
