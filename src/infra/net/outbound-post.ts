import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { AddressNotAllowedError, isPublicAddress, resolvePublic } from './public-addresses.ts';

export type OutboundPolicy = {
  /** The whole exchange (connecting, sending, the answer's head and what is read of its body). */
  timeoutMs: number;
  /** Private, loopback and link-local addresses too (tests, private deployments). */
  allowPrivate: boolean;
  /** Read of the answer's body at most; the rest is not waited for. */
  maxResponseBytes: number;
};

export type OutboundAnswer = { status: number; body: string };

/**
 * The address a connection to a named host uses, resolved and checked (`resolvePublic`) as Node
 * connects, so a DNS answer cannot change between the check and the connection (DNS rebinding). Node
 * does not call it for an IP literal: `postOnce` checks those itself.
 */
function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolvePublic(hostname, allowPrivate).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/**
 * POSTs `body` to a URL a user gave, as a guarded client should: to public addresses only (unless the
 * policy allows others), redirects not followed (a 3xx is the answer), one deadline for everything, and
 * only the start of the answer read. Rejects on a refused address, a network failure or the deadline.
 */
export function postOnce(
  url: URL,
  body: string,
  headers: Record<string, string>,
  policy: OutboundPolicy,
): Promise<OutboundAnswer> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && isIP(literal) && !isPublicAddress(literal)) {
    return Promise.reject(new AddressNotAllowedError(literal, literal));
  }
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: checkedLookup(policy.allowPrivate),
      // A connection of its own each time: no pooled socket outlives the check of its address.
      agent: false,
      signal: AbortSignal.timeout(policy.timeoutMs),
    });
    outgoing.once('error', reject);
    outgoing.once('response', (answer: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let read = 0;
      const done = () => {
        answer.destroy();
        resolve({
          status: answer.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, policy.maxResponseBytes).toString('utf8'),
        });
      };
      answer.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        read += chunk.length;
        if (read >= policy.maxResponseBytes) done();
      });
      answer.once('end', done);
      answer.once('error', reject);
    });
    outgoing.end(body);
  });
}
