import { ConfigError, loadConfig } from './config';
import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['24h', 86400],
    ['30d', 2592000],
    ['45', 45],
    [' 10s ', 10],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'ten', '5w', '-5s', '1.5h', '15 minutes'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('loadConfig', () => {
  it('has a working default for every variable of the contract', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      appUrl: 'http://localhost:3000',
      logLevel: 'info',
      trustProxy: false,
      database: { url: undefined },
      mail: { smtpUrl: undefined, from: '"Alat Berat" <no-reply@localhost>' },
      auth: { accessTtl: 900, refreshTtl: 2592000, activationTtl: 86400, passwordResetTtl: 3600, refreshReuseGrace: 10, bcryptCost: 10 },
      rateLimit: { perMinute: 20, loginFailuresLimit: 10, redisUrl: undefined },
    });
  });

  it('builds APP_URL from PORT and strips a trailing slash from a given one', () => {
    expect(loadConfig({ PORT: '8080' }).appUrl).toBe('http://localhost:8080');
    expect(loadConfig({ APP_URL: 'https://users.example.com/' }).appUrl).toBe('https://users.example.com');
  });

  it('accepts a private key with \\n escapes', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----';
    expect(loadConfig({ JWT_PRIVATE_KEY: pem }).auth.privateKeyPems).toEqual([
      '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
    ]);
  });

  it('reads TRUST_PROXY as a hop count, a boolean or a list of addresses', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe('10.0.0.0/8, 127.0.0.1');
    expect(loadConfig({ TRUST_PROXY: '' }).trustProxy).toBe(false);
  });

  it('lists every problem at once with the variable named', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', JWT_ACCESS_TTL: 'forever', DATABASE_URL: 'mysql://x', BCRYPT_COST: '99', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'JWT_ACCESS_TTL', 'DATABASE_URL', 'BCRYPT_COST', 'LOG_LEVEL']) expect(problems).toContain(name);
  });

  it('refuses to start in production on development defaults', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL, SMTP_URL, APP_URL, JWT_PRIVATE_KEY/);
    const complete = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db:5432/users',
      SMTP_URL: 'smtp://mail:25',
      APP_URL: 'https://users.example.com',
      JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
    };
    expect(loadConfig(complete).nodeEnv).toBe('production');
    const { JWT_PRIVATE_KEY: _key, ...keyless } = complete;
    expect(() => loadConfig(keyless)).toThrow(/needs JWT_PRIVATE_KEY/);
    expect(loadConfig({ ...keyless, JWT_KEYS: 'managed' }).auth.privateKeyPems).toEqual([]);
    expect(() => loadConfig({ ...keyless, JWT_KEYS: 'yes' })).toThrow(/JWT_KEYS/);
  });

  it('splits several PEM keys in JWT_PRIVATE_KEY, first one first', () => {
    const one = '-----BEGIN PRIVATE KEY-----\\nAAA\\n-----END PRIVATE KEY-----';
    const two = '-----BEGIN PRIVATE KEY-----\\nBBB\\n-----END PRIVATE KEY-----';
    const pems = loadConfig({ JWT_PRIVATE_KEY: `${one}\\n${two}` }).auth.privateKeyPems;
    expect(pems.map((pem) => pem.split('\n')[1])).toEqual(['AAA', 'BBB']);
  });

  it('reads the event settings: AMQP_URL must be amqp(s), EVENTS_EXCHANGE has a default', () => {
    expect(loadConfig({}).events).toEqual({ amqpUrl: undefined, exchange: 'alat-berat.events' });
    expect(loadConfig({ AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672', EVENTS_EXCHANGE: 'x.y' }).events.exchange).toBe('x.y');
    expect(() => loadConfig({ AMQP_URL: 'http://rabbit' })).toThrow(/AMQP_URL/);
    expect(() => loadConfig({ EVENTS_EXCHANGE: 'a b' })).toThrow(/EVENTS_EXCHANGE/);
  });
});

describe('CORS_ORIGINS', () => {
  it('defaults to any localhost origin in development and none in production', () => {
    expect(loadConfig({}).cors).toEqual({ origins: [], localhost: true });
    const production = { DATABASE_URL: 'postgres://x/y', SMTP_URL: 'smtp://x', APP_URL: 'https://x.example' };
    const pem = '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----';
    expect(loadConfig({ NODE_ENV: 'production', ...production, JWT_PRIVATE_KEY: pem }).cors).toEqual({ origins: [], localhost: false });
  });

  it('reads a comma-separated list of origins, or * for any', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://App.example.com, http://localhost:5173/' }).cors).toEqual({
      origins: ['https://app.example.com', 'http://localhost:5173'],
      localhost: false,
    });
    expect(loadConfig({ CORS_ORIGINS: '*' }).cors.origins).toBe('*');
  });

  it.each(['app.example.com', 'https://app.example.com/path', 'ftp://x.example', 'https://a.example, *'])('refuses %j', (raw) => {
    expect(() => loadConfig({ CORS_ORIGINS: raw })).toThrow(/CORS_ORIGINS/);
  });

  it('validates ACTIVATION_URL and LOGIN_URL as http(s) URLs', () => {
    const config = loadConfig({ ACTIVATION_URL: 'https://app.example.com/activate', LOGIN_URL: 'https://app.example.com/login' });
    expect(config.auth).toMatchObject({ activationUrl: 'https://app.example.com/activate', loginUrl: 'https://app.example.com/login' });
    expect(() => loadConfig({ ACTIVATION_URL: 'javascript:alert(1)' })).toThrow(/ACTIVATION_URL/);
    expect(() => loadConfig({ LOGIN_URL: 'not a url' })).toThrow(/LOGIN_URL/);
  });
});
