// `cairn datanode`: runs a datanode in the foreground until SIGINT/SIGTERM.

import { intOption, parse, requiredOption, stringOption, UsageError } from '../common/args.js';
import { readSecret } from '../common/auth.js';
import { limits } from '../common/limits.js';
import { createLogger } from '../common/log.js';
import { validateHostPort } from '../common/rpc.js';
import { stopOnSignal } from '../common/signals.js';
import { freeFilesMax, freeStockDefault } from './chunk-store.js';
import { Datanode } from './datanode.js';

export const datanodeUsage =
  'cairn datanode --data DIR --port P --namenode HOST:PORT [--host H] [--heartbeat-ms MS] [--secret-file FILE] [--scrub-mib-per-s N] [--scrub-interval-ms MS] [--free-stock N]';

export async function runDatanode(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    namenode: { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    'secret-file': { type: 'string' },
    'scrub-mib-per-s': { type: 'string' },
    'scrub-interval-ms': { type: 'string' },
    'free-stock': { type: 'string' },
  });
  const secret = await readSecret({ secretFile: stringOption(values, 'secret-file') });
  if (secret === undefined) throw new UsageError('a datanode needs the cluster secret: --secret-file FILE or CAIRN_SECRET');
  const log = createLogger('datanode');
  const datanode = await Datanode.start(
    {
      dataDir: requiredOption(values, 'data'),
      host: stringOption(values, 'host') ?? '127.0.0.1',
      port: intOption(values, 'port', 0, 0, 65535),
      namenode: validateHostPort(requiredOption(values, 'namenode'), '--namenode'),
      secret,
      heartbeatMs: intOption(values, 'heartbeat-ms', limits.heartbeatIntervalMsDefault, 10, 3_600_000),
      scrub: {
        bytesPerS: intOption(values, 'scrub-mib-per-s', 8, 0, 100_000) * 1024 * 1024,
        intervalMs: intOption(values, 'scrub-interval-ms', 6 * 60 * 60 * 1000, 10, 30 * 24 * 60 * 60 * 1000),
      },
      freeStock: intOption(values, 'free-stock', freeStockDefault, 0, freeFilesMax),
    },
    log,
  );
  process.stdout.write(`datanode ${datanode.id} ${datanode.address}\n`);
  await stopOnSignal(log, () => datanode.stop());
}
