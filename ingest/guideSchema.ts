import { z } from 'zod';

/**
 * The one schema of a guide (办事指南). It mirrors the export format of knowledge-src/SCHEMA.md, so an official
 * district export loads as data. Types derive from it; nothing else describes a guide.
 */
export const MATERIAL_FORMS = ['原件', '复印件', '原件及复印件', '电子材料'] as const;
export const MATTER_TYPES = ['行政许可', '行政确认', '行政给付', '行政备案', '公共服务', '其他行政权力'] as const;
export const AUDIENCES = ['个人', '法人'] as const;
export const ONLINE_DEPTHS = ['全程网办', '网上预审', '仅线下'] as const;

const text = z.string().trim();
const nonEmpty = text.min(1, '不能为空');

export const MaterialSchema = z.object({
  name: nonEmpty,
  form: z.enum(MATERIAL_FORMS),
  copies: z.number().int().min(0).max(99),
  required: z.boolean(),
  when: text.default(''),
  exempt: z.boolean().default(false),
  requirements: text.default(''),
});

export const FaqSchema = z.object({ q: nonEmpty, a: nonEmpty });

export const GuideSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, 'id 须形如 qy-039（领域前缀-编号）'),
  name: nonEmpty,
  aliases: z.array(nonEmpty).default([]),
  department: nonEmpty,
  audience: z.array(z.enum(AUDIENCES)).min(1),
  type: z.enum(MATTER_TYPES),
  theme: text.default(''),
  basis: z.array(nonEmpty).default([]),
  conditions: z.array(nonEmpty).default([]),
  materials: z.array(MaterialSchema).min(1),
  process: z.array(nonEmpty).min(1),
  legalTimeLimit: nonEmpty,
  promisedTimeLimit: nonEmpty,
  fee: nonEmpty,
  online: z.object({
    available: z.boolean(),
    depth: z.enum(ONLINE_DEPTHS),
    entry: text.default(''),
  }),
  visits: z.number().int().min(0).max(5),
  location: nonEmpty,
  hours: nonEmpty,
  result: nonEmpty,
  contact: nonEmpty,
  faq: z.array(FaqSchema).default([]),
  notes: text.default(''),
});

export type Guide = z.infer<typeof GuideSchema>;
export type Material = z.infer<typeof MaterialSchema>;
export type Audience = (typeof AUDIENCES)[number];

/** A free-text document of a knowledge base (docs/*.jsonl rows, docs/*.md files). */
export const DocSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'id 只能包含字母、数字、点、下划线和连字符'),
  title: text.optional(),
  text: nonEmpty,
  source: text.optional(),
});
export type Doc = z.infer<typeof DocSchema>;

/**
 * How a material is to be treated (SCHEMA.md semantics): exempt wins over required; a non-required material
 * with a `when` is conditional; without one it is optional.
 */
export type MaterialKind = 'exempt' | 'required' | 'conditional' | 'optional';
export function materialKind(m: Material): MaterialKind {
  if (m.exempt) return 'exempt';
  if (m.required) return 'required';
  return m.when ? 'conditional' : 'optional';
}

/** Domain folder of a matter: the id's prefix (qy-039 → qy). */
export function domainOf(id: string): string {
  return id.slice(0, id.indexOf('-'));
}

/** Turns zod issues into field + reason pairs a clerk can act on. */
export function describeIssues(error: z.ZodError): { field: string; reason: string }[] {
  return error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(整体)', reason: i.message }));
}
