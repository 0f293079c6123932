/**
 * Entry point of a slot's worker thread: a WorkerRuntime wired to the TaskExecutor through the
 * thread's parent port.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SlotLocation, ToWorker } from './deployment.js';
import { WorkerRuntime } from './worker-runtime.js';

if (parentPort === null) throw new Error('slot-worker.ts runs only as a worker thread');
const port = parentPort;
const runtime = new WorkerRuntime((workerData as { location: SlotLocation }).location, (message) => port.postMessage(message));
port.on('message', (message: ToWorker) => runtime.handle(message));
