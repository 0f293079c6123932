/**
 * Cluster process entry points: what `runnel jobmanager` and `runnel taskmanager` start.
 * Each component function wires one process; `runInForeground` adds signals and fatal errors.
 */
export { BindError, PortInUseError } from './errors.js';
export { runInForeground, SHUTDOWN_TIMEOUT_MS } from './foreground.js';
export { defaultTaskManagerHost } from './host.js';
export { startJobManager, type JobManagerProcess } from './jobmanager.js';
export type { ProcessEnvironment, RunningProcess } from './process.js';
export { heartbeatSettings, portsOf, resolveBindHost, startActorSystem, type RpcEndpointSpec } from './rpc-endpoint.js';
export { startTaskManager, type TaskManagerProcess } from './taskmanager.js';
