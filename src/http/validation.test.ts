// Bodies of /v1/chat and /v1/sessions that are refused before anything happens: a coded 4xx,
// no turn, no session. Through fastify's inject, on a gateway built from its real parts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../test/helpers/gateway.js';

const SECRET = 'validation-secret-0123456789';
let gw: TestGateway;
let token: string;
beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_SECRET: SECRET, MAX_MESSAGE_CHARS: '100', BODY_LIMIT_BYTES: '4096' });
  const r = await gw.app.inject({ method: 'POST', url: '/v1/sessions/visitor' });
  token = (r.json() as { token: string }).token;
});
afterAll(() => gw?.stop());

const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
  gw.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
  });

/** The refusal as status, code and (when the body names one) field. */
function refusal(r: { statusCode: number; json(): unknown }) {
  const { error } = r.json() as { error: { code: string; message: string; field?: string } };
  expect(typeof error.message).toBe('string');
  return { status: r.statusCode, code: error.code, ...(error.field ? { field: error.field } : {}) };
}

describe('POST /v1/chat and /v1/chat/stream refuse a bad body before a turn starts', () => {
  const cases: [string, string, ReturnType<typeof refusal>][] = [
    ['JSON that does not parse', '{"message": "hi"', { status: 400, code: 'GW_INVALID_JSON' }],
    ['an empty body', '', { status: 400, code: 'GW_INVALID_REQUEST' }],
    ['a JSON array', '[1, 2]', { status: 400, code: 'GW_INVALID_REQUEST' }],
    ['a JSON string', '"hi"', { status: 400, code: 'GW_INVALID_REQUEST' }],
    ['no message', '{}', { status: 400, code: 'GW_INVALID_REQUEST', field: 'message' }],
    [
      'a message that is a number',
      '{"message": 42}',
      { status: 400, code: 'GW_INVALID_REQUEST', field: 'message' },
    ],
    ['a message of white space', '{"message": " \\n\\t "}', { status: 400, code: 'GW_INVALID_REQUEST' }],
    ['a NUL in the message', '{"message": "a\\u0000b"}', { status: 400, code: 'GW_INVALID_REQUEST' }],
    [
      'a message over MAX_MESSAGE_CHARS',
      JSON.stringify({ message: 'x'.repeat(101) }),
      { status: 400, code: 'GW_MESSAGE_TOO_LONG' },
    ],
    [
      'a conversation id that is an object',
      '{"message": "hi", "conversation_id": {"$ne": 1}}',
      { status: 400, code: 'GW_INVALID_REQUEST', field: 'conversation_id' },
    ],
    [
      'an empty conversation id',
      '{"message": "hi", "conversation_id": ""}',
      { status: 400, code: 'GW_INVALID_IDENTIFIER', field: 'conversation_id' },
    ],
    [
      'a conversation id of 65 characters',
      JSON.stringify({ message: 'hi', conversation_id: 'c'.repeat(65) }),
      { status: 400, code: 'GW_INVALID_IDENTIFIER', field: 'conversation_id' },
    ],
  ];
  for (const [what, payload, expected] of cases) {
    it(`refuses ${what}`, async () => {
      const chats = gw.simulator!.stats().chats;
      for (const url of ['/v1/chat', '/v1/chat/stream']) {
        expect(refusal(await post(url, payload)), url).toEqual(expected);
      }
      expect(gw.simulator!.stats().chats).toBe(chats);
    });
  }

  it('refuses a body over BODY_LIMIT_BYTES with 413 and one not sent as JSON with 415', async () => {
    const big = await post('/v1/chat', JSON.stringify({ message: 'x'.repeat(5000) }));
    expect(refusal(big)).toEqual({ status: 413, code: 'GW_BODY_TOO_LARGE' });
    const form = await post('/v1/chat', 'message=hi', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(refusal(form)).toEqual({ status: 415, code: 'GW_UNSUPPORTED_MEDIA_TYPE' });
    const text = await post('/v1/chat', '{"message": "hi"}', { 'content-type': 'text/plain' });
    expect(refusal(text)).toEqual({ status: 415, code: 'GW_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses an Idempotency-Key that is not 1-128 printable characters', async () => {
    for (const key of ['has space', 'k'.repeat(129), 'tab\there']) {
      const r = await post('/v1/chat', '{"message": "hi"}', { 'idempotency-key': key });
      expect(refusal(r), key).toEqual({
        status: 400,
        code: 'GW_INVALID_IDENTIFIER',
        field: 'Idempotency-Key',
      });
    }
  });

  it('refuses a good body without a session with 401', async () => {
    const r = await post('/v1/chat', '{"message": "hi"}', { authorization: '' });
    expect(refusal(r)).toEqual({ status: 401, code: 'GW_UNAUTHENTICATED' });
  });

  it('accepts a message of exactly MAX_MESSAGE_CHARS', async () => {
    const r = await post('/v1/chat', JSON.stringify({ message: 'y'.repeat(100) }));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'completed', answer: `You said: ${'y'.repeat(100)}` });
  });
});

describe('POST /v1/sessions refuses a bad body before it looks at the signature', () => {
  const user = (id: unknown, extra: object = {}) => JSON.stringify({ user: { id, ...extra } });
  const cases: [string, string, ReturnType<typeof refusal>][] = [
    ['JSON that does not parse', '{"user": {', { status: 400, code: 'GW_INVALID_JSON' }],
    ['an empty body', '', { status: 400, code: 'GW_INVALID_REQUEST' }],
    ['a JSON array', '[]', { status: 400, code: 'GW_INVALID_REQUEST' }],
    ['no user', '{}', { status: 400, code: 'GW_INVALID_REQUEST', field: 'user' }],
    ['a user id that is a number', user(42), { status: 400, code: 'GW_INVALID_REQUEST', field: 'user.id' }],
    ['an empty user id', user('  '), { status: 400, code: 'GW_INVALID_REQUEST', field: 'user.id' }],
    [
      'a user id of 129 characters',
      user('u'.repeat(129)),
      { status: 400, code: 'GW_INVALID_IDENTIFIER', field: 'user.id' },
    ],
    [
      'a NUL in the user id',
      user('a\u0000b'),
      { status: 400, code: 'GW_INVALID_IDENTIFIER', field: 'user.id' },
    ],
    [
      'a name of 101 characters',
      user('u1', { name: 'n'.repeat(101) }),
      { status: 400, code: 'GW_INVALID_REQUEST', field: 'user.name' },
    ],
    [
      'an app that is not a string',
      JSON.stringify({ app: 7, user: { id: 'u1' } }),
      { status: 400, code: 'GW_INVALID_REQUEST', field: 'app' },
    ],
  ];
  for (const [what, payload, expected] of cases) {
    it(`refuses ${what}`, async () => {
      // No signature at all: the body is refused first, with its own code.
      const r = await post('/v1/sessions', payload, { authorization: '' });
      expect(refusal(r)).toEqual(expected);
    });
  }

  it('answers a well-formed body for an unknown app with a coded 404', async () => {
    const r = await post('/v1/sessions', JSON.stringify({ app: 'nope', user: { id: 'u1' } }), {
      authorization: '',
    });
    expect(refusal(r)).toEqual({ status: 404, code: 'GW_UNKNOWN_APP' });
  });

  it('refuses a well-formed body without a signature with 401', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const r = await post('/v1/sessions', user('u1'), { authorization: '', 'x-gateway-timestamp': ts });
    expect(refusal(r)).toEqual({ status: 401, code: 'GW_BAD_SIGNATURE' });
  });
});

describe('POST /v1/sessions/visitor', () => {
  it('refuses an app that is not a string, and answers an unknown one with a coded 404', async () => {
    const bad = await post('/v1/sessions/visitor', '{"app": ["default"]}', { authorization: '' });
    expect(refusal(bad)).toEqual({ status: 400, code: 'GW_INVALID_REQUEST', field: 'app' });
    const unknown = await post('/v1/sessions/visitor', '{"app": "nope"}', { authorization: '' });
    expect(refusal(unknown)).toEqual({ status: 404, code: 'GW_UNKNOWN_APP' });
  });
});
