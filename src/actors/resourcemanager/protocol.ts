import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';

export const SlotSchema = Type.Object({
  resourceId: Type.String(),
  /** Path of the TaskExecutor actor holding the slot. */
  taskExecutor: Type.String(),
  slot: Type.Integer({ minimum: 0 }),
  allocationId: Type.String(),
});

/** The ResourceManager: TaskManager registration and the cluster's slot table. */
export const ResourceManagerProtocol = defineProtocol('resourcemanager', {
  /** A TaskExecutor offers its slots. Replies when registered; a repeated registration replaces the old one. */
  registerTaskExecutor: {
    request: Type.Object({ resourceId: Type.String(), taskExecutor: Type.String(), slots: Type.Integer({ minimum: 1 }) }),
    reply: Type.Object({ registered: Type.Boolean() }),
  },
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
      Type.Object({ resourceId: Type.String(), taskExecutor: Type.String(), slots: Type.Integer(), freeSlots: Type.Integer(), registeredAt: Type.Number() }),
    ),
  },
  /** Counts for the cluster overview. */
  overview: {
    request: Type.Object({}),
    reply: Type.Object({ taskManagers: Type.Integer(), slotsTotal: Type.Integer(), slotsFree: Type.Integer() }),
  },
});
export type ResourceManagerSpec = typeof ResourceManagerProtocol.spec;
