export { type Config, ConfigError, type DatabaseConfig, type JwtAppConfig, loadConfig } from './load.js';
