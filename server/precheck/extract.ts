import { spawn } from 'node:child_process';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import * as yauzl from 'yauzl';
import { ocrText, type Recognizer } from './ocr.ts';
import { DEFAULT_LIMITS, FileProblem, type ExtractLimits, type Extracted, type FileKind } from './limits.ts';
import { normalizeExtracted } from './text.ts';

const IMAGE_MIMES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/tiff', 'image/bmp', 'image/gif', 'image/heic', 'image/avif']);
const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The file's type from its content (magic bytes), never from its name; plain text is recognised by decoding. */
export async function sniff(buf: Uint8Array): Promise<FileKind | undefined> {
  const t = await fileTypeFromBuffer(buf);
  if (t) {
    if (t.mime === 'application/pdf') return 'pdf';
    if (t.mime === DOCX_MIME) return 'docx';
    if (IMAGE_MIMES.has(t.mime)) return 'image';
    return undefined;
  }
  return decodeText(buf) !== undefined ? 'text' : undefined;
}

/** UTF-8 (or GB18030, common for files saved on Chinese Windows) text without binary control bytes. */
function decodeText(buf: Uint8Array): string | undefined {
  if (!buf.length) return undefined;
  for (const enc of ['utf-8', 'gb18030']) {
    try {
      const s = new TextDecoder(enc, { fatal: true }).decode(buf);
      if (/[\u0000-\u0008\u000e-\u001f]/.test(s)) return undefined;
      return s.replace(/^\uFEFF/, '');
    } catch {
      /* try the next encoding */
    }
  }
  return undefined;
}

const UNSUPPORTED = new FileProblem('unsupported', '不支持这种文件格式，请上传 PDF、Word（.docx）、图片（JPG/PNG）或文本文件。');
const UNREADABLE_IMAGE = new FileProblem(
  'unreadable',
  '没能从这张图片中识别出文字。如果它是材料的照片，请在光线充足处把材料放平、正对拍摄，确保字迹清晰完整后重新上传。',
);

/**
 * Text of one uploaded file, within the limits; throws FileProblem when the file cannot be used. Runs in the
 * extraction worker process (workerPool.ts), which also enforces the time limit by killing the worker.
 */
export async function extractText(buf: Uint8Array, ocr: Recognizer, limits: ExtractLimits = DEFAULT_LIMITS): Promise<Extracted> {
  const kind = await sniff(buf);
  if (!kind) throw UNSUPPORTED;
  const deadline = Date.now() + limits.timeoutMs;
  switch (kind) {
    case 'text':
      return { kind, via: 'text', text: normalizeExtracted(decodeText(buf)!) };
    case 'docx':
      return { kind, via: 'docx', text: normalizeExtracted(await docxText(buf, limits)) };
    case 'pdf':
      return pdfText(buf, ocr, limits, deadline);
    case 'image': {
      const { text, confidence } = await imageText(buf, ocr, limits);
      return { kind, via: 'ocr', text, confidence };
    }
  }
}

/** A DOCX's text (mammoth), after checking the zip's declared sizes so a decompression bomb is never inflated. */
async function docxText(buf: Uint8Array, limits: ExtractLimits): Promise<string> {
  const tooLarge = new FileProblem('too-large', '这个 Word 文件解压后过大，请另存为 PDF 后重新上传。');
  const unreadable = new FileProblem('unreadable', '这个 Word 文件已损坏或无法打开，请重新保存后上传，或另存为 PDF。');
  let total = 0;
  try {
    const zip = await yauzl.fromBufferPromise(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    await new Promise<void>((resolve, reject) => {
      let entries = 0;
      zip.on('entry', (e: yauzl.Entry) => {
        total += e.uncompressedSize;
        entries++;
        if (total > limits.maxUnzippedBytes || entries > 5000) {
          zip.close();
          reject(tooLarge);
        } else zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
  } catch (e) {
    throw e instanceof FileProblem ? e : unreadable;
  }
  try {
    const mammoth = (await import('mammoth')).default;
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) });
    return value;
  } catch {
    throw unreadable;
  }
}

/** Hanzi, letters and digits in a text: how much was really read. */
const meaningful = (s: string) => s.replace(/[^\p{Script=Han}A-Za-z0-9]/gu, '').length;

/** PDF text layer (pdf.js through unpdf); pages without one (scans) are rendered by poppler and OCR'd. */
async function pdfText(buf: Uint8Array, ocr: Recognizer, limits: ExtractLimits, deadline: number): Promise<Extracted> {
  const { getDocumentProxy } = await import('unpdf');
  let pages: string[];
  try {
    // pdf.js takes ownership of the array it is given: pass a copy.
    const doc = await getDocumentProxy(new Uint8Array(buf));
    if (doc.numPages > limits.maxPages) {
      await doc.loadingTask.destroy();
      throw new FileProblem('too-large', `这个 PDF 页数过多（超过 ${limits.maxPages} 页），请只上传本事项需要的材料页。`);
    }
    pages = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const page = await doc.getPage(i);
      const content = await page.getTextContent();
      let line = '';
      const lines: string[] = [];
      for (const item of content.items) {
        if (!('str' in item)) continue;
        line += item.str;
        if (item.hasEOL) {
          lines.push(line);
          line = '';
        }
      }
      if (line) lines.push(line);
      pages.push(lines.join('\n'));
      page.cleanup();
    }
    await doc.loadingTask.destroy();
  } catch (e) {
    if (e instanceof FileProblem) throw e;
    throw new FileProblem('unreadable', '这个 PDF 无法打开（可能已损坏或加密），请重新导出后上传。');
  }
  const text = normalizeExtracted(pages.join('\n'));
  if (meaningful(text) >= 20 * Math.min(pages.length, 1)) return { kind: 'pdf', via: 'pdf-text', text };

  // A scan: render the first pages with pdftoppm (poppler-utils) and OCR them.
  const out: string[] = [];
  const confidences: number[] = [];
  for (let p = 1; p <= Math.min(pages.length, limits.maxOcrPages); p++) {
    const png = await renderPdfPage(buf, p, deadline);
    const { text: t, confidence } = await imageText(png, ocr, limits);
    out.push(t);
    if (confidence !== undefined) confidences.push(confidence);
  }
  const ocrd = out.join('\n');
  if (meaningful(ocrd) < 6) throw new FileProblem('unreadable', '这个 PDF 是扫描件且没能识别出文字，请上传更清晰的扫描件或原始电子文件。');
  return { kind: 'pdf', via: 'pdf-ocr', text: ocrd, confidence: mean(confidences) };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

/** One PDF page as PNG at 150 dpi, by poppler's pdftoppm reading stdin (the file never touches the disk). */
function renderPdfPage(buf: Uint8Array, page: number, deadline: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const noPoppler = new FileProblem('unreadable', '这个 PDF 是扫描件，本服务暂时无法识别，请上传材料的照片（JPG/PNG）或带文字的电子版 PDF。');
    const child = spawn('pdftoppm', ['-png', '-r', '150', '-f', String(page), '-l', String(page), '-singlefile', '-scale-to', '2000', '-'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      timeout: Math.max(1000, deadline - Date.now()),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024 * 1024) child.kill('SIGKILL');
      else chunks.push(c);
    });
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? noPoppler : e));
    child.on('close', (code) => {
      if (code === 0 && chunks.length) resolve(Buffer.concat(chunks));
      else reject(new FileProblem('unreadable', '这个 PDF 的页面无法读取，请重新导出或扫描后上传。'));
    });
    child.stdin.on('error', () => {}); // pdftoppm may exit before reading everything
    child.stdin.end(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  });
}

/**
 * OCR of an image. Its size is read from the header first (a pixel bomb is rejected before decoding); the
 * image is turned upright (EXIF), scaled to at most 2000 px and handed to the OCR pool as PNG.
 */
async function imageText(buf: Uint8Array, ocr: Recognizer, limits: ExtractLimits): Promise<{ text: string; confidence?: number }> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch {
    throw UNREADABLE_IMAGE;
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0) * Math.max(1, meta.pages ?? 1);
  if (!meta.width || !meta.height) throw UNREADABLE_IMAGE;
  if (pixels > limits.maxPixels) throw new FileProblem('too-large', '这张图片的像素过大，请压缩或缩小后重新上传（手机拍摄的原图一般可以直接上传）。');
  let png: Buffer;
  try {
    png = await sharp(buf, { limitInputPixels: limits.maxPixels, pages: 1 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize({ width: 2000, height: 2000, fit: 'inside', withoutEnlargement: true })
      .png({ compressionLevel: 1 })
      .toBuffer();
  } catch {
    throw UNREADABLE_IMAGE;
  }
  const lines = await ocr.recognize(png);
  const good = lines.filter((l) => l.mean >= 0.6 && l.text.trim());
  const text = normalizeExtracted(ocrText(good));
  if (meaningful(text) < 6) throw UNREADABLE_IMAGE;
  return { text, confidence: mean(good.map((l) => l.mean)) };
}
