// fsck: walks a subtree and counts files, chunks and replicas that are missing or too few.

import type { OpContext } from './context.js';
import { mustGetInode, resolve } from './inodes.js';
import { keys, prefixEnd, type ChunkRecord, type DirentRecord } from './records.js';

export interface FsckSummary {
  files: number;
  directories: number;
  chunks: number;
  bytes: number;
  underReplicated: number;
  missing: number;
  corrupt: number;
  problems: string[];
}

const problemsMax = 100;

/** `liveReplicas(chunkId, gen)` counts live datanodes holding exactly that version. */
export async function fsck(
  ctx: OpContext,
  path: string,
  liveReplicas: (chunkId: number, gen: number) => number,
  corruptReplicas: (chunkId: number) => number,
): Promise<FsckSummary> {
  const summary: FsckSummary = { files: 0, directories: 0, chunks: 0, bytes: 0, underReplicated: 0, missing: 0, corrupt: 0, problems: [] };
  const start = await resolve(ctx, path, true);
  const stack: Array<{ ino: number; path: string }> = [{ ino: start.ino, path: path === '' ? '/' : path }];
  while (stack.length > 0) {
    const { ino, path: here } = stack.pop() as { ino: number; path: string };
    const rec = await mustGetInode(ctx.tx, ino);
    if (rec.type === 'd') {
      summary.directories++;
      const prefix = keys.direntPrefix(ino);
      for (const [key, value] of await ctx.tx.range({ gte: prefix, lt: prefixEnd(prefix) })) {
        const entry = JSON.parse(value) as DirentRecord;
        stack.push({ ino: entry.ino, path: `${here === '/' ? '' : here}/${key.slice(prefix.length)}` });
      }
      continue;
    }
    if (rec.type !== 'f') continue;
    summary.files++;
    summary.bytes += rec.size;
    const prefix = keys.chunkPrefix(ino);
    for (const [, value] of await ctx.tx.range({ gte: prefix, lt: prefixEnd(prefix) })) {
      const chunk = JSON.parse(value) as ChunkRecord;
      summary.chunks++;
      const live = liveReplicas(chunk.id, chunk.gen);
      summary.corrupt += corruptReplicas(chunk.id) > 0 ? 1 : 0;
      if (live === 0) {
        summary.missing++;
        note(summary, `${here}: chunk ${chunk.id} has no live replica`);
      } else if (live < rec.rep) {
        summary.underReplicated++;
        note(summary, `${here}: chunk ${chunk.id} has ${live} of ${rec.rep} replicas`);
      }
    }
  }
  return summary;
}

function note(summary: FsckSummary, line: string): void {
  if (summary.problems.length < problemsMax) summary.problems.push(line);
}
