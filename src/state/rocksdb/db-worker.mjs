// Worker threads do not inherit the TypeScript loader of their parent on every Node version:
// register it here, in the worker, before loading the RocksDB worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./db-worker.ts');
