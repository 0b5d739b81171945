export { type EventStreams, type Following, RedisEventStreams } from './event-streams.js';
export { type AcquireOptions, acquireLock, type Lock } from './lock.js';
export { MemoryStore } from './memory-store.js';
export { openStore, type RedisConnection } from './open.js';
export { bucketOf, type RateCheck, type RateDecision, RateLimiter } from './rate-limit.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export type { BucketLimit, BucketRequest, ConsumeResult, Store } from './store.js';
export { type RefreshLease, type StoredToken, storeTokenCache } from './token-cache.js';
