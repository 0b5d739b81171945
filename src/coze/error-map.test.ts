import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { mapCozeFailure, mapNetworkError } from './error-map.js';

describe('mapCozeFailure (§1.6, §1.7)', () => {
  const cases: [string, { status: number; code?: number }, string][] = [
    ['4100', { status: 200, code: 4100 }, 'GW_COZE_AUTH'],
    ['4101', { status: 200, code: 4101 }, 'GW_COZE_AUTH'],
    ['700012006', { status: 200, code: 700012006 }, 'GW_COZE_AUTH'],
    ['HTTP 401', { status: 401 }, 'GW_COZE_AUTH'],
    ['HTTP 403', { status: 403 }, 'GW_COZE_AUTH'],
    ['HTTP 401 + 4100', { status: 401, code: 4100 }, 'GW_COZE_AUTH'],
    ['4013', { status: 200, code: 4013 }, 'GW_COZE_RATE_LIMITED'],
    ['HTTP 429', { status: 429 }, 'GW_COZE_RATE_LIMITED'],
    ['4016', { status: 200, code: 4016 }, 'GW_CONVERSATION_BUSY'],
    ['4000', { status: 200, code: 4000 }, 'GW_COZE_REJECTED'],
    ['4200', { status: 200, code: 4200 }, 'GW_COZE_REJECTED'],
    ['HTTP 400', { status: 400 }, 'GW_COZE_REJECTED'],
    ['HTTP 500', { status: 500 }, 'GW_UPSTREAM_UNAVAILABLE'],
    ['HTTP 502 + 5000', { status: 502, code: 5000 }, 'GW_UPSTREAM_UNAVAILABLE'],
  ];
  for (const [name, f, code] of cases) {
    it(`${name} -> ${code}`, () => {
      const e = mapCozeFailure({ ...f, msg: 'the Coze message', logId: 'L' });
      expect(e).toBeInstanceOf(GatewayError);
      expect(e.code).toBe(code);
      expect(e.logId).toBe('L');
      expect(e.cozeCode).toBe(f.code);
    });
  }

  it('keeps the Coze msg in the cause, never in the message', () => {
    const e = mapCozeFailure({ status: 200, code: 4000, msg: 'Request parameter error' });
    expect(e.message).not.toContain('Request parameter error');
    expect(String((e.cause as Error).message)).toContain('Request parameter error');
  });
});

describe('mapNetworkError', () => {
  const err = (code: string) => Object.assign(new Error(code), { code });
  it('maps refused / reset / socket errors to GW_UPSTREAM_UNAVAILABLE', () => {
    for (const c of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'ENOTFOUND']) {
      expect(mapNetworkError(err(c)).code).toBe('GW_UPSTREAM_UNAVAILABLE');
    }
  });
  it('maps timeouts (also wrapped in a cause) to GW_UPSTREAM_TIMEOUT', () => {
    expect(mapNetworkError(err('UND_ERR_CONNECT_TIMEOUT')).code).toBe('GW_UPSTREAM_TIMEOUT');
    expect(mapNetworkError(err('UND_ERR_HEADERS_TIMEOUT')).code).toBe('GW_UPSTREAM_TIMEOUT');
    expect(mapNetworkError(new Error('x', { cause: err('ETIMEDOUT') })).code).toBe('GW_UPSTREAM_TIMEOUT');
  });
  it('passes GatewayErrors through', () => {
    const g = new GatewayError('GW_COZE_AUTH');
    expect(mapNetworkError(g)).toBe(g);
  });
});
