export {
  type Config,
  ConfigError,
  type DatabaseConfig,
  type JwtAppConfig,
  loadConfig,
  type RedisConfig,
} from './load.js';
