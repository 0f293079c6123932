/**
 * State time-to-live (Flink's `StateTtlConfig`): the configuration users build, the decorators
 * that give keyed state an expiry, and the expiry checks a backend's cleanup calls.
 */
export {
  CleanupStrategies,
  IncrementalCleanupStrategy,
  RocksdbCompactFilterCleanupStrategy,
  StateTtlConfig,
  StateTtlConfigBuilder,
} from './config.js';
export type { TtlStateVisibility, TtlTimeCharacteristic, TtlUpdateType } from './config.js';
export {
  checkTtlCompatibility,
  dropExpired,
  expired,
  expectTtlValue,
  isExpired,
  systemTtlTimeProvider,
  TtlCompactionFilter,
  ttlCompactionFilterFor,
} from './ttl-value.js';
export type { TtlTimeProvider, TtlValue } from './ttl-value.js';
export { TtlIncrementalCleanup } from './ttl-states.js';
