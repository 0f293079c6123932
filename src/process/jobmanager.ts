/**
 * The JobManager process: its RPC endpoint now; the Dispatcher, ResourceManager, REST server,
 * blob server and HA services join here as they arrive, started in order and stopped in
 * reverse.
 */
import type { ActorRef, ActorSystem } from '../actors/system/index.js';
import type { DispatcherSpec } from '../actors/dispatcher/protocol.js';
import { livePlan } from '../actors/task/plans.js';
import { BLOB_SERVER_ACTOR, BlobServer, BlobStore } from '../blob/index.js';
import { BlobServerOptions, JobManagerOptions, RestOptions, RpcOptions, type Configuration } from '../config/index.js';
import { RestServer } from '../rest/server.js';
import { logger } from '../log/index.js';
import type { ProcessEnvironment, RunningProcess } from './process.js';
import { startActorSystem } from './rpc-endpoint.js';
import { createHaServices, type HighAvailabilityServices } from '../ha/index.js';
import { spawnJobManagerComponents } from './components.js';

export interface JobManagerProcess extends RunningProcess {
  readonly system: ActorSystem;
  /** `tcp://host:port` that TaskManagers register with. */
  readonly endpoint: string;
  /** The port the REST API listens on (`rest.port`, or the one picked for 0). */
  readonly restPort: number;
  /** The leading Dispatcher, under its session (for tests and embedding). */
  dispatcher(): ActorRef<DispatcherSpec>;
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
  const store = BlobStore.create(config.getOptional(BlobServerOptions.STORAGE_DIRECTORY));
  log.info(`Blob store at ${store.root} (made on the first upload)`);
  const blobServer = system.spawn(BLOB_SERVER_ACTOR, () => new BlobServer(store));
  let ha: HighAvailabilityServices;
  try {
    ha = createHaServices(config);
  } catch (err) {
    await system.terminate();
    throw err;
  }
  // Jobs reach a standalone JobManager through POST /jars/:jarid/run, which extracts the
  // JobGraph in this process and registers the live graph the JobMaster reads via livePlan.
  const components = spawnJobManagerComponents(system, { ha, config, livePlan, slotRequestTimeoutMs: 300_000 });
  const { dispatcher, resourceManager } = components;
  const rest = new RestServer({
    system,
    dispatcher,
    resourceManager,
    configuration: config,
    version: env.version,
    askTimeoutMs,
    log: logger('rest'),
    jars: {
      system,
      dispatcher,
      store,
      blobServer: blobServer.path,
      configuration: config,
      askTimeoutMs,
      maxUploadBytes: config.get(RestOptions.SERVER_MAX_CONTENT_LENGTH),
      programTimeoutMs: 60_000,
      log: logger('rest'),
    },
  });
  // Standalone, leadership is granted at once; with a real HA store this waits for the election.
  await Promise.all([components.dispatcherLeader.next(), components.resourceManagerLeader.next()]);
  let boundRestPort: number;
  try {
    boundRestPort = await rest.listen(config.getOptional(RestOptions.BIND_ADDRESS) ?? bindHost ?? address, restPort);
  } catch (err) {
    await system.terminate();
    await store.close();
    throw err;
  }
  log.info(`REST API listening on port ${boundRestPort}`);
  return {
    component: 'JobManager',
    system,
    endpoint: system.endpoint,
    restPort: boundRestPort,
    dispatcher,
    stop: async () => {
      await rest.close();
      await system.terminate();
      await components.close();
      await ha.close();
      await store.close();
    },
  };
}
