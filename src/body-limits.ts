import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** A request that is not an upload: an operation and its variables (predict inputs included). */
export const MAX_REQUEST_BYTES = 25 * 1024 * 1024;

/**
 * Request bodies, limited by what they carry: a multipart upload may be as large as the largest file
 * mlp accepts (MAX_MODEL_BYTES, MAX_DATASET_BYTES) plus its other fields, anything else (a JSON
 * operation) much less. Yoga's own limit is one number for both, so it is off and this takes its place.
 * Declared lengths are refused before anything is read (and need no counting: HTTP reads no more than
 * they declare); undeclared (chunked) bodies are counted as they stream in.
 */
export function useBodyLimits(limits: { multipart: number; other: number }): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const isMultipart = request.headers.get('content-type')?.startsWith('multipart/') ?? false;
      const limit = isMultipart ? limits.multipart : limits.other;
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!/^\d+$/.test(declared)) throw invalidLength();
        if (Number(declared) > limit) throw tooLarge(limit);
        // HTTP reads no more than the declared length as the body: nothing left to count.
        return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser((req) => requestParser(limitBody(req, limit, fetchAPI)));
    },
  };
}

/**
 * The request again, its body counted as it streams. Built with Yoga's own Request class: its form-data
 * parser streams and applies the per-file limits of app.ts, where the platform's buffers the whole body.
 */
function limitBody(
  request: Request,
  limit: number,
  fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream },
): Request {
  let read = 0;
  // A native stream pipes only through a native TransformStream (as in Yoga's own body limit).
  const Transform = request.body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
  const body = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > limit) controller.error(tooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body,
    // @ts-expect-error Node's fetch needs it for a streamed body; the DOM types do not know it yet.
    duplex: 'half',
  });
}

const tooLarge = (limit: number) =>
  new GraphQLError(`Request body too large: the most this request may send is ${limit} bytes`, {
    extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } },
  });

const invalidLength = () =>
  new GraphQLError('Content-Length header is invalid', {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
