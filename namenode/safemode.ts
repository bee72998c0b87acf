// Safe mode: after a start the namenode answers reads but refuses writes and orders no copies
// until enough chunks have live replicas again (or a timeout), so that a restart under healthy
// datanodes does not look like mass data loss and start a re-replication storm (HDFS design).
// Pure: `tick` takes the counts and the time.

export interface SafeModeSettings {
  /** Fraction of chunks that must have a live replica (HDFS: 0.999). */
  thresholdFraction: number;
  /** Stay this long after the threshold is met, so late reports arrive. */
  extensionMs: number;
  /** Leave safe mode after this long whatever the counts say. */
  maxMs: number;
}

export class SafeMode {
  private on = true;
  private thresholdMetMs: number | undefined;

  constructor(
    private readonly settings: SafeModeSettings,
    private readonly startedMs: number,
  ) {}

  get active(): boolean {
    return this.on;
  }

  /** Returns a reason when safe mode ends at this tick. */
  tick(nowMs: number, chunksTotal: number, chunksReported: number, liveDatanodes: number): string | undefined {
    if (!this.on) return undefined;
    if (nowMs - this.startedMs >= this.settings.maxMs) {
      this.on = false;
      return `timeout after ${this.settings.maxMs} ms (${chunksReported}/${chunksTotal} chunks reported)`;
    }
    const met = chunksTotal === 0 || (liveDatanodes > 0 && chunksReported >= this.settings.thresholdFraction * chunksTotal);
    if (!met) {
      this.thresholdMetMs = undefined;
      return undefined;
    }
    this.thresholdMetMs ??= nowMs;
    if (nowMs - this.thresholdMetMs < this.settings.extensionMs) return undefined;
    this.on = false;
    return `${chunksReported}/${chunksTotal} chunks have live replicas`;
  }

  /** Operators (and tests) can leave safe mode by hand. */
  leave(): void {
    this.on = false;
  }
}
