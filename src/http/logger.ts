export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string, extra?: Record<string, unknown>) => void;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured JSON lines carrying the request id, so a 500's detail can be found by id. */
export function createLogger(requestId: string, min: LogLevel): Logger {
  return (level, msg, extra) => {
    if (ORDER[level] < ORDER[min]) return;
    const line = JSON.stringify({ level, msg, requestId, at: new Date().toISOString(), ...extra });
    if (level === 'error' || level === 'warn') console.error(line);
    else console.log(line);
  };
}
