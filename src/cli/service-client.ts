import { ServiceClientsService } from '../tokens/service-clients.service';
import { runWithDatabase } from './run-with-database';

// `npm run client:create -- <name>` (prints the secret once), `client:list`, `client:revoke -- <name>`:
// the credentials other services use for token introspection (POST /api/token/introspect).
const [command, name] = process.argv.slice(2);
if (!['create', 'list', 'revoke'].includes(command) || (command !== 'list' && !name)) {
  console.error('usage: npm run client:create -- <name> | npm run client:list | npm run client:revoke -- <name>');
  process.exit(2);
}

runWithDatabase(async (dataSource) => {
  const clients = new ServiceClientsService(dataSource);
  if (command === 'create') {
    const { client, secret } = await clients.create(name);
    console.log(`created client ${client.name}`);
    console.log(`client_id:     ${client.name}`);
    console.log(`client_secret: ${secret}`);
    console.log('the secret is shown only now (only its SHA-256 is stored); keep it in the other service’s secret store.');
  } else if (command === 'list') {
    const all = await clients.list();
    if (!all.length) console.log('no service clients');
    for (const client of all) console.log(`${client.name}\tcreated ${client.createdAt.toISOString()}`);
  } else {
    if (!(await clients.revoke(name))) throw new Error(`no live client named "${name}"`);
    console.log(`revoked client ${name}: its secret no longer works`);
  }
});
