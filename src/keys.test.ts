import { describe, expect, it } from 'vitest';
import { compositeKey } from './keys.js';

describe('compositeKey', () => {
  it('keeps tuples apart that a separator would join alike', () => {
    expect(compositeKey('idem', 'app', 'dana:order', '42')).not.toBe(
      compositeKey('idem', 'app', 'dana', 'order:42'),
    );
    expect(compositeKey('conv', 'app', 'vic\nx', 'cv_1')).not.toBe(
      compositeKey('conv', 'app', 'vic', 'x\ncv_1'),
    );
    expect(compositeKey('k', 'a', '')).not.toBe(compositeKey('k', 'a'));
    expect(compositeKey('k', '1.a')).not.toBe(compositeKey('k', '', 'a'));
  });

  it('is the same for the same tuple', () => {
    expect(compositeKey('idem', 'app', 'u:1', 'k')).toBe(compositeKey('idem', 'app', 'u:1', 'k'));
    expect(compositeKey('idem', 'app', 'u:1', 'k')).toBe('idem:3.app:3.u:1:1.k');
  });
});
