/** JSON over the dashboard's API (same origin), with problem+json details as errors. */

/** @throws Error with the problem's detail on a non-2xx answer. */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } })
  if (!res.ok)
    throw new Error(
      ((await res.json().catch(() => ({}))) as { detail?: string }).detail ?? `HTTP ${res.status}`,
    )
  return (await res.json()) as T
}

/** @throws Error with the problem's detail on a non-2xx answer. */
export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  })
  const data = (await res.json().catch(() => ({}))) as T & { detail?: string }
  if (!res.ok) throw new Error(data.detail ?? `HTTP ${res.status}`)
  return data
}

/** The page's query parameters as an object; `set` rewrites them without a reload. */
export function queryState(): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(location.search))
}

export function setQueryState(q: Record<string, string | undefined>) {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, v)
  const search = params.toString()
  history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`)
}
