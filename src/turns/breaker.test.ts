import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.js';

describe('CircuitBreaker', () => {
  let t = 0;
  const clock = () => t;

  it('opens after the threshold of consecutive failures, lets one probe through after the cooldown, closes on its success', () => {
    t = 0;
    const changes: string[] = [];
    const b = new CircuitBreaker(3, 1000, (s) => changes.push(s), clock);
    b.failure();
    b.failure();
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    t = 1000;
    expect(b.allow()).toBe(true); // the probe
    expect(b.allow()).toBe(false); // only one at a time
    b.success();
    expect(b.state).toBe('closed');
    expect(changes).toEqual(['open', 'closed']);
  });

  it('a failed probe opens it again for another cooldown; a success resets the count', () => {
    t = 0;
    const b = new CircuitBreaker(2, 500, () => {}, clock);
    b.failure();
    b.success();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    t = 600;
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    t = 1000;
    expect(b.allow()).toBe(false);
    t = 1100;
    expect(b.allow()).toBe(true);
  });
});
