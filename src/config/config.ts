import { parseDuration } from './duration';

export interface AppConfig {
  nodeEnv: string;
  port: number;
  appUrl: string;
  logLevel: LogLevel;
  /** Human-readable log lines: a developer's terminal. JSON lines otherwise (production, pipes). */
  logPretty: boolean;
  /** Express "trust proxy" value; false unless TRUST_PROXY is set. */
  trustProxy: boolean | number | string;
  dataDir: string;
  database: { url?: string };
  mail: { smtpUrl?: string; from: string; outDir: string };
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
    privateKeyPem?: string;
    keysDir: string;
    passwordResetUrl?: string;
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
  const privateKeyPem = value('JWT_PRIVATE_KEY')?.replace(/\\n/g, '\n');
  if (privateKeyPem && !privateKeyPem.includes('-----BEGIN PRIVATE KEY-----')) {
    problems.push('JWT_PRIVATE_KEY must be a PKCS#8 PEM private key ("-----BEGIN PRIVATE KEY-----")');
  }
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

  if (nodeEnv === 'production') {
    const missing = ['DATABASE_URL', 'SMTP_URL', 'APP_URL', 'JWT_PRIVATE_KEY'].filter((name) => !value(name));
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
      privateKeyPem,
      keysDir: `${dataDir}/keys`,
      passwordResetUrl: url('PASSWORD_RESET_URL', ['http:', 'https:']),
    },
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
