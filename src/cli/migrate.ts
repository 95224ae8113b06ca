import { runWithDatabase } from './run-with-database';

// `node dist/src/cli/migrate.js` (the image runs it before the app): applies pending migrations.
runWithDatabase(async (_dataSource, _config, applied) => {
  console.log(applied.length ? `applied: ${applied.map((migration) => migration.name).join(', ')}` : 'no pending migrations');
});
