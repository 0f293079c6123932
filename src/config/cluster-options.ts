/**
 * Where the cluster's processes listen and how they watch each other: JobManager, REST
 * endpoint, blob server, TaskManagers, heartbeats and the actor RPC layer.
 */
import { option } from './options.js';
import { durationType, integerType, memorySizeType, pathType, portRangeType, stringType } from './types.js';

const PORT = { min: 0, max: 65535 } as const;

export const JobManagerOptions = {
  RPC_ADDRESS: option({
    key: 'jobmanager.rpc.address',
    type: stringType(),
    default: 'localhost',
    description: 'Host name or IP address under which TaskManagers and clients reach the JobManager.',
  }),
  RPC_PORT: option({
    key: 'jobmanager.rpc.port',
    type: integerType(PORT),
    default: 6123,
    description: 'Port of the JobManager RPC endpoint.',
  }),
  BIND_HOST: option({
    key: 'jobmanager.bind-host',
    type: stringType(),
    description: 'Local address the JobManager RPC endpoint binds to; all interfaces when unset.',
  }),
} as const;

export const RestOptions = {
  ADDRESS: option({
    key: 'rest.address',
    type: stringType(),
    description: 'Address clients use to reach the REST endpoint; falls back to jobmanager.rpc.address.',
  }),
  BIND_ADDRESS: option({
    key: 'rest.bind-address',
    type: stringType(),
    description: 'Local address the REST server binds to; all interfaces when unset.',
  }),
  PORT: option({
    key: 'rest.port',
    type: integerType(PORT),
    default: 8081,
    description: 'Port of the REST API and the port clients connect to.',
  }),
  SERVER_MAX_CONTENT_LENGTH: option({
    key: 'rest.server.max-content-length',
    type: integerType({ min: 1 }),
    default: 104_857_600,
    description: 'Largest request body the REST server accepts, in bytes (an uploaded job bundle included).',
  }),
} as const;

export const BlobServerOptions = {
  PORT: option({
    key: 'blob.server.port',
    type: portRangeType(),
    default: '0',
    description: 'Port or port range of the server that ships job bundles to TaskManagers; 0 picks a free port.',
  }),
  STORAGE_DIRECTORY: option({
    key: 'blob.storage.directory',
    type: pathType(),
    description:
      "Folder under which the JobManager keeps uploaded job bundles and TaskManagers cache them (a 'blobStore-<id>' folder per process, removed when it stops); the system's temp folder when unset.",
  }),
} as const;

export const TaskManagerOptions = {
  NUM_TASK_SLOTS: option({
    key: 'taskmanager.numberOfTaskSlots',
    type: integerType({ min: 1 }),
    default: 1,
    description: 'Number of parallel subtasks one TaskManager runs.',
  }),
  HOST: option({
    key: 'taskmanager.host',
    type: stringType(),
    description: 'Address the TaskManager advertises to the JobManager and its peers; detected when unset.',
  }),
  BIND_HOST: option({
    key: 'taskmanager.bind-host',
    type: stringType(),
    description: 'Local address the TaskManager binds its endpoints to; all interfaces when unset.',
  }),
  RPC_PORT: option({
    key: 'taskmanager.rpc.port',
    type: portRangeType(),
    default: '0',
    description: 'Port or port range of the TaskManager RPC endpoint; 0 picks a free port.',
  }),
  DATA_PORT: option({
    key: 'taskmanager.data.port',
    type: integerType(PORT),
    default: 0,
    description: 'First port on which the TaskManager exchanges records with other TaskManagers (slot i binds this port + i); 0 picks free ports.',
  }),
} as const;

export const HeartbeatManagerOptions = {
  INTERVAL: option({
    key: 'heartbeat.interval',
    type: durationType(),
    default: 10_000,
    description: 'How often cluster components send heartbeats to each other.',
  }),
  TIMEOUT: option({
    key: 'heartbeat.timeout',
    type: durationType(),
    default: 50_000,
    description: 'How long without a heartbeat before a peer is considered lost.',
  }),
} as const;

/** Runnel's own: the actor RPC layer that replaces Flink's Pekko settings. */
export const RpcOptions = {
  FRAMESIZE: option({
    key: 'rpc.framesize',
    type: memorySizeType(),
    default: 10 * 1024 * 1024,
    description: 'Largest actor message frame accepted or sent; bigger messages are rejected.',
  }),
  ASK_TIMEOUT: option({
    key: 'rpc.ask.timeout',
    type: durationType(),
    default: 10_000,
    description: 'Default time an RPC ask waits for its reply before failing.',
  }),
} as const;
