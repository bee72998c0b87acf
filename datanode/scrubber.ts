// The background scrubber: reads every replica at a throttled rate and verifies its checksums,
// so that corruption in chunks nobody reads is found (and replaced) before it matters.
// A pass covers every replica; passes start every `intervalMs`.

import type { Logger } from '../common/log.js';
import { ChecksumError, type ChunkStore } from './chunk-store.js';

export interface ScrubSettings {
  bytesPerS: number;
  intervalMs: number;
}

export class Scrubber {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  passes = 0;

  constructor(
    private readonly store: ChunkStore,
    private readonly settings: ScrubSettings,
    private readonly onCorrupt: (chunkId: number, gen: number) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.settings.bytesPerS <= 0) return;
    this.schedule(this.settings.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass().then(
        () => this.schedule(this.settings.intervalMs),
        (err: unknown) => {
          this.log.warn({ err: (err as Error).message }, 'scrub pass failed');
          this.schedule(this.settings.intervalMs);
        },
      );
    }, delayMs);
  }

  private async pass(): Promise<void> {
    const startMs = Date.now();
    let bytes = 0;
    let corrupt = 0;
    for (const replica of this.store.list()) {
      if (this.stopped) return;
      try {
        for await (const data of this.store.read(replica.chunkId, replica.gen, 0, replica.lengthBytes, true)) {
          bytes += data.length;
          // Throttle: never ahead of bytesPerS since the pass began.
          const aheadMs = (bytes / this.settings.bytesPerS) * 1000 - (Date.now() - startMs);
          if (aheadMs > 0) await new Promise((resolve) => setTimeout(resolve, aheadMs));
        }
      } catch (err) {
        if (err instanceof ChecksumError) {
          corrupt++;
          this.onCorrupt(err.chunkId, err.gen);
        }
        // A replica deleted while being scrubbed is not an error.
      }
    }
    this.passes++;
    this.log.info({ replicas: this.store.count, bytes, corrupt, ms: Date.now() - startMs }, 'scrub pass done');
  }
}
