/** Graceful shutdown on SIGINT / SIGTERM, as the Go guide's `signal.Notify` + `cancel()`. */

export interface ShutdownSignal {
  /** Aborted on the first of the signals; pass it to `consumer.start(signal)`. */
  readonly signal: AbortSignal;
  /** Removes the process listeners (done automatically once a signal arrived). */
  dispose(): void;
}

/**
 * An AbortSignal aborted by the first SIGINT or SIGTERM (or the signals given). While the
 * listeners are installed the process does not exit on those signals by itself; a second
 * signal during shutdown is left to Node's default behaviour (exit), so an operator can force it.
 */
export function shutdownOnSignals(signals: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"]): ShutdownSignal {
  const controller = new AbortController();
  const dispose = (): void => {
    for (const s of signals) process.removeListener(s, onSignal);
  };
  const onSignal = (received: NodeJS.Signals): void => {
    dispose();
    controller.abort(new Error(`received ${received}`));
  };
  for (const s of signals) process.once(s, onSignal);
  return { signal: controller.signal, dispose };
}
