import { describe, expect, it } from 'vitest';
import { MIN_SECRET_CHARS, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('masks the password of a URL and nothing else, however short the password', () => {
    const line =
      'DATABASE_URL mysql://root:1@127.0.0.1:3307/test is not reachable: connect ECONNREFUSED 127.0.0.1:3307';
    expect(redactSecrets(line, ['1'])).toBe(
      'DATABASE_URL mysql://root:***@127.0.0.1:3307/test is not reachable: connect ECONNREFUSED 127.0.0.1:3307',
    );
  });

  it('masks every URL in a line, with or without a user, keeping hosts and paths', () => {
    expect(
      redactSecrets(
        'from redis://:s3cret@cache:6379/0 to postgres://app:p%40ss@db.internal:5432/cg and https://example.com/a@b',
      ),
    ).toBe(
      'from redis://:***@cache:6379/0 to postgres://app:***@db.internal:5432/cg and https://example.com/a@b',
    );
  });

  it('masks a long known secret wherever a driver quoted it, short ones only inside URLs', () => {
    const long = 'correct-horse-battery';
    expect(redactSecrets(`auth failed for password "${long}"`, [long])).toBe(
      'auth failed for password "***"',
    );
    expect(redactSecrets('auth failed for "p%40ss-word-1"', ['p%40ss-word-1'])).toBe('auth failed for "***"');
    expect(redactSecrets('port 5432 refused', ['5432'])).toBe('port 5432 refused');
    expect('x'.repeat(MIN_SECRET_CHARS - 1).length).toBeLessThan(MIN_SECRET_CHARS);
  });
});
