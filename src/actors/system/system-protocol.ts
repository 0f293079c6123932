/**
 * The protocol of `$system`, the actor every actor system runs: liveness probes for
 * heartbeats, counters for operators and tests, and remote death-watch.
 */
import { Type } from '@sinclair/typebox';
import { defineProtocol } from './protocol.js';

export const SYSTEM_ACTOR = '$system';

export const SystemStatsSchema = Type.Object({
  endpoint: Type.String(),
  actors: Type.Number(),
  pendingAsks: Type.Number(),
  lateReplies: Type.Number(),
  dropped: Type.Record(Type.String(), Type.Number()),
  transport: Type.Object({
    framesIn: Type.Number(),
    framesOut: Type.Number(),
    envelopesIn: Type.Number(),
    envelopesOut: Type.Number(),
    bytesIn: Type.Number(),
    bytesOut: Type.Number(),
  }),
});

export const SystemProtocol = defineProtocol('system', {
  /** Liveness probe. Replies with the system's endpoint and incarnation (changes on restart). */
  ping: {
    request: Type.Object({}),
    reply: Type.Object({ endpoint: Type.String(), incarnation: Type.String() }),
  },
  /** Counters of the system: messages dropped by reason, frames and bytes moved. */
  stats: { request: Type.Object({}), reply: SystemStatsSchema },
  /** `watcher` (a path) wants to know when the local actor `target` (a name) terminates. */
  watch: { request: Type.Object({ target: Type.String(), watcher: Type.String() }) },
  unwatch: { request: Type.Object({ target: Type.String(), watcher: Type.String() }) },
  /** The watched actor `target` (a path) terminated; `watcher` is the local watcher's name. */
  terminated: {
    request: Type.Object({ target: Type.String(), watcher: Type.String(), reason: Type.String() }),
  },
});
