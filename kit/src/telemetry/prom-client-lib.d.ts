// prom-client ships types for its index only; its files' exports are typed in prom-client-files.ts.
declare module 'prom-client/lib/*.js' {
  const exported: unknown
  export default exported
}
