/**
 * One page of rows in the order of a unique key, read by keyset ("after this key") rather than by
 * offset, so a page costs the same however deep it is and rows added meanwhile never shift it. `after`
 * and `before` are keys already decoded from cursors; `inverted` reads from the far end (a `last` page).
 */
export type KeysetPage<K> = { after?: K; before?: K; limit: number; inverted: boolean };

type Order = 'asc' | 'desc';

/**
 * The `where`, `orderBy` and `limit` of a MikroORM find for the page, in `order` of `field` (reversed
 * when the page is inverted: the caller's connection helper puts the rows back).
 */
export function keysetQuery<F extends string, K>(field: F, order: Order, page: KeysetPage<K>) {
  const [past, before] = order === 'desc' ? (['$lt', '$gt'] as const) : (['$gt', '$lt'] as const);
  const range: Partial<Record<'$lt' | '$gt', K>> = {};
  if (page.after !== undefined) range[past] = page.after;
  if (page.before !== undefined) range[before] = page.before;
  const reversed: Order = order === 'asc' ? 'desc' : 'asc';
  return {
    where: (Object.keys(range).length ? { [field]: range } : {}) as Record<F, typeof range>,
    orderBy: { [field]: page.inverted ? reversed : order } as Record<F, Order>,
    limit: page.limit,
  };
}
