/**
 * Second-OS-process helper for benchmark scenarios.
 *
 * Parent side: `startChild` / `withChild` fork `node --import tsx <script> <args>` with a Node IPC
 * channel (JSON messages), wait for the child's `ready` message (e.g. its bound endpoint), offer
 * request/reply (`request`), one-way notifications from the child (`nextEvent`), the child's CPU
 * usage (`cpuUsage`), and always kill the child by pid (`kill`; `withChild` does it in `finally`,
 * and an `exit` hook kills any child still alive when the parent exits).
 *
 * Child side: `serveChild(setup)` runs inside the child script: `setup` binds its sockets and
 * returns the ready payload plus request handlers. The child exits by itself when the parent's
 * IPC channel goes away (parent crashed or was killed).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Wire protocol (parent <-> child, over the IPC channel)

interface RequestMessage {
  kind: 'request';
  id: number;
  type: string;
  payload: Record<string, unknown>;
}

type ChildMessage =
  | { kind: 'ready'; data: unknown }
  | { kind: 'setup-failed'; error: string }
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string }
  | { kind: 'event'; name: string; data: unknown };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

// ---------------------------------------------------------------------------------------------
// Parent side

export interface StartChildOptions {
  /** How long to wait for the child's `ready` message (default 30 s; tsx start-up takes ~1 s). */
  readyTimeoutMs?: number;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
}

export interface ChildHandle<Ready = unknown> {
  readonly pid: number;
  /** The payload the child passed as `ready` (e.g. `{ endpoint: 'tcp://127.0.0.1:40123' }`). */
  readonly ready: Ready;
  /** Send a request to one of the child's handlers and await its result. */
  request<T = unknown>(type: string, payload?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** The next event the child emitted under `name` (events are queued, so none is missed). */
  nextEvent<T = unknown>(name: string, timeoutMs?: number): Promise<T>;
  /** The child's `process.cpuUsage()` (cumulative since it started, microseconds). */
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  /** SIGKILL the child by pid and wait until it has exited. Idempotent. */
  kill(): Promise<void>;
}

const liveChildren = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveChildren) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // The exit hook kills the children.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Pids of children started by this process and not yet known to have exited. */
export function liveChildPids(): number[] {
  return [...liveChildren];
}

function scriptPath(script: string | URL): string {
  return script instanceof URL ? fileURLToPath(script) : script;
}

/**
 * Fork `node --import tsx <script> <args>` and wait for its `ready` message.
 * `script` is a path or a `new URL('./x.child.ts', import.meta.url)`.
 */
export async function startChild<Ready = unknown>(
  script: string | URL,
  args: string[] = [],
  options: StartChildOptions = {},
): Promise<ChildHandle<Ready>> {
  installExitHook();
  const cp: ChildProcess = fork(scriptPath(script), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
    env: { ...process.env, ...options.env },
  });
  if (cp.pid === undefined) {
    throw new Error(`could not start child process for ${scriptPath(script)}`);
  }
  const pid: number = cp.pid;
  liveChildren.add(pid);

  let exited = false;
  let exitReason = '';
  const exitPromise = new Promise<void>((resolve) => {
    cp.once('exit', (code, signal) => {
      exited = true;
      exitReason = signal !== null ? `signal ${signal}` : `code ${String(code)}`;
      liveChildren.delete(pid);
      const err = new Error(`child ${pid} (${scriptPath(script)}) exited with ${exitReason}`);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      for (const waiters of eventWaiters.values()) for (const w of waiters) w.reject(err);
      eventWaiters.clear();
      readyWaiter?.reject(err);
      resolve();
    });
  });
  cp.on('error', () => {
    // 'exit' follows (or the kill below handles it); avoid an unhandled 'error' event.
  });

  interface Deferred {
    resolve(v: unknown): void;
    reject(e: Error): void;
  }
  const pending = new Map<number, Deferred>();
  const eventQueues = new Map<string, unknown[]>();
  const eventWaiters = new Map<string, Deferred[]>();
  let readyWaiter: Deferred | undefined;
  let nextId = 1;

  cp.on('message', (raw: unknown) => {
    if (!isRecord(raw)) return;
    const msg = raw as ChildMessage;
    switch (msg.kind) {
      case 'ready':
        readyWaiter?.resolve(msg.data);
        readyWaiter = undefined;
        break;
      case 'setup-failed':
        readyWaiter?.reject(new Error(`child setup failed: ${msg.error}`));
        readyWaiter = undefined;
        break;
      case 'reply': {
        const p = pending.get(msg.id);
        if (p === undefined) break;
        pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(`child request failed: ${msg.error}`));
        break;
      }
      case 'event': {
        const waiters = eventWaiters.get(msg.name);
        const w = waiters?.shift();
        if (w !== undefined) w.resolve(msg.data);
        else {
          const q = eventQueues.get(msg.name) ?? [];
          q.push(msg.data);
          eventQueues.set(msg.name, q);
        }
        break;
      }
    }
  });

  function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  async function kill(): Promise<void> {
    if (!exited) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exitPromise;
  }

  let ready: Ready;
  try {
    const readyPromise = new Promise<unknown>((resolve, reject) => {
      readyWaiter = { resolve, reject };
    });
    ready = (await withTimeout(readyPromise, options.readyTimeoutMs ?? 30_000, `child ${pid} to be ready`)) as Ready;
  } catch (err) {
    await kill();
    throw err;
  }

  const handle: ChildHandle<Ready> = {
    pid,
    ready,
    request<T = unknown>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`child ${pid} already exited with ${exitReason}`));
      const id = nextId++;
      const p = new Promise<unknown>((resolve, reject) => {
        pending.set(id, { resolve, reject });
      });
      const msg: RequestMessage = { kind: 'request', id, type, payload };
      cp.send(msg);
      return withTimeout(p, timeoutMs, `reply to '${type}' from child ${pid}`).finally(() =>
        pending.delete(id),
      ) as Promise<T>;
    },
    nextEvent<T = unknown>(name: string, timeoutMs = 300_000): Promise<T> {
      const q = eventQueues.get(name);
      if (q !== undefined && q.length > 0) return Promise.resolve(q.shift() as T);
      if (exited) return Promise.reject(new Error(`child ${pid} already exited with ${exitReason}`));
      let waiter: Deferred | undefined;
      const p = new Promise<unknown>((resolve, reject) => {
        waiter = { resolve, reject };
        const ws = eventWaiters.get(name) ?? [];
        ws.push(waiter);
        eventWaiters.set(name, ws);
      });
      return withTimeout(p, timeoutMs, `event '${name}' from child ${pid}`).finally(() => {
        const ws = eventWaiters.get(name);
        if (ws !== undefined && waiter !== undefined) {
          const i = ws.indexOf(waiter);
          if (i >= 0) ws.splice(i, 1);
        }
      }) as Promise<T>;
    },
    cpuUsage(): Promise<NodeJS.CpuUsage> {
      return handle.request<NodeJS.CpuUsage>('__cpuUsage');
    },
    kill,
  };
  return handle;
}

/** Start a child, run `fn` with it, and always kill it afterwards (also when `fn` throws). */
export async function withChild<Ready, T>(
  script: string | URL,
  args: string[],
  fn: (child: ChildHandle<Ready>) => Promise<T>,
  options: StartChildOptions = {},
): Promise<T> {
  const child = await startChild<Ready>(script, args, options);
  try {
    return await fn(child);
  } finally {
    await child.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// Child side

export type ChildRequestHandler = (payload: Record<string, unknown>) => unknown;

export interface ChildContext {
  /** The script's command-line arguments (after the script path). */
  readonly args: string[];
  /** Send a one-way event to the parent (picked up with `nextEvent(name)`). */
  emit(name: string, data?: unknown): void;
}

export interface ChildSetup<Ready> {
  /** Sent to the parent as the `ready` payload once setup has finished. */
  ready: Ready;
  /** Request handlers by type; a handler may return a value or a promise. */
  handlers?: Record<string, ChildRequestHandler>;
}

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

/**
 * Entry point of a child script. Call once at top level:
 *
 *   serveChild(async (ctx) => { const s = new Pull(); await s.bind('tcp://127.0.0.1:*');
 *     return { ready: { endpoint: s.lastEndpoint }, handlers: { ... } }; });
 *
 * A `__cpuUsage` handler (used by `ChildHandle.cpuUsage()`) is built in.
 */
export function serveChild<Ready>(setup: (ctx: ChildContext) => Promise<ChildSetup<Ready>> | ChildSetup<Ready>): void {
  if (process.send === undefined) {
    throw new Error('serveChild: this script must be started with startChild() (no IPC channel)');
  }
  // Parent gone (crashed, killed): do not linger.
  process.on('disconnect', () => process.exit(0));

  const ctx: ChildContext = {
    args: process.argv.slice(2),
    emit(name: string, data?: unknown): void {
      send({ kind: 'event', name, data: data ?? null });
    },
  };

  const handlers: Record<string, ChildRequestHandler> = {
    __cpuUsage: () => process.cpuUsage(),
  };

  process.on('message', (raw: unknown) => {
    if (!isRecord(raw) || raw.kind !== 'request') return;
    const req = raw as unknown as RequestMessage;
    const handler = handlers[req.type];
    if (handler === undefined) {
      send({ kind: 'reply', id: req.id, ok: false, error: `unknown request type '${req.type}'` });
      return;
    }
    Promise.resolve()
      .then(() => handler(req.payload))
      .then(
        (result) => send({ kind: 'reply', id: req.id, ok: true, result: result ?? null }),
        (err: unknown) => send({ kind: 'reply', id: req.id, ok: false, error: String(err) }),
      );
  });

  Promise.resolve()
    .then(() => setup(ctx))
    .then(
      (s) => {
        Object.assign(handlers, s.handlers ?? {});
        send({ kind: 'ready', data: s.ready ?? null });
      },
      (err: unknown) => {
        send({ kind: 'setup-failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      },
    );
}
