// The first look at an uploaded file, before onnxruntime sees it.
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../src/infra/inference/model-check.ts';
import {
  customOperatorModel,
  externalDataInSubgraphModel,
  externalDataModel,
  namedInputModel,
  truncatedModel,
} from '../fixtures/hostile-models.ts';
import { irisLikeClassifier, largeLookupModel } from '../fixtures/onnx-models.ts';

const LIMITS = { maxTensorElements: 1_000_000 };
const reason = (bytes: Uint8Array, limits = LIMITS) => {
  try {
    checkModel(bytes, limits);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('checkModel', () => {
  it('passes an ordinary model', () => {
    expect(reason(irisLikeClassifier())).toBeNull();
  });

  it('finds external data wherever it hides, naming the tensor and where it is', () => {
    expect(reason(externalDataModel('/etc/passwd'))).toBe(
      'tensor "W" in the graph keeps its data outside the file (ONNX external data); upload a self-contained model',
    );
    expect(reason(externalDataInSubgraphModel('.env'))).toMatch(
      /tensor "W" in attribute "value" of node "Constant" in the subgraph attribute "then_branch" of node "If" in the graph keeps its data outside/,
    );
  });

  it('refuses inputs named like what every JavaScript object has, or with a NUL, which clients could not use', () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      expect(reason(namedInputModel(name))).toBe(
        `its input or output "${name}" has a name JavaScript objects reserve; rename it`,
      );
    }
    expect(reason(namedInputModel('x\u0000y'))).toBe(
      'an input or output name holds a NUL character; rename it',
    );
    expect(reason(namedInputModel('proto'))).toBeNull();
  });

  it('refuses custom operator domains and broken files', () => {
    expect(reason(customOperatorModel())).toMatch(/domain "com\.example\.evil"/);
    expect(reason(truncatedModel())).toMatch(/^not a valid ONNX file/);
    expect(reason(new Uint8Array([1, 2, 3]))).toMatch(/^not a valid ONNX file|no graph/);
  });

  it('refuses tensors that declare more elements than allowed', () => {
    expect(reason(largeLookupModel(300_000, 4))).toMatch(
      /tensor "table" in the graph declares 1200000 elements; the most mlp allows in one tensor is 1000000/,
    );
    expect(reason(irisLikeClassifier(), { maxTensorElements: 5 })).toMatch(
      /tensor "W" in the graph declares 12/,
    );
  });
});
