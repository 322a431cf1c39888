import {
  ELEMENT_BYTES,
  firstNonFinite,
  type TensorData,
  type TensorMap,
  TYPED_ARRAYS,
  tensorFromBytes,
} from './tensor-data.ts';
import { formatShape, type NumericElementType, type TensorSpec } from './tensor-spec.ts';

/** A client mistake in `predict` inputs; the message names the input and what it expects. */
export class InputError extends Error {}

const INTEGER_RANGES: Partial<Record<NumericElementType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * What is wrong with a JSON number as an element of `type`, as the end of a sentence naming it; null when
 * nothing is. The one check of predict's and the Open Inference Protocol's JSON tensors.
 */
export function elementProblem(type: NumericElementType, value: number): string | null {
  if (!Number.isFinite(value)) return 'is not a finite number';
  // As float32 stores it: a number beyond its largest becomes Infinity, and the outputs NaN.
  if (type === 'float32' && !Number.isFinite(Math.fround(value))) return 'is beyond the range of float32';
  const range = INTEGER_RANGES[type];
  if (range && (!Number.isInteger(value) || value < range[0] || value > range[1])) {
    return `must be an integer from ${range[0]} to ${range[1]}`;
  }
  return null;
}

/**
 * Turns the JSON `inputs` of a `predict` call into tensors, checking everything first:
 * names, rank, static dimensions, rectangular arrays, finite numbers of the right kind, and a cap on the
 * total element count that is enforced before anything is allocated.
 */
export function toFeeds(specs: TensorSpec[], inputs: unknown, maxElements: number): TensorMap {
  const named = nameInputs(specs, inputs);
  const feeds: TensorMap = {};
  let budget = maxElements;
  for (const spec of specs) {
    const tensor = toTensor(spec, named[spec.name], budget);
    budget -= tensor.data.length;
    feeds[spec.name] = tensor;
  }
  return feeds;
}

function nameInputs(specs: TensorSpec[], inputs: unknown): Record<string, unknown> {
  const expected = specs.map((spec) => `"${spec.name}" ${formatShape(spec.shape)}`).join(', ');
  if (Array.isArray(inputs)) {
    if (specs.length !== 1) {
      throw new InputError(`this model has several inputs (${expected}): send an object keyed by input name`);
    }
    return { [specs[0]!.name]: inputs };
  }
  if (typeof inputs !== 'object' || inputs === null) {
    throw new InputError(`inputs must be an object keyed by input name (${expected})`);
  }
  const record = inputs as Record<string, unknown>;
  const unknown = Object.keys(record).filter((name) => !specs.some((spec) => spec.name === name));
  if (unknown.length > 0) {
    throw new InputError(
      `unknown input ${unknown.map((n) => `"${n}"`).join(', ')}; the model takes ${expected}`,
    );
  }
  const missing = specs.filter((spec) => !(spec.name in record));
  if (missing.length > 0) {
    const list = missing.map((spec) => `"${spec.name}" ${formatShape(spec.shape)}`).join(', ');
    throw new InputError(`missing input ${list}`);
  }
  return record;
}

/** `{ shape, base64 }`: a tensor's elements as base64 of their little-endian bytes, row-major. */
type BinaryTensor = { shape: unknown; base64: string };

function isBinaryTensor(value: unknown): value is BinaryTensor {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'base64' in value;
}

function toTensor(spec: TensorSpec, value: unknown, budget: number): TensorData {
  const type = spec.elementType as NumericElementType;
  const expected = `input "${spec.name}" expects shape ${formatShape(spec.shape)} of ${type}`;
  if (isBinaryTensor(value)) return fromBase64(spec, value, budget, expected);
  const dims = measure(value, spec, expected);
  const size = dims.reduce((product, dim) => product * dim, 1);
  if (size > budget) {
    throw new InputError(
      `${expected}: too many elements (${size}), the most a request may send is ${budget}`,
    );
  }
  const data = new TYPED_ARRAYS[type](size);
  const isBig = type === 'int64' || type === 'uint64';
  let offset = 0;
  const fill = (node: unknown, axis: number, path: number[]): void => {
    if (axis === dims.length) {
      if (typeof node !== 'number') {
        throw new InputError(`${expected}: element at ${where(path)} is ${describe(node)}, not a number`);
      }
      const problem = elementProblem(type, node);
      if (problem) throw new InputError(`${expected}: element at ${where(path)} ${problem}`);
      data[offset++] = (isBig ? BigInt(node) : node) as never;
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[axis]) {
      throw new InputError(
        `${expected}: ragged array at ${where(path)}: expected ${dims[axis]} elements like the first row, got ${
          Array.isArray(node) ? node.length : describe(node)
        }`,
      );
    }
    for (let i = 0; i < node.length; i++) {
      path.push(i);
      fill(node[i], axis + 1, path);
      path.pop();
    }
  };
  fill(value, 0, []);
  return { type, dims, data };
}

/**
 * A tensor sent as bytes: no number is parsed, so a large call costs a base64 decode and a copy. The
 * shape is checked as for nested arrays, the byte count against it, and floats must be finite.
 */
function fromBase64(spec: TensorSpec, value: BinaryTensor, budget: number, expected: string): TensorData {
  const type = spec.elementType as NumericElementType;
  const { shape, base64 } = value;
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim > 0)) {
    throw new InputError(`${expected}: "shape" must be an array of whole numbers from 1`);
  }
  if (shape.length !== spec.shape.length) {
    throw new InputError(`${expected}: got ${shape.length} dimensions, expected ${spec.shape.length}`);
  }
  spec.shape.forEach((dim, axis) => {
    if (dim !== null && shape[axis] !== dim) {
      throw new InputError(`${expected}: axis ${axis} has ${shape[axis]} elements, expected ${dim}`);
    }
  });
  const size = (shape as number[]).reduce((product, dim) => product * dim, 1);
  if (size > budget) {
    throw new InputError(
      `${expected}: too many elements (${size}), the most a request may send is ${budget}`,
    );
  }
  if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
    throw new InputError(`${expected}: "base64" must be a base64 string`);
  }
  const bytes = Buffer.from(base64, 'base64');
  const needed = size * ELEMENT_BYTES[type];
  if (bytes.length !== needed) {
    throw new InputError(
      `${expected}: ${size} elements take ${needed} bytes, "base64" holds ${bytes.length}`,
    );
  }
  const tensor = tensorFromBytes(type, shape as number[], bytes);
  const bad = firstNonFinite(tensor);
  if (bad >= 0) throw new InputError(`${expected}: element ${bad} is not a finite number`);
  return tensor;
}

/** The dimensions, read along the first element of each axis, checked against rank and static sizes. */
function measure(value: unknown, spec: TensorSpec, expected: string): number[] {
  const dims: number[] = [];
  let node = value;
  while (Array.isArray(node)) {
    if (node.length === 0) throw new InputError(`${expected}: axis ${dims.length} is empty`);
    dims.push(node.length);
    if (dims.length > spec.shape.length) break;
    node = node[0];
  }
  if (dims.length !== spec.shape.length) {
    throw new InputError(
      `${expected}: got ${dims.length > spec.shape.length ? 'more' : dims.length} dimensions, expected ${spec.shape.length}`,
    );
  }
  spec.shape.forEach((dim, axis) => {
    if (dim !== null && dims[axis] !== dim) {
      throw new InputError(`${expected}: axis ${axis} has ${dims[axis]} elements, expected ${dim}`);
    }
  });
  return dims;
}

function where(path: number[]): string {
  return path.length === 0 ? 'the top level' : path.map((i) => `[${i}]`).join('');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Output tensors as nested arrays of numbers, keyed by output name. */
export function fromTensor(tensor: TensorData): unknown {
  const data: ArrayLike<number | bigint> = tensor.data;
  const dims = tensor.dims;
  let offset = 0;
  const build = (axis: number): unknown => {
    if (axis === dims.length) return Number(data[offset++]);
    const length = dims[axis]!;
    const row = new Array(length);
    for (let i = 0; i < length; i++) row[i] = build(axis + 1);
    return row;
  };
  return build(0);
}
