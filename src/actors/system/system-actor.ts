import { Actor } from './actor.js';
import type { Handlers } from './protocol.js';
import { SystemProtocol } from './system-protocol.js';
import type { ActorSystem } from './system.js';

/** `$system`: answers pings and stats, and keeps remote death-watch registrations. */
export class SystemActor extends Actor<typeof SystemProtocol.spec> {
  readonly protocol = SystemProtocol;

  constructor(private readonly system: ActorSystem) {
    super();
  }

  readonly receive: Handlers<typeof SystemProtocol.spec> = {
    ping: () => ({ endpoint: this.system.endpoint, incarnation: this.system.incarnation }),
    stats: () => this.system.stats(),
    watch: ({ target, watcher }) => this.system.addRemoteWatcher(target, watcher),
    unwatch: ({ target, watcher }) => this.system.removeRemoteWatcher(target, watcher),
    terminated: ({ target, watcher, reason }) => this.system.remoteTerminated(target, watcher, reason),
  };
}
