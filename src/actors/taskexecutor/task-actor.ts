import { Actor } from '../system/actor.js';
import type { Handlers } from '../system/protocol.js';
import type { SlotWorker } from './slots.js';
import { TaskProtocol, type TaskSpec } from './protocol.js';

/** A deployed task's control endpoint: forwards what the JobMaster says to the slot's worker. */
export class TaskActor extends Actor<TaskSpec> {
  readonly protocol = TaskProtocol;
  constructor(
    private readonly executionId: string,
    private readonly slot: SlotWorker,
  ) {
    super();
  }
  readonly receive: Handlers<TaskSpec> = {
    cancel: () => this.slot.post({ type: 'cancel', executionId: this.executionId }),
    addSplits: ({ splits }) => this.slot.post({ type: 'addSplits', executionId: this.executionId, splits }),
    noMoreSplits: () => this.slot.post({ type: 'noMoreSplits', executionId: this.executionId }),
    sourceEvent: ({ event }) => this.slot.post({ type: 'sourceEvent', executionId: this.executionId, event }),
    triggerCheckpoint: ({ barrier }) => this.slot.post({ type: 'triggerCheckpoint', executionId: this.executionId, barrier }),
    notifyCheckpointComplete: ({ checkpointId }) => this.slot.post({ type: 'notifyCheckpointComplete', executionId: this.executionId, checkpointId }),
    notifyCheckpointAborted: ({ checkpointId }) => this.slot.post({ type: 'notifyCheckpointAborted', executionId: this.executionId, checkpointId }),
    drain: () => this.slot.post({ type: 'drain', executionId: this.executionId }),
  };
}
