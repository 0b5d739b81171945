export { CircuitBreaker } from './breaker.js';
export { type NumberedEvent, type TurnEvent, TurnEventLog } from './events.js';
export { endOf, followTurn } from './follow.js';
export { type RecoveryDeps, recoverTurns } from './recovery.js';
export {
  type StartedTurn,
  type StartInput,
  type TurnApp,
  type TurnDeps,
  TurnRunner,
  type TurnSettings,
} from './runner.js';
export { RunningTurn, type TurnResult } from './running-turn.js';
