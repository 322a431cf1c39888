// The first look at an uploaded ONNX file, before onnxruntime sees it. An ONNX file is a program from a
// stranger: this refuses what mlp never serves (data kept outside the file, operators from unknown
// domains, tensors that declare absurd sizes) with a reason the uploader can act on. It runs inside an
// inference worker, never on the API's event loop: decoding a large file takes time and memory.
//
// It is the first of two layers. onnx-proto knows the ONNX schema of its release; a field added since
// (say, a function's default attribute values) is skipped by the decoder and so not seen here. The
// second layer covers that: sessions are created with onnxruntime's external-initializer folder set to an
// empty directory (see model-sessions.ts), so a reference that slipped through finds no file to read.

import onnxProto from 'onnx-proto';
import { UnsupportedModelError } from './tensor-spec.ts';

const { onnx } = onnxProto;

export type ModelCheckLimits = {
  /** The most elements any tensor the file declares (initializer, constant, static shape) may have. */
  maxTensorElements: number;
};

/**
 * Operator domains onnxruntime implements itself. Anything else is a custom operator, which would need a
 * library loaded into the server.
 */
const KNOWN_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']);

/** Subgraphs (If, Loop, Scan bodies) nest; a file nesting deeper than this is not a real model. */
const MAX_GRAPH_DEPTH = 32;

type Long = { toString(): string };
const toNumber = (value: number | Long | null | undefined): number =>
  typeof value === 'number' ? value : value == null ? 0 : Number(value.toString());

/** Throws UnsupportedModelError naming the first reason the file cannot be served. */
export function checkModel(bytes: Uint8Array, limits: ModelCheckLimits): void {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnsupportedModelError(`not a valid ONNX file (${reason})`);
  }
  if (!model.graph) throw new UnsupportedModelError('not an ONNX model: it has no graph');

  // A model may define functions (operators made of other operators) in domains of its own.
  const functionDomains = new Set(model.functions.map((fn) => fn.domain ?? ''));
  const allowed = (domain: string | null | undefined) =>
    KNOWN_DOMAINS.has(domain ?? '') || functionDomains.has(domain ?? '');
  for (const opset of model.opsetImport) {
    if (!allowed(opset.domain)) {
      throw new UnsupportedModelError(
        `it imports operators from the domain "${opset.domain}"; mlp runs only onnxruntime's own operators`,
      );
    }
  }

  // Inputs and outputs are keys of the JSON clients send and get back: one named like something every
  // JavaScript object has (`__proto__`, `constructor`) would be read as that instead of as the tensor,
  // and a NUL character no PostgreSQL text (nor JSON) column stores.
  for (const value of [...(model.graph.input ?? []), ...(model.graph.output ?? [])]) {
    const name = value.name ?? '';
    if (name in Object.prototype) {
      throw new UnsupportedModelError(
        `its input or output "${name}" has a name JavaScript objects reserve; rename it`,
      );
    }
    if (name.includes('\u0000')) {
      throw new UnsupportedModelError('an input or output name holds a NUL character; rename it');
    }
  }

  const checker = new Checker(limits, allowed);
  checker.graph(model.graph, 'the graph', 0);
  for (const fn of model.functions) checker.nodes(fn.node ?? [], `function "${fn.name}"`, 0);
  for (const info of model.trainingInfo) {
    if (info.initialization) checker.graph(info.initialization, 'training initialization', 0);
    if (info.algorithm) checker.graph(info.algorithm, 'training algorithm', 0);
  }
}

class Checker {
  readonly #limits: ModelCheckLimits;
  readonly #allowed: (domain: string | null | undefined) => boolean;

  constructor(limits: ModelCheckLimits, allowed: (domain: string | null | undefined) => boolean) {
    this.#limits = limits;
    this.#allowed = allowed;
  }

  graph(graph: onnxProto.onnx.IGraphProto, where: string, depth: number): void {
    if (depth > MAX_GRAPH_DEPTH) {
      throw new UnsupportedModelError(`its subgraphs nest more than ${MAX_GRAPH_DEPTH} deep`);
    }
    for (const tensor of graph.initializer ?? []) this.tensor(tensor, where);
    for (const sparse of graph.sparseInitializer ?? []) this.sparse(sparse, where);
    for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
      const dims = info.type?.tensorType?.shape?.dim ?? [];
      const declared = dims.map((dim) => toNumber(dim.dimValue));
      if (declared.every((dim) => dim > 0)) this.size(declared, `value "${info.name}" in ${where}`);
    }
    this.nodes(graph.node ?? [], where, depth);
  }

  nodes(nodes: onnxProto.onnx.INodeProto[], where: string, depth: number): void {
    for (const node of nodes) {
      const name = `node "${node.name || node.opType}" in ${where}`;
      if (!this.#allowed(node.domain)) {
        throw new UnsupportedModelError(
          `${name} is the operator ${node.domain}.${node.opType}, from a domain onnxruntime does not implement (a custom operator)`,
        );
      }
      for (const attribute of node.attribute ?? []) {
        const at = `attribute "${attribute.name}" of ${name}`;
        if (attribute.t) this.tensor(attribute.t, at);
        for (const tensor of attribute.tensors ?? []) this.tensor(tensor, at);
        if (attribute.sparseTensor) this.sparse(attribute.sparseTensor, at);
        for (const sparse of attribute.sparseTensors ?? []) this.sparse(sparse, at);
        if (attribute.g) this.graph(attribute.g, `the subgraph ${at}`, depth + 1);
        for (const graph of attribute.graphs ?? []) this.graph(graph, `a subgraph ${at}`, depth + 1);
      }
    }
  }

  tensor(tensor: onnxProto.onnx.ITensorProto, where: string): void {
    const name = `tensor "${tensor.name ?? ''}" in ${where}`;
    if (
      tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL ||
      (tensor.externalData ?? []).length > 0
    ) {
      throw new UnsupportedModelError(
        `${name} keeps its data outside the file (ONNX external data); upload a self-contained model`,
      );
    }
    this.size((tensor.dims ?? []).map(toNumber), name);
  }

  sparse(sparse: onnxProto.onnx.ISparseTensorProto, where: string): void {
    if (sparse.values) this.tensor(sparse.values, where);
    if (sparse.indices) this.tensor(sparse.indices, where);
    this.size((sparse.dims ?? []).map(toNumber), `a sparse tensor in ${where}`);
  }

  size(dims: number[], name: string): void {
    let elements = 1;
    for (const dim of dims) {
      if (!Number.isSafeInteger(dim) || dim < 0)
        throw new UnsupportedModelError(`${name} has a dimension of ${dim}`);
      elements *= dim;
    }
    if (elements > this.#limits.maxTensorElements) {
      throw new UnsupportedModelError(
        `${name} declares ${elements} elements; the most mlp allows in one tensor is ${this.#limits.maxTensorElements}`,
      );
    }
  }
}
