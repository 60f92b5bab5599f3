import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { ApiError, errorBody } from '../errors.ts';
import type { Prechecker, UploadedFile } from '../precheck/precheck.ts';

const unprocessable = (code: string, message: string) => new ApiError(422, code, message);

const Situations = z.array(z.number().int().min(1).max(100)).max(100);

/** A file's display name: its base name, without control characters, at most 100 characters. */
function displayName(name: string, i: number): string {
  const base = name.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (base || `文件${i + 1}`).slice(0, 100);
}

/**
 * POST /api/precheck (multipart: matterId, files…, audience?, situations?) → the pre-check report
 * (CONTRACTS.md). Whole-request problems are errors (413 sizes and counts, 415 not multipart, 404 unknown
 * matter, 422 missing fields); one bad file is reported inside the report. Files stay in memory only.
 */
export function precheckRoutes(prechecker: Prechecker, config: Config) {
  const app = new Hono();
  const mb = 1024 * 1024;
  app.post(
    '/api/precheck',
    async (c, next) => {
      const type = c.req.header('content-type') ?? '';
      if (!type.toLowerCase().startsWith('multipart/form-data')) {
        return c.json(errorBody('unsupported_media_type', '请用表单（multipart/form-data）上传文件。'), 415);
      }
      await next();
    },
    bodyLimit({
      // The multipart envelope adds a little to the files themselves.
      maxSize: config.UPLOAD_MAX_TOTAL_MB * mb + 64 * 1024,
      onError: (c) => c.json(errorBody('upload_too_large', `上传的文件总大小超过 ${config.UPLOAD_MAX_TOTAL_MB} MB，请分批或压缩后再试。`), 413),
    }),
    async (c) => {
      let body: Record<string, string | File | (string | File)[]>;
      try {
        body = await c.req.parseBody({ all: true });
      } catch {
        throw unprocessable('invalid_multipart', '上传内容无法解析，请重新选择文件后再试。');
      }
      const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);
      const matterId = one(body.matterId);
      if (typeof matterId !== 'string' || !matterId.trim()) throw unprocessable('missing_matter', '请先选择要办理的事项（matterId）。');
      const audience = one(body.audience);
      if (audience !== undefined && audience !== '个人' && audience !== '法人') {
        throw unprocessable('invalid_audience', 'audience 只能是“个人”或“法人”。');
      }
      let situations: number[] = [];
      const rawSituations = one(body.situations);
      if (rawSituations !== undefined && rawSituations !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(rawSituations));
        } catch {
          parsed = undefined;
        }
        const r = Situations.safeParse(parsed);
        if (!r.success) throw unprocessable('invalid_situations', 'situations 须为适用情形的材料序号数组，例如 [5,6]。');
        situations = r.data;
      }
      const raw = body.files === undefined ? [] : Array.isArray(body.files) ? body.files : [body.files];
      const files = raw.filter((f): f is File => typeof f !== 'string');
      if (!files.length) throw unprocessable('no_files', '请至少上传一个文件。');
      if (files.length > config.UPLOAD_MAX_FILES) {
        throw new ApiError(413, 'too_many_files', `一次最多上传 ${config.UPLOAD_MAX_FILES} 个文件，请分批预审。`);
      }
      const big = files.find((f) => f.size > config.UPLOAD_MAX_MB * mb);
      if (big) throw new ApiError(413, 'file_too_large', `单个文件不能超过 ${config.UPLOAD_MAX_MB} MB，请压缩后再上传。`);
      const uploads: UploadedFile[] = await Promise.all(
        files.map(async (f, i) => ({ name: displayName(f.name, i), data: new Uint8Array(await f.arrayBuffer()) })),
      );
      const report = await prechecker.check(matterId.trim(), uploads, { situations });
      return c.json(report);
    },
  );
  return app;
}
