// Logging: pino JSON lines, pretty-printed when stderr is a terminal. Logs go to stderr so that
// a command's stdout stays machine-readable (`cairn cluster` prints one line there).

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.CAIRN_LOG_LEVEL ?? 'info'): Logger {
  if (process.stderr.isTTY) {
    return pino({
      name,
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'HH:MM:ss.l' } },
    });
  }
  return pino({ name, level }, pino.destination({ dest: 2, sync: false }));
}
