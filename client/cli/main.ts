#!/usr/bin/env node
// `cairn`: one command for servers (namenode, datanode, cluster) and users (put, get, ls, ...).
// Errors are one line on stderr naming the path and the POSIX code, and a non-zero exit:
// 1 for an operating error, 2 for a usage error; 141 (as SIGPIPE) when stdout's reader went away.

import { UsageError, tuneServerCompiler } from '../../common/args.js';
import { CairnError } from '../../common/errors.js';
import { clientUsage, commands } from './commands.js';

const serverUsage = [
  'cairn namenode --data DIR --port P [--heartbeat-ms MS] [--dead-after-ms MS] [--chunk-size BYTES] [--secret-file FILE]',
  'cairn datanode --data DIR --port P --namenode HOST:PORT [--heartbeat-ms MS] [--secret-file FILE]',
  'cairn cluster --data DIR [--datanodes N] [--port P] [--chunk-size BYTES] [--heartbeat-ms MS] [--dead-after-ms MS] [--mount DIR]',
  'cairn mount [--namenode HOST:PORT] MOUNTPOINT [--allow-other] [--secret-file FILE] [--timeout-ms MS] [--cache-ms MS]',
  'cairn umount MOUNTPOINT',
];

function usage(): string {
  return ['usage:', ...serverUsage, ...clientUsage].map((line, i) => (i === 0 ? line : `  ${line}`)).join('\n') + '\n';
}

/**
 * Node ignores SIGPIPE, so a write to a pipe whose reader is gone (`cairn cat FILE | head`, a
 * launcher that died) fails with EPIPE, which unhandled on stdout is a crash with a stack trace.
 * A command stops quietly instead, with the status of a program killed by SIGPIPE (128 + 13), as
 * cat(1) would; a server goes on serving (its stdout carries only its ready line).
 */
function onStdoutClosed(command: string | undefined): void {
  const server = command === 'namenode' || command === 'datanode' || command === 'mount' || command === 'cluster';
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (!server) process.exit(128 + 13);
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  onStdoutClosed(command);
  if (command === 'namenode' || command === 'datanode' || command === 'mount') tuneServerCompiler();
  switch (command) {
    case 'namenode':
      return (await import('../../namenode/main.js')).runNamenode(rest);
    case 'datanode':
      return (await import('../../datanode/main.js')).runDatanode(rest);
    case 'cluster':
      return (await import('./cluster.js')).runCluster(rest);
    case 'mount':
      return (await import('./mount.js')).runMount(rest);
    case 'umount':
      return (await import('./mount.js')).runUmount(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage());
      return;
    default: {
      const run = commands[command];
      if (run === undefined) throw new UsageError(`unknown command '${command}' (cairn help lists them)`);
      return run(rest);
    }
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`cairn: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof CairnError) {
    const where = err.path !== undefined ? `${err.path}: ` : '';
    process.stderr.write(`cairn: ${where}${err.code}: ${err.detail}\n`);
    process.exit(1);
  }
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  const message = e?.message ?? String(err);
  process.stderr.write(`cairn: ${message.startsWith(code.slice(0, -2)) && code !== "" ? "" : code}${message}\n`);
  process.exit(1);
});
