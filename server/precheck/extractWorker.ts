// The OCR child process (plain JavaScript, so it starts the same under tsx, vitest and node). One PaddleOCR
// (ONNX) engine, with onnxruntime limited to the threads it is given, so pre-checks never take every core
// from the chat path. A separate process, not a worker thread: onnxruntime-node's addon is not safe to load
// in a worker thread while the main thread runs its own sessions (the embedding model): that aborts the
// whole server. Messages: {id, image: Uint8Array} → {id, lines: [{text, mean, box}]} or {id, error}.
import Ocr from '@gutenye/ocr-node';

const threads = Number(process.env.HUIBAN_OCR_THREADS ?? 1);
const onnxOptions = { intraOpNumThreads: threads, interOpNumThreads: 1 };
const ready = Ocr.create({ onnxOptions });

process.on('message', async ({ id, image }) => {
  try {
    const ocr = await ready;
    const buf = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
    const lines = await ocr.detect(buf, { onnxOptions });
    process.send({ id, lines: lines.map((l) => ({ text: l.text, mean: l.mean, box: l.box })) });
  } catch (err) {
    process.send({ id, error: String(err?.message ?? err) });
  }
});
// The parent going away (crash, SIGKILL) closes the channel: leave with it.
process.on('disconnect', () => process.exit(0));
