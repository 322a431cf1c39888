import type { InferenceSession } from 'onnxruntime-node';

/** What a model takes or gives: the contract's `TensorSpec`. */
export type TensorSpec = {
  name: string;
  /** ONNX element type as onnxruntime names it: `float32`, `int64`, … */
  elementType: string;
  /** One entry per axis; null where the axis is dynamic (a symbolic or unknown size). */
  shape: (number | null)[];
};

export class UnsupportedModelError extends Error {}

/** Element types a JSON number can be turned into. Strings, booleans and the 16-bit floats are left out. */
export const NUMERIC_ELEMENT_TYPES = [
  'float32',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
] as const;
export type NumericElementType = (typeof NUMERIC_ELEMENT_TYPES)[number];

export function isNumericElementType(type: string): type is NumericElementType {
  return (NUMERIC_ELEMENT_TYPES as readonly string[]).includes(type);
}

function toSpec(meta: InferenceSession.ValueMetadata): TensorSpec | null {
  if (!meta.isTensor) return null;
  return {
    name: meta.name,
    elementType: meta.type,
    shape: meta.shape.map((dim) => (typeof dim === 'number' && dim > 0 ? dim : null)),
  };
}

/**
 * Reads a loaded session's inputs and outputs. Every input must be a numeric tensor, since predictions
 * arrive as JSON numbers; non-tensor outputs (e.g. scikit-learn's ZipMap) are not served, so at least one
 * tensor output must exist.
 */
export function describeSession(session: InferenceSession): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const inputs: TensorSpec[] = [];
  for (const meta of session.inputMetadata) {
    const spec = toSpec(meta);
    if (!spec || !isNumericElementType(spec.elementType)) {
      const type = spec ? spec.elementType : 'a non-tensor value';
      throw new UnsupportedModelError(
        `input "${meta.name}" is ${type}; mlp serves numeric tensor inputs only`,
      );
    }
    inputs.push(spec);
  }
  const outputs = session.outputMetadata.map(toSpec).filter((spec) => spec !== null);
  if (outputs.length === 0) throw new UnsupportedModelError('the model has no tensor outputs');
  return { inputs, outputs };
}

export function formatShape(shape: (number | null)[]): string {
  return `[${shape.map((dim) => dim ?? '?').join(', ')}]`;
}
