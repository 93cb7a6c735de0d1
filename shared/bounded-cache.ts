import { LRUCache } from 'lru-cache';

/** A cached lookup: `value` undefined is a remembered miss ("no such id"), not an absent entry. */
export interface CacheHit<V> {
  readonly value: V | undefined;
}

export interface BoundedCacheOptions {
  /** Entries held at most; the least recently used goes first. */
  readonly maxEntries: number;
  /** Milliseconds clock for the TTLs (tests); defaults to `performance.now`, which never jumps. */
  readonly now?: () => number;
}

/**
 * A warm container's cache of table reads: bounded in entries (LRU) and with a TTL per entry, so
 * a flood of made-up ids (each cached as a miss, so it costs one read) evicts old entries instead
 * of growing the heap until the function runs out of memory.
 */
export class BoundedCache<V> {
  private readonly lru: LRUCache<string, CacheHit<V>>;

  constructor(options: BoundedCacheOptions) {
    this.lru = new LRUCache<string, CacheHit<V>>({
      max: options.maxEntries,
      // Every read checks the clock: the default 1 ms resolution starts a timer per lookup and
      // would let a manual clock's step go unseen within that millisecond.
      ttlResolution: 0,
      ...(options.now ? { perf: { now: options.now } } : {}),
    });
  }

  /** The live entry for `key`, or undefined when there is none or it expired. */
  get(key: string): CacheHit<V> | undefined {
    return this.lru.get(key);
  }

  /** Keeps `value` (undefined for a miss) for `ttlMs`; a TTL of 0 or less keeps nothing. */
  set(key: string, value: V | undefined, ttlMs: number): void {
    // lru-cache reads a TTL of 0 as "never expires": never hand it one.
    if (ttlMs > 0) this.lru.set(key, { value }, { ttl: ttlMs });
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** Entries held now (expired ones count until they are read or evicted). */
  get size(): number {
    return this.lru.size;
  }
}
