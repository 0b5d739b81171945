export {
  type AppConfig,
  appAsWritten,
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
} from './load.js';
