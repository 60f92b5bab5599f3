// What the server process needs to know about file extraction, without loading it: extraction itself
// (pdf.js, sharp, poppler, OCR) runs in the worker processes (workerPool.ts), and importing extract.ts here
// would load its libraries into the server's memory for nothing.

/** Why a file could not be used; the reasons of CONTRACTS.md's `unmatched`. */
export type FileReason = 'unsupported' | 'too-large' | 'timeout' | 'unreadable';

export class FileProblem extends Error {
  constructor(
    readonly reason: FileReason,
    /** What the citizen should do, in Chinese. */
    readonly advice: string,
  ) {
    super(reason);
  }
}

export type FileKind = 'pdf' | 'docx' | 'image' | 'text';

export interface ExtractLimits {
  /** Pages read from a PDF; more pages → too-large (a real application document is far shorter). */
  maxPages: number;
  /** Pixels of an image, checked from its header before decoding (pixel bombs). */
  maxPixels: number;
  /** Sum of the declared uncompressed sizes of a DOCX's parts (decompression bombs). */
  maxUnzippedBytes: number;
  /** Scanned PDF pages rendered and OCR'd. */
  maxOcrPages: number;
  /** Time for one file, OCR included. */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: ExtractLimits = {
  maxPages: 50,
  maxPixels: 40_000_000,
  maxUnzippedBytes: 60 * 1024 * 1024,
  maxOcrPages: 4,
  timeoutMs: 20_000,
};

export interface Extracted {
  kind: FileKind;
  /** How the text was obtained. */
  via: 'pdf-text' | 'pdf-ocr' | 'docx' | 'text' | 'ocr';
  text: string;
  /** Mean OCR confidence of the recognised lines (OCR only). */
  confidence?: number;
}
