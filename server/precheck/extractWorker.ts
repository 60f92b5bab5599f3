// The extraction worker process: reads uploaded files (PDF text layer, scans via poppler, DOCX, images via
// OCR) away from the server's event loop and heap. pdf.js parsing, image decoding and OCR are CPU- and
// memory-heavy; here they neither delay chat requests nor grow the server's memory, and a crash or a runaway
// file costs only this process (the pool kills and replaces it). A process, not a worker thread: onnxruntime-
// node in a worker thread beside the server's embedding session aborted the server.
// Messages: {id, data: Uint8Array, limits} → {id, result: Extracted} | {id, problem: {reason, advice}} | {id, error}.
import { extractText } from './extract.ts';
import { FileProblem, type ExtractLimits } from './limits.ts';
import { LocalOcr } from './ocr.ts';

const ocr = new LocalOcr(Number(process.env.HUIBAN_OCR_THREADS ?? 1));

process.on('message', async (msg: { id: number; data: Uint8Array; limits: ExtractLimits }) => {
  try {
    const result = await extractText(msg.data, ocr, msg.limits);
    process.send!({ id: msg.id, result });
  } catch (e) {
    if (e instanceof FileProblem) process.send!({ id: msg.id, problem: { reason: e.reason, advice: e.advice } });
    else process.send!({ id: msg.id, error: e instanceof Error ? e.name : 'Error' });
  }
});
// The server going away (crash, SIGKILL) closes the channel: leave with it.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
