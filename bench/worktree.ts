// A build of another commit to compare this checkout with (bench/ab.ts, bench/namespace-ab.ts).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): void {
  const result = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr?.toString().trim() ?? result.error?.message}`);
}

/** A worktree of `rev` (of the repository at `here`) under `work`, built; its node_modules are `here`'s. */
export function buildBase(rev: string, work: string, here: string): string {
  const dir = path.join(work, 'base');
  if (fs.existsSync(dir)) run('git', ['worktree', 'remove', '--force', dir], { cwd: here });
  run('git', ['worktree', 'add', '--detach', dir, rev], { cwd: here });
  fs.symlinkSync(path.join(here, 'node_modules'), path.join(dir, 'node_modules'));
  process.stderr.write(`building ${rev} in ${dir}...\n`);
  run('npm', ['run', 'build', '--silent'], { cwd: dir });
  return dir;
}

/** Removes the worktree `dir` made by buildBase. */
export function removeBase(dir: string, here: string): void {
  spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: here, stdio: 'ignore' });
}
