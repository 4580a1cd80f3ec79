/** The connection cache (Net::OpenSSH::ConnectionCache): live connections reused by target and options. */
export { ConnectionCache, defaultConnectionCache, type CacheLease } from './cache.js';
export type { ConnectionCacheOptions, CacheGetOptions } from './options.js';
