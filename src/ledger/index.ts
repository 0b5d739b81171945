export { type ConversationRecord, Ledger, type TurnOutcome, type TurnRecord, type Usage } from './ledger.js';
export { migrateToLatest } from './migrations.js';
export { openLedger } from './open.js';
export { TERMINAL_STATUSES, type TurnStatus } from './schema.js';
