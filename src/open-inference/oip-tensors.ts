import {
  ELEMENT_BYTES,
  firstNonFinite,
  type TensorData,
  type TensorMap,
  TYPED_ARRAYS,
  tensorBytes,
  tensorFromBytes,
} from '../infra/inference/tensor-data.ts';
import { elementProblem } from '../infra/inference/tensor-input.ts';
import {
  formatShape,
  isNumericElementType,
  type NumericElementType,
  type TensorSpec,
} from '../infra/inference/tensor-spec.ts';

/** A request the protocol calls bad: answered 400 with the message. */
export class OipInputError extends Error {}

/** The protocol's names for ONNX element types. */
const DATATYPES: Record<string, string> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  bfloat16: 'BF16',
  int8: 'INT8',
  uint8: 'UINT8',
  int16: 'INT16',
  uint16: 'UINT16',
  int32: 'INT32',
  uint32: 'UINT32',
  int64: 'INT64',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

/** The protocol's datatype of an ONNX element type (`float32` is `FP32`). */
export function oipDatatype(elementType: string): string {
  return DATATYPES[elementType] ?? elementType.toUpperCase();
}

/** A tensor's metadata in the protocol's terms: variable dimensions are -1. */
export function oipTensorMetadata(spec: TensorSpec) {
  return {
    name: spec.name,
    datatype: oipDatatype(spec.elementType),
    shape: spec.shape.map((dim) => dim ?? -1),
  };
}

/** The outputs a request asked for (all when it named none), each as JSON or binary. */
export type RequestedOutput = { name: string; binary: boolean };

export type InferRequest = {
  id: string | undefined;
  feeds: TensorMap;
  /** The most rows any input has: what the call is charged by. */
  rows: number;
  outputs: RequestedOutput[];
  /** mlp's own parameter: `"cache": false` always runs the model. */
  cache: boolean;
};

type Parameters = Record<string, unknown>;

/**
 * Reads an inference request against the version's inputs and outputs: the JSON object, then, with the
 * binary tensor data extension, the tensors' bytes after it (`headerLength` is the
 * Inference-Header-Content-Length; null for a body that is JSON only). Everything is checked before anything
 * is allocated: names, datatypes, shapes against the model's, element counts against the data, every
 * number's kind and range, and the total elements against `maxElements`.
 */
export function parseInferRequest(
  body: Buffer,
  headerLength: number | null,
  version: { inputs: TensorSpec[]; outputs: TensorSpec[] },
  maxElements: number,
): InferRequest {
  if (headerLength !== null && headerLength > body.length) {
    throw new OipInputError(
      `Inference-Header-Content-Length is ${headerLength}, but the body has only ${body.length} bytes`,
    );
  }
  const header = parseJson(headerLength === null ? body : body.subarray(0, headerLength));
  const binary = headerLength === null ? null : body.subarray(headerLength);
  if (header.id !== undefined && typeof header.id !== 'string')
    throw new OipInputError('"id" must be a string');
  const parameters = parametersOf(header.parameters, 'the request');
  if (parameters.cache !== undefined && typeof parameters.cache !== 'boolean') {
    throw new OipInputError('parameter "cache" must be a boolean');
  }
  const binaryOutput = parameters.binary_data_output;
  if (binaryOutput !== undefined && typeof binaryOutput !== 'boolean') {
    throw new OipInputError('parameter "binary_data_output" must be a boolean');
  }

  if (!Array.isArray(header.inputs) || header.inputs.length === 0) {
    throw new OipInputError('"inputs" must be a non-empty array of input tensors');
  }
  const feeds: TensorMap = {};
  let budget = maxElements;
  let offset = 0;
  for (const input of header.inputs as unknown[]) {
    const tensor = readInput(input, version.inputs, feeds, budget, (size) => {
      if (!binary) {
        throw new OipInputError(
          '"binary_data_size" needs binary data after the JSON, and the Inference-Header-Content-Length header',
        );
      }
      if (offset + size > binary.length) {
        throw new OipInputError(`the binary data is ${binary.length} bytes, shorter than its inputs declare`);
      }
      const bytes = binary.subarray(offset, offset + size);
      offset += size;
      return bytes;
    });
    feeds[tensor.name] = tensor.data;
    budget -= tensor.data.data.length;
  }
  if (binary && offset !== binary.length) {
    throw new OipInputError(
      `the binary data is ${binary.length} bytes, but the inputs' binary_data_size add up to ${offset}`,
    );
  }
  const missing = version.inputs.filter((spec) => !feeds[spec.name]);
  if (missing.length > 0) {
    throw new OipInputError(`missing input ${missing.map(describeSpec).join(', ')}`);
  }
  const rows = Math.max(...Object.values(feeds).map((tensor) => tensor.dims[0] ?? 1));
  return {
    id: header.id as string | undefined,
    feeds,
    rows,
    outputs: readOutputs(header.outputs, version.outputs, binaryOutput === true),
    cache: parameters.cache !== false,
  };
}

function parseJson(bytes: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new OipInputError('the request is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OipInputError('the request must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function parametersOf(value: unknown, what: string): Parameters {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OipInputError(`"parameters" of ${what} must be an object`);
  }
  return value as Parameters;
}

function describeSpec(spec: TensorSpec): string {
  return `"${spec.name}" (${oipDatatype(spec.elementType)} ${formatShape(spec.shape)})`;
}

function readInput(
  input: unknown,
  specs: TensorSpec[],
  seen: TensorMap,
  budget: number,
  takeBinary: (size: number) => Buffer,
): { name: string; data: TensorData } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new OipInputError('each input must be an object with "name", "shape", "datatype" and "data"');
  }
  const { name, shape, datatype, data } = input as Record<string, unknown>;
  if (typeof name !== 'string') throw new OipInputError('each input needs a "name"');
  const spec = specs.find((candidate) => candidate.name === name);
  if (!spec) {
    throw new OipInputError(
      `unexpected input "${name}": the model takes ${specs.map(describeSpec).join(', ')}`,
    );
  }
  if (seen[name]) throw new OipInputError(`input "${name}" is given twice`);
  const expected = oipDatatype(spec.elementType);
  if (datatype !== expected) {
    throw new OipInputError(
      `input "${name}" has datatype ${String(datatype)}, the model expects ${expected}`,
    );
  }
  const type = spec.elementType as NumericElementType;
  if (!isNumericElementType(type))
    throw new OipInputError(`input "${name}" is ${expected}, which mlp cannot take`);
  const dims = readShape(shape, spec);
  const count = dims.reduce((product, dim) => product * dim, 1);
  if (count > budget) {
    throw new OipInputError(
      `input "${name}" has ${count} elements; the most a request may send is ${budget} more`,
    );
  }
  const parameters = parametersOf((input as Record<string, unknown>).parameters, `input "${name}"`);
  const binarySize = parameters.binary_data_size;
  if (binarySize !== undefined) {
    const size = count * ELEMENT_BYTES[type];
    if (binarySize !== size) {
      throw new OipInputError(
        `input "${name}" declares binary_data_size ${String(binarySize)}, but ${count} ${expected} elements take ${size} bytes`,
      );
    }
    if (data !== undefined) throw new OipInputError(`input "${name}" has both "data" and binary_data_size`);
    const tensor = tensorFromBytes(type, dims, takeBinary(size));
    const bad = firstNonFinite(tensor);
    if (bad >= 0) throw new OipInputError(`input "${name}": element ${bad} is not a finite number`);
    return { name, data: tensor };
  }
  return { name, data: { type, dims, data: readData(name, data, type, count) } };
}

function readShape(shape: unknown, spec: TensorSpec): number[] {
  const expected = `input "${spec.name}" has shape ${formatShape(spec.shape)}`;
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new OipInputError(`the "shape" of input "${spec.name}" must be an array of whole numbers`);
  }
  if (shape.length !== spec.shape.length) {
    throw new OipInputError(`${expected}: got ${shape.length} dimensions, expected ${spec.shape.length}`);
  }
  shape.forEach((dim: number, axis) => {
    if (dim === 0) throw new OipInputError(`${expected}: axis ${axis} is empty`);
    const fixed = spec.shape[axis];
    if (fixed !== null && fixed !== undefined && dim !== fixed) {
      throw new OipInputError(`${expected}: axis ${axis} has ${dim} elements, expected ${fixed}`);
    }
  });
  return shape as number[];
}

/**
 * The tensor's elements from JSON `data`: flat, or nested in the tensor's natural shape (both are the
 * protocol's); every element a finite number of the datatype's kind and range, as many as the shape says.
 */
function readData(name: string, data: unknown, type: NumericElementType, count: number) {
  if (!Array.isArray(data))
    throw new OipInputError(`input "${name}" needs "data" (an array) or binary_data_size`);
  const values = new TYPED_ARRAYS[type](count);
  const isBig = type === 'int64' || type === 'uint64';
  let written = 0;
  // Iterative, so a hostile nesting depth costs no stack.
  const stack: { array: unknown[]; index: number }[] = [{ array: data, index: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.index === top.array.length) {
      stack.pop();
      continue;
    }
    const value = top.array[top.index++];
    if (Array.isArray(value)) {
      stack.push({ array: value, index: 0 });
      continue;
    }
    if (written === count) {
      throw new OipInputError(`input "${name}" has more elements in "data" than its shape holds (${count})`);
    }
    if (typeof value !== 'number') {
      throw new OipInputError(`input "${name}": element ${written} is not a finite number`);
    }
    const problem = elementProblem(type, value);
    if (problem) throw new OipInputError(`input "${name}": element ${written} ${problem}`);
    values[written++] = (isBig ? BigInt(value) : value) as never;
  }
  if (written !== count) {
    throw new OipInputError(`input "${name}" has ${written} elements in "data", its shape holds ${count}`);
  }
  return values;
}

function readOutputs(value: unknown, specs: TensorSpec[], binaryDefault: boolean): RequestedOutput[] {
  if (value === undefined) return specs.map((spec) => ({ name: spec.name, binary: binaryDefault }));
  if (!Array.isArray(value)) throw new OipInputError('"outputs" must be an array');
  const outputs: RequestedOutput[] = [];
  for (const output of value as unknown[]) {
    const name = (output as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') throw new OipInputError('each requested output needs a "name"');
    if (!specs.some((spec) => spec.name === name)) {
      throw new OipInputError(
        `unexpected output "${name}": the model gives ${specs.map((spec) => `"${spec.name}"`).join(', ')}`,
      );
    }
    if (outputs.some((seen) => seen.name === name))
      throw new OipInputError(`output "${name}" is asked for twice`);
    const parameters = parametersOf((output as Record<string, unknown>).parameters, `output "${name}"`);
    const binary = parameters.binary_data;
    if (binary !== undefined && typeof binary !== 'boolean') {
      throw new OipInputError(`parameter "binary_data" of output "${name}" must be a boolean`);
    }
    outputs.push({ name, binary: binary ?? binaryDefault });
  }
  return outputs;
}

/** An inference response: JSON, or JSON and the binary outputs after it (`headerLength` set). */
export type EncodedResponse = { body: Buffer; headerLength: number | null };

/** The response to an inference request: the outputs it asked for, in the order it asked for them. */
export function encodeInferResponse(response: {
  modelName: string;
  modelVersion: string;
  id: string | undefined;
  outputs: TensorMap;
  requested: RequestedOutput[];
}): EncodedResponse {
  const blobs: Uint8Array[] = [];
  type ResponseOutput = { name: string; datatype: string; shape: readonly number[] } & (
    | { data: number[] }
    | { parameters: { binary_data_size: number } }
  );
  const outputs = response.requested.flatMap(({ name, binary }): ResponseOutput[] => {
    const tensor = response.outputs[name];
    if (!tensor) return [];
    const described = { name, datatype: oipDatatype(tensor.type), shape: tensor.dims };
    if (!binary) return [{ ...described, data: jsonData(tensor) }];
    const bytes = tensorBytes(tensor);
    blobs.push(bytes);
    return [{ ...described, parameters: { binary_data_size: bytes.byteLength } }];
  });
  const header = Buffer.from(
    JSON.stringify({
      model_name: response.modelName,
      model_version: response.modelVersion,
      ...(response.id === undefined ? {} : { id: response.id }),
      outputs,
    }),
  );
  if (blobs.length === 0) return { body: header, headerLength: null };
  return { body: Buffer.concat([header, ...blobs]), headerLength: header.length };
}

function jsonData(tensor: TensorData): number[] {
  const { data } = tensor;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  return Array.from(data as ArrayLike<number>);
}
