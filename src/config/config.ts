import { parseDuration } from './duration';

export interface AppConfig {
  nodeEnv: string;
  port: number;
  appUrl: string;
  logLevel: LogLevel;
  /** Human-readable log lines: a developer's terminal. JSON lines otherwise (production, pipes). */
  logPretty: boolean;
  /** TRUST_PROXY as Express took it (true, a hop count, addresses or subnets); false unless set. */
  trustProxy: boolean | number | string;
  dataDir: string;
  database: { url?: string };
  mail: {
    smtpUrl?: string;
    from: string;
    outDir: string;
    /** Mails of one template to one address per hour at most; 0 = no limit. */
    perAddressPerHour: number;
  };
  auth: {
    issuer: string;
    audience: string;
    accessTtl: number;
    refreshTtl: number;
    activationTtl: number;
    passwordResetTtl: number;
    emailChangeTtl: number;
    refreshReuseGrace: number;
    bcryptCost: number;
    /** JWT_PRIVATE_KEY's PEM keys, in order (the first signs); empty → managed keys in the database. */
    privateKeyPems: string[];
    /** How often managed keys rotate (JWT_KEY_ROTATION). */
    keyRotation: number;
    /** Where a key generated before keys moved into the database was kept (migrated on first start). */
    keysDir: string;
    passwordResetUrl?: string;
    /** Frontend page the activation email links to (with `?token=`); unset → this service's own page. */
    activationUrl?: string;
    /** Frontend login page, linked from the activation and reset outcome pages. */
    loginUrl?: string;
  };
  /** Origins a browser may call the API from (CORS). `localhost`: any http://localhost:<port>. */
  cors: { origins: '*' | string[]; localhost: boolean };
  events: {
    /** RabbitMQ the events are published to; unset → events only in the audit log. */
    amqpUrl?: string;
    exchange: string;
  };
  /** Prometheus /metrics on a port of its own; off when METRICS_PORT is unset. */
  metrics: { port?: number };
  rateLimit: {
    perMinute: number;
    loginFailuresLimit: number;
    loginFailuresWindow: number;
    redisUrl?: string;
    /** Prepended to every Redis key, so several services (or test runs) can share one Redis. */
    redisKeyPrefix: string;
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the environment once. Every variable has a development default;
 * NODE_ENV=production refuses to start on the ones that would be unsafe there.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const value = (name: string) => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const duration = (name: string, fallback: string) => {
    const raw = value(name) ?? fallback;
    const seconds = parseDuration(raw);
    if (seconds === undefined) {
      problems.push(`${name} must be a duration like 30s, 15m, 24h, 30d or a number of seconds (got "${raw}")`);
      return parseDuration(fallback)!;
    }
    return seconds;
  };
  const url = (name: string, protocols: string[]) => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error();
      return raw;
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')}// URL (got "${raw}")`);
      return undefined;
    }
  };

  const nodeEnv = value('NODE_ENV') ?? 'development';
  const port = integer('PORT', 3000, 0, 65535);
  const dataDir = value('DATA_DIR') ?? '.data';
  const logLevel = (value('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const appUrl = (url('APP_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const smtpUrl = url('SMTP_URL', ['smtp:', 'smtps:']);
  const privateKeyRaw = value('JWT_PRIVATE_KEY')?.replace(/\\n/g, '\n');
  const privateKeyPems = privateKeyRaw?.match(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/g) ?? [];
  if (privateKeyRaw && !privateKeyPems.length) {
    problems.push('JWT_PRIVATE_KEY must hold one or more PKCS#8 PEM private keys ("-----BEGIN PRIVATE KEY-----")');
  }
  const jwtKeys = value('JWT_KEYS');
  if (jwtKeys !== undefined && jwtKeys !== 'managed') problems.push(`JWT_KEYS must be "managed" or unset (got "${jwtKeys}")`);
  const exchange = value('EVENTS_EXCHANGE') ?? 'alat-berat.events';
  if (!/^[\w.:-]{1,127}$/.test(exchange))
    problems.push(`EVENTS_EXCHANGE must be 1-127 letters, digits, '.', '-', '_' or ':' (got "${exchange}")`);
  const bcryptCost = integer('BCRYPT_COST', 10, 4, 15);
  const metricsPort = value('METRICS_PORT') === undefined ? undefined : integer('METRICS_PORT', 0, 1, 65535);
  if (metricsPort === port) {
    problems.push(`METRICS_PORT must differ from PORT (${port}): /metrics is never served on the public port`);
  }
  const trustProxyRaw = value('TRUST_PROXY');
  const trustProxy =
    trustProxyRaw === undefined || trustProxyRaw === 'false' || trustProxyRaw === '0'
      ? false
      : trustProxyRaw === 'true'
        ? true
        : /^\d+$/.test(trustProxyRaw)
          ? Number(trustProxyRaw)
          : trustProxyRaw;

  const corsRaw = value('CORS_ORIGINS');
  const corsOrigins: '*' | string[] = corsRaw === '*' ? '*' : [];
  if (corsRaw !== undefined && corsRaw !== '*') {
    for (const entry of corsRaw.split(',').map((part) => part.trim().replace(/\/+$/, ''))) {
      if (!entry) continue;
      let origin: string | undefined;
      try {
        const parsed = new URL(entry);
        if (['http:', 'https:'].includes(parsed.protocol) && parsed.origin === entry.toLowerCase()) origin = parsed.origin;
      } catch {
        // reported below
      }
      if (origin) (corsOrigins as string[]).push(origin);
      else problems.push(`CORS_ORIGINS must be "*" or a comma-separated list of origins like https://app.example.com (got "${entry}")`);
    }
  }

  if (nodeEnv === 'production') {
    // JWT_KEYS=managed: generated, rotating keys kept in the database are the operator's choice in production too.
    const required = ['DATABASE_URL', 'SMTP_URL', 'APP_URL', ...(jwtKeys === 'managed' ? [] : ['JWT_PRIVATE_KEY'])];
    const missing = required.filter((name) => !value(name));
    if (missing.length) problems.push(`NODE_ENV=production needs ${missing.join(', ')} (the development defaults are not safe there)`);
  }

  const config: AppConfig = {
    nodeEnv,
    port,
    appUrl,
    logLevel: logLevel as LogLevel,
    logPretty: nodeEnv !== 'production' && process.stdout.isTTY === true,
    trustProxy,
    dataDir,
    database: { url: databaseUrl },
    mail: {
      smtpUrl,
      from: value('MAIL_FROM') ?? '"Alat Berat" <no-reply@localhost>',
      outDir: `${dataDir}/mail`,
      perAddressPerHour: integer('MAIL_PER_ADDRESS_PER_HOUR', 5, 0, 1_000_000),
    },
    auth: {
      issuer: value('JWT_ISSUER') ?? appUrl,
      audience: value('JWT_AUDIENCE') ?? 'alat-berat',
      accessTtl: duration('JWT_ACCESS_TTL', '15m'),
      refreshTtl: duration('JWT_REFRESH_TTL', '30d'),
      activationTtl: duration('ACTIVATION_TTL', '24h'),
      passwordResetTtl: duration('PASSWORD_RESET_TTL', '1h'),
      emailChangeTtl: duration('EMAIL_CHANGE_TTL', '24h'),
      refreshReuseGrace: duration('REFRESH_REUSE_GRACE', '10s'),
      bcryptCost,
      privateKeyPems,
      keyRotation: duration('JWT_KEY_ROTATION', '30d'),
      keysDir: `${dataDir}/keys`,
      passwordResetUrl: url('PASSWORD_RESET_URL', ['http:', 'https:']),
      activationUrl: url('ACTIVATION_URL', ['http:', 'https:']),
      loginUrl: url('LOGIN_URL', ['http:', 'https:']),
    },
    cors: { origins: corsOrigins, localhost: corsRaw === undefined && nodeEnv !== 'production' },
    events: { amqpUrl: url('AMQP_URL', ['amqp:', 'amqps:']), exchange },
    metrics: { port: metricsPort },
    rateLimit: {
      perMinute: integer('RATE_LIMIT_PER_MINUTE', 20, 0, 1_000_000),
      loginFailuresLimit: integer('LOGIN_FAILURES_LIMIT', 10, 0, 1_000_000),
      loginFailuresWindow: 15 * 60,
      redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
      redisKeyPrefix: value('REDIS_KEY_PREFIX') ?? 'alat-berat:',
    },
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
