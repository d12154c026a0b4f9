import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const intFromEnv = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: intFromEnv(8080).refine((p) => p < 65536, 'must be a TCP port (0-65535)'),
  HOST: z.string().default('127.0.0.1'),
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .default('mongodb://127.0.0.1:27017/scim_sync'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  PUBLIC_BASE_URL: z.url('must be an absolute URL such as https://scim.example.com').optional(),
  /** Largest accepted request body, also advertised as bulk.maxPayloadSize. */
  SCIM_MAX_PAYLOAD_BYTES: intFromEnv(10 * 1024 * 1024, 1024),
  SCIM_BULK_MAX_OPERATIONS: intFromEnv(1000, 1),
  /** Page size bound, advertised as filter.maxResults. */
  SCIM_MAX_RESULTS: intFromEnv(1000, 1),
  /** Per-directory sustained request rate; Entra sends at most 25/s per tenant, Okta less. 0 disables. */
  SCIM_RATE_LIMIT_PER_SECOND: intFromEnv(200),
  SCIM_RATE_LIMIT_BURST: intFromEnv(400, 1),
  /** Days the SCIM request log keeps each directory's requests (whole days are deleted after that). 0 turns the log off. */
  SCIM_REQUEST_LOG_DAYS: intFromEnv(7),
  /** The request log writes what it buffered this often, in one batch per directory. */
  SCIM_REQUEST_LOG_FLUSH_MS: intFromEnv(250, 1),
  /**
   * How long one process may keep an access document, API key, admin key or project it read. Every
   * read still checks the entry's freshness tag in Redis, so writes are seen at once on all instances;
   * this only bounds staleness if a writer could not reach Redis. 0 disables the cache.
   */
  ACCESS_CACHE_MS: intFromEnv(60_000),
  ACCESS_CACHE_ENTRIES: intFromEnv(100_000, 1),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only').default('scim-sync'),
  WORKER_CONCURRENCY: intFromEnv(4, 1),
  /**
   * Which server's code paths to take: `auto` asks the server (FerretDB announces itself). `mongodb`
   * forces the MongoDB paths even on FerretDB, which is how CI runs them on this machine.
   */
  MONGO_BACKEND: z.enum(['auto', 'mongodb', 'ferretdb']).default('auto'),
  /** Statements per bulk update on the MongoDB path (MongoDB takes 1,000; FerretDB under the MongoDB path, far fewer). */
  MONGO_BULK_UPDATE_SIZE: intFromEnv(1000, 1),
  /** Connections to MongoDB per process. */
  MONGO_POOL_SIZE: intFromEnv(20, 1),
  /** A change still pending this long after it was accepted is queued again by the sweeper. */
  SWEEP_GRACE_MS: intFromEnv(5000, 100),
  SWEEP_INTERVAL_MS: intFromEnv(2000, 100),
  /** A job whose worker stops renewing its lock for this long (killed, frozen) is retried elsewhere. */
  WORKER_LOCK_MS: intFromEnv(30_000, 500),
  /** Events are kept this many days, then deleted a block at a time (the Events API and replay reach back this far). */
  EVENT_RETENTION_DAYS: intFromEnv(30, 1),
  /**
   * A draft is sequenced once it is this old, so two writes to one subject from two requests get
   * seq values in the order their data writes were made, even when the second draft lands first.
   */
  EVENT_SETTLE_MS: intFromEnv(50, 0),
  /** Webhook URLs may be plain http and name loopback or private addresses (development and tests only). */
  WEBHOOK_ALLOW_PRIVATE_URLS: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** A receiver must answer within this long; slower counts as a failed attempt. */
  WEBHOOK_TIMEOUT_MS: intFromEnv(10_000, 100),
  /** Deliveries in flight per worker process (different subjects and endpoints go in parallel). */
  WEBHOOK_CONCURRENCY: intFromEnv(16, 1),
  /** Attempts in flight to one endpoint per worker process: a hanging receiver holds at most this many slots. */
  WEBHOOK_ENDPOINT_CONCURRENCY: intFromEnv(4, 1),
  /**
   * Retry delays in ms after the 1st, 2nd, ... failed attempt (the last repeats; jittered), comma-separated.
   * Empty: the production schedule in src/events/retry-schedule.ts (5 s up to 14 h). Tests use milliseconds.
   * Kept as the string (parsed by retry-schedule.ts) so a config can be written back to an environment.
   */
  WEBHOOK_RETRY_DELAYS_MS: z
    .string()
    .regex(/^(\d+(,\d+)*)?$/, 'comma-separated milliseconds, e.g. 5000,300000')
    .default(''),
  /** A delivery is retried until this long after its first attempt, then it is failed (3 days). */
  WEBHOOK_RETRY_WINDOW_MS: intFromEnv(3 * 86_400_000, 100),
  /** An endpoint whose every attempt has failed for this long is disabled (5 days). */
  WEBHOOK_DISABLE_AFTER_MS: intFromEnv(5 * 86_400_000, 100),
  /** Run the propagation workers inside the API process (the one-command local run). */
  IN_PROCESS_WORKERS: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
});

export type Config = Readonly<z.infer<typeof schema>>;

export class ConfigError extends Error {}

/** Parses the environment once; a wrong value stops the process with one clear line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${issues}`);
  }
  return Object.freeze(parsed.data);
}

/** The SCIM base URL clients are given; PUBLIC_BASE_URL wins, else the local listener. */
export function scimBaseUrl(config: Config): string {
  const origin = config.PUBLIC_BASE_URL?.replace(/\/+$/, '') ?? `http://${config.HOST}:${config.PORT}`;
  return `${origin}/scim/v2`;
}

/** For process entry points: the config, or one clear line on stderr and exit code 2. */
export function loadConfigOrExit(processName: string): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${processName}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
