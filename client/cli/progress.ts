// A progress bar for put/get on a terminal: bytes, rate, ETA. Nothing at all when stderr is
// not a terminal, so scripts see only what they asked for.

import { Transform } from 'node:stream';

export function progressMeter(label: string, totalBytes: number, stream: NodeJS.WriteStream = process.stderr): Transform {
  const enabled = stream.isTTY === true;
  const startMs = Date.now();
  let done = 0;
  let lastDrawMs = 0;
  const draw = (final: boolean): void => {
    if (!enabled) return;
    const now = Date.now();
    if (!final && now - lastDrawMs < 100) return;
    lastDrawMs = now;
    const seconds = Math.max((now - startMs) / 1000, 0.001);
    const rate = done / seconds;
    const fraction = totalBytes > 0 ? Math.min(1, done / totalBytes) : 1;
    const width = 24;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    const eta = rate > 0 && totalBytes > done ? `${Math.ceil((totalBytes - done) / rate)}s` : '0s';
    stream.write(`\r${label} [${bar}] ${formatBytes(done)}/${formatBytes(totalBytes)} ${formatBytes(rate)}/s ETA ${eta}   `);
    if (final) stream.write('\n');
  };
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      done += chunk.length;
      draw(false);
      callback(null, chunk);
    },
    flush(callback) {
      draw(true);
      callback();
    },
  });
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
