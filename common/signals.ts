// Foreground servers stop cleanly on SIGINT and SIGTERM.

/** Waits for SIGINT/SIGTERM, runs `stop`, and exits. */
export function stopOnSignal(log: { info: (msg: string) => void }, stop: () => Promise<void>): Promise<void> {
  return new Promise(() => {
    let stopping = false;
    const onSignal = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping`);
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
}
