export { Ledger, type RecoveryCandidate, type ToolCallRecord } from './ledger.js';
export { migrateToLatest } from './migrations.js';
export { type OpenLedgerOptions, openLedger } from './open.js';
export type { ConversationRecord, TurnOutcome, TurnRecord, Usage } from './records.js';
export type { Deleted } from './retention.js';
export type { TurnStatus } from './schema.js';
