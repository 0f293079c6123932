/**
 * The JobManager's components — ResourceManager and Dispatcher, each contending for leadership
 * through the HA services — as both the JobManager process and the embedded mini-cluster start
 * them.
 */
import type { StreamGraph } from '../api/stream-graph.js';
import { Dispatcher } from '../actors/dispatcher/dispatcher.js';
import { DispatcherProtocol, type DispatcherSpec } from '../actors/dispatcher/protocol.js';
import { ResourceManager } from '../actors/resourcemanager/resource-manager.js';
import type { ResourceManagerSpec } from '../actors/resourcemanager/protocol.js';
import type { HeartbeatSettings } from '../actors/system/heartbeat.js';
import type { ActorRef } from '../actors/system/ref.js';
import type { ActorSystem } from '../actors/system/system.js';
import { HeartbeatManagerOptions, RpcOptions, type Configuration } from '../config/index.js';
import { LeaderTracker, type HighAvailabilityServices } from '../ha/index.js';

export interface JobManagerComponents {
  /** The leading Dispatcher, under its session's token; throws NoLeaderError while there is none. */
  dispatcher(): ActorRef<DispatcherSpec>;
  /** Follows the leading Dispatcher and its session. */
  readonly dispatcherLeader: LeaderTracker;
  /** The ResourceManager's actor, for the queries it answers whatever the session. */
  readonly resourceManager: ActorRef<ResourceManagerSpec>;
  /** Follows the leading ResourceManager and its session. */
  readonly resourceManagerLeader: LeaderTracker;
  close(): Promise<void>;
}

export function heartbeatSettings(config: Configuration): HeartbeatSettings {
  return { intervalMs: config.get(HeartbeatManagerOptions.INTERVAL), timeoutMs: config.get(HeartbeatManagerOptions.TIMEOUT) };
}

export interface ComponentOptions {
  readonly ha: HighAvailabilityServices;
  readonly config: Configuration;
  /** The live graph of a job, where this process has it (extracted here, or the mini-cluster's own). */
  readonly livePlan: (jobId: string) => StreamGraph | undefined;
  /** How long a job waits for enough free slots before it fails. */
  readonly slotRequestTimeoutMs: number;
}

export function spawnJobManagerComponents(system: ActorSystem, options: ComponentOptions): JobManagerComponents {
  const { ha, config } = options;
  const askTimeoutMs = config.get(RpcOptions.ASK_TIMEOUT);
  const heartbeat = heartbeatSettings(config);
  const resourceManager = system.spawn('resourcemanager', () => new ResourceManager({ election: ha.leaderElection('resourcemanager'), heartbeat, askTimeoutMs }));
  const resourceManagerLeader = new LeaderTracker('ResourceManager', ha.leaderRetrieval('resourcemanager'));
  const dispatcherLeader = new LeaderTracker('Dispatcher', ha.leaderRetrieval('dispatcher'));
  system.spawn(
    'dispatcher',
    () =>
      new Dispatcher({
        resourceManager: resourceManagerLeader,
        askTimeoutMs,
        slotRequestTimeoutMs: options.slotRequestTimeoutMs,
        heartbeat,
        ha,
        livePlan: options.livePlan,
      }),
  );
  return {
    dispatcher: () => dispatcherLeader.ref(DispatcherProtocol),
    dispatcherLeader,
    resourceManager,
    resourceManagerLeader,
    close: async () => {
      await dispatcherLeader.close();
      await resourceManagerLeader.close();
    },
  };
}
