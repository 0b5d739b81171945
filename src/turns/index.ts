export { CircuitBreaker } from './breaker.js';
export { type NumberedEvent, type TurnEvent, TurnEventLog } from './events.js';
export { endOf, followTurn } from './follow.js';
export type { StartedTurn, StartInput, TurnInput, TurnOrigin } from './input.js';
export { type RecoveryDeps, recoverTurns } from './recovery.js';
export { type TurnApp, type TurnDeps, TurnRunner, type TurnSettings } from './runner.js';
export { RunningTurn, TURN_STATES, type TurnResult, type TurnState } from './running-turn.js';
