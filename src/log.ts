import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The one root logger: JSON on stderr, pretty when stderr is a TTY. Everything else derives child
 * loggers from it (a child per reconcile carries {app, reconcileId}).
 */
export function createRootLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const level = options.level ?? process.env['AMAHI_LOG_LEVEL'] ?? 'info';
  const pretty = options.pretty ?? process.stderr.isTTY;
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything: for pure tests and commands whose output is the answer. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
