/**
 * Reading a newest-first feed far enough back: a feed consumer that is behind, or
 * applies events concurrently, inserts older posts below newer ones already read,
 * so a watcher must page back past the oldest post it is still waiting for.
 */

/** One page of a newest-first feed, as the feed endpoints answer it. */
export interface NewestFirstPage<T extends { createdAt: string }> {
  items: T[]
  nextCursor: string | null
}

/**
 * Reads pages from the newest, handing each page's items to `see`, until a page
 * ends with an item created before `untilMs` (ms since the epoch), the feed ends,
 * or `maxPages` pages were read.
 * @example await pageBack((cursor) => api.page(session, 100, cursor), oldestUnseenMs, record)
 */
export async function pageBack<T extends { createdAt: string }>(
  readPage: (cursor: string | null) => Promise<NewestFirstPage<T>>,
  untilMs: number,
  see: (items: T[]) => void,
  maxPages = 50,
): Promise<void> {
  let cursor: string | null = null
  for (let i = 0; i < maxPages; i++) {
    const page = await readPage(cursor)
    see(page.items)
    const last = page.items.at(-1)
    if (!last || !page.nextCursor || Date.parse(last.createdAt) < untilMs) return
    cursor = page.nextCursor
  }
}
