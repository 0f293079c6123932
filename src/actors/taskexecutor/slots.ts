/**
 * A slot's worker, seen from its TaskExecutor: a worker thread (the default: slots run in
 * parallel on the machine's cores) or an inline runtime in the TaskExecutor's own thread (for
 * debugging and fast tests; the job's functions then run where the job was built).
 */
import { Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { FromWorker, SlotLocation, ToWorker } from '../task/deployment.js';
import { WorkerRuntime } from '../task/worker-runtime.js';

export type SlotMode = 'thread' | 'inline';

export interface SlotWorker {
  post(message: ToWorker): void;
  terminate(): Promise<void>;
}

const SLOT_WORKER = new URL('../task/slot-worker.mjs', import.meta.url);


export function startSlotWorker(
  mode: SlotMode,
  location: SlotLocation,
  args: readonly string[],
  onMessage: (message: FromWorker) => void,
  onExit: (error: Error) => void,
): SlotWorker {
  if (mode === 'inline') {
    const runtime = new WorkerRuntime(location, (m) => queueMicrotask(() => onMessage(m)));
    return { post: (m) => runtime.handle(m), terminate: async () => {} };
  }
  const worker = new Worker(SLOT_WORKER, { workerData: { location }, argv: [...args], stdout: false, stderr: false });
  let terminating = false;
  worker.on('message', onMessage);
  worker.on('error', (err) => onExit(err));
  worker.on('exit', (code) => {
    if (!terminating) onExit(new Error(`the worker of slot ${location.slot} exited unexpectedly with code ${code}`));
  });
  return {
    post: (m) => {
      const transfer: MessagePort[] = m.type === 'link' ? [m.port] : [];
      worker.postMessage(m, transfer);
    },
    terminate: async () => {
      terminating = true;
      await worker.terminate();
    },
  };
}
