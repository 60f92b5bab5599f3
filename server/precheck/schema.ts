import { z } from 'zod';
import { CitationSchema } from '../answer/schema.ts';

/**
 * The pre-check report (CONTRACTS.md "Pre-check"), for /openapi.json and for tests that hold the route to it.
 * Extensions beyond the contract: `matterName`, `complete`, `disclaimer`, `files`, `timings`; per material
 * `form`, `copies`, `requirements`, `when`, `question`, `note`; per unmatched file `advice` and the reason
 * `no-match` (readable, but no material fits).
 */
export const PrecheckReportSchema = z.object({
  matterId: z.string(),
  matterName: z.string(),
  summary: z.string().describe('一句话结论，如“还缺 2 项材料，1 项需要修改。”'),
  complete: z.boolean().describe('必须提交的材料是否齐全且未发现问题'),
  materials: z.array(
    z.object({
      index: z.number().int().min(1),
      name: z.string(),
      status: z.enum(['provided', 'missing', 'problem', 'exempt', 'conditional', 'optional']),
      files: z.array(z.string()),
      problems: z.array(
        z.object({
          code: z.enum(['expired', 'id-checksum', 'uscc-checksum', 'name-mismatch', 'unsigned', 'copy-not-original']),
          message: z.string(),
          advice: z.string(),
        }),
      ),
      citation: CitationSchema,
      form: z.string(),
      copies: z.number().int(),
      requirements: z.string(),
      when: z.string().optional(),
      question: z.string().optional(),
      note: z.string(),
    }),
  ),
  unmatched: z.array(z.object({ file: z.string(), reason: z.enum(['unsupported', 'too-large', 'timeout', 'unreadable', 'no-match']), advice: z.string() })),
  files: z.array(z.object({ file: z.string(), via: z.enum(['pdf-text', 'pdf-ocr', 'docx', 'text', 'ocr']).optional(), material: z.number().int().optional() })),
  disclaimer: z.string(),
  timings: z.object({ totalMs: z.number(), perFileMs: z.array(z.number()) }),
});
