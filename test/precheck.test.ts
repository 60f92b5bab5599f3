import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { Document, Packer, Paragraph } from 'docx';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guideSections } from '../ingest/sections.ts';
import { createApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { isValidUscc, signatureEmpty } from '../server/precheck/checks.ts';
import { materialParts } from '../server/precheck/match.ts';
import { DEFAULT_LIMITS } from '../server/precheck/limits.ts';
import { Prechecker } from '../server/precheck/precheck.ts';
import { PrecheckReportSchema } from '../server/precheck/schema.ts';
import { fieldValues, normalizeExtracted, validityPeriods } from '../server/precheck/text.ts';
import { loadIndex, type LoadedIndex } from '../server/retrieval/loadIndex.ts';
import { TEST_INDEX } from './globalSetup.ts';

const TODAY = new Date('2026-11-22T00:00:00Z');
let index: LoadedIndex;
let prechecker: Prechecker;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  index = await loadIndex(TEST_INDEX);
  prechecker = new Prechecker(index.guideById, { concurrency: 1 });
  app = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0', UPLOAD_MAX_FILES: '3', UPLOAD_MAX_MB: '1', UPLOAD_MAX_TOTAL_MB: '2' }), index, prechecker });
});
afterAll(() => prechecker.close());

const utf8 = (s: string) => new TextEncoder().encode(s);
async function docx(lines: string[]): Promise<Uint8Array> {
  const doc = new Document({ sections: [{ children: lines.map((l) => new Paragraph(l)) }] });
  return new Uint8Array(await Packer.toBuffer(doc));
}

const FOOD = 'qy-039'; // 食品经营许可（新办）
const APPLICATION = ['食品经营许可申请书', '申请人名称：上海味道餐饮管理有限公司', '法定代表人：张伟', '经营场所：上海市徐汇区漕溪北路88号', '法定代表人（签字）：张伟', '日期：2026年11月8日'];
const RULES = ['食品安全规章制度目录清单', '一、从业人员健康管理制度', '二、进货查验记录制度', '三、食品安全自查制度', '四、食品安全事故处置方案'];
const LAYOUT = ['经营场所平面布局图', '比例 1:100', '加工区 12平方米', '就餐区 40平方米', '仓储区 6平方米', '主要设备：冷藏柜、消毒柜、排风设备'];

describe('text helpers', () => {
  it('turns Chromium PDF radicals into ordinary hanzi but keeps Chinese punctuation', () => {
    expect(normalizeExtracted('⻝品经营许可申请书\n申请⼈：张伟')).toBe('食品经营许可申请书\n申请人：张伟');
    expect(normalizeExtracted('有效期限：２０２５．０１．０１')).toBe('有效期限：2025．01．01');
  });
  it('reads labelled fields written as forms, certificates and OCR lines give them', () => {
    expect(fieldValues('姓名：张伟', '姓名')).toEqual(['张伟']);
    expect(fieldValues('姓名张伟性别男民族汉', '姓名')).toEqual(['张伟']);
    expect(fieldValues('申请人（签字）：李娜', '申请人')).toEqual(['李娜']);
  });
  it('finds validity periods in the ways documents write them', () => {
    const end = (t: string) => validityPeriods(t).map((v) => v.end?.toISOString().slice(0, 10) ?? '长期');
    expect(end('有效期限 2006.05.01-2016.05.01')).toEqual(['2016-05-01']);
    expect(end('营业期限：2015年1月1日至长期')).toEqual(['长期']);
    expect(end('营业期限 2015年01月01日 至 2025年12月31日')).toEqual(['2025-12-31']);
    expect(end('本证有效期至2027年3月1日')).toEqual(['2027-03-01']);
    expect(end('租赁期限自2025年1月1日起至2027年12月31日止')).toEqual(['2027-12-31']);
    expect(end('成立日期 2015年1月1日')).toEqual([]);
  });
  it('checks unified social credit codes by GB 32100', () => {
    expect(isValidUscc('91350100M000100Y43')).toBe(true);
    expect(isValidUscc('91350100M000100Y44')).toBe(false);
    expect(isValidUscc('91350100M00010OY43')).toBe(false); // O is not in the code's alphabet
  });
  it('tells a filled signature line from an empty one', () => {
    expect(signatureEmpty('申请人（签字）：张伟  日期：2026年11月8日')).toBe(false);
    expect(signatureEmpty('申请人（签字）：________  日期：____年__月__日')).toBe(true);
    expect(signatureEmpty('申请人（签字）：\n（盖章）')).toBe(true);
    expect(signatureEmpty('没有签字栏的文件')).toBeUndefined();
  });
  it('splits a material name into the documents it asks for', () => {
    expect(materialParts('授权委托书及代理人身份证件')).toEqual(['授权委托书及代理人身份证件', '授权委托书', '代理人身份证件']);
    expect(materialParts('《医疗机构执业许可证》副本')).toContain('医疗机构执业许可证副本');
  });
});

describe('Prechecker', () => {
  it('matches documents by content, not file name, and reports every material with its citation', async () => {
    const r = await prechecker.check(
      FOOD,
      [
        { name: '文档1.docx', data: await docx(APPLICATION) },
        { name: 'a.txt', data: utf8(RULES.join('\n')) },
        { name: 'b.txt', data: utf8(LAYOUT.join('\n')) },
      ],
      { today: TODAY },
    );
    const guide = index.guideById.get(FOOD)!;
    expect(r.materials.map((m) => m.index)).toEqual(guide.materials.map((_, i) => i + 1));
    const status = Object.fromEntries(r.materials.map((m) => [m.name, m.status]));
    expect(status).toEqual({
      食品经营许可申请书: 'provided',
      营业执照或其他主体资格证明文件: 'exempt',
      '主要设备设施、经营布局、操作流程等文件': 'provided',
      食品安全规章制度目录清单: 'provided',
      自动售货设备相关材料: 'conditional',
      授权委托书及代理人身份证件: 'conditional',
    });
    expect(r.materials[0].files).toEqual(['文档1.docx']);
    expect(r.complete).toBe(true);
    expect(r.summary).toContain('已齐全');
    expect(r.materials[4].question).toContain('利用自动设备从事食品经营的');
    for (const m of r.materials) {
      expect(m.citation.section).toBe(`material-${m.index}`);
      expect(m.citation.url).toBe(`/matters/${FOOD}#material-${m.index}`);
      const section = guideSections(guide).find((s) => s.id === m.citation.section)!;
      expect(section.values.some((v) => v.includes(m.citation.quote))).toBe(true);
    }
  });

  it('says what is missing, asks about declared situations, and never calls an incomplete set complete', async () => {
    const r = await prechecker.check(FOOD, [{ name: 'rules.txt', data: utf8(RULES.join('\n')) }], { today: TODAY, situations: [6] });
    const status = r.materials.map((m) => m.status);
    expect(status).toEqual(['missing', 'exempt', 'missing', 'provided', 'conditional', 'missing']);
    expect(r.complete).toBe(false);
    expect(r.summary).toMatch(/^还缺 3 项材料/);
  });

  it('flags an empty signature where the guide asks for one, and an unrelated file', async () => {
    const unsigned = APPLICATION.map((l) => (l.startsWith('法定代表人（签字）') ? '法定代表人（签字）：__________' : l));
    const r = await prechecker.check(
      FOOD,
      [
        { name: 'form.docx', data: await docx(unsigned) },
        { name: 'menu.txt', data: utf8('招牌奶茶 15元\n芋泥波波 18元\n杨枝甘露 20元\n欢迎光临') },
      ],
      { today: TODAY },
    );
    expect(r.materials[0].status).toBe('problem');
    expect(r.materials[0].problems.map((p) => p.code)).toEqual(['unsigned']);
    expect(r.materials[0].problems[0].advice).toContain('签字');
    expect(r.unmatched).toEqual([{ file: 'menu.txt', reason: 'no-match', advice: expect.stringContaining('不是本事项需要的材料') }]);
  });

  it('finds an expired ID card, a bad ID checksum and a name that differs from the applicant', async () => {
    // 居住证 (a personal matter whose first material is the applicant's ID) — found by name in the test index.
    const guide = index.guides.find((g) => g.materials.some((m) => /申请表|申请书/.test(m.name)) && g.materials.some((m) => /^(本人)?(有效)?居民身份证$/.test(m.name)))!;
    expect(guide).toBeDefined();
    const form = guide.materials.findIndex((m) => /申请表|申请书/.test(m.name)) + 1;
    const id = guide.materials.findIndex((m) => /^(本人)?(有效)?居民身份证$/.test(m.name)) + 1;
    const formText = [guide.materials[form - 1].name, '申请人：张伟', '联系电话：13800000000', '申请人（签字）：张伟'].join('\n');
    const card = (name: string, number: string, period: string) =>
      ['中华人民共和国居民身份证', `姓名 ${name}`, '性别 男 民族 汉', '住址 上海市徐汇区漕溪北路88号', `公民身份号码 ${number}`, '签发机关 上海市公安局徐汇分局', `有效期限 ${period}`].join('\n');
    const check = async (cardText: string) => {
      const r = await prechecker.check(guide.id, [{ name: 'f.txt', data: utf8(formText) }, { name: 'c.txt', data: utf8(cardText) }], { today: TODAY });
      return r.materials[id - 1];
    };
    // 11010519491231002X is the GB 11643 standard's own example number.
    expect((await check(card('张伟', '11010519491231002X', '2016.03.01-2036.03.01'))).status).toBe('provided');
    expect((await check(card('张伟', '11010519491231002X', '2006.05.01-2016.05.01'))).problems.map((p) => p.code)).toEqual(['expired']);
    expect((await check(card('张伟', '110105194912310021', '2016.03.01-2036.03.01'))).problems.map((p) => p.code)).toEqual(['id-checksum']);
    const other = await check(card('李娜', '11010519491231002X', '2016.03.01-2036.03.01'));
    expect(other.status).toBe('problem');
    expect(other.problems[0]).toMatchObject({ code: 'name-mismatch', message: expect.stringContaining('李娜') });
  });
});

const FIXTURES = 'evals/fixtures/precheck';
const fixture = (name: string) => ({ name, data: new Uint8Array(fs.readFileSync(`${FIXTURES}/${name}`)) });
const hasPoppler = spawnSync('pdftoppm', ['-v']).error === undefined;
if (!hasPoppler) {
  if (process.env.CI === 'true') throw new Error('CI needs poppler-utils (pdftoppm) for the scanned-PDF tests: .ci/run installs it');
  console.warn('[precheck.test] pdftoppm (Debian poppler-utils) is missing: the scanned-PDF test is skipped locally');
}

describe('documents as citizens upload them (generated fixtures, OCR)', () => {
  it("the issue's walk-through: application PDF, phone photo of the floor plan, rules DOCX, an unrelated picture", async () => {
    const r = await prechecker.check(
      FOOD,
      ['食品经营许可申请书.pdf', 'IMG_20261108_1432.jpg', '文档1.docx', 'IMG_20261103_0915.jpg'].map(fixture),
      { today: TODAY },
    );
    expect(r.materials.map((m) => [m.status, m.files])).toEqual([
      ['provided', ['食品经营许可申请书.pdf']],
      ['exempt', []],
      ['provided', ['IMG_20261108_1432.jpg']],
      ['provided', ['文档1.docx']],
      ['conditional', []],
      ['conditional', []],
    ]);
    expect(r.files.map((f) => f.via)).toEqual(['pdf-text', 'ocr', 'docx', undefined]);
    expect(r.unmatched.map((u) => u.file)).toEqual(['IMG_20261103_0915.jpg']);
    expect(r.complete).toBe(true);
  });

  it('keeps answering questions after OCR ran (OCR in its own process: onnxruntime in a worker thread aborted the server)', async () => {
    await prechecker.check(FOOD, [fixture('IMG_20261108_1432.jpg')], { today: TODAY });
    for (const question of ['开奶茶店办食品经营许可证要准备什么材料', '办居住证要多久']) {
      const res = await app.request('/api/ask', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
      expect(res.status).toBe(200);
    }
  });

  it('reads a skewed phone photo of an ID card and finds it expired', async () => {
    // manifest.json records each generated file's planted defects; this is a photo of an expired card.
    const manifest = JSON.parse(fs.readFileSync(`${FIXTURES}/manifest.json`, 'utf8')) as { files: { file: string; defects?: string[] }[] };
    const photo = manifest.files.find((f) => /\.jpe?g$/i.test(f.file) && f.defects?.includes('expired'));
    expect(photo).toBeDefined();
    const r = await prechecker.check('wh-040', [fixture(photo!.file)], { today: TODAY });
    const row = r.materials.find((m) => m.files.includes(photo!.file));
    expect(row?.problems.map((p) => p.code)).toContain('expired');
  });

  it('gives up on a file past its time limit, says so, and goes on with a fresh worker', async () => {
    const hurried = new Prechecker(index.guideById, { limits: { ...DEFAULT_LIMITS, timeoutMs: 150 } });
    try {
      const r = await hurried.check(FOOD, [fixture('IMG_20261108_1432.jpg'), { name: 'rules.txt', data: utf8(RULES.join('\n')) }], { today: TODAY });
      expect(r.unmatched).toEqual([{ file: 'IMG_20261108_1432.jpg', reason: 'timeout', advice: expect.stringContaining('处理时间过长') }]);
      expect(r.materials[3]).toMatchObject({ status: 'provided', files: ['rules.txt'] });
    } finally {
      await hurried.close();
    }
  });

  it.skipIf(!hasPoppler)('OCRs a scanned PDF page by page (poppler renders it)', async () => {
    const r = await prechecker.check(FOOD, ['食品经营许可申请书.pdf', '扫描全能王 2026-11-09 10.12.pdf', '文档1.docx', 'scan002.pdf'].map(fixture), { today: TODAY, situations: [6] });
    expect(r.files.find((f) => f.file === 'scan002.pdf')?.via).toBe('pdf-ocr');
    expect(r.materials.map((m) => m.status)).toEqual(['provided', 'exempt', 'provided', 'provided', 'conditional', 'provided']);
  });
});

describe('POST /api/precheck', () => {
  const form = (fields: Record<string, string>, files: [string, Uint8Array, string?][]) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    for (const [name, data, type] of files) fd.append('files', new File([data as Uint8Array<ArrayBuffer>], name, { type: type ?? 'application/octet-stream' }));
    return fd;
  };
  const send = async (body: FormData | string, headers: Record<string, string> = {}) => {
    const res = await app.request('/api/precheck', { method: 'POST', body, headers });
    return { status: res.status, body: await res.json() };
  };

  it('returns the report for a multipart upload', async () => {
    const { status, body } = await send(form({ matterId: FOOD, situations: '[5]' }, [['规章.docx', await docx(RULES)]]));
    expect(status).toBe(200);
    expect(PrecheckReportSchema.parse(body)).toEqual(body);
    expect(body.matterId).toBe(FOOD);
    expect(body.materials.find((m: { index: number }) => m.index === 4).status).toBe('provided');
    expect(body.materials.find((m: { index: number }) => m.index === 5).status).toBe('missing');
    expect(body.disclaimer).toContain('以窗口工作人员审核');
  });

  it('rejects whole-request problems with a code and a Chinese message', async () => {
    const small: [string, Uint8Array][] = [['a.txt', utf8(RULES.join('\n'))]];
    const cases: [Promise<{ status: number; body: { error: { code: string; message: string } } }>, number, string][] = [
      [send(JSON.stringify({ matterId: FOOD }), { 'content-type': 'application/json' }), 415, 'unsupported_media_type'],
      [send(form({ matterId: 'nope-1' }, small)), 404, 'matter_not_found'],
      [send(form({}, small)), 422, 'missing_matter'],
      [send(form({ matterId: FOOD }, [])), 422, 'no_files'],
      [send(form({ matterId: FOOD, situations: 'all' }, small)), 422, 'invalid_situations'],
      [send(form({ matterId: FOOD }, [...small, ...small, ...small, ...small])), 413, 'too_many_files'],
      [send(form({ matterId: FOOD }, [['big.txt', new Uint8Array(1.5 * 1024 * 1024).fill(65)]])), 413, 'file_too_large'],
      [send(form({ matterId: FOOD }, [['b1.txt', new Uint8Array(0.9 * 1024 * 1024).fill(65)], ['b2.txt', new Uint8Array(0.9 * 1024 * 1024).fill(65)], ['b3.txt', new Uint8Array(0.9 * 1024 * 1024).fill(65)]])), 413, 'upload_too_large'],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      expect([r.status, r.body.error.code]).toEqual([status, code]);
      expect(r.body.error.message).toMatch(/\p{Script=Han}/u);
    }
  });

  it('reports bad files inside an acceptable request: unsupported, pixel bomb, decompression bomb, broken', async () => {
    const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0, 0, 0, 0x04, 0, 0, 0, 0xff, 0xff, 0, 0, ...new Array(200).fill(0)]);
    // A PNG header declaring 100000 × 100000 pixels: rejected from the header, never decoded.
    const bomb = pngHeader(100_000, 100_000);
    // A DOCX whose parts inflate to 200 MB from a few hundred KB.
    const zip = new JSZip();
    zip.file(
      '[Content_Types].xml',
      '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    );
    zip.file('word/document.xml', new Uint8Array(200 * 1024 * 1024));
    const docxBomb = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } });
    expect(docxBomb.length).toBeLessThan(1024 * 1024);
    const brokenPdf = utf8('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF garbage');
    const { status, body } = await send(
      form({ matterId: FOOD }, [
        ['setup.exe', exe],
        ['photo.png', bomb],
        ['form.docx', docxBomb],
      ]),
    );
    expect(status).toBe(200);
    PrecheckReportSchema.parse(body);
    expect(body.unmatched.map((u: { file: string; reason: string }) => [u.file, u.reason])).toEqual([
      ['setup.exe', 'unsupported'],
      ['photo.png', 'too-large'],
      ['form.docx', 'too-large'],
    ]);
    for (const u of body.unmatched) expect(u.advice).toMatch(/\p{Script=Han}/u);
    const r2 = await send(form({ matterId: FOOD }, [['scan.pdf', brokenPdf]]));
    expect(r2.body.unmatched[0]).toMatchObject({ file: 'scan.pdf', reason: 'unreadable' });
  });
});

/** A PNG signature and IHDR chunk declaring the given size, with one tiny IDAT: enough for a header reader. */
function pngHeader(width: number, height: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk('IEND', new Uint8Array())];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
