/**
 * A slot's worker, seen from its TaskExecutor: a worker thread (the default: slots run in
 * parallel on the machine's cores) or an inline runtime in the TaskExecutor's own thread (for
 * debugging and fast tests; the job's functions then run where the job was built).
 *
 * A worker knows only its slot and the TaskManager's data-plane settings when it starts;
 * everything about a job (its graph, its code, its arguments) comes with the `job` message.
 * So a TaskExecutor can start a slot's thread before any job asks for it (a warm worker: the
 * TypeScript loader registered and the runtime imported, which takes about a second), and a
 * job only waits for its own code to load.
 */
import { Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { FromWorker, SlotLocation, ToWorker } from '../task/deployment.js';
import { WorkerRuntime, type WorkerOptions } from '../task/worker-runtime.js';
import { pinRocksDBBinding } from '../../state/rocksdb/db-client.js';

export type SlotMode = 'thread' | 'inline';

export interface SlotWorker {
  /** Unique within the TaskExecutor: tells a slot's current worker from one it replaced. */
  readonly id: number;
  post(message: ToWorker): void;
  /** Closes the worker's sockets and ends it; resolves once it is gone (at once if it already is). */
  terminate(): Promise<void>;
}

const SLOT_WORKER = new URL('../task/slot-worker.mjs', import.meta.url);
/** How long a slot's worker gets to close its sockets and exit before it is terminated. */
const SHUTDOWN_GRACE_MS = 2000;

let nextWorkerId = 1;

/**
 * Starts a worker for the slot at `location`. `onMessage` gets its reports; `onExit` is called
 * once if it ends without being terminated (it crashed, or exited by itself).
 */
export function startSlotWorker(
  mode: SlotMode,
  location: SlotLocation,
  onMessage: (message: FromWorker) => void,
  onExit: (error: Error) => void,
  options: WorkerOptions = {},
): SlotWorker {
  const id = nextWorkerId++;
  if (mode === 'inline') {
    const runtime = new WorkerRuntime(location, (m) => queueMicrotask(() => onMessage(m)), options);
    return { id, post: (m) => runtime.handle(m), terminate: () => runtime.shutdown() };
  }
  // Slot workers come and go, and each may load RocksDB: keep its binding loaded meanwhile.
  pinRocksDBBinding();
  const worker = new Worker(SLOT_WORKER, { workerData: { location, options }, stdout: false, stderr: false });
  let terminating = false;
  let lost = false;
  const lose = (error: Error): void => {
    if (terminating || lost) return;
    lost = true;
    onExit(error);
  };
  let alive = true;
  /** Whether it was given anything to do; a warm worker that never was has no sockets to close. */
  let used = false;
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      alive = false;
      resolve();
    }),
  );
  worker.on('message', onMessage);
  worker.on('error', lose);
  worker.on('exit', (code) => lose(new Error(`the worker of slot ${location.slot} exited unexpectedly with code ${code}`)));
  return {
    id,
    post: (m) => {
      if (!alive) return;
      used = true;
      const transfer: MessagePort[] = m.type === 'link' ? [m.port] : [];
      worker.postMessage(m, transfer);
    },
    /**
     * Asks the worker to close its sockets and exit, and terminates it if it has not within
     * SHUTDOWN_GRACE_MS (its thread may be stuck in user code). Terminating it at once instead
     * would abort the process: ZeroMQ's native teardown does not survive open sockets.
     */
    terminate: () => (stopping ??= stop()),
  };

  async function stop(): Promise<void> {
    terminating = true;
    if (!alive) return exited;
    // Its shutdown message would wait for the thread to finish loading the runtime: no need.
    if (!used) return worker.terminate().then(() => exited);
    worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), SHUTDOWN_GRACE_MS)));
    const outcome = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') await worker.terminate();
    return exited;
  }
}
