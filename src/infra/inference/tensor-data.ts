import type { NumericElementType } from './tensor-spec.ts';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A tensor as plain data: what crosses to an inference worker (onnxruntime's Tensor class does not
 * survive postMessage) and what batches are cut from. Row-major; `dims[0]` is the batch axis.
 */
export type TensorData = { type: NumericElementType; dims: readonly number[]; data: TypedArray };

export type TensorMap = Record<string, TensorData>;

export const TYPED_ARRAYS: Record<NumericElementType, { new (length: number): TypedArray }> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

/** Bytes of one element of each type, as little-endian binary tensors carry them. */
export const ELEMENT_BYTES: Record<NumericElementType, number> = {
  float32: 4,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
};

/**
 * The index of the first element that is not a finite number (NaN, ±Infinity), or -1. Only floats read
 * from bytes can hold one: no JSON number is NaN.
 */
export function firstNonFinite(tensor: TensorData): number {
  if (tensor.type !== 'float32' && tensor.type !== 'float64') return -1;
  const values = tensor.data as Float32Array | Float64Array;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/** Elements in one row: the product of every axis after the first. */
export function rowSize(tensor: TensorData): number {
  let size = 1;
  for (let axis = 1; axis < tensor.dims.length; axis++) size *= tensor.dims[axis]!;
  return size;
}

/** The bytes of a tensor's elements, as they lie in memory (little-endian on every platform Node runs on). */
export function tensorBytes(tensor: TensorData): Uint8Array {
  const { data } = tensor;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A tensor of `type` over a copy of `bytes` (copied: typed arrays need their element alignment). */
export function tensorFromBytes(
  type: NumericElementType,
  dims: readonly number[],
  bytes: Uint8Array,
): TensorData {
  const Typed = TYPED_ARRAYS[type] as unknown as { new (buffer: ArrayBuffer): TypedArray };
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return { type, dims, data: new Typed(copy.buffer) };
}

/** The bytes a map of tensors holds. */
export function tensorMapBytes(tensors: TensorMap): number {
  let bytes = 0;
  for (const tensor of Object.values(tensors)) bytes += tensor.data.byteLength;
  return bytes;
}

type TensorHeader = { name: string; type: NumericElementType; dims: number[] };

/**
 * A map of tensors as one buffer, to store or send: a 4-byte length, a JSON list of each tensor's name,
 * type and dimensions, then their elements one after another. `decodeTensorMap` reads it back.
 */
export function encodeTensorMap(tensors: TensorMap): Buffer {
  const headers: TensorHeader[] = Object.entries(tensors).map(([name, t]) => ({
    name,
    type: t.type,
    dims: [...t.dims],
  }));
  const header = Buffer.from(JSON.stringify(headers));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([length, header, ...Object.values(tensors).map(tensorBytes)]);
}

/** The tensors `encodeTensorMap` wrote; throws on anything else (a truncated or foreign buffer). */
export function decodeTensorMap(bytes: Uint8Array): TensorMap {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerEnd = 4 + buffer.readUInt32LE(0);
  const headers = JSON.parse(buffer.subarray(4, headerEnd).toString()) as TensorHeader[];
  const tensors: TensorMap = {};
  let offset = headerEnd;
  for (const { name, type, dims } of headers) {
    const size = ELEMENT_BYTES[type] * dims.reduce((product, dim) => product * dim, 1);
    if (!Number.isSafeInteger(size) || offset + size > buffer.length) throw new Error('tensors truncated');
    tensors[name] = tensorFromBytes(type, dims, buffer.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== buffer.length) throw new Error('bytes beyond the tensors');
  return tensors;
}
