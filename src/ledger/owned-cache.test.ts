import { describe, expect, it } from 'vitest';
import { OwnedConversations } from './owned-cache.js';
import type { ConversationRecord } from './records.js';

const record = (appId: string, userId: string, id: string): ConversationRecord => ({
  id,
  appId,
  userId,
  cozeConversationId: 'cz',
  cozeUser: `${appId}:${userId}`,
  title: null,
  createdAt: 1,
  updatedAt: 1,
});

describe('the found-conversations cache', () => {
  it('never answers for another (app, user, id) that a separator would join alike', () => {
    const cache = new OwnedConversations();
    cache.remember(record('shop', 'u:vic\nx', 'cv_1'));
    // `${app}\n${user}\n${id}` made these two one key: user `vic` got `vic\nx`'s conversation.
    expect(cache.get('shop', 'u:vic', 'x\ncv_1')).toBeUndefined();
    expect(cache.get('shop\nu:vic', 'x', 'cv_1')).toBeUndefined();
    cache.remember(record('shop', 'u:a:b', 'c'));
    expect(cache.get('shop', 'u:a', 'b:c')).toBeUndefined();
    expect(cache.get('shop', 'u:vic\nx', 'cv_1')?.userId).toBe('u:vic\nx');
  });

  it("forgets one owner's conversations only, not those of a user whose id starts alike", () => {
    const cache = new OwnedConversations();
    cache.remember(record('shop', 'u:vic', 'cv_1'));
    cache.remember(record('shop', 'u:vic\nx', 'cv_2'));
    cache.remember(record('shop', 'u:vi', 'cv_3'));
    cache.forgetOwner('shop', 'u:vic');
    expect(cache.get('shop', 'u:vic', 'cv_1')).toBeUndefined();
    expect(cache.get('shop', 'u:vic\nx', 'cv_2')).toBeDefined();
    expect(cache.get('shop', 'u:vi', 'cv_3')).toBeDefined();
  });

  it('forgets an entry after its time, on the injected clock', () => {
    let now = 1000;
    const cache = new OwnedConversations(() => now, 60_000);
    cache.remember(record('shop', 'u:1', 'cv_1'));
    now += 59_999;
    expect(cache.get('shop', 'u:1', 'cv_1')).toBeDefined();
    now += 1;
    expect(cache.get('shop', 'u:1', 'cv_1')).toBeUndefined();
  });

  it('holds at most its size, dropping the oldest first', () => {
    const cache = new OwnedConversations(Date.now, 60_000, 2);
    for (const id of ['cv_1', 'cv_2', 'cv_3']) cache.remember(record('shop', 'u:1', id));
    expect(cache.get('shop', 'u:1', 'cv_1')).toBeUndefined();
    expect(cache.get('shop', 'u:1', 'cv_3')).toBeDefined();
  });
});
