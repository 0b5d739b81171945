// Test knobs. All counters mean "the next N occurrences"; each use decrements its counter.
import type { Chunker } from './sse.js';
import { splitBytes } from './sse.js';

export interface Faults {
  /** Delay before the first event of a stream (headers go out with that event), ms. */
  firstEventDelayMs: number;
  /** Delay between answer deltas, ms; null = the simulator option `deltaDelayMs`. */
  deltaDelayMs: number | null;
  /** How SSE bytes are written: whole frames, random pieces, or fixed-size pieces. */
  chunking: 'none' | 'random' | 'fixed';
  /** Piece size range for `chunking: 'random'` (bytes, inclusive). */
  chunkMinBytes: number;
  chunkMaxBytes: number;
  /** Piece size for `chunking: 'fixed'` (bytes). */
  chunkBytes: number;
  /** Pause between pieces, ms (0 = yield to the event loop, which still flushes each piece). */
  chunkGapMs: number;
  /** The next N requests (not control routes) answer `http5xxStatus` with `http5xxBody`. */
  http5xxCount: number;
  http5xxStatus: number;
  /** Only requests to this exact path count; null = any path. */
  http5xxPath: string | null;
  http5xxBody: string;
  http5xxContentType: string;
  /** The next N chats fail with last_error {5000,"event interval error"} after `chatFailAfterDeltas`. */
  chatFailCount: number;
  chatFailAfterDeltas: number;
  /** The next N chat streams lose their socket (no `done`) after `streamCutAfterDeltas` deltas. */
  streamCutCount: number;
  streamCutAfterDeltas: number;
  /** The token endpoint answers 500 internal_error. */
  tokenEndpointDown: boolean;
  /** The next N stream requests answer a bare `{"code":4100,…}` as text/event-stream, no newline (§3.5). */
  legacyBareJsonErrorCount: number;
  /** Caps `duration_seconds` of issued OAuth tokens (0 = they expire at once); null = no cap. */
  tokenMaxDurationSeconds: number | null;
  /** Workflow streams send a PING after this many ms without an event (0 = never). */
  workflowPingMs: number;
}

export const DEFAULT_FAULTS: Readonly<Faults> = Object.freeze({
  firstEventDelayMs: 0,
  deltaDelayMs: null,
  chunking: 'none',
  chunkMinBytes: 1,
  chunkMaxBytes: 7,
  chunkBytes: 3,
  chunkGapMs: 0,
  http5xxCount: 0,
  http5xxStatus: 502,
  http5xxPath: null,
  http5xxBody: '<html><body><h1>502 Bad Gateway</h1></body></html>',
  http5xxContentType: 'text/html',
  chatFailCount: 0,
  chatFailAfterDeltas: 2,
  streamCutCount: 0,
  streamCutAfterDeltas: 2,
  tokenEndpointDown: false,
  legacyBareJsonErrorCount: 0,
  tokenMaxDurationSeconds: null,
  workflowPingMs: 100,
});

type Kind = 'number' | 'nullableNumber' | 'boolean' | 'string' | 'nullableString' | 'chunking';
const KINDS: Record<keyof Faults, Kind> = {
  firstEventDelayMs: 'number',
  deltaDelayMs: 'nullableNumber',
  chunking: 'chunking',
  chunkMinBytes: 'number',
  chunkMaxBytes: 'number',
  chunkBytes: 'number',
  chunkGapMs: 'number',
  http5xxCount: 'number',
  http5xxStatus: 'number',
  http5xxPath: 'nullableString',
  http5xxBody: 'string',
  http5xxContentType: 'string',
  chatFailCount: 'number',
  chatFailAfterDeltas: 'number',
  streamCutCount: 'number',
  streamCutAfterDeltas: 'number',
  tokenEndpointDown: 'boolean',
  legacyBareJsonErrorCount: 'number',
  tokenMaxDurationSeconds: 'nullableNumber',
  workflowPingMs: 'number',
};

function fits(kind: Kind, v: unknown): boolean {
  const num = typeof v === 'number' && Number.isFinite(v) && v >= 0;
  switch (kind) {
    case 'number':
      return num;
    case 'nullableNumber':
      return v === null || num;
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'nullableString':
      return v === null || typeof v === 'string';
    case 'chunking':
      return v === 'none' || v === 'random' || v === 'fixed';
  }
}

/** Checks an untrusted patch (e.g. from HTTP); returns the problems, empty when fine. */
export function validateFaults(patch: unknown): string[] {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    return ['body must be a JSON object'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const kind = (KINDS as Record<string, Kind | undefined>)[key];
    if (!kind) problems.push(`unknown fault: ${key}`);
    else if (!fits(kind, value)) problems.push(`bad value for ${key}`);
  }
  return problems;
}

export interface InjectedError {
  status: number;
  body: string;
  contentType: string;
}

export class FaultState {
  private f: Faults = { ...DEFAULT_FAULTS };

  get current(): Readonly<Faults> {
    return this.f;
  }

  set(patch: Partial<Faults>): void {
    this.f = { ...this.f, ...patch };
  }

  reset(): void {
    this.f = { ...DEFAULT_FAULTS };
  }

  /** Consumes one injected HTTP error if one is armed for `path`. */
  takeHttpError(path: string): InjectedError | null {
    const f = this.f;
    if (f.http5xxCount <= 0 || (f.http5xxPath !== null && f.http5xxPath !== path)) return null;
    f.http5xxCount--;
    return { status: f.http5xxStatus, body: f.http5xxBody, contentType: f.http5xxContentType };
  }

  /** Consumes one chat failure; returns after how many deltas it strikes, or null. */
  takeChatFail(): number | null {
    if (this.f.chatFailCount <= 0) return null;
    this.f.chatFailCount--;
    return this.f.chatFailAfterDeltas;
  }

  /** Consumes one stream cut; returns after how many deltas it strikes, or null. */
  takeStreamCut(): number | null {
    if (this.f.streamCutCount <= 0) return null;
    this.f.streamCutCount--;
    return this.f.streamCutAfterDeltas;
  }

  takeLegacyBareJsonError(): boolean {
    if (this.f.legacyBareJsonErrorCount <= 0) return false;
    this.f.legacyBareJsonErrorCount--;
    return true;
  }

  deltaDelay(defaultMs: number): number {
    return this.f.deltaDelayMs ?? defaultMs;
  }

  /** The current chunking strategy for SSE writes, or null for whole frames. */
  chunker(): Chunker | null {
    const f = this.f;
    if (f.chunking === 'random') return (buf) => splitBytes(buf, f.chunkMinBytes, f.chunkMaxBytes);
    if (f.chunking === 'fixed') return (buf) => splitBytes(buf, f.chunkBytes, f.chunkBytes);
    return null;
  }
}
