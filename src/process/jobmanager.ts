/**
 * The JobManager process: its RPC endpoint now; the Dispatcher, ResourceManager, REST server,
 * blob server and HA services join here as they arrive, started in order and stopped in
 * reverse.
 */
import type { ActorSystem } from '../actors/system/index.js';
import { Dispatcher } from '../actors/dispatcher/dispatcher.js';
import { ResourceManager } from '../actors/resourcemanager/resource-manager.js';
import { JobManagerOptions, RestOptions, RpcOptions, type Configuration } from '../config/index.js';
import { RestServer } from '../rest/server.js';
import { logger } from '../log/index.js';
import type { ProcessEnvironment, RunningProcess } from './process.js';
import { startActorSystem } from './rpc-endpoint.js';

export interface JobManagerProcess extends RunningProcess {
  readonly system: ActorSystem;
  /** `tcp://host:port` that TaskManagers register with. */
  readonly endpoint: string;
  /** The port the REST API listens on (`rest.port`, or the one picked for 0). */
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
  const askTimeoutMs = config.get(RpcOptions.ASK_TIMEOUT);
  const resourceManager = system.spawn('resourcemanager', () => new ResourceManager());
  // Jobs reach a standalone JobManager with job submission (the JobGraph is extracted there).
  const dispatcher = system.spawn(
    'dispatcher',
    () => new Dispatcher({ resourceManager: resourceManager.path, askTimeoutMs, slotRequestTimeoutMs: 300_000, livePlan: () => undefined }),
  );
  const rest = new RestServer({ system, dispatcher, resourceManager, configuration: config, version: env.version, askTimeoutMs, log: logger('rest') });
  let boundRestPort: number;
  try {
    boundRestPort = await rest.listen(config.getOptional(RestOptions.BIND_ADDRESS) ?? bindHost ?? address, restPort);
  } catch (err) {
    await system.terminate();
    throw err;
  }
  log.info(`REST API listening on port ${boundRestPort}`);
  return {
    component: 'JobManager',
    system,
    endpoint: system.endpoint,
    restPort: boundRestPort,
    stop: async () => {
      await rest.close();
      await system.terminate();
    },
  };
}
