/**
 * Writes the ONNX graph of the built-in embedding model with no dependency: a minimal protobuf encoder for
 * the few ONNX messages needed (see onnx.proto3: ModelProto, GraphProto, NodeProto, TensorProto,
 * ValueInfoProto). The graph is BERT-shaped so transformers.js loads it as a `bert` feature extractor:
 *   last_hidden_state = Gather(word_embeddings, input_ids) * Unsqueeze(Cast(attention_mask), -1)
 * Pooling (mean, then normalize) happens in the transformers.js pipeline, as for any sentence encoder.
 */

function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}
const key = (field: number, wireType: number) => varint((field << 3) | wireType);
const int = (field: number, n: number) => Buffer.concat([key(field, 0), varint(n)]);
const bytes = (field: number, buf: Buffer) => Buffer.concat([key(field, 2), varint(buf.length), buf]);
const str = (field: number, s: string) => bytes(field, Buffer.from(s, 'utf8'));
const msg = (...parts: (Buffer | Buffer[])[]) => Buffer.concat(parts.flat());

const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;

const dim = (d: number | string) => (typeof d === 'number' ? bytes(1, int(1, d)) : bytes(1, str(2, d)));
const valueInfo = (name: string, elemType: number, dims: (number | string)[]) =>
  msg(str(1, name), bytes(2, bytes(1, msg(int(1, elemType), bytes(2, msg(dims.map(dim)))))));
const attrInt = (name: string, i: number) => msg(str(1, name), int(20, ATTR_INT), int(3, i));
const node = (op: string, inputs: string[], outputs: string[], name: string, attrs: Buffer[] = []) =>
  msg(inputs.map((s) => str(1, s)), outputs.map((s) => str(2, s)), str(3, name), str(4, op), attrs.map((a) => bytes(5, a)));

function tensorF32(name: string, dims: number[], data: Float32Array): Buffer {
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return msg(dims.map((d) => int(1, d)), int(2, FLOAT), str(8, name), bytes(9, raw));
}
function tensorI64(name: string, dims: number[], data: number[]): Buffer {
  return msg(dims.map((d) => int(1, d)), int(2, INT64), str(8, name), bytes(9, Buffer.from(new BigInt64Array(data.map(BigInt)).buffer)));
}

/** The model bytes for a [vocab × hidden] embedding table (row-major). */
export function embeddingModelOnnx(embeddings: Float32Array, vocabSize: number, hidden: number): Buffer {
  if (embeddings.length !== vocabSize * hidden) throw new Error('embedding table has the wrong size');
  const nodes = [
    node('Gather', ['word_embeddings', 'input_ids'], ['token_vectors'], 'gather_tokens', [attrInt('axis', 0)]),
    node('Cast', ['attention_mask'], ['mask_float'], 'cast_mask', [attrInt('to', FLOAT)]),
    node('Unsqueeze', ['mask_float', 'last_axis'], ['mask_3d'], 'unsqueeze_mask'),
    node('Mul', ['token_vectors', 'mask_3d'], ['last_hidden_state'], 'apply_mask'),
  ];
  const graph = msg(
    nodes.map((n) => bytes(1, n)),
    str(2, 'huiban_corpus_embedding'),
    bytes(5, tensorF32('word_embeddings', [vocabSize, hidden], embeddings)),
    bytes(5, tensorI64('last_axis', [1], [-1])),
    bytes(11, valueInfo('input_ids', INT64, ['batch_size', 'sequence_length'])),
    bytes(11, valueInfo('attention_mask', INT64, ['batch_size', 'sequence_length'])),
    bytes(12, valueInfo('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', hidden])),
  );
  return msg(
    int(1, 7), // ir_version 7
    str(2, 'huiban-ingest'), // producer_name
    bytes(7, graph),
    bytes(8, msg(str(1, ''), int(2, 13))), // opset_import: ai.onnx 13
  );
}
