// Read-ahead for sequential readers on the mount. The kernel asks for at most 1 MiB at a time
// (max_readahead); each SDK read is a round trip to a datanode, so a sequential reader reads
// whole windows, `ahead` windows ahead of where it is. A read elsewhere in the file goes straight through
// (random I/O gains nothing from a window). Only for read-only handles: writers' reads go
// through the shared writer, whose unflushed bytes a window would miss.

import type { FileHandle } from '../sdk/file-handle.js';

interface Window {
  start: number;
  data: Promise<Buffer>;
}

export class ReadAhead {
  /** Windows fetched or on their way, in file order: the current one first. */
  private windows: Window[] = [];
  private lastEnd = -1;

  constructor(
    readonly handle: FileHandle,
    private readonly windowBytes = 4 * 1024 * 1024,
    /** Windows in flight ahead of the one being read. */
    private readonly ahead = 2,
  ) {}

  /** Reads like FileHandle.read; returns the bytes read (fewer only at the end of the file). */
  async read(out: Buffer, outOffset: number, length: number, position: number): Promise<number> {
    const sequential = position === this.lastEnd || this.windows.some((w) => this.holds(w, position));
    this.lastEnd = position + length;
    if (!sequential) return (await this.handle.read(out, outOffset, length, position)).bytesRead;
    let done = 0;
    while (done < length) {
      const at = position + done;
      const window = this.windowAt(at);
      let data: Buffer;
      try {
        data = await window.data;
      } catch (err) {
        this.windows = []; // a failed window is not kept: the next read tries again
        throw err;
      }
      const from = at - window.start;
      const n = Math.min(length - done, data.length - from);
      if (n <= 0) break; // end of file
      data.copy(out, outOffset + done, from, from + n);
      done += n;
      if (data.length < this.windowBytes) break; // the window ended at the end of the file
    }
    return done;
  }

  private holds(window: Window, position: number): boolean {
    return position >= window.start && position < window.start + this.windowBytes;
  }

  /** The window holding `at`, with the next `ahead` windows already on their way. */
  private windowAt(at: number): Window {
    const start = Math.floor(at / this.windowBytes) * this.windowBytes;
    this.windows = this.windows.filter((w) => w.start >= start); // behind the reader: done with
    if (this.windows[0]?.start !== start) this.windows = [this.fetch(start)];
    for (let i = 1; i <= this.ahead; i++) {
      const next = start + i * this.windowBytes;
      if (this.windows[i]?.start !== next) this.windows.splice(i, this.windows.length - i, this.fetch(next));
    }
    return this.windows[0] as Window;
  }

  private fetch(start: number): Window {
    // Never more than the file holds: small files cost no 4 MiB buffers, and nothing is
    // fetched past the end.
    const bytes = Math.max(0, Math.min(this.windowBytes, this.handle.sizeBytes - start));
    if (bytes === 0) return { start, data: Promise.resolve(Buffer.alloc(0)) };
    const buf = Buffer.allocUnsafe(bytes);
    const data = this.handle.read(buf, 0, bytes, start).then((r) => buf.subarray(0, r.bytesRead));
    data.catch(() => undefined); // observed by the read that needs it
    return { start, data };
  }
}
