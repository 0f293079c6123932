/**
 * The JobManager process: its RPC endpoint now; the Dispatcher, ResourceManager, REST server,
 * blob server and HA services join here as they arrive, started in order and stopped in
 * reverse.
 */
import type { ActorSystem } from '../actors/system/index.js';
import { JobManagerOptions, RestOptions, type Configuration } from '../config/index.js';
import { logger } from '../log/index.js';
import type { ProcessEnvironment, RunningProcess } from './process.js';
import { startActorSystem } from './rpc-endpoint.js';

export interface JobManagerProcess extends RunningProcess {
  readonly system: ActorSystem;
  /** `tcp://host:port` that TaskManagers register with. */
  readonly endpoint: string;
  /** The configured `rest.port`. */
  readonly restPort: number;
}

/**
 * Starts a JobManager from `config`; resolves once its endpoints are bound.
 * @throws PortInUseError, BindError, ConfigError.
 */
export async function startJobManager(config: Configuration, env: ProcessEnvironment): Promise<JobManagerProcess> {
  const log = logger('jobmanager');
  const address = config.get(JobManagerOptions.RPC_ADDRESS);
  const bindHost = config.getOptional(JobManagerOptions.BIND_HOST);
  const restPort = config.get(RestOptions.PORT);
  const system = await startActorSystem({
    component: 'JobManager',
    advertisedHost: address,
    bindHost: bindHost ?? address,
    ports: String(config.get(JobManagerOptions.RPC_PORT)),
    portKey: JobManagerOptions.RPC_PORT.key,
    hostKeys: [JobManagerOptions.BIND_HOST.key, JobManagerOptions.RPC_ADDRESS.key],
    config,
    onEscalation: (error, actorPath) => env.onFatalError(error, actorPath),
  });
  const boundTo = bindHost === undefined ? '' : ` (bound to ${bindHost})`;
  log.info(
    `Starting JobManager (Runnel ${env.version}) at ${system.endpoint}${boundTo}, REST port ${restPort}, config from ${env.confDir}`,
  );
  return {
    component: 'JobManager',
    system,
    endpoint: system.endpoint,
    restPort,
    stop: () => system.terminate(),
  };
}
