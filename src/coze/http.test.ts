import { describe, expect, it } from 'vitest';
import { readEnvelope } from './http.js';

describe('readEnvelope (§1.4)', () => {
  it('returns the body and prefers the X-Tt-Logid header', () => {
    const env = readEnvelope(
      200,
      '{"code":0,"msg":"","data":{"id":"1"},"detail":{"logid":"BODY"}}',
      'HEADER',
    );
    expect(env).toEqual({
      json: { code: 0, msg: '', data: { id: '1' }, detail: { logid: 'BODY' } },
      logId: 'HEADER',
    });
  });

  it('falls back to detail.logid', () => {
    expect(readEnvelope(200, '{"code":0,"data":{},"detail":{"logid":"BODY"}}', undefined).logId).toBe('BODY');
  });

  it('throws the mapped error with cozeCode and logId on code != 0', () => {
    expect(() => readEnvelope(200, '{"code":4016,"msg":"busy","detail":{"logid":"L"}}', undefined)).toThrow(
      expect.objectContaining({ code: 'GW_CONVERSATION_BUSY', cozeCode: 4016, logId: 'L' }),
    );
    expect(() => readEnvelope(401, '{"code":4100,"msg":"authentication is invalid"}', 'H')).toThrow(
      expect.objectContaining({ code: 'GW_COZE_AUTH', cozeCode: 4100, logId: 'H' }),
    );
  });

  it('reads a non-JSON body as a bad response, or by its status when that says more', () => {
    expect(() => readEnvelope(200, '<html>', 'L')).toThrow(
      expect.objectContaining({ code: 'GW_UPSTREAM_BAD_RESPONSE', logId: 'L' }),
    );
    expect(() => readEnvelope(503, '<html>', 'L')).toThrow(
      expect.objectContaining({ code: 'GW_UPSTREAM_UNAVAILABLE' }),
    );
    expect(() => readEnvelope(429, '', undefined)).toThrow(
      expect.objectContaining({ code: 'GW_COZE_RATE_LIMITED' }),
    );
  });

  it('rejects JSON that is not an envelope', () => {
    expect(() => readEnvelope(200, '[1,2]', undefined)).toThrow(
      expect.objectContaining({ code: 'GW_UPSTREAM_BAD_RESPONSE' }),
    );
    expect(() => readEnvelope(200, '{"data":{}}', undefined)).toThrow(
      expect.objectContaining({ code: 'GW_UPSTREAM_BAD_RESPONSE' }),
    );
  });
});
