/**
 * High-availability services, chosen by `high-availability.type`.
 */
import { ConfigError, HighAvailabilityOptions, type Configuration } from '../config/index.js';
import { StandaloneHaServices } from './standalone.js';
import type { HighAvailabilityServices } from './types.js';

export * from './types.js';
export { StandaloneHaServices } from './standalone.js';
export { LeaderTracker, type LeaderGateway, LeadershipMessages, NoLeaderError, acceptLeadership, contend, type LeadershipSpec } from './leadership.js';

/**
 * The HA services of a JobManager.
 * @throws ConfigError for a store this version does not provide.
 */
export function createHaServices(config: Configuration): HighAvailabilityServices {
  const type = config.get(HighAvailabilityOptions.HA_MODE);
  if (type === 'NONE') return new StandaloneHaServices();
  throw new ConfigError(
    `high-availability.type: ${type.toLowerCase()} is not available in this version of Runnel; ` +
      'set high-availability.type: none (one JobManager) until ZooKeeper and etcd high availability arrive.',
    { key: HighAvailabilityOptions.HA_MODE.key },
  );
}
