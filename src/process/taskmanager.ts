/**
 * The TaskManager process: its RPC endpoint now; the TaskExecutor (slot offers, task
 * deployment, heartbeats to the ResourceManager) and the data plane join here as they arrive.
 */
import { heartbeatSettings } from './components.js';
import type { ActorSystem } from '../actors/system/index.js';
import { randomBytes } from 'node:crypto';
import { TaskExecutor } from '../actors/taskexecutor/task-executor.js';
import { JobManagerOptions, RpcOptions, TaskManagerOptions, type Configuration } from '../config/index.js';
import { logger } from '../log/index.js';
import { defaultTaskManagerHost } from './host.js';
import type { ProcessEnvironment, RunningProcess } from './process.js';
import { resolveBindHost, startActorSystem } from './rpc-endpoint.js';

export interface TaskManagerProcess extends RunningProcess {
  readonly system: ActorSystem;
  readonly endpoint: string;
  /** `taskmanager.numberOfTaskSlots`. */
  readonly slots: number;
  /** The JobManager's RPC endpoint this TaskManager registers with. */
  readonly jobManagerEndpoint: string;
}

/**
 * Starts a TaskManager from `config`; resolves once its endpoint is bound.
 * @throws PortInUseError, BindError, ConfigError.
 */
export async function startTaskManager(config: Configuration, env: ProcessEnvironment): Promise<TaskManagerProcess> {
  const log = logger('taskmanager');
  const jobManagerHost = config.get(JobManagerOptions.RPC_ADDRESS);
  const jobManagerEndpoint = `tcp://${jobManagerHost}:${config.get(JobManagerOptions.RPC_PORT)}`;
  const slots = config.get(TaskManagerOptions.NUM_TASK_SLOTS);
  const host = config.getOptional(TaskManagerOptions.HOST) ?? (await defaultTaskManagerHost(jobManagerHost));
  const bindHost = config.getOptional(TaskManagerOptions.BIND_HOST);
  const system = await startActorSystem({
    component: 'TaskManager',
    advertisedHost: host,
    bindHost: bindHost ?? host,
    ports: config.get(TaskManagerOptions.RPC_PORT),
    portKey: TaskManagerOptions.RPC_PORT.key,
    hostKeys: [TaskManagerOptions.BIND_HOST.key, TaskManagerOptions.HOST.key],
    config,
    onEscalation: (error, actorPath) => env.onFatalError(error, actorPath),
  });
  const dataBindHost = await resolveBindHost(bindHost ?? host);
  const boundTo = bindHost === undefined ? '' : ` (bound to ${bindHost})`;
  log.info(
    `Starting TaskManager (Runnel ${env.version}) at ${system.endpoint}${boundTo} with ${slots} task slot${slots === 1 ? '' : 's'}, ` +
      `registering with the JobManager at ${jobManagerEndpoint}, config from ${env.confDir}`,
  );
  // Flink's ResourceID: where the TaskManager runs, made unique per start.
  const resourceId = `${system.endpoint.replace(/^tcp:\/\//, '')}-${randomBytes(3).toString('hex')}`;
  system.spawn(
    'taskexecutor',
    () =>
      new TaskExecutor({
        resourceId,
        slots,
        slotMode: 'thread',
        resourceManager: `${jobManagerEndpoint}/resourcemanager`,
        askTimeoutMs: config.get(RpcOptions.ASK_TIMEOUT),
        heartbeat: heartbeatSettings(config),
        // Each slot's worker binds a data socket of its own for channels with other TaskManagers.
        dataPlane: { host, bindHost: dataBindHost, port: config.get(TaskManagerOptions.DATA_PORT) },
      }),
  );
  return {
    component: 'TaskManager',
    system,
    endpoint: system.endpoint,
    slots,
    jobManagerEndpoint,
    stop: () => system.terminate(),
  };
}
