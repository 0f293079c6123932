/**
 * Entry point of a slot's worker thread. It starts before any job is assigned to the slot (a
 * warm worker) and serves one job: the TaskExecutor ends it after the job and starts another,
 * so no job's module state reaches the next one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SlotLocation, ToWorker } from './deployment.js';
import { WorkerRuntime, type WorkerOptions } from './worker-runtime.js';
import { stopRocksDBWorker } from '../../state/rocksdb/db-client.js';
// Runnel's public entry, which every job imports as `runnel`: loaded (and transpiled) while the
// worker waits for a job, not while the job waits for the worker.
import '../../index.js';

if (parentPort === null) throw new Error('slot-worker.ts runs only as a worker thread');
const port = parentPort;
const data = workerData as { location: SlotLocation; options: WorkerOptions };
const runtime = new WorkerRuntime(data.location, (message) => port.postMessage(message), data.options);
/** process.argv without job arguments; a job's main reads its own as process.argv.slice(2). */
const argvBase = process.argv.slice(0, 2);
port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'shutdown':
      // Sockets closed first: terminating a thread with ZeroMQ sockets open aborts the process.
      // The RocksDB worker goes first: a thread does not end while a nested one runs RocksDB.
      void runtime
        .shutdown()
        .then(() => stopRocksDBWorker())
        .finally(() => process.exit(0));
      return;
    case 'job':
      // Set before the job's module runs its main (the thread's process.argv is its own).
      process.argv = [...argvBase, ...message.artifact.args];
      break;
    default:
      break;
  }
  runtime.handle(message);
});
