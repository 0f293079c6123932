/**
 * High availability: which store elects the leading JobManager and keeps job graphs and
 * checkpoint pointers, and how to reach it.
 */
import { option } from './options.js';
import { durationType, enumType, pathType, stringListType, stringType } from './types.js';

export const HighAvailabilityOptions = {
  HA_MODE: option({
    key: 'high-availability.type',
    type: enumType(['NONE', 'ZOOKEEPER', 'ETCD']),
    default: 'NONE',
    fallbackKeys: ['high-availability'],
    description: 'Store used for leader election and job recovery; NONE runs a single JobManager.',
  }),
  HA_STORAGE_PATH: option({
    key: 'high-availability.storageDir',
    type: pathType(),
    fallbackKeys: ['high-availability.zookeeper.storageDir'],
    description: 'Shared directory for job graphs and checkpoint metadata; the HA store keeps only pointers into it.',
  }),
  HA_CLUSTER_ID: option({
    key: 'high-availability.cluster-id',
    type: stringType(),
    default: '/default',
    fallbackKeys: ['high-availability.zookeeper.path.namespace'],
    description: 'Name that keeps the HA data of clusters sharing one store apart.',
  }),
  HA_ZOOKEEPER_QUORUM: option({
    key: 'high-availability.zookeeper.quorum',
    type: stringType(),
    description: "ZooKeeper servers as comma-separated 'host:port' pairs.",
  }),
  HA_ZOOKEEPER_ROOT: option({
    key: 'high-availability.zookeeper.path.root',
    type: stringType(),
    default: '/runnel',
    description: 'ZooKeeper node under which all Runnel clusters keep their data.',
  }),
  ZOOKEEPER_SESSION_TIMEOUT: option({
    key: 'high-availability.zookeeper.client.session-timeout',
    type: durationType(),
    default: 60_000,
    description: 'ZooKeeper session timeout; leadership is lost when the session expires.',
  }),
  ZOOKEEPER_CONNECTION_TIMEOUT: option({
    key: 'high-availability.zookeeper.client.connection-timeout',
    type: durationType(),
    default: 15_000,
    description: 'How long to wait for a connection to ZooKeeper before failing.',
  }),
  HA_ETCD_ENDPOINTS: option({
    key: 'high-availability.etcd.endpoints',
    type: stringListType(),
    description: "etcd client URLs such as 'http://localhost:2379', as a list or separated by ',' or ';'.",
  }),
} as const;
