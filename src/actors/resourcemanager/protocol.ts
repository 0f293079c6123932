import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';

export const SlotSchema = Type.Object({
  resourceId: Type.String(),
  /** Path of the TaskExecutor actor holding the slot. */
  taskExecutor: Type.String(),
  slot: Type.Integer({ minimum: 0 }),
  allocationId: Type.String(),
});

/**
 * The ResourceManager: TaskManager registration and the cluster's slot table. Fenced by its
 * leader session: slot requests carry the token (read-only queries and registration excepted).
 */
export const ResourceManagerProtocol = defineProtocol('resourcemanager', {
  /**
   * A TaskExecutor offers its slots. Replies when registered, with the leader session it is now
   * registered under; a repeated registration replaces the old one. Not fenced: this is how a
   * TaskExecutor learns the session (standalone, only the address is known beforehand).
   */
  registerTaskExecutor: {
    request: Type.Object({ resourceId: Type.String(), taskExecutor: Type.String(), slots: Type.Integer({ minimum: 1 }) }),
    reply: Type.Object({ registered: Type.Boolean(), resourceManagerId: Type.String() }),
    unfenced: true,
  },
  /**
   * A JobMaster lost its heartbeat with this TaskExecutor: its slots are not offered again until
   * it registers anew (tell).
   */
  disconnectTaskExecutor: { request: Type.Object({ resourceId: Type.String(), reason: Type.String() }) },
  /**
   * A JobMaster asks for `count` slots for its job. Replies once they are allocated; fails
   * with NotEnoughSlotsError after `timeoutMs` if the cluster never has enough free slots.
   */
  allocateSlots: {
    request: Type.Object({ jobId: Type.String(), count: Type.Integer({ minimum: 1 }), timeoutMs: Type.Number({ minimum: 0 }) }),
    reply: Type.Object({ slots: Type.Array(SlotSchema) }),
  },
  /** The job no longer needs its slots (tell). */
  releaseSlots: { request: Type.Object({ jobId: Type.String() }) },
  /** Every registered TaskExecutor with its slots (REST `/taskmanagers`). */
  listTaskManagers: {
    request: Type.Object({}),
    reply: Type.Array(
      Type.Object({
        resourceId: Type.String(),
        taskExecutor: Type.String(),
        slots: Type.Integer(),
        freeSlots: Type.Integer(),
        registeredAt: Type.Number(),
        lastHeartbeat: Type.Number(),
        allocated: Type.Array(Type.Object({ jobId: Type.String(), slot: Type.Integer() })),
      }),
    ),
    unfenced: true,
  },
  /** Counts for the cluster overview. */
  overview: {
    request: Type.Object({}),
    reply: Type.Object({ taskManagers: Type.Integer(), slotsTotal: Type.Integer(), slotsFree: Type.Integer() }),
    unfenced: true,
  },
});
export type ResourceManagerSpec = typeof ResourceManagerProtocol.spec;
