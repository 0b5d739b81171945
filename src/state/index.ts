export { type AcquireOptions, acquireLock, type Lock } from './lock.js';
export { MemoryStore } from './memory-store.js';
export type { Store } from './store.js';
export { type StoredToken, storeTokenCache } from './token-cache.js';
