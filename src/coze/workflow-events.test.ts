// toWorkflowEvent (§5.2 event table) and the workflow reader (§5.2 ids, end rules).
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from './events.js';
import { createWorkflowReader, toInterrupt, toWorkflowEvent } from './workflow-events.js';

const item = (event: string, data: string, id?: string) => ({
  kind: 'event' as const,
  event,
  data,
  final: false,
  ...(id === undefined ? {} : { id }),
});

describe('toWorkflowEvent (§5.2)', () => {
  it('reads a Message with the optional node fields and usage', () => {
    expect(
      toWorkflowEvent(
        'Message',
        '{"content":"hi","node_title":"End","node_seq_id":"3","node_is_finish":true,"node_type":"End","node_id":"900001","content_type":"text","usage":{"input_count":5,"output_count":7,"token_count":12}}',
      ),
    ).toEqual({
      type: 'message',
      content: 'hi',
      nodeTitle: 'End',
      nodeSeqId: '3',
      nodeIsFinish: true,
      nodeType: 'End',
      nodeId: '900001',
      contentType: 'text',
      usage: { input_count: 5, output_count: 7, token_count: 12 },
    });
  });

  it('tolerates missing Message fields and a numeric node_seq_id', () => {
    expect(toWorkflowEvent('Message', '{"node_seq_id":2}')).toEqual({
      type: 'message',
      content: '',
      nodeTitle: '',
      nodeSeqId: '2',
      nodeIsFinish: false,
    });
  });

  it('reads Error as {error_code, error_message}, with debug_url, and tolerates {code,msg}', () => {
    expect(toWorkflowEvent('Error', '{"error_code":4000,"error_message":"Request parameter error"}')).toEqual(
      {
        type: 'error',
        code: 4000,
        message: 'Request parameter error',
      },
    );
    expect(
      toWorkflowEvent('Error', '{"error_code":5000,"error_message":"x","debug_url":"https://d"}'),
    ).toEqual({
      type: 'error',
      code: 5000,
      message: 'x',
      debugUrl: 'https://d',
    });
    expect(toWorkflowEvent('Error', '{"code":4200,"msg":"nope"}')).toMatchObject({
      code: 4200,
      message: 'nope',
    });
  });

  it('reads Interrupt with required_parameters (§5.3)', () => {
    expect(
      toWorkflowEvent(
        'Interrupt',
        '{"interrupt_data":{"event_id":"1/2","type":5,"data":"{\\"content\\":\\"Which city?\\"}","required_parameters":{"city":{"type":"string","required":true}}},"node_title":"Input"}',
      ),
    ).toEqual({
      type: 'interrupt',
      nodeTitle: 'Input',
      eventId: '1/2',
      interruptType: 5,
      data: '{"content":"Which city?"}',
      requiredParameters: { city: { type: 'string', required: true } },
    });
  });

  it('rejects an Interrupt without event_id or type', () => {
    expect(() => toWorkflowEvent('Interrupt', '{"interrupt_data":{"data":""}}')).toThrow(InvalidEventError);
  });

  it('reads Done as {} or {debug_url}, and PING whatever its data (§5.2, coze-py #249)', () => {
    expect(toWorkflowEvent('Done', '{}')).toEqual({ type: 'done' });
    expect(toWorkflowEvent('Done', '{"debug_url":"https://x?a=1\\u0026b=2"}')).toEqual({
      type: 'done',
      debugUrl: 'https://x?a=1&b=2',
    });
    expect(toWorkflowEvent('PING', '{"content":"{}"}')).toEqual({ type: 'ping' });
    expect(toWorkflowEvent('PING', '')).toEqual({ type: 'ping' });
  });

  it('keeps unknown events, and requires JSON data on all but PING and Done', () => {
    expect(toWorkflowEvent('Progress', '{"p":1}')).toEqual({
      type: 'unknown',
      event: 'Progress',
      data: { p: 1 },
    });
    expect(() => toWorkflowEvent('Message', '{oops')).toThrow(InvalidEventError);
    expect(() => toWorkflowEvent('Message', '[1]')).toThrow(InvalidEventError);
  });
});

describe('toInterrupt (§5.1 / §5.3 interrupt_data)', () => {
  it('stringifies object data and rejects incomplete objects', () => {
    expect(toInterrupt({ event_id: 'a/b', type: 2, data: { content: 'q' } })).toEqual({
      eventId: 'a/b',
      interruptType: 2,
      data: '{"content":"q"}',
    });
    expect(toInterrupt({ event_id: 'a/b' })).toBeUndefined();
    expect(toInterrupt(null)).toBeUndefined();
  });
});

describe('the workflow reader (§5.2 ids and end rules)', () => {
  it('accepts ids from 0 counting up, and events without ids', () => {
    const r = createWorkflowReader();
    expect(r.read(item('Message', '{}', '0')).type).toBe('message');
    expect(r.read(item('PING', '{"content":"{}"}', '1')).type).toBe('ping');
    expect(r.read(item('Message', '{}')).type).toBe('message');
    expect(r.read(item('Done', '{}', '2')).type).toBe('done');
  });

  it('reads a gap in the ids as lost events', () => {
    const r = createWorkflowReader();
    r.read(item('Message', '{}', '0'));
    let err: unknown;
    try {
      r.read(item('Message', '{}', '2'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidEventError);
    expect(err).toMatchObject({ lost: true, detail: 'event id 2 where 1 was due' });
  });

  it('a stream not starting at id 0 has lost its first events', () => {
    expect(() => createWorkflowReader().read(item('Message', '{}', '1'))).toThrow(InvalidEventError);
  });

  it('Done is last; Error and Interrupt may end the stream, also when a PING follows', () => {
    const r = createWorkflowReader();
    expect(r.verdict({ type: 'ping' })).toBe('more');
    expect(r.verdict({ type: 'error', code: 1, message: '' })).toBe('may-end');
    expect(r.verdict({ type: 'ping' })).toBe('may-end');
    expect(r.verdict({ type: 'done' })).toBe('last');
    const q = createWorkflowReader();
    expect(q.verdict({ type: 'interrupt', eventId: 'a/b', interruptType: 2, data: '', nodeTitle: '' })).toBe(
      'may-end',
    );
  });
});
