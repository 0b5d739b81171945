import type { Redis } from 'ioredis';
import { GatewayError } from '../errors.js';
import { redisClient } from './redis-client.js';
import { reconnectDelayMs } from './redis-store.js';

/**
 * Append-only streams of numbered events, kept for a retention window and followed live from any
 * instance: the resumable buffer of a turn's SSE events when several instances share Redis. (One
 * process keeps its turns' events in memory and needs none of this.)
 */
export interface EventStreams {
  /** Adds item `id` (ids increase by one from 1) to the stream `key`. */
  append(key: string, id: number, data: string): Promise<void>;
  /** The stream will be forgotten `retentionMs` from now. */
  expire(key: string, retentionMs: number): Promise<void>;
  /**
   * Delivers the items with id > afterId, then every item appended from now on, until `stop` is
   * called. Resolves undefined when there is no such stream; else with the newest item the record
   * held when following began (so a follower can tell a stream that ended at or before `afterId`).
   */
  follow(
    key: string,
    afterId: number,
    onItem: (id: number, data: string) => void,
  ): Promise<Following | undefined>;
  close(): Promise<void>;
}

export interface Following {
  stop(): void;
  /** The newest item of the stream when following began. */
  newest?: { id: number; data: string };
}

type Listener = (id: number, data: string) => void;

/** Streams in Redis: XADD/XRANGE for the record, PUBLISH/SUBSCRIBE for followers. */
export class RedisEventStreams implements EventStreams {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();
  private batch: { items: [string, number, string][]; done: Promise<void> } | undefined;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    const options = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 2_000,
      disconnectTimeout: 200,
      retryStrategy: reconnectDelayMs,
    };
    this.client = redisClient(url, options);
    // Subscriptions are re-made by ioredis after a reconnect; the subscriber needs no timeout.
    this.subscriber = redisClient(url, { ...options, commandTimeout: undefined, enableOfflineQueue: true });
    const ignore = () => {};
    this.client.on('error', ignore);
    this.subscriber.on('error', ignore);
    this.subscriber.on('message', (channel: string, message: string) => {
      const set = this.listeners.get(channel);
      if (!set) return;
      const cut = message.indexOf('\n');
      const id = Number(message.slice(0, cut));
      const data = message.slice(cut + 1);
      for (const l of set) l(id, data);
    });
  }

  /**
   * Appends are gathered for one turn of the event loop and sent as one pipeline (a turn of
   * events, many streams at once): one round trip instead of one transaction per event. One
   * connection keeps them in order.
   */
  append(key: string, id: number, data: string): Promise<void> {
    let batch = this.batch;
    if (!batch) {
      batch = this.batch = { items: [], done: undefined as unknown as Promise<void> };
      const b = batch;
      b.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.batch = undefined;
        return this.flush(b.items);
      });
    }
    batch.items.push([this.prefix + key, id, data]);
    return batch.done;
  }

  private async flush(items: [string, number, string][]): Promise<void> {
    const p = this.client.pipeline();
    const keys = new Set<string>();
    for (const [k, id, data] of items) {
      // Stream ids `0-<n>` order the items by our own numbering.
      p.xadd(k, `0-${id}`, 'd', data);
      p.publish(k, `${id}\n${data}`);
      keys.add(k);
    }
    // A stream whose turn never ends (its instance died) still goes away.
    for (const k of keys) p.pexpire(k, 3_600_000);
    const results = await this.run(() => p.exec());
    const failed = results?.find(([err]) => err);
    if (failed) throw new GatewayError('GW_STORE_UNAVAILABLE', { cause: failed[0] });
  }

  async expire(key: string, retentionMs: number): Promise<void> {
    await this.run(() => this.client.pexpire(this.prefix + key, Math.max(1, Math.ceil(retentionMs))));
  }

  async follow(key: string, afterId: number, onItem: Listener): Promise<Following | undefined> {
    const k = this.prefix + key;
    let last = afterId;
    let replaying = true;
    const early: [number, string][] = [];
    const listener: Listener = (id, data) => {
      if (replaying) early.push([id, data]);
      else if (id > last) {
        last = id;
        onItem(id, data);
      }
    };
    // Subscribe first, then read the record: an item appended in between arrives both ways and is
    // delivered once (ids only go up).
    await this.listen(k, listener);
    const stop = () => this.unlisten(k, listener);
    try {
      // The newest item first, then the record after afterId: an item appended in between is in
      // the record, or arrives live (above the newest id).
      const [newestItems, items] = await this.run(() =>
        Promise.all([
          this.client.xrevrange(k, '+', '-', 'COUNT', 1),
          this.client.xrange(k, `(0-${afterId}`, '+'),
        ]),
      );
      // A stream with no item does not exist (XADD makes it, expiry removes it whole).
      if (newestItems.length === 0) {
        stop();
        return undefined;
      }
      const idOf = (streamId: string) => Number(streamId.split('-')[1]);
      const [newestId, newestFields] = newestItems[0];
      const newest = { id: idOf(newestId), data: newestFields[1] };
      let top = newest.id;
      for (const [streamId, fields] of items) {
        const id = idOf(streamId);
        top = Math.max(top, id);
        if (id > last) {
          last = id;
          onItem(id, fields[1]);
        }
      }
      // From here on whatever is appended is new, even at or below afterId (a follower may name an
      // id the stream has not reached yet: it still sees how the stream goes on and ends).
      last = top;
      replaying = false;
      for (const [id, data] of early) listener(id, data);
      return { stop, newest };
    } catch (e) {
      stop();
      throw e;
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private async listen(channel: string, l: Listener): Promise<void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.run(() => this.subscriber.subscribe(channel));
    }
    set.add(l);
  }

  private unlisten(channel: string, l: Listener): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    set.delete(l);
    if (set.size === 0) {
      this.listeners.delete(channel);
      this.subscriber.unsubscribe(channel).catch(() => {});
    }
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (cause) {
      throw new GatewayError('GW_STORE_UNAVAILABLE', { cause });
    }
  }
}
