// Command-line parsing shared by every `cairn` subcommand: node:util parseArgs plus typed
// getters that turn bad values into one-line usage errors.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { setFlagsFromString } from 'node:v8';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parse(argv: string[], options: OptionSpec): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
}

export function intOption(values: Record<string, unknown>, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${String(raw)}'`);
  }
  return value;
}

export function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

export function requiredOption(values: Record<string, unknown>, name: string): string {
  const raw = stringOption(values, name);
  if (raw === undefined || raw === '') throw new UsageError(`--${name} is required`);
  return raw;
}

/**
 * Has V8 compile a long-running server's code sooner. By default a function runs interpreted until
 * it has been called many times, and is optimized later still: a fresh mount and namenode created
 * files at ~1,700/s over their second thousand and reached ~2,600/s only after 4,000, the first
 * minutes of every benchmark and of every restart. With baseline code at once, feedback from the
 * first call and a smaller budget before optimizing, the second thousand ran at ~2,600/s
 * (docs/PERFORMANCE.md, session 11), for a few MB more code. Set before any hot code runs (V8
 * takes these flags at run time); CAIRN_NODE_ARGS can still override them.
 */
export function tuneServerCompiler(): void {
  setFlagsFromString('--always-sparkplug --no-lazy-feedback-allocation --interrupt-budget=8192');
  for (const arg of extraNodeArgs()) if (/^--(always-sparkplug|no-always-sparkplug|lazy-feedback-allocation|no-lazy-feedback-allocation|interrupt-budget=)/.test(arg)) setFlagsFromString(arg);
}

/**
 * Node flags for every Cairn process a launcher starts (`cairn cluster`, the test helpers), from
 * CAIRN_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", which NODE_OPTIONS does not accept.
 */
export function extraNodeArgs(): string[] {
  return (process.env.CAIRN_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
}

/**
 * The environment for the servers a launcher starts (namenode, datanodes): the caller's, with glibc's malloc
 * held to two arenas unless the caller chose otherwise (as Hadoop's launch scripts set
 * MALLOC_ARENA_MAX=4). LevelDB's compaction thread and libuv's pool otherwise each get an arena
 * whose freed memory stays resident: the namenode's memory with 1,000,000 files measured 92-151
 * bytes per file run to run, and 71-76 with two arenas.
 */
export function serverEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: '2', ...process.env, ...extra };
}
