/**
 * The path of a request URL (no query, no fragment) without `new URL()`, which
 * throws on the bare path Bun gives a request without Host, and costs more on
 * every request.
 * @example pathOfUrl('http://api.example/feed?limit=5') // '/feed'
 */
export function pathOfUrl(url: string): string {
  const scheme = url.indexOf('://')
  const start = scheme === -1 ? url.indexOf('/') : url.indexOf('/', scheme + 3)
  if (start === -1) return '/'
  const end = url.slice(start).search(/[?#]/)
  return end === -1 ? url.slice(start) : url.slice(start, start + end)
}
