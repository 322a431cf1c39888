import {
  type DefaultConnectionArguments,
  type ResolveCursorConnectionArgs,
  resolveCursorConnection,
} from '@pothos/plugin-relay';
import { badUserInput } from '../errors.ts';
import type { KeysetPage } from '../infra/database/keyset.ts';
import { isUuid } from '../infra/database/uuid7.ts';

/** The most items one page holds (GitHub's bound), and what a page holds when `first` is not given. */
export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 20;
/** What the deprecated unpaginated lists return at most. */
export const LEGACY_LIST_CAP = 100;

/** A connection costs 1, plus each item it can return (`first`, or `last`) times the item's selection. */
export function connectionCost(args: DefaultConnectionArguments) {
  return { field: 1, multiplier: Math.min(MAX_PAGE, Math.max(0, args.first ?? args.last ?? DEFAULT_PAGE)) };
}

/** How a connection's keys travel in cursors: opaque to clients, checked when they come back. */
export type KeyCodec<K> = { encode(key: K): string; decode(text: string): K | null };

export type Connection<T> = {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
};

/**
 * A Relay connection page read by keyset: `first`/`last` from 1 to MAX_PAGE (a larger page is refused,
 * not silently shortened), cursors the base64url of the row's key.
 */
export function keysetConnection<T, K>(
  args: DefaultConnectionArguments,
  codec: KeyCodec<K>,
  load: (page: KeysetPage<K>) => Promise<T[]>,
  keyOf: (row: T) => K,
): Promise<Connection<T>> {
  for (const name of ['first', 'last'] as const) {
    const size = args[name];
    if (size != null && (size < 1 || size > MAX_PAGE))
      throw badUserInput(`${name} must be from 1 to ${MAX_PAGE}`, name);
  }
  const decode = (name: 'after' | 'before', cursor: string | undefined): K | undefined => {
    if (cursor === undefined) return undefined;
    const key = codec.decode(Buffer.from(cursor, 'base64url').toString());
    if (key === null) throw badUserInput(`The ${name} cursor is not valid`, name);
    return key;
  };
  const connection = resolveCursorConnection(
    { args, defaultSize: DEFAULT_PAGE, maxSize: MAX_PAGE, toCursor: (row: T) => cursorOf(codec, keyOf(row)) },
    ({ after, before, limit, inverted }: ResolveCursorConnectionArgs) =>
      load({ after: decode('after', after), before: decode('before', before), limit, inverted }),
  );
  // The helper types its nodes as unknown; they are the rows `load` returned.
  return connection as Promise<Connection<T>>;
}

function cursorOf<K>(codec: KeyCodec<K>, key: K): string {
  return Buffer.from(codec.encode(key)).toString('base64url');
}

/** Row ids (UUIDv7, ordered by creation time). */
const idKeys: KeyCodec<string> = {
  encode: (id) => id,
  decode: (text) => (isUuid(text) ? text : null),
};

/** A connection of rows keyed by their id. */
export function idConnection<T extends { id: string }>(
  args: DefaultConnectionArguments,
  load: (page: KeysetPage<string>) => Promise<T[]>,
): Promise<Connection<T>> {
  return keysetConnection(args, idKeys, load, (row) => row.id);
}

/** Whole positive numbers (version numbers). */
export const numberKeys: KeyCodec<number> = {
  encode: (key) => String(key),
  decode: (text) => (/^\d{1,9}$/.test(text) ? Number(text) : null),
};
