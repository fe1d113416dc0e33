/**
 * A logr-style structured logger facade: constant messages plus key/value pairs, verbosity
 * levels as klog's `-v`. Controllers see only {@link Logger}; sinks decide the format.
 *
 * @module
 */
import { errorMessage } from './error-message.js';

/** Structured key/values attached to a log line. */
export type LogValues = Readonly<Record<string, unknown>>;

/** klog's severities that Outrigger writes (klog's `I`, `W` and `E` lines). */
export type LogLevel = 'info' | 'warning' | 'error';

/** One log record as handed to a sink. */
export interface LogRecord {
  readonly level: LogLevel;
  /** klog verbosity of an info line (0 for warnings and errors). */
  readonly v: number;
  /** Logger name path, e.g. `service-controller`. */
  readonly name: string;
  readonly msg: string;
  readonly err?: unknown;
  readonly values: LogValues;
}

/** Where log records go. */
export type LogSink = (record: LogRecord) => void;

/** A structured logger with klog verbosity semantics. */
export interface Logger {
  /** Logs at the logger's current verbosity (0 unless derived with {@link Logger.v}). */
  info(msg: string, values?: LogValues): void;
  /**
   * Logs a warning (klog's `W` line: something is wrong, and the process carries on); always
   * emitted regardless of verbosity, as klog's `Warning` is.
   */
  warning(msg: string, values?: LogValues): void;
  /** Logs an error; always emitted regardless of verbosity. */
  error(err: unknown, msg: string, values?: LogValues): void;
  /** A logger whose info lines have verbosity `level` (emitted only when `-v` >= level). */
  v(level: number): Logger;
  /** Whether info lines of this logger are emitted. */
  enabled(): boolean;
  /** A logger that adds `values` to every line. */
  withValues(values: LogValues): Logger;
  /** A logger whose name gains `.name` (or becomes `name`). */
  withName(name: string): Logger;
}

class SinkLogger implements Logger {
  readonly #sink: LogSink;
  readonly #maxV: number;
  readonly #level: number;
  readonly #name: string;
  readonly #values: LogValues;
  #byLevel: Map<number, Logger> | undefined;

  constructor(sink: LogSink, maxV: number, level: number, name: string, values: LogValues) {
    this.#sink = sink;
    this.#maxV = maxV;
    this.#level = level;
    this.#name = name;
    this.#values = values;
  }

  info(msg: string, values: LogValues = {}): void {
    if (!this.enabled()) return;
    this.#sink({ level: 'info', v: this.#level, name: this.#name, msg, values: { ...this.#values, ...values } });
  }

  warning(msg: string, values: LogValues = {}): void {
    this.#sink({ level: 'warning', v: 0, name: this.#name, msg, values: { ...this.#values, ...values } });
  }

  error(err: unknown, msg: string, values: LogValues = {}): void {
    this.#sink({ level: 'error', v: 0, name: this.#name, msg, err, values: { ...this.#values, ...values } });
  }

  v(level: number): Logger {
    // Hot paths call v(n) per line: hand out one logger per level instead of a new one each time.
    let byLevel = this.#byLevel;
    if (byLevel === undefined) byLevel = this.#byLevel = new Map();
    let logger = byLevel.get(level);
    if (logger === undefined) {
      logger = level === this.#level ? this : new SinkLogger(this.#sink, this.#maxV, level, this.#name, this.#values);
      byLevel.set(level, logger);
    }
    return logger;
  }

  enabled(): boolean {
    return this.#level <= this.#maxV;
  }

  withValues(values: LogValues): Logger {
    return new SinkLogger(this.#sink, this.#maxV, this.#level, this.#name, { ...this.#values, ...values });
  }

  withName(name: string): Logger {
    return new SinkLogger(this.#sink, this.#maxV, this.#level, this.#name === '' ? name : `${this.#name}.${name}`, this.#values);
  }
}

/** Creates a logger writing to `sink`, emitting info lines up to verbosity `verbosity` (klog `-v`). */
export function createLogger(sink: LogSink, verbosity = 0): Logger {
  return new SinkLogger(sink, verbosity, 0, '', {});
}

/**
 * Drops everything, and derives itself: a simulation without a log destination runs millions of
 * reconciles, each of which would otherwise build a logger with its key (`withValues`) and the
 * record of every warning, only to throw them away.
 */
class DroppingLogger implements Logger {
  info(): void {}
  warning(): void {}
  error(): void {}
  v(): Logger {
    return this;
  }
  enabled(): boolean {
    return false;
  }
  withValues(): Logger {
    return this;
  }
  withName(): Logger {
    return this;
  }
}

/** A logger that drops everything (every logger derived from it is itself). */
export const noopLogger: Logger = new DroppingLogger();

/** A sink that keeps records in memory, for tests. */
export class MemoryLogSink {
  readonly records: LogRecord[] = [];
  readonly sink: LogSink = (record) => {
    this.records.push(record);
  };
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value !== null && typeof value === 'object') {
    const ref = value as { name?: unknown; namespace?: unknown };
    // Object references print as klog's KObj: namespace/name.
    if (typeof ref.name === 'string' && Object.keys(value).every((k) => k === 'name' || k === 'namespace')) {
      return JSON.stringify(typeof ref.namespace === 'string' && ref.namespace !== '' ? `${ref.namespace}/${ref.name}` : ref.name);
    }
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** klog's severity letters. */
const SEVERITY_LETTER: Readonly<Record<LogLevel, string>> = { info: 'I', warning: 'W', error: 'E' };

/**
 * klog's text format: `I1122 10:15:03.123456 12345 name] "msg" key="value"`, one line per record
 * (`W…` for a warning, `E…` for an error).
 * @param write - receives each formatted line (with trailing newline).
 * @param now - clock for the timestamp.
 */
export function klogTextSink(write: (line: string) => void, now: () => number, pid = process.pid): LogSink {
  const pidText = String(pid).padStart(7);
  // The stamp of the last line, reused while the clock has not moved (a virtual clock often has not).
  let stampMs = NaN;
  let stamp = '';
  return (r) => {
    const ms = now();
    if (ms !== stampMs) {
      const d = new Date(ms);
      const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
      stamp = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`;
      stampMs = ms;
    }
    const parts = [`${SEVERITY_LETTER[r.level]}${stamp} ${pidText} ${r.name === '' ? 'outrigger' : r.name}] ${JSON.stringify(r.msg)}`];
    if (r.level === 'error' && r.err !== undefined) parts.push(`err=${JSON.stringify(errorMessage(r.err))}`);
    for (const [k, v] of Object.entries(r.values)) parts.push(`${k}=${formatValue(v)}`);
    write(`${parts.join(' ')}\n`);
  };
}

/**
 * klog's JSON format: `{"ts":<float seconds>,"v":N,"logger":"…","msg":"…",…}`, one object per line.
 * It has no severity field: an error carries `err`, anything else `v`. A warning is written as klog
 * writes `klog.Warning` through its JSON (logr) backend: as an info line with `"v":0`.
 */
export function klogJsonSink(write: (line: string) => void, now: () => number): LogSink {
  return (r) => {
    const line: Record<string, unknown> = { ts: now() / 1000 };
    if (r.name !== '') line['logger'] = r.name;
    line['msg'] = r.msg;
    if (r.level === 'error') line['err'] = errorMessage(r.err);
    else line['v'] = r.v;
    for (const [k, v] of Object.entries(r.values)) line[k] = v instanceof Error ? v.message : v;
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ ts: line['ts'], msg: r.msg, err: 'unserialisable log values' });
    }
    write(`${text}\n`);
  };
}
