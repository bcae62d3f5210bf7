/**
 * Consul's `?filter=` expressions (HashiCorp's go-bexpr): matching operators
 * (`==`, `!=`, `is empty`, `is not empty`, `in`, `not in`, `contains`,
 * `not contains`, `matches`, `not matches`) over dotted selectors (`Service`,
 * `Meta.version`, `Service.Tags`, `Checks.Status`), joined by `and`, `or`, `not`
 * and parentheses, with `not` binding tightest and `or` loosest. A selector that
 * passes through a list matches when any element does. Values are quoted with
 * `"` or backticks, or bare words.
 * Source: developer.hashicorp.com/consul/api-docs/features/filtering
 */

/** The expression does not parse; the request gets 400 with this message. */
export class FilterSyntaxError extends Error {}

type Node =
  | { op: 'and' | 'or'; left: Node; right: Node }
  | { op: 'not'; arg: Node }
  | { op: 'match'; selector: string[]; test: (values: unknown[]) => boolean }

const TOKEN = /\s*(\(|\)|==|!=|"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s()"`=!]+)/y

function tokenize(text: string): string[] {
  const tokens: string[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break
    const m = TOKEN.exec(text)
    if (!m)
      throw new FilterSyntaxError(`unexpected character at ${TOKEN.lastIndex} in filter "${text}"`)
    tokens.push(m[1]!)
  }
  return tokens
}

const isQuoted = (t: string) => t.startsWith('"') || t.startsWith('`')
const literal = (t: string) =>
  t.startsWith('"') ? (JSON.parse(t) as string) : t.startsWith('`') ? t.slice(1, -1) : t

const text = (v: unknown) =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null
const empty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && Object.keys(v).length === 0)
const holds = (v: unknown, x: string) =>
  Array.isArray(v)
    ? v.some((e) => text(e) === x)
    : typeof v === 'string'
      ? v.includes(x)
      : typeof v === 'object' && v !== null
        ? x in v
        : false

class Parser {
  private at = 0
  constructor(private readonly tokens: string[]) {}
  private peek = (k = 0) => this.tokens[this.at + k]
  private next(): string {
    const t = this.tokens[this.at++]
    if (t === undefined) throw new FilterSyntaxError('the filter ends too early')
    return t
  }
  private expect(t: string) {
    const got = this.next()
    if (got !== t) throw new FilterSyntaxError(`expected "${t}", found "${got}"`)
  }
  parse(): Node {
    const node = this.or()
    if (this.at < this.tokens.length) throw new FilterSyntaxError(`unexpected "${this.peek()}"`)
    return node
  }
  private or(): Node {
    let left = this.and()
    while (this.peek() === 'or') {
      this.at++
      left = { op: 'or', left, right: this.and() }
    }
    return left
  }
  private and(): Node {
    let left = this.unary()
    while (this.peek() === 'and') {
      this.at++
      left = { op: 'and', left, right: this.unary() }
    }
    return left
  }
  private unary(): Node {
    if (this.peek() === 'not') {
      this.at++
      return { op: 'not', arg: this.unary() }
    }
    if (this.peek() === '(') {
      this.at++
      const inner = this.or()
      this.expect(')')
      return inner
    }
    return this.match()
  }
  private selector(t: string): string[] {
    if (isQuoted(t) || !/^[A-Za-z_][\w.-]*$/.test(t))
      throw new FilterSyntaxError(`"${t}" is not a selector`)
    return t.split('.')
  }
  /** `"v" [not] in S`, or `S ==|!= v`, `S is [not] empty`, `S [not] contains|matches v`. */
  private match(): Node {
    const first = this.next()
    const negated = this.peek() === 'not' && this.peek(1) === 'in'
    if (this.peek() === 'in' || negated) {
      if (negated) this.at++
      this.at++
      const x = literal(first)
      const test = (vs: unknown[]) => vs.some((v) => holds(v, x))
      return {
        op: 'match',
        selector: this.selector(this.next()),
        test: negated ? (vs) => !test(vs) : test,
      }
    }
    const selector = this.selector(first)
    const op = this.next()
    if (op === '==' || op === '!=') {
      const x = literal(this.next())
      const eq = (vs: unknown[]) => vs.some((v) => text(v) === x)
      return { op: 'match', selector, test: op === '==' ? eq : (vs) => !eq(vs) }
    }
    if (op === 'is') {
      const not = this.peek() === 'not'
      if (not) this.at++
      this.expect('empty')
      const isEmpty = (vs: unknown[]) => vs.every(empty)
      return { op: 'match', selector, test: not ? (vs) => !isEmpty(vs) : isEmpty }
    }
    const not = op === 'not'
    const verb = not ? this.next() : op
    const x = literal(this.next())
    let test: (vs: unknown[]) => boolean
    if (verb === 'contains') test = (vs) => vs.some((v) => holds(v, x))
    else if (verb === 'matches') {
      let re: RegExp
      try {
        re = new RegExp(x)
      } catch {
        throw new FilterSyntaxError(`invalid regular expression "${x}"`)
      }
      test = (vs) => vs.some((v) => text(v) !== null && re.test(text(v)!))
    } else throw new FilterSyntaxError(`unknown operator "${verb}"`)
    return { op: 'match', selector, test: not ? (vs) => !test(vs) : test }
  }
}

/** The values a selector reaches in `item`, through lists (any element) and maps. */
function select(item: unknown, path: string[]): unknown[] {
  let current: unknown[] = [item]
  for (const key of path) {
    const next: unknown[] = []
    for (const v of current) {
      const items = Array.isArray(v) ? v : [v]
      for (const x of items)
        if (x && typeof x === 'object' && key in x) next.push((x as Record<string, unknown>)[key])
    }
    current = next
  }
  return current
}

function evaluate(node: Node, item: unknown): boolean {
  switch (node.op) {
    case 'and':
      return evaluate(node.left, item) && evaluate(node.right, item)
    case 'or':
      return evaluate(node.left, item) || evaluate(node.right, item)
    case 'not':
      return !evaluate(node.arg, item)
    case 'match':
      return node.test(select(item, node.selector))
  }
}

/**
 * A predicate for `expression`.
 * @throws FilterSyntaxError when it does not parse.
 * @example compileFilter('Service == "web" and "v2" in Tags')({ Service: 'web', Tags: ['v2'] }) // true
 */
export function compileFilter(expression: string): (item: unknown) => boolean {
  if (expression.length > 4_096)
    throw new FilterSyntaxError('the filter is longer than 4096 characters')
  let node: Node
  try {
    node = new Parser(tokenize(expression)).parse()
  } catch (err) {
    // A bad escape in a quoted value (JSON.parse) or nesting too deep is the client's error too.
    if (err instanceof FilterSyntaxError) throw err
    throw new FilterSyntaxError(`the filter does not parse: ${(err as Error).message}`)
  }
  return (item) => evaluate(node, item)
}
