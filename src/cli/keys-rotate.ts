import { KeysService } from '../keys/keys.service';
import { runWithDatabase } from './run-with-database';

// `npm run keys:rotate [-- --revoke-current]`: the next signing key (published since it was made)
// starts signing now and a new next key is made; every instance picks it up within 30 s.
// --revoke-current, for a leaked key: it leaves the JWKS at once and its tokens stop verifying.
const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--revoke-current');
if (unknown.length) {
  console.error('usage: npm run keys:rotate [-- --revoke-current]');
  process.exit(2);
}

runWithDatabase(async (dataSource, config) => {
  const keys = new KeysService(config, dataSource);
  if (!keys.managed) throw new Error('JWT_PRIVATE_KEY is set: rotate by deploying [new, old] keys, then [new] once the old tokens expired');
  await keys.onModuleInit();
  try {
    const { kid, activatesAt, revokedKid } = await keys.rotate({ revokeCurrent: args.includes('--revoke-current') });
    if (revokedKid) console.log(`revoked ${revokedKid}: it is no longer published and its tokens are refused`);
    const when =
      activatesAt.getTime() <= Date.now() ? 'now' : `from ${activatesAt.toISOString()} (published less than one JWKS max-age ago)`;
    console.log(`key ${kid} signs ${when}`);
  } finally {
    keys.onModuleDestroy();
  }
});
