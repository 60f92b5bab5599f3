import { z } from 'zod';
import { DEFAULT_MODE, RETRIEVAL_MODES } from './retrieval/retrieve.ts';

/** Comma-separated list from the environment. */
const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/**
 * The service's configuration: every setting comes from the environment (names in CONTRACTS.md), parsed
 * once here. `.env.example` lists them with their defaults.
 */
export const ConfigSchema = z.object({
  PORT: int(8787, 1),
  HOST: z.string().default('0.0.0.0'),
  INDEX_DIR: z.string().default('.index'),
  KNOWLEDGE_DIR: z.string().default('knowledge'),
  EMBEDDING_MODEL_DIR: z.string().optional(),
  RETRIEVAL_MODE: z.enum(RETRIEVAL_MODES).default(DEFAULT_MODE),
  LLM_BASE_URL: z.string().url().optional(),
  LLM_MODEL: z.string().optional(),
  LLM_API_KEY: z.string().optional(),
  /** Past this an LLM answer is abandoned for the extractive one. */
  LLM_TIMEOUT_MS: int(8000, 100),
  STAFF_TOKEN: z.string().optional(),
  ALLOWED_ORIGINS: list,
  RATE_LIMIT_PER_MIN: int(60),
  RATE_LIMIT_EXEMPT: list,
  /** Behind a reverse proxy that sets X-Forwarded-For: take the client address from it. */
  TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Largest JSON body accepted (kilobytes); larger → 413. */
  MAX_BODY_KB: int(64, 1),
  DATA_DIR: z.string().default('.data'),
  RETENTION_DAYS: int(180, 1),
  UPLOAD_MAX_FILES: int(10, 1),
  UPLOAD_MAX_MB: int(20, 1),
  UPLOAD_MAX_TOTAL_MB: int(40, 1),
  PRECHECK_CONCURRENCY: int(2, 1),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Parses the environment; a bad value stops the start-up with the variable's name and the reason. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`配置错误：\n${lines.join('\n')}`);
  }
  return parsed.data;
}
