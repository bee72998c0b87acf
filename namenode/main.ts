// `cairn namenode`: runs a namenode in the foreground until SIGINT/SIGTERM.

import { intOption, parse, requiredOption, stringOption } from '../common/args.js';
import { readSecret } from '../common/auth.js';
import { limits } from '../common/limits.js';
import { createLogger } from '../common/log.js';
import { stopOnSignal } from '../common/signals.js';
import { Namenode, namenodeDefaults } from './namenode.js';

export const namenodeUsage =
  'cairn namenode --data DIR --port P [--host H] [--heartbeat-ms MS] [--dead-after-ms MS] [--chunk-size BYTES] [--replication N] [--secret-file FILE] [--meta-sync always|on-sync] [--meta-sync-interval-ms MS] [--rpc-port P (framed TCP; 0 any, -1 off)] [--shared-calls on|off]';

export async function runNamenode(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    'dead-after-ms': { type: 'string' },
    'chunk-size': { type: 'string' },
    replication: { type: 'string' },
    'secret-file': { type: 'string' },
    'lease-ms': { type: 'string' },
    'safe-mode-max-ms': { type: 'string' },
    'safe-mode-extension-ms': { type: 'string' },
    'orphan-grace-ms': { type: 'string' },
    'meta-sync': { type: 'string' },
    'meta-sync-interval-ms': { type: 'string' },
    'rpc-port': { type: 'string' },
    'shared-calls': { type: 'string' },
  });
  const metaSync = stringOption(values, 'meta-sync') ?? namenodeDefaults.metaDurability;
  // off: each SDK client on a framed connection of its own, as with a namenode before session 24.
  const sharedCalls = stringOption(values, 'shared-calls') ?? 'on';
  if (sharedCalls !== 'on' && sharedCalls !== 'off') throw new Error('--shared-calls must be on or off');
  if (metaSync !== 'always' && metaSync !== 'on-sync') throw new Error('--meta-sync must be always or on-sync');
  const heartbeatMs = intOption(values, 'heartbeat-ms', namenodeDefaults.heartbeatMs, 10, 3_600_000);
  const chunkSizeBytes = intOption(values, 'chunk-size', namenodeDefaults.chunkSizeBytes, limits.chunkSizeBytesMin, limits.chunkSizeBytesMax);
  if (chunkSizeBytes % limits.checksumWindowBytes !== 0) {
    throw new Error(`--chunk-size must be a multiple of ${limits.checksumWindowBytes}`);
  }
  const log = createLogger('namenode');
  const namenode = await Namenode.start(
    {
      ...namenodeDefaults,
      dataDir: requiredOption(values, 'data'),
      host: stringOption(values, 'host') ?? namenodeDefaults.host,
      port: intOption(values, 'port', namenodeDefaults.port, 0, 65535),
      heartbeatMs,
      deadAfterMs: intOption(values, 'dead-after-ms', namenodeDefaults.deadAfterMs, heartbeatMs, 86_400_000),
      chunkSizeBytes,
      defaultReplication: intOption(values, 'replication', namenodeDefaults.defaultReplication, 1, limits.replicationMax),
      leaseExpiryMs: intOption(values, 'lease-ms', namenodeDefaults.leaseExpiryMs, 100, 86_400_000),
      safeModeMaxMs: intOption(values, 'safe-mode-max-ms', namenodeDefaults.safeModeMaxMs, 0, 86_400_000),
      safeModeExtensionMs: intOption(values, 'safe-mode-extension-ms', namenodeDefaults.safeModeExtensionMs, 0, 86_400_000),
      orphanGraceMs: intOption(values, 'orphan-grace-ms', namenodeDefaults.orphanGraceMs, 0, 86_400_000 * 30),
      metaDurability: metaSync,
      frameRpcPort: intOption(values, 'rpc-port', namenodeDefaults.frameRpcPort, -1, 65535),
      sharedCalls: sharedCalls === 'on',
      metaSyncIntervalMs: intOption(values, 'meta-sync-interval-ms', namenodeDefaults.metaSyncIntervalMs, 10, 3_600_000),
      secret: await readSecret({ secretFile: stringOption(values, 'secret-file') }),
    },
    log,
  );
  process.stdout.write(`namenode ${namenode.address}\n`);
  await stopOnSignal(log, () => namenode.stop());
}
