// Everything a spec needs from test/support, in one import: `import { login, bearer, ... } from './support'`.
export * from './accounts';
export * from './app';
export * from './db';
export * from './fixtures';
export * from './redis';
export * from './services';
export * from './smtp';
