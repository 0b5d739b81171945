export { buildApp } from './app.js';
export type { AppDeps } from './context.js';
export { projectRoot } from './routes/pages.js';
