// The OCR worker thread (plain JavaScript so it starts the same under tsx, vitest and node). One PaddleOCR
// (ONNX) engine per worker, with onnxruntime limited to the threads it is given, so pre-checks never take
// every core from the chat path. Messages: {id, image: Uint8Array} → {id, lines: [{text, mean, box}]} or
// {id, error}.
import { parentPort, workerData } from 'node:worker_threads';
import Ocr from '@gutenye/ocr-node';

const threads = workerData?.threads ?? 1;
const ready = Ocr.create({ onnxOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } });

parentPort.on('message', async ({ id, image }) => {
  try {
    const ocr = await ready;
    const lines = await ocr.detect(Buffer.from(image.buffer, image.byteOffset, image.byteLength), {
      onnxOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    parentPort.postMessage({ id, lines: lines.map((l) => ({ text: l.text, mean: l.mean, box: l.box })) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err?.message ?? err) });
  }
});
parentPort.postMessage({ ready: true });
