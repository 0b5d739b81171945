export {
  APP_DEFAULTS,
  appAsWritten,
  type AppConfig,
  DEFAULT_RATE_LIMITS,
  type McpServerConfig,
  type RateRule,
  type Target,
  type ToolConfig,
} from './apps.js';
export {
  type Config,
  ConfigError,
  type DatabaseConfig,
  type JwtAppConfig,
  loadConfig,
  type RedisConfig,
  SIMULATOR_BOT_ID,
} from './load.js';
