export { type NumberedEvent, type TurnEvent, TurnEventLog } from './events.js';
export {
  RunningTurn,
  type TurnApp,
  type TurnDeps,
  type TurnResult,
  TurnRunner,
  type TurnSettings,
} from './runner.js';
