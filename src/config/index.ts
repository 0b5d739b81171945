export {
  APP_DEFAULTS,
  type AppConfig,
  DEFAULT_RATE_LIMITS,
  type McpServerConfig,
  type RateRule,
  SSO_DEFAULTS,
  type SsoSettings,
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
